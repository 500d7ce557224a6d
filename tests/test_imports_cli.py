"""``flask --app app kiosk import types|employees|garments FILE.csv``."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Department, Employee, Event, Garment, GarmentType

LINE_RE = re.compile(r"^row (\d+), ([^:]+): (.+)$")


@pytest.fixture
def english(app):
    """Reasons in English whatever the catalogue holds, so the words can be checked."""
    app.config["BABEL_DEFAULT_LOCALE"] = "en"
    return app


def write(tmp_path, name: str, *lines: str, encoding: str = "utf-8-sig") -> str:
    path = tmp_path / name
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return str(path)


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (GarmentType, Employee, Department, Garment, Event)}


def invoke(runner, *args: str):
    return runner.invoke(args=["kiosk", "import", *args])


def load_types_and_employees(runner, tmp_path) -> None:
    types = write(tmp_path, "types.csv", "代码,中文名,单价", "SHIRT,衬衫,120", encoding="gbk")
    employees = write(tmp_path, "employees.csv", "工号,姓名,部门,制服编号", "E001,张三,客房部,1001")
    assert invoke(runner, "types", types).exit_code == 0
    assert invoke(runner, "employees", employees).exit_code == 0


def test_import_prints_a_summary_and_exits_0(app, runner, tmp_path, english):
    path = write(tmp_path, "employees.csv", "staff_no,name,department", "E001,张三,客房部", "E002,李四,餐饮部")
    result = invoke(runner, "employees", path)

    assert result.exit_code == 0, result.output
    assert "Employees: 2 created, 0 updated, 0 unchanged." in result.stdout
    assert "Departments created: 客房部, 餐饮部" in result.stdout
    assert result.stderr == ""
    assert counts(app)["Employee"] == 2


def test_problems_print_one_line_each_to_stderr_exit_non_zero_and_write_nothing(app, runner, tmp_path, english):
    path = write(tmp_path, "employees.csv",
                 "工号,姓名,电话",
                 "E001,张三,13800138000",
                 "E002,,13800138001",
                 "E001,王五,12345")
    before = counts(app)
    result = invoke(runner, "employees", path)

    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert all(LINE_RE.match(line) for line in lines), lines
    found = [LINE_RE.match(line).groups()[:2] for line in lines]
    assert found == [("1", "部门/department"), ("2", "工号"), ("3", "姓名"), ("4", "工号"), ("4", "电话")]
    assert lines[0] == "row 1, 部门/department: This column is required but missing from the file."
    assert lines[1] == "row 2, 工号: E001 appears more than once in the file (rows 2, 4)."
    assert counts(app) == before


def test_missing_file_gives_one_line_and_exits_non_zero(runner, tmp_path):
    result = invoke(runner, "types", str(tmp_path / "nope.csv"))

    assert result.exit_code != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nope.csv" in result.stderr


def test_unreadable_file_gives_one_line_and_exits_non_zero(app, runner, tmp_path, english):
    path = tmp_path / "types.xlsx"
    path.write_bytes(b"PK\x03\x04 not a csv")
    result = invoke(runner, "types", str(path))

    assert result.exit_code != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Excel workbook" in result.stderr
    assert counts(app)["GarmentType"] == 0


def test_garments_imported_by_cli_are_registered_without_a_user_at_station_import(app, runner, tmp_path):
    load_types_and_employees(runner, tmp_path)
    path = write(tmp_path, "garments.csv", "标签,品类,工号,购入日期", "G-1,SHIRT,E001,2026/3/1", "G-2,衬衫,,")
    result = invoke(runner, "garments", path)

    assert result.exit_code == 0, result.output
    with app.app_context():
        events = db.session.scalars(select(Event)).all()
        assert [(e.action, e.user_id, e.station) for e in events] == [("register", None, "import")] * 2
        owner = db.session.scalar(select(Garment).filter_by(tag="G-1")).owner
        assert owner.staff_no == "E001"


def test_running_the_same_import_twice_changes_nothing(app, runner, tmp_path, english):
    load_types_and_employees(runner, tmp_path)
    path = write(tmp_path, "garments.csv", "tag,type,staff_no,size", "G-1,SHIRT,E001,L", "G-2,SHIRT,,M")
    assert invoke(runner, "garments", path).exit_code == 0
    before = counts(app)

    again = invoke(runner, "garments", path)

    assert again.exit_code == 0
    assert "Garments: 0 created, 0 updated, 2 unchanged." in again.stdout
    assert counts(app) == before


def test_unknown_staff_number_for_a_garment_is_a_problem(app, runner, tmp_path, english):
    load_types_and_employees(runner, tmp_path)
    path = write(tmp_path, "garments.csv", "tag,type,staff_no", "G-1,SHIRT,E404")
    result = invoke(runner, "garments", path)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "row 2, staff_no: No employee has staff no. E404. Import the employees first."]
    assert counts(app)["Garment"] == 0
