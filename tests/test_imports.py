"""CSV import (kiosk.imports): the services on a real database, then the screen."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.imports import services
from kiosk.imports.services import import_csv
from kiosk.models import Department, Employee, Event, Garment, GarmentType

BOM = "\ufeff"


def csv_bytes(*lines: str, encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "\r\n".join(lines) + "\r\n"
    return ((BOM if bom else "") + text).encode(encoding)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def problems_of(result) -> set[tuple[int, str]]:
    return {(p.row, p.column) for p in result.problems}


def run(kind: str, data: bytes, **kwargs):
    result = import_csv(db.session, kind, data, **kwargs)
    if result.ok:
        db.session.commit()
    else:
        db.session.rollback()
    return result


TYPES_GBK = csv_bytes(
    "代码,中文名,英文名,单价,配发数量,预计洗涤次数",
    "SHIRT,衬衫,Shirt,￥120.00,3,100",
    'JK, 西装外套 ,Jacket,"1,200",2,50',
    encoding="gbk",
)

EMPLOYEES = csv_bytes(
    "name,department,staff_no,kind,phone,uniform_no,size,position",
    "张三,客房部,E001,正式,13800138000,1001,L,服务员",
    "李四,餐饮部,E002,hourly,010-12345678,1002,M,",
    "王五,客房部,Ｅ００３,新员工,,1003,xl,领班",
    bom=True,
)


# --- reading Excel's files ------------------------------------------------------

def test_gbk_file_with_chinese_headers_imports(ctx):
    result = run("types", TYPES_GBK)

    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    shirt = db.session.scalar(select(GarmentType).filter_by(code="SHIRT"))
    jacket = db.session.scalar(select(GarmentType).filter_by(code="JK"))
    assert (shirt.name_zh, shirt.unit_cost, shirt.entitlement, shirt.expected_washes) == \
        ("衬衫", Decimal("120.00"), 3, 100)
    assert (jacket.name_zh, jacket.name_en, jacket.unit_cost) == ("西装外套", "Jacket", Decimal("1200.00"))


def test_utf8_with_bom_and_english_headers_in_another_order_imports(ctx):
    result = run("employees", EMPLOYEES)

    assert result.ok, result.problems
    assert result.created == 3
    wang = db.session.scalar(select(Employee).filter_by(staff_no="E003"))  # full-width 工号 normalised
    assert (wang.name, wang.kind, wang.size, wang.position, wang.department.name) == \
        ("王五", "new_hire", "XL", "领班", "客房部")
    li = db.session.scalar(select(Employee).filter_by(staff_no="E002"))
    assert (li.phone, li.kind, li.uniform_no) == ("010-12345678", "hourly", "1002")


def test_utf8_without_bom_and_gb18030_both_read():
    text = "工号,姓名,部门\nE1,张三,客房部\n"
    for encoding in ("utf-8", "gb18030"):
        table = services.read_table(text.encode(encoding))
        assert table.header == ["工号", "姓名", "部门"]
        assert table.rows == [(2, ["E1", "张三", "客房部"])]


def test_headers_tolerate_spaces_full_width_stars_and_hints(ctx):
    data = csv_bytes(" 代码* ,中文名,单价（元）,ｅｎｔｉｔｌｅｍｅｎｔ,备注", "CAP,帽子,30,1,夏季")
    result = run("types", data)

    assert result.ok, result.problems
    assert result.ignored_columns == ["备注"]
    cap = db.session.scalar(select(GarmentType).filter_by(code="CAP"))
    assert (cap.unit_cost, cap.entitlement) == (Decimal("30.00"), 1)


@pytest.mark.parametrize("raw, expected", [
    ("¥120.00", Decimal("120.00")),
    ("￥120", Decimal("120.00")),
    ("1,200", Decimal("1200.00")),
    ("1,200.50元", Decimal("1200.50")),
    ("RMB 88.8", Decimal("88.80")),
    ("0", Decimal("0.00")),
])
def test_money_as_excel_writes_it(raw, expected):
    assert services.parse_money(raw) == expected


@pytest.mark.parametrize("raw", ["-5", "12.345", "1,20", "abc", "NaN", "Infinity"])
def test_bad_money_is_refused(raw):
    with pytest.raises(services._Bad):
        services.parse_money(raw)


@pytest.mark.parametrize("raw", ["2026-03-01", "2026/3/1", "2026年3月1日", "2026.03.01", "2026/3/1 0:00", "20260301"])
def test_dates_as_excel_writes_them(raw):
    assert services.parse_date(raw) == dt.date(2026, 3, 1)


@pytest.mark.parametrize("raw", ["2026-02-30", "3/1/2026", "下周", "2026-13-01"])
def test_bad_dates_are_refused(raw):
    with pytest.raises(services._Bad):
        services.parse_date(raw)


def test_rows_are_numbered_as_excel_shows_them_and_blank_rows_skipped():
    table = services.read_table(csv_bytes("工号,姓名", "E1,甲", ",", "", 'E2,"乙\n丙"', "E3,丁"))
    assert [number for number, _ in table.rows] == [2, 5, 6]


def test_workbook_and_empty_file_are_refused_with_a_reason(ctx):
    with pytest.raises(services.UnreadableFile, match="Excel workbook"):
        import_csv(db.session, "types", b"PK\x03\x04rest-of-a-zip")
    with pytest.raises(services.UnreadableFile, match="empty"):
        import_csv(db.session, "types", BOM.encode() + b"  \r\n")
    with pytest.raises(services.UnreadableFile, match="UTF-8 or GBK"):
        import_csv(db.session, "types", b"\x81\x30\xff\xfe\x00")
    assert count(GarmentType) == 0


# --- every row checked before anything is written ------------------------------

def test_bad_rows_write_nothing_and_every_bad_row_is_named(ctx, make):
    make.department("客房部")
    db.session.commit()
    data = csv_bytes(
        "工号,姓名,电话,类别",          # 部门 missing
        "E001,张三,13800138000,正式",   # row 2: duplicate of row 4
        "E002,,13900139000,正式",       # row 3: empty name
        "E001,王五,,小时工",            # row 4: duplicate of row 2
        "E004,赵六,12345,正式",         # row 5: bad phone
        "E005,钱七,13700137000,实习",   # row 6: unknown kind
        "E006,孙八,0755-1234567,",      # row 7: fine
    )
    result = run("employees", data)

    assert not result.ok
    assert problems_of(result) == {
        (1, "部门/department"), (2, "工号"), (4, "工号"), (3, "姓名"), (5, "电话"), (6, "类别"),
    }
    assert [p.row for p in result.problems] == sorted(p.row for p in result.problems)
    missing = [p for p in result.problems if p.row == 1]
    assert len(missing) == 1, "a missing column is reported once, not once per row"
    duplicate = next(p for p in result.problems if p.row == 2)
    assert duplicate.params["rows"] == "2, 4"
    assert duplicate.translated(lambda msg, **kw: msg % kw) == "E001 appears more than once in the file (rows 2, 4)."
    assert count(Employee) == 0
    assert [d.name for d in db.session.scalars(select(Department))] == ["客房部"]


def test_type_rows_bad_numbers_and_negative_cost_are_reported(ctx):
    data = csv_bytes(
        "code,name_zh,unit_cost,entitlement,expected_washes",
        "SHIRT,衬衫,-1,2,100",
        "PANTS,裤子,80,two,100",
        "TIE,领带,20,1,0",
        "bad code!,坏,1,1,1",
        "VEST,马甲,,1,1",
    )
    result = run("types", data)

    assert problems_of(result) == {
        (2, "unit_cost"), (3, "entitlement"), (4, "expected_washes"), (5, "code"), (6, "unit_cost"),
    }
    assert count(GarmentType) == 0


def test_garment_rows_are_checked_against_types_employees_and_tags(ctx, make):
    shirt = make.garment_type("SHIRT", name_zh="衬衫")
    left = make.employee("离职者", staff_no="E900", active=False)
    make.employee("张三", staff_no="E001")
    make.garment_type("OLD", name_zh="旧款", active=False)
    db.session.commit()
    data = csv_bytes(
        "标签,品类,工号,购入日期,单价",
        "G-1,SHIRT,E001,2026-03-01,120",   # fine
        "G 2,SHIRT,,,",                    # invalid tag
        "G-3,NOPE,,,",                     # unknown type
        "G-4,衬衫,E404,,",                 # unknown staff no. (type by Chinese name is fine)
        "G-5,SHIRT,E900,,",                # the owner has left
        "G-6,SHIRT,,2026/13/1,",           # bad date
        "G-7,SHIRT,,,-3",                  # negative cost
        "g-1,SHIRT,,,",                    # duplicate of row 2 once normalised
        "G-10,旧款,,,",                    # a type no longer in use
    )
    result = run("garments", data)

    assert problems_of(result) == {
        (3, "标签"), (4, "品类"), (5, "工号"), (6, "工号"), (7, "购入日期"), (8, "单价"),
        (2, "标签"), (9, "标签"), (10, "品类"),
    }
    assert count(Garment) == 0 and count(Event) == 0
    assert shirt.id and left.id


def test_uniform_number_of_another_employee_is_refused_but_a_swap_is_allowed(ctx, make):
    dept = make.department("客房部")
    make.employee("甲", staff_no="E1", uniform_no="101", department=dept)
    make.employee("乙", staff_no="E2", uniform_no="102", department=dept)
    make.employee("丙", staff_no="E3", uniform_no="103", department=dept)
    db.session.commit()

    taken = run("employees", csv_bytes("工号,姓名,部门,制服编号", "E9,新人,客房部,103"))
    assert problems_of(taken) == {(2, "制服编号")}
    assert taken.problems[0].params == {"number": "103", "staff_no": "E3", "name": "丙"}

    swap = run("employees", csv_bytes("工号,姓名,部门,制服编号", "E1,甲,客房部,102", "E2,乙,客房部,101"))
    assert swap.ok, swap.problems
    assert swap.updated == 2
    numbers = dict(db.session.execute(select(Employee.staff_no, Employee.uniform_no)).all())
    assert numbers == {"E1": "102", "E2": "101", "E3": "103"}


# --- badges (工牌) ---------------------------------------------------------------------

def _badge_hashes() -> dict[str, str | None]:
    return dict(db.session.execute(select(Employee.staff_no, Employee.badge_hash)).all())


def test_badge_column_is_read_like_a_scan_and_kept_only_as_its_keyed_hash(ctx):
    from kiosk import badges, people

    result = run("employees", csv_bytes("工号,姓名,部门,工牌", "E001,张三,客房部, ｂａｄｇｅ-0001 ",
                                        "E002,李四,客房部,"))

    assert result.ok, result.problems
    zhang = people.find_by_code(db.session, "BADGE-0001")
    assert zhang is not None and zhang.staff_no == "E001"
    assert _badge_hashes() == {"E001": badges.digest("BADGE-0001"), "E002": None}
    # The code itself is nowhere: not in a column of the person, not in an event.
    row = db.session.execute(select(Employee.__table__).where(Employee.staff_no == "E001")).one()
    assert not any("BADGE-0001" in str(value).upper() for value in row)
    assert not any("BADGE-0001" in (event.note or "").upper() for event in db.session.scalars(select(Event)))


def test_english_header_and_its_aliases_name_the_badge_column(ctx):
    from kiosk import people

    for n, header in enumerate(("badge", "Badge*", "工牌号", "工卡")):
        result = run("employees", csv_bytes(f"staff_no,name,department,{header}", f"E{n},张三,客房部,CARD-{n}"))
        assert result.ok, (header, result.problems)
        assert result.ignored_columns == []
        assert people.find_by_code(db.session, f"card-{n}").staff_no == f"E{n}"


def test_badge_naming_somebody_else_is_refused_with_row_and_column_and_nothing_is_written(ctx, make):
    dept = make.department("客房部")
    make.employee("甲", staff_no="E1", department=dept, badge="CARD-1")
    make.user("王收发", badge="CARD-OP")
    db.session.commit()
    before = _badge_hashes()

    result = run("employees", csv_bytes(
        "工号,姓名,部门,工牌",
        "E2,乙,客房部,card-1",      # row 2: 甲's badge
        "E3,丙,客房部,CARD-OP",     # row 3: an operator's badge
        "E4,丁,客房部,CARD-9",      # rows 4 and 5: one badge for two people
        "E5,戊,客房部,CARD-9",
        "E6,己,客房部,CARD-6",      # fine, but nothing is written
    ))

    assert problems_of(result) == {(2, "工牌"), (3, "工牌"), (4, "工牌"), (5, "工牌")}
    by_row = {p.row: p for p in result.problems}
    english = {row: p.translated(lambda msg, **kw: msg % kw) for row, p in by_row.items()}
    assert english[2] == "This badge already belongs to 甲 (E1)."
    assert english[3] == "This badge already belongs to the operator 王收发."
    assert by_row[4].params == by_row[5].params == {"rows": "4, 5"}
    assert not any("CARD" in text for text in english.values()), "a problem never repeats a badge code"
    assert _badge_hashes() == before
    assert count(Employee) == 1


def test_same_badge_again_changes_nothing_and_an_empty_cell_keeps_it(ctx):
    from kiosk import badges, people

    first = run("employees", csv_bytes("工号,姓名,部门,工牌", "E001,张三,客房部,CARD-1"))
    assert first.ok and first.created == 1
    stamp = db.session.scalar(select(Employee.updated_at).filter_by(staff_no="E001"))

    again = run("employees", csv_bytes("工号,姓名,部门,工牌", "E001,张三,客房部,card-1"))
    assert again.ok, again.problems
    assert (again.updated, again.unchanged) == (0, 1)
    assert db.session.scalar(select(Employee.updated_at).filter_by(staff_no="E001")) == stamp

    empty = run("employees", csv_bytes("工号,姓名,部门,工牌", "E001,张三,客房部,"))
    assert empty.ok and empty.unchanged == 1
    without_column = run("employees", csv_bytes("工号,姓名,部门", "E001,张三,客房部"))
    assert without_column.ok and without_column.unchanged == 1
    assert _badge_hashes() == {"E001": badges.digest("CARD-1")}

    replaced = run("employees", csv_bytes("工号,姓名,部门,工牌", "E001,张三,客房部,CARD-2"))
    assert replaced.ok and replaced.updated == 1
    assert people.find_by_code(db.session, "CARD-1") is None
    assert people.find_by_code(db.session, "CARD-2").staff_no == "E001"


def test_badge_an_operator_shares_through_their_employee_record_is_theirs(ctx, make):
    """An operator linked to the employee signs in with the employee's badge: importing it again is fine."""
    from kiosk import badges

    dept = make.department("客房部")
    employee = make.employee("王收发", staff_no="E1", department=dept, badge="CARD-1")
    operator = make.user("王收发")
    operator.employee_id = employee.id
    db.session.commit()

    result = run("employees", csv_bytes("工号,姓名,部门,工牌", "E1,王收发,客房部,CARD-1"))
    assert result.ok, result.problems
    assert result.unchanged == 1
    assert badges.operator(db.session, "CARD-1").id == operator.id


@pytest.mark.parametrize("cell, reason", [
    ("1.23457E+11", "rounded number"),
    ("CARD\u200b-1", "control character or an invisible one"),
])
def test_badge_excel_mangled_or_with_invisible_characters_is_refused(ctx, cell, reason):
    result = run("employees", csv_bytes("工号,姓名,部门,工牌", f"E001,张三,客房部,{cell}"))
    assert problems_of(result) == {(2, "工牌")}
    assert reason in result.problems[0].translated(lambda msg, **kw: msg % kw)
    assert count(Employee) == 0


# --- idempotence, departments, the ledger ------------------------------------------

GARMENTS = csv_bytes(
    "标签,品类,尺码,工号,购入日期,单价",
    "G-0001,SHIRT,L,E001,2026/3/1,",
    "G-0002,西装外套,XL,,2026年3月1日,¥999",
    "ｇ-0003, shirt ,m,E002,,",
)


def _load_everything():
    for kind, data in (("types", TYPES_GBK), ("employees", EMPLOYEES), ("garments", GARMENTS)):
        result = run(kind, data)
        assert result.ok, result.problems


def test_importing_the_same_files_twice_changes_nothing_the_second_time(ctx):
    _load_everything()
    before = {model: count(model) for model in (GarmentType, Employee, Department, Garment, Event)}
    stamps = sorted(db.session.execute(select(Employee.staff_no, Employee.updated_at)).all())
    versions = sorted(db.session.execute(select(Garment.tag, Garment.version)).all())

    for kind, data in (("types", TYPES_GBK), ("employees", EMPLOYEES), ("garments", GARMENTS)):
        again = run(kind, data)
        assert again.ok
        assert (again.created, again.updated) == (0, 0)
        assert again.unchanged == {"types": 2, "employees": 3, "garments": 3}[kind]
        assert again.created_departments == []

    assert {model: count(model) for model in before} == before
    assert sorted(db.session.execute(select(Employee.staff_no, Employee.updated_at)).all()) == stamps
    assert sorted(db.session.execute(select(Garment.tag, Garment.version)).all()) == versions


def test_changed_values_update_and_empty_cells_keep_what_is_on_record(ctx):
    run("employees", EMPLOYEES)
    result = run("employees", csv_bytes("工号,姓名,部门,电话", "E001,张三,前厅部,", "E002,李四,餐饮部,13600136000"))

    assert (result.created, result.updated, result.unchanged) == (0, 2, 0)
    assert result.created_departments == ["前厅部"]
    zhang = db.session.scalar(select(Employee).filter_by(staff_no="E001"))
    assert (zhang.department.name, zhang.phone, zhang.uniform_no) == ("前厅部", "13800138000", "1001")
    assert db.session.scalar(select(Employee.phone).filter_by(staff_no="E002")) == "13600136000"


def test_departments_created_are_reported_by_name(ctx, make):
    make.department("客房部")
    db.session.commit()
    result = run("employees", EMPLOYEES)

    assert result.created_departments == ["餐饮部"]
    assert sorted(d.name for d in db.session.scalars(select(Department))) == ["客房部", "餐饮部"]


def test_garments_are_registered_through_the_ledger(ctx):
    _load_everything()
    events = db.session.scalars(select(Event).order_by(Event.id)).all()

    assert [(e.action, e.to_status, e.station, e.user_id) for e in events] == [("register", "in_stock", "import", None)] * 3
    g1 = db.session.scalar(select(Garment).filter_by(tag="G-0001"))
    g2 = db.session.scalar(select(Garment).filter_by(tag="G-0002"))
    g3 = db.session.scalar(select(Garment).filter_by(tag="G-0003"))
    assert (g1.owner.staff_no, g1.number, g1.cost, g1.purchased_on) == ("E001", "1001", Decimal("120.00"), dt.date(2026, 3, 1))
    assert (g2.owner, g2.garment_type.code, g2.cost, g2.size) == (None, "JK", Decimal("999.00"), "XL")
    assert (g3.garment_type.code, g3.size, g3.owner.staff_no) == ("SHIRT", "M", "E002")
    assert events[0].department_id == g1.owner.department_id and events[0].unit_cost == Decimal("120.00")


def test_existing_tag_keeps_owner_and_type_but_size_and_cost_can_be_corrected(ctx):
    _load_everything()
    refused = run("garments", csv_bytes("标签,品类,工号", "G-0001,SHIRT,E002", "G-0002,SHIRT,", "G-0003,SHIRT,"))
    assert problems_of(refused) == {(2, "工号"), (3, "品类"), (4, "工号")}
    assert "counter" in refused.problems[0].message

    corrected = run("garments", csv_bytes("标签,品类,工号,尺码,单价", "G-0001,SHIRT,E001,XL,130", "G-0002,JK,,XL,"))
    assert corrected.ok, corrected.problems
    assert (corrected.updated, corrected.unchanged) == (1, 1)
    g1 = db.session.scalar(select(Garment).filter_by(tag="G-0001"))
    assert (g1.size, g1.cost, g1.status) == ("XL", Decimal("130.00"), "in_stock")
    last = db.session.scalar(select(Event).order_by(Event.id.desc()))
    assert (last.garment_id, last.action, last.from_status, last.to_status, last.station) == \
        (g1.id, "correct", "in_stock", "in_stock", "import")
    assert "L -> XL" in last.note


def test_template_has_chinese_headers_with_bom_and_reads_back():
    for kind in services.KINDS:
        data = services.template_csv(kind)
        assert data.startswith(BOM.encode("utf-8"))
        table = services.read_table(data)
        assert table.header == [column.zh for column in services.COLUMNS[kind]]
        assert table.rows == []


# --- the screen -------------------------------------------------------------------

def upload(client, kind: str, data: bytes, filename: str = "file.csv", **headers):
    return client.post("/import/", data={"kind": kind, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", headers=headers)


def test_import_screen_shows_the_form_and_templates(client, login_as):
    login_as("supervisor")
    page = client.get("/import/")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert 'id="import-form"' in html and 'enctype="multipart/form-data"' in html
    assert 'name="kind"' in html and 'name="file"' in html and 'type="file"' in html
    assert "<html" in html
    for kind in services.KINDS:
        assert f'href="/import/template/{kind}.csv"' in html

    fragment = client.get("/import/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="import-panel"' in fragment and "<html" not in fragment


def test_template_download_is_csv_with_bom(client, login_as):
    login_as("admin")
    response = client.get("/import/template/employees.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.decode("utf-8") == BOM + "工号,姓名,部门,岗位,电话,类别,制服编号,尺码,鞋码,袜码,工牌\r\n"
    assert client.get("/import/template/users.csv").status_code == 404


def test_upload_shows_the_summary_and_writes(app, client, login_as):
    login_as("supervisor")
    response = upload(client, "employees", EMPLOYEES)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'id="import-summary"' in html and 'data-created="3"' in html
    assert 'data-department="客房部"' in html and 'data-department="餐饮部"' in html
    assert 'id="import-errors"' not in html
    with app.app_context():
        assert count(Employee) == 3


def test_upload_with_one_bad_row_shows_the_row_and_writes_nothing(app, client, login_as):
    login_as("supervisor")
    data = csv_bytes("工号,姓名,部门", "E001,张三,客房部", "E002,,客房部", "E003,王五,客房部", encoding="gbk")
    response = upload(client, "employees", data)
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'id="import-errors"' in html
    assert '<tr data-row="3" data-column="姓名">' in html
    assert html.count("<tr data-row=") == 1
    assert 'id="import-summary"' not in html
    with app.app_context():
        assert count(Employee) == 0 and count(Department) == 0


def test_error_rows_read_row_n_in_the_language_chosen(client, login_as):
    login_as("supervisor")
    client.post("/language", data={"lang": "en", "next": "/import/"})
    data = csv_bytes("工号,姓名,部门", "E001,张三,客房部", "E002,,客房部")
    html = upload(client, "employees", data).get_data(as_text=True)

    assert "<td>Row 3</td>" in html
    assert "<td>姓名</td>" in html
    assert "This value is required." in html


def test_upload_through_htmx_returns_the_panel_only(app, client, login_as):
    login_as("supervisor")
    response = upload(client, "types", TYPES_GBK, **{"HX-Request": "true"})
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'id="import-panel"' in html and "<html" not in html
    assert 'data-created="2"' in html


def test_garments_uploaded_on_screen_carry_the_user_and_station(app, client, login_as):
    user_id = login_as("supervisor")
    upload(client, "types", TYPES_GBK)
    upload(client, "employees", EMPLOYEES)
    html = upload(client, "garments", GARMENTS).get_data(as_text=True)

    assert 'data-created="3"' in html
    with app.app_context():
        events = db.session.scalars(select(Event)).all()
        assert {(e.action, e.user_id, e.station) for e in events} == {("register", user_id, "import")}


def test_upload_without_a_file_rerenders_the_form(client, login_as):
    login_as("supervisor")
    response = client.post("/import/", data={"kind": "types"}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert 'class="field has-error"' in html
    assert 'id="import-summary"' not in html


def test_workbook_upload_says_why_and_writes_nothing(app, client, login_as):
    login_as("supervisor")
    html = upload(client, "types", b"PK\x03\x04zip", filename="types.xlsx").get_data(as_text=True)

    assert 'id="import-failed"' in html and "CSV" in html
    with app.app_context():
        assert count(GarmentType) == 0


def test_clerk_may_not_open_the_import_screen_nor_post_to_it(app, client, login_as):
    login_as("clerk")
    assert client.get("/import/").status_code == 403
    assert client.get("/import/template/types.csv").status_code == 403
    response = upload(client, "employees", EMPLOYEES)

    assert response.status_code == 403
    with app.app_context():
        assert count(Employee) == 0 and count(Department) == 0


def test_signed_out_upload_is_sent_to_sign_in_and_writes_nothing(app, client, make):
    make.user()  # a hotel with an operator: without one every page leads to the first-run screen
    db.session.commit()
    response = upload(client, "employees", EMPLOYEES)

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context():
        assert count(Employee) == 0


# --- large files --------------------------------------------------------------------

MB = 1024 * 1024


def upload_large(client, kind: str, data: bytes, **headers):
    """:func:`upload` for a file of megabytes: the body built here, in memory (Werkzeug's test
    client would spool it to a temporary file, left open when the app refuses it unread)."""
    boundary = "kiosk-test-boundary"
    body = b"".join([
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'.encode(),
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode(),
        data, f"\r\n--{boundary}--\r\n".encode()])
    return client.post("/import/", data=body, content_type=f"multipart/form-data; boundary={boundary}",
                       headers=headers)


def _employee_file(rows: int, *, phone: str = "13800138000", size: int = 0) -> bytes:
    """An employee sheet of ``rows`` rows (each with its own staff and uniform no.), padded with
    unused columns to at least ``size`` bytes."""
    pad = "x" * max(0, size // max(rows, 1) - 40)
    lines = ["工号,姓名,部门,电话,备注"] + [f"E{n:06d},员工{n},客房部,{phone},{pad}" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.parametrize("htmx, status", [(True, 200), (False, 413)])
def test_an_upload_over_the_request_limit_says_its_size_and_the_limit_on_the_import_screen(
        app, client, login_as, htmx, status):
    login_as("supervisor")
    data = _employee_file(1000, size=20 * MB)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    response = upload_large(client, "employees", data, **({"HX-Request": "true"} if htmx else {}))
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert 'id="import-failed"' in html and "an import reads at most 10 MB" in html and "This file is 20" in html
    assert len(html) < 100_000  # an answer, not the file
    with app.app_context():
        assert count(Employee) == 0


def test_an_upload_over_10_mb_is_refused_by_its_size_before_it_is_read(app, client, login_as, monkeypatch):
    login_as("supervisor")
    data = _employee_file(1000, size=11 * MB)
    assert services.MAX_FILE_BYTES < len(data) < app.config["MAX_CONTENT_LENGTH"]
    monkeypatch.setattr(services, "read_table", lambda data: pytest.fail("a file over the limit was read"))
    html = upload_large(client, "employees", data).get_data(as_text=True)
    assert 'id="import-failed"' in html and "This file is 11" in html and "at most 10 MB" in html
    with app.app_context():
        assert count(Employee) == 0


def test_300_bad_rows_show_the_first_200_and_how_many_more_in_chinese(app, client, login_as, product_language):
    login_as("supervisor")
    response = upload(client, "employees", _employee_file(300, phone="12345"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<tr data-row=") == 200
    assert '<tr data-row="201" data-column="电话">' in html and 'data-row="202"' not in html
    assert "还有 100 处问题" in html
    assert "300" in html  # the count of all problems found
    assert len(html) < 200_000
    with app.app_context():
        assert count(Employee) == 0


def test_a_file_of_more_than_100000_rows_is_refused_csv_or_xlsx(ctx):
    from openpyxl import Workbook

    with pytest.raises(services.UnreadableFile) as refused:
        services.read_table(_employee_file(services.MAX_ROWS + 1))
    assert refused.value.params == {"max": "100,000"}

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["工号", "姓名", "部门"])
    for n in range(services.MAX_ROWS + 1):
        sheet.append([f"E{n:06d}", f"员工{n}", "客房部"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(services.UnreadableFile) as refused:
        services.read_table(out.getvalue())
    assert refused.value.message == services.TOO_MANY_ROWS

    table = services.read_table(_employee_file(services.MAX_ROWS))
    assert len(table.rows) == services.MAX_ROWS and table.rows[-1][0] == services.MAX_ROWS + 1


def test_problems_beyond_the_first_200_are_counted_not_kept(ctx):
    result = run("employees", _employee_file(1000, phone="12345"))
    assert not result.ok
    assert result.problem_count == 1000 and len(result.problems) == services.MAX_PROBLEMS
    assert [p.row for p in result.problems] == list(range(2, 202))
    assert result.more_problems == 800
