"""Kits (配发标准) from CSV and Excel, Excel workbooks for every import, and the employees' shoe and sock sizes."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.imports import services
from kiosk.imports.services import import_csv
from kiosk.kits.models import KitLine
from kiosk.kits.services import kit_for
from kiosk.models import Employee
from kiosk.stock.models import StockItem

from .test_imports import csv_bytes, problems_of, run, upload

KITS = csv_bytes(
    "数量,品类或物品,部门,岗位",
    "2,SHIRT,,服务员",
    "1,工作鞋,,服务员",   # a stock item by its Chinese name
    "3,sock,餐饮部,服务员",  # a stock item's code, in lower case
    "2,CHEF,,厨师",
    bom=True,
)


@pytest.fixture
def room(make):
    dining, rooms = make.department("餐饮部"), make.department("客房部")
    make.garment_type("SHIRT", name_zh="衬衫", entitlement=3)
    make.garment_type("CHEF", name_zh="厨师服", entitlement=2)
    make.garment_type("OLD", name_zh="旧款", entitlement=1, active=False)
    for size in ("38", "39"):
        db.session.add(StockItem(code="SHOE", name_zh="工作鞋", kind="shoes", size=size))
    db.session.add(StockItem(code="SOCK", name_zh="袜子", kind="socks", size=""))
    server = make.employee("王芳", department=dining, position="服务员")
    db.session.commit()
    return {"dining": dining.id, "rooms": rooms.id, "server": server.id}


def rows() -> set[tuple]:
    db.session.expire_all()
    return {(line.position, line.department.name if line.department else "", line.item_key[0],
             line.garment_type.code if line.garment_type else line.stock_code, line.quantity)
            for line in db.session.scalars(select(KitLine))}


def workbook(*records, sheet_before: list | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    for record in records:
        sheet.append(list(record))
    if sheet_before is not None:  # another sheet after the first: only the first is read
        other = book.create_sheet("说明")
        other.append(sheet_before)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- kits from a CSV -----------------------------------------------------------------

def test_a_kits_file_gives_each_position_its_rows(room):
    result = run("kits", KITS)

    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged, result.removed) == (4, 0, 0, 0)
    assert rows() == {("服务员", "", "t", "SHIRT", 2), ("服务员", "", "s", "SHOE", 1),
                      ("服务员", "餐饮部", "s", "SOCK", 3), ("厨师", "", "t", "CHEF", 2)}
    kit = kit_for(db.session, db.session.get(Employee, room["server"]))  # 餐饮部's own row wins
    assert (kit.garments, kit.stock) == ({}, {"SOCK": 3})


def test_importing_the_same_kits_file_twice_changes_nothing_the_second_time(room):
    run("kits", KITS)
    stamps = {line.id: line.updated_at for line in db.session.scalars(select(KitLine))}
    again = run("kits", KITS)

    assert again.ok and (again.created, again.updated, again.unchanged, again.removed) == (0, 0, 4, 0)
    assert again.kit_changes == []
    db.session.expire_all()
    assert {line.id: line.updated_at for line in db.session.scalars(select(KitLine))} == stamps


def test_the_files_positions_get_exactly_its_rows_and_other_positions_stay(room):
    run("kits", KITS)
    result = run("kits", csv_bytes("岗位,部门,品类或物品,数量", "服务员,,SHIRT,4", "服务员,,SOCK,2"))

    assert result.ok, result.problems
    assert (result.created, result.updated, result.unchanged, result.removed) == (1, 1, 0, 1)
    assert rows() == {("服务员", "", "t", "SHIRT", 4), ("服务员", "", "s", "SOCK", 2),
                      ("服务员", "餐饮部", "s", "SOCK", 3),  # a department the file does not name: as it was
                      ("厨师", "", "t", "CHEF", 2)}          # a position the file does not name: as it was
    said = {services.kit_change_text(change, lambda m, **p: m % p) for change in result.kit_changes}
    assert said == {"服务员: SHIRT · 衬衫 2 → 4", "服务员: SOCK · 袜子 added × 2",
                    "服务员: SHOE · 工作鞋 taken out (was × 1)"}


def test_bad_kit_rows_are_named_by_row_and_column_and_nothing_is_written(room):
    result = run("kits", csv_bytes(
        "岗位,部门,品类或物品,数量",
        "服务员,,SHIRT,2",        # row 2: good
        "服务员,财务部,SHIRT,1",   # row 3: no such department
        "服务员,,SCARF,1",        # row 4: no such item
        "服务员,,SOCK,0",         # row 5
        "服务员,,CHEF,21",        # row 6
        "服务员,,SHOE,1.5",       # row 7
        ",,SHIRT,1",              # row 8: no position
        "厨师,,OLD,1",            # row 9: a type no longer in use
        "服务员,,衬衫,3",          # row 10: the same item as row 2, by its name
    ))

    assert not result.ok
    assert problems_of(result) == {(3, "部门"), (4, "品类或物品"), (5, "数量"), (6, "数量"), (7, "数量"),
                                   (8, "岗位"), (9, "品类或物品"), (2, "品类或物品"), (10, "品类或物品")}
    reasons = {(p.row, p.column): p.translated(lambda m, **k: m % k if k else m) for p in result.problems}
    assert "财务部" in reasons[(3, "部门")]
    assert "SCARF" in reasons[(4, "品类或物品")]
    assert reasons[(6, "数量")] == "Enter a whole number from 1 to 20."  # the one reading of a count
    assert "rows 2, 10" in reasons[(10, "品类或物品")]
    assert rows() == set()


def test_a_kits_file_without_a_required_column_names_it_on_row_1(room):
    result = run("kits", csv_bytes("岗位,品类或物品", "服务员,SHIRT"))
    assert problems_of(result) == {(1, "数量/quantity")}


def test_a_gbk_kits_file_with_english_headers_imports(room):
    result = run("kits", csv_bytes("position,item,quantity,department", "服务员,衬衫,2,客房部",
                                   "服务员,ＳＨＯＥ,１,客房部", encoding="gbk"))

    assert result.ok, result.problems
    assert rows() == {("服务员", "客房部", "t", "SHIRT", 2), ("服务员", "客房部", "s", "SHOE", 1)}


def test_a_code_shared_by_a_type_and_a_stock_item_asks_for_the_name(room, make):
    make.garment_type("SOCK", name_zh="工装袜")
    db.session.commit()
    result = run("kits", csv_bytes("岗位,品类或物品,数量", "服务员,SOCK,1", "厨师,工装袜,1"))

    assert problems_of(result) == {(2, "品类或物品")}


# --- Excel workbooks ------------------------------------------------------------------

def test_an_xlsx_kits_file_imports_from_its_first_sheet(room):
    data = workbook(["岗位", "部门", "品类或物品", "数量"], ["服务员", None, "SHIRT", 2], ["厨师", "", "CHEF", 3.0],
                    sheet_before=["岗位", "数量"])
    result = run("kits", data)

    assert result.ok, result.problems
    assert rows() == {("服务员", "", "t", "SHIRT", 2), ("厨师", "", "t", "CHEF", 3)}
    assert run("kits", data).unchanged == 2


def test_bad_rows_of_an_xlsx_file_are_named_as_excel_numbers_them(room):
    data = workbook(["岗位", "部门", "品类或物品", "数量"],
                    ["服务员", None, "SHIRT", 2],       # row 2
                    [None, None, None, None],          # row 3: empty, skipped but counted
                    ["服务员", "财务部", "SHIRT", 1],    # row 4
                    ["厨师", None, "CHEF", 2.5])       # row 5
    result = run("kits", data)

    assert problems_of(result) == {(4, "部门"), (5, "数量")}
    assert rows() == set()


def test_an_xlsx_employee_file_reads_numbers_as_the_sheet_shows_them(room):
    data = workbook(["工号", "姓名", "部门", "电话", "制服编号", "鞋码", "入职"],
                    [10023, "张伟", "客房部", 13800138000, 2001, 39, dt.datetime(2026, 3, 1)])
    result = run("employees", data)

    assert result.ok, result.problems
    zhang = db.session.scalar(select(Employee).filter_by(staff_no="10023"))
    assert (zhang.phone, zhang.uniform_no, zhang.shoe_size) == ("13800138000", "2001", "39")
    assert result.ignored_columns == ["入职"]


def test_a_damaged_xlsx_and_an_old_xls_are_refused_with_a_reason(room):
    with pytest.raises(services.UnreadableFile, match="Excel workbook cannot be read"):
        import_csv(db.session, "kits", b"PK\x03\x04 not really a zip")
    with pytest.raises(services.UnreadableFile, match=r"\.xls"):
        import_csv(db.session, "kits", b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    with pytest.raises(services.UnreadableFile, match="empty"):
        import_csv(db.session, "kits", workbook())
    assert rows() == set()


# --- employees' shoe and sock sizes -------------------------------------------------------

def test_the_employee_import_reads_shoe_and_sock_sizes_and_an_empty_cell_keeps_them(room):
    result = run("employees", csv_bytes("工号,姓名,部门,尺码,鞋码,袜码", "E100,李四,客房部,l,38,m", bom=True))
    assert result.ok, result.problems
    li = db.session.scalar(select(Employee).filter_by(staff_no="E100"))
    assert (li.size, li.shoe_size, li.sock_size) == ("L", "38", "M")

    again = run("employees", csv_bytes("staff_no,name,department,shoe_size,sock_size", "E100,李四,客房部,39,"))
    assert (again.updated, again.unchanged) == (1, 0)
    db.session.expire_all()
    li = db.session.scalar(select(Employee).filter_by(staff_no="E100"))
    assert (li.shoe_size, li.sock_size) == ("39", "M")
    assert run("employees", csv_bytes("staff_no,name,department,shoe_size,sock_size",
                                      "E100,李四,客房部,39,")).unchanged == 1


def test_a_too_long_shoe_size_is_named_by_row_and_column(room):
    result = run("employees", csv_bytes("工号,姓名,部门,鞋码", "E1,甲,客房部,38", "E2,乙,客房部," + "4" * 17))
    assert problems_of(result) == {(3, "鞋码")}
    assert db.session.scalar(select(func.count()).select_from(Employee)) == 1  # only the fixture's


# --- the screen and the command line --------------------------------------------------------

def test_the_import_screen_imports_kits_and_says_what_changed(app, client, login_as, room):
    login_as("supervisor")
    page = client.get("/import/").get_data(as_text=True)
    assert 'value="kits"' in page and 'data-testid="template-kits"' in page and ".xlsx" in page

    first = upload(client, "kits", KITS, **{"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-kind="kits"' in first and 'data-created="4"' in first
    assert re.search(r'<li data-outcome="added">服务员 / 餐饮部: SOCK · 袜子 added × 3</li>', first)
    second = upload(client, "kits", KITS, filename="kits.xlsx").get_data(as_text=True)
    assert 'data-unchanged="4"' in second and 'data-count="removed">0<' in second
    assert 'id="import-kit-changes"' not in second
    bad = upload(client, "kits", workbook(["岗位", "品类或物品", "数量"], ["服务员", "SHIRT", 30]),
                 filename="kits.xlsx").get_data(as_text=True)
    assert 'data-row="2" data-column="数量"' in bad


def test_the_kits_template_has_the_chinese_headers(client, login_as):
    login_as("admin")
    response = client.get("/import/template/kits.csv")
    assert response.data.decode("utf-8") == "\ufeff岗位,部门,品类或物品,数量\r\n"


def test_a_clerk_cannot_import_kits(app, client, login_as, room):
    login_as("clerk")
    assert upload(client, "kits", KITS).status_code == 403
    assert rows() == set()


def test_kiosk_import_kits_prints_what_changed_or_each_bad_row(app, runner, tmp_path, room):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    good = tmp_path / "kits.csv"
    good.write_bytes(KITS)
    result = runner.invoke(args=["kiosk", "import", "kits", str(good)])
    assert result.exit_code == 0, result.output
    assert "Kits by position: 4 added, 0 changed, 0 unchanged, 0 taken out." in result.stdout
    assert "厨师: CHEF · 厨师服 added × 2" in result.stdout

    again = runner.invoke(args=["kiosk", "import", "kits", str(good)])
    assert "0 added, 0 changed, 4 unchanged, 0 taken out." in again.stdout

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook(["岗位", "部门", "品类或物品", "数量"], ["服务员", "前厅部", "SHIRT", 1]))
    refused = runner.invoke(args=["kiosk", "import", "kits", str(bad)])
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        "row 2, 部门: Unknown department 前厅部. Departments come with the employees: import them first, "
        "or check the spelling."]
    assert len(rows()) == 4
