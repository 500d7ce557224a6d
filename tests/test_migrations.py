"""The Alembic migrations build exactly the schema the models describe."""
import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from kiosk.extensions import db


def _drop_everything():
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def test_upgrade_of_an_empty_database_matches_the_models(ctx):
    _drop_everything()
    upgrade()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_upgrade_then_downgrade_leaves_an_empty_database(ctx):
    _drop_everything()
    upgrade()
    assert {"garments", "events", "employees", "users"} <= set(inspect(db.engine).get_table_names())
    downgrade(revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_sqlite_runs_with_wal_foreign_keys_and_full_sync(ctx):
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA secure_delete")).scalar() == 1  # deleted text is zeroed


def test_upgrade_from_the_first_schema_keeps_garments_and_fills_the_new_columns(ctx):
    """A kiosk already in use upgrades with its data: holder and status time come from the ledger."""
    _drop_everything()
    upgrade(revision="0001")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (id, name, created_at) VALUES (1, '客房部', '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO employees (id, staff_no, name, department_id, position, phone, kind, uniform_no, size,"
            " active, created_at, updated_at) VALUES (1, 'E1', '张堃', 1, '', '', 'regular', '1001', 'M', true,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO garment_types (id, code, name_zh, name_en, unit_cost, entitlement, expected_washes, active)"
            " VALUES (1, 'SHIRT', '衬衫', 'Shirt', 98.50, 3, 100, true)"))
        conn.execute(text(
            "INSERT INTO garments (id, tag, type_id, size, owner_id, number, status, wash_count, repair_count, cost,"
            " version, created_at, updated_at) VALUES (1, 'SHIRT-000001', 1, 'M', 1, '1001', 'issued', 0, 0, 98.50,"
            " 2, '2026-01-01 00:00:00', '2026-01-02 00:00:00')"))
        for i, (action, before, after, when) in enumerate([
                ("register", None, "in_stock", "2026-01-01 08:00:00"),
                ("issue", "in_stock", "issued", "2026-01-02 09:30:00")], start=1):
            conn.execute(text(
                "INSERT INTO events (id, garment_id, action, from_status, to_status, station, defects, note,"
                " created_at) VALUES (:id, 1, :action, :before, :after, 'x', '', '', :when)"),
                dict(id=i, action=action, before=before, after=after, when=when))
    upgrade()
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT holder_id, status_since, defects, awaiting_slot FROM garments")).one()
    assert row.holder_id == 1 and str(row.status_since).startswith("2026-01-02 09:30")
    assert row.defects == "" and not row.awaiting_slot


def test_upgrade_to_request_keys_carries_each_operators_keys_and_drops_the_old_columns(ctx):
    """Keys written before the upgrade still land once after it, under the operator who sent them."""
    _drop_everything()
    upgrade(revision="0009")
    with db.engine.begin() as conn:
        for user_id, name in ((1, "clerk-a"), (2, "clerk-b")):
            conn.execute(text(
                "INSERT INTO users (id, name, role, pin_hash, active, failed_attempts, created_at)"
                " VALUES (:id, :name, 'clerk', 'x', true, 0, '2026-01-01 00:00:00')"), dict(id=user_id, name=name))
        for loan_id, user_id, key in ((1, 1, "loan-key-0001"), (2, 2, "key with space"), (3, None, "loan-key-0003")):
            conn.execute(text(
                "INSERT INTO loans (id, request_key, borrower_name, borrower_phone, borrower_org, reason, note,"
                " approver, deposit, due_at, signed_on_paper, created_by_id, created_at)"
                " VALUES (:id, :key, '李四', '13800138000', '外包', 'event', '', '', '', '2026-01-03 00:00:00',"
                " true, :user, '2026-01-02 00:00:00')"), dict(id=loan_id, key=key, user=user_id))
        conn.execute(text(
            "INSERT INTO garment_types (id, code, name_zh, name_en, unit_cost, entitlement, expected_washes, active)"
            " VALUES (1, 'SHIRT', '衬衫', 'Shirt', 98.50, 3, 100, true)"))
        for garment_id in (1, 2, 3):
            conn.execute(text(
                "INSERT INTO garments (id, tag, type_id, size, number, status, wash_count, repair_count, cost,"
                " version, defects, awaiting_slot, status_since, created_at, updated_at)"
                " VALUES (:id, :tag, 1, 'M', NULL, 'in_stock', 0, 0, 98.50, 1, '', false, '2026-01-01 00:00:00',"
                " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"), dict(id=garment_id, tag=f"SHIRT-00000{garment_id}"))
        # A registration of two garments by clerk-b ("<key>:<n>"), one of a purchase ("<key>:<chunk>:<n>").
        for event_id, garment_id, key in ((1, 1, "reg-key-0001:0"), (2, 2, "reg-key-0001:1"),
                                          (3, 3, "buy-key-0001:0:0")):
            conn.execute(text(
                "INSERT INTO events (id, garment_id, action, from_status, to_status, user_id, station, defects,"
                " note, request_key, created_at) VALUES (:id, :garment, 'register', NULL, 'in_stock', 2,"
                " 'registry', '', '', :key, '2026-01-01 08:00:00')"), dict(id=event_id, garment=garment_id, key=key))
        conn.execute(text(
            "INSERT INTO print_jobs (id, kind, document, status, attempts, printer, requested_by_id, request_key,"
            " created_at, updated_at) VALUES (1, 'tag', '{}', 'done', 1, 'dummy:', 1, 'print-key-0001',"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"))
    upgrade()
    with db.engine.connect() as conn:
        carried = conn.execute(text(
            "SELECT user_id, command, key, result FROM request_keys ORDER BY command, key")).all()
        columns = {table: {c["name"] for c in inspect(conn).get_columns(table)}
                   for table in ("events", "print_jobs", "loans", "purchases", "stock_movements")}
        kept = conn.execute(text("SELECT count(*) FROM loans")).scalar(), conn.execute(
            text("SELECT count(*) FROM events")).scalar()
    assert [tuple(row) for row in carried] == [(1, "loan.open", "loan-key-0001", "1"),
                                               (2, "registry.register", "reg-key-0001", "[1, 2]")]
    assert all("request_key" not in names for names in columns.values())
    assert kept == (3, 3)

    from kiosk.loans import services as loans
    from kiosk.models import User
    from kiosk.registry.services import registered_with

    clerk_a, clerk_b = db.session.get(User, 1), db.session.get(User, 2)
    other = loans.LoanData(reason="event", due_at=dt.datetime.now(dt.timezone.utc), name="别人", phone="13900139000",
                           organisation="x", signed_on_paper=True)
    again = loans.open_loan(db.session, other, user=clerk_a, request_key="loan-key-0001")
    assert again.id == 1 and again.borrower_name == "李四"  # the first loan, not a new one
    assert [g.tag for g in registered_with(db.session, "reg-key-0001", operator=clerk_b)] == [
        "SHIRT-000001", "SHIRT-000002"]
    assert registered_with(db.session, "reg-key-0001", operator=clerk_a) == []  # clerk-b's key, not clerk-a's


def _a_0010_database(operators, badge_of_employee="EMP-BADGE-7", badge_of_operator="BADGE-0006"):
    """A kiosk at 0010 with ``operators``, one of them badged, and one badged employee."""
    _drop_everything()
    upgrade(revision="0010")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (id, name, created_at) VALUES (1, '客房部', '2026-01-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO employees (id, staff_no, name, department_id, position, phone, kind, uniform_no, size,"
            " active, badge_code, created_at, updated_at) VALUES (1, 'E1', '张堃', 1, '', '', 'regular', '1001', 'M',"
            " true, :badge, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"), dict(badge=badge_of_employee))
        for user_id, name in enumerate(operators, start=1):
            conn.execute(text(
                "INSERT INTO users (id, name, role, pin_hash, badge_code, active, failed_attempts, created_at)"
                " VALUES (:id, :name, 'admin', 'x', :badge, true, 0, '2026-01-01 00:00:00')"),
                dict(id=user_id, name=name, badge=badge_of_operator if user_id == len(operators) else None))
    upgrade()


def test_upgrade_to_0011_marks_a_database_with_the_demo_operators_as_the_demo_and_hashes_badges(ctx):
    """The demo tried before 0011 keeps its band and can be taken out; every badge still finds its person."""
    import json

    from kiosk import badges
    from kiosk.demo import DEMO_USERS
    from kiosk.models import Employee, Hotel, User

    _a_0010_database([u.name for u in DEMO_USERS])
    with db.engine.connect() as conn:
        columns = {table: {c["name"] for c in inspect(conn).get_columns(table)} for table in ("users", "employees")}
        hashes = dict(conn.execute(text("SELECT name, badge_hash FROM users WHERE badge_hash IS NOT NULL")).all())
        employee_hash = conn.execute(text("SELECT badge_hash FROM employees")).scalar()
    assert all("badge_code" not in names and "badge_hash" in names for names in columns.values())
    assert hashes == {DEMO_USERS[-1].name: badges.digest("BADGE-0006")}
    assert employee_hash == badges.digest("EMP-BADGE-7")
    hotel = db.session.scalars(select(Hotel)).one()
    assert hotel.is_demo and hotel.name == "演示酒店"
    assert json.loads(hotel.demo_marks) == {"departments": 1, "employees": 1, "users": len(DEMO_USERS)}
    # The same badge, scanned as a scanner types it, still names its person.
    assert isinstance(badges.holder(db.session, " emp-badge-7 "), Employee)
    assert badges.operator(db.session, "badge-0006").name == DEMO_USERS[-1].name
    assert isinstance(badges.holder(db.session, "BADGE-0006"), User)


def test_upgrade_to_0011_of_a_hotel_with_its_own_operators_is_not_the_demo(ctx):
    from kiosk.models import Hotel

    _a_0010_database(["周经理", "管理员"])  # one name in common with the demo is not the demo
    hotel = db.session.scalars(select(Hotel)).one()
    assert (hotel.is_demo, hotel.demo_marks) == (False, "{}")


def test_upgrade_to_0011_of_an_empty_database_writes_no_hotel(ctx):
    from kiosk.models import Hotel

    _drop_everything()
    upgrade()
    assert db.session.scalars(select(Hotel)).all() == []


def test_upgrade_to_0011_leaves_no_badge_code_in_the_database_file(ctx, app):
    """The codes are hashed and the old text is zeroed (secure_delete), not left in free pages."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the bytes of a SQLite file; PostgreSQL's own files are not the kiosk's")
    from pathlib import Path

    _a_0010_database(["周经理", "管理员"], badge_of_employee="EMPBADGECODE77", badge_of_operator="OPBADGECODE66")
    with db.engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    path = Path(db.engine.url.database)
    files = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    assert len(files) > 4096 and "张堃".encode() in files  # the rows are there, in the clear where meant
    assert b"EMPBADGECODE77" not in files and b"OPBADGECODE66" not in files


def test_a_hotel_at_0009_with_the_demo_data_upgrades_to_the_newest_with_nothing_lost(ctx):
    """The demo hotel as a database at 0009 (the head when the operations work began): loaded at
    the newest, taken down to 0009 (what is newer goes; every row of the 0009 tables stays), then
    upgraded again as a hotel's tablet would be: every 0009 row is still there, the schema is
    the models', and the kiosk reads it."""
    from kiosk.demo import load_demo
    from kiosk.models import Garment

    _drop_everything()
    upgrade()
    load_demo(db.session, hash_method="pbkdf2:sha256:1000")
    db.session.commit()
    db.session.remove()
    downgrade(revision="0009")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0009"
        tables = [name for name in inspect(conn).get_table_names() if name != "alembic_version"]
        at_0009 = {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() for name in tables}
    assert at_0009["garments"] > 200 and at_0009["events"] > 1000  # a hotel's worth, not an empty file

    upgrade()

    with db.engine.connect() as conn:
        for name, count in at_0009.items():
            assert conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() == count, name
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []
    assert db.session.scalar(select(Garment).where(Garment.status == "issued")).owner is not None


def test_a_single_hotel_with_data_becomes_property_1_with_every_record_and_report_figure(ctx, app):
    """Migration 0021 on a hotel's database with a year of demo data at 0020: every row is still
    there and is property 1's, every operator works there, the uniqueness of the numbers staff
    read is now per property, and the loss reports of the months it holds give the same figures."""
    from kiosk.demo import load_demo
    from kiosk.domain.calendar import add_months, first_day, month_of
    from kiosk.i18n import hotel_month

    _drop_everything()
    upgrade()
    load_demo(db.session, hash_method="pbkdf2:sha256:1000")
    db.session.commit()
    months = [hotel_month(), month_of(add_months(first_day(hotel_month()), -1))]
    runner = app.test_cli_runner()

    def reports():
        db.session.remove()
        out = {}
        for month in months:
            result = runner.invoke(args=["kiosk", "report", "loss", "--month", month, "--format", "json"])
            assert result.exit_code == 0, result.output
            out[month] = result.output
        db.session.remove()
        return out

    before = reports()
    import json

    figures = json.loads(before[months[1]])
    assert figures, before  # a month with its figures, not an empty answer
    db.session.remove()
    downgrade(revision="0020")
    with db.engine.connect() as conn:
        assert "property_id" not in {c["name"] for c in inspect(conn).get_columns("garments")}
        tables = [name for name in inspect(conn).get_table_names() if name != "alembic_version"]
        at_0020 = {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() for name in tables}
    assert at_0020["garments"] > 200 and at_0020["events"] > 1000 and at_0020["loans"] > 0

    upgrade()

    with db.engine.connect() as conn:
        for name, count in at_0020.items():
            assert conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() == count, name
        assert conn.execute(text("SELECT id, code FROM properties")).all() == [(1, "")]
        owned = [name for name in inspect(conn).get_table_names()
                 if "property_id" in {c["name"] for c in inspect(conn).get_columns(name)} and name != "property_members"]
        assert {"garments", "events", "employees", "loans", "print_jobs", "write_offs", "operator_sessions"} <= set(owned)
        for name in owned:
            assert conn.execute(text(f'SELECT count(*) FROM "{name}" WHERE property_id <> 1')).scalar() == 0, name
        assert (conn.execute(text("SELECT count(*) FROM property_members WHERE property_id = 1")).scalar()
                == at_0020["users"])
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []
    assert reports() == before
    # The same staff number at a second property is now allowed; twice at one still is not.
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO properties (code, name, active, created_at) VALUES ('B', 'B', true, '2026-01-01')"))
        second = conn.execute(text("SELECT id FROM properties WHERE code = 'B'")).scalar()
        staff_no, department = conn.execute(text("SELECT staff_no, department_id FROM employees LIMIT 1")).one()
        conn.execute(text("INSERT INTO departments (property_id, name, created_at) "
                          "SELECT :p, name, created_at FROM departments WHERE id = :d"), {"p": second, "d": department})
        copied = conn.execute(text("SELECT max(id) FROM departments")).scalar()
        conn.execute(text("INSERT INTO employees (property_id, staff_no, name, department_id, position, phone, kind, "
                          "size, shoe_size, sock_size, active, created_at, updated_at) VALUES (:p, :s, '乙', :d, '', '', "
                          "'regular', '', '', '', true, '2026-01-01', '2026-01-01')"),
                     {"p": second, "s": staff_no, "d": copied})
    with pytest.raises(Exception, match="(?i)unique"), db.engine.begin() as conn:
        conn.execute(text("INSERT INTO employees (property_id, staff_no, name, department_id, position, phone, kind, "
                          "size, shoe_size, sock_size, active, created_at, updated_at) VALUES (1, :s, '甲', :d, '', '', "
                          "'regular', '', '', '', true, '2026-01-01', '2026-01-01')"), {"s": staff_no, "d": department})


def test_0024_admits_in_transit_and_goes_back_only_with_no_garment_on_its_way(ctx):
    """Transfers (调拨): the garments' status check takes in_transit; going back to 0023 is refused
    while a garment is on its way (0023 could not hold it), and then refuses the status again."""
    from sqlalchemy.exc import IntegrityError

    _drop_everything()
    upgrade()
    garment = ("INSERT INTO garments (id, property_id, tag, type_id, size, status, wash_count, repair_count, cost,"
               " defects, status_since, awaiting_slot, version, created_at, updated_at) VALUES (:id, 1, :tag, 1, 'M',"
               " :status, 0, 0, 98.50, '', '2026-11-01 00:00:00', false, 1, '2026-11-01 00:00:00',"
               " '2026-11-01 00:00:00')")
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO garment_types (id, code, name_zh, name_en, unit_cost, entitlement,"
                          " expected_washes, active) VALUES (1, 'SHIRT', '衬衫', 'Shirt', 98.50, 3, 100, true)"))
        conn.execute(text(garment), {"id": 1, "tag": "T-1", "status": "in_transit"})
    with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's reason and exits
        downgrade(revision="0023")
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0024"
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE garments SET status = 'in_stock'"))
    downgrade(revision="0023")
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text(garment), {"id": 2, "tag": "T-2", "status": "in_transit"})
    upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM garments")).scalar() == 1
