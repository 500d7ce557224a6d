"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

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
