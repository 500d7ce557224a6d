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


# --- large files: refused by size or rows, read in bounded memory, problems capped ---------------

_MEASURED_IMPORT = """
import json, resource, sys, tracemalloc
from kiosk import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "BABEL_DEFAULT_LOCALE": "en", "KIOSK_PRINT_WORKER": False})
runner = app.test_cli_runner()
tracemalloc.start()
result = runner.invoke(args=["kiosk", "import", sys.argv[2], sys.argv[3]])
print(json.dumps({"exit": result.exit_code, "stdout": result.stdout, "stderr": result.stderr,
                  "traced_peak": tracemalloc.get_traced_memory()[1],
                  "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def measured_import(app, database_url, kind: str, path: str) -> dict:
    """``kiosk import KIND PATH`` in a process of its own: its answer, the memory the import
    allocated at most (tracemalloc, from just before the command) and the process's peak RSS."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "KIOSK_INSTANCE_PATH": app.instance_path, "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", _MEASURED_IMPORT, database_url, kind, path],
                          capture_output=True, text=True, env=env, timeout=900, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _employee_rows(count: int, *, phone: str | None = None):
    for n in range(count):
        yield f"E{n:06d},员工{n},部门{n % 12},服务员,{phone or f'138{n:08d}'},正式,U{n:06d},M"


def big_csv(tmp_path, name: str, rows, *, header: str = "工号,姓名,部门,岗位,电话,类别,制服编号,尺码") -> str:
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for row in rows:
            out.write(row + "\n")
    return str(path)


MB = 1024 * 1024


def test_a_20_mb_file_is_refused_by_its_size_without_being_read(app, database_url, tmp_path):
    path = big_csv(tmp_path, "big.csv", _employee_rows(315_000))
    assert 20 * MB < (tmp_path / "big.csv").stat().st_size < 21 * MB
    answer = measured_import(app, database_url, "employees", path)
    assert answer["exit"] == 1
    assert answer["stderr"].count("\n") == 1 and "This file is 20" in answer["stderr"]
    assert "an import reads at most 10 MB" in answer["stderr"]
    assert answer["traced_peak"] < 2 * MB  # a 20 MB file never read into memory
    assert counts(app)["Employee"] == 0


def test_a_file_of_100001_rows_is_refused_and_nothing_is_written(app, runner, tmp_path, english):
    path = big_csv(tmp_path, "rows.csv", _employee_rows(100_001))
    assert (tmp_path / "rows.csv").stat().st_size < 10 * MB
    result = invoke(runner, "employees", path)
    assert result.exit_code == 1
    assert "This file has more than 100,000 rows; an import reads at most 100,000." in result.stderr
    assert counts(app)["Employee"] == 0


def test_a_file_of_100000_rows_is_imported_in_under_500_mb(app, database_url, tmp_path):
    path = big_csv(tmp_path, "staff.csv", _employee_rows(100_000))
    answer = measured_import(app, database_url, "employees", path)
    assert answer["exit"] == 0, answer["stderr"]
    assert "Employees: 100000 created, 0 updated, 0 unchanged." in answer["stdout"]
    assert answer["peak_rss"] < 500 * MB, answer["peak_rss"] / MB
    assert counts(app)["Employee"] == 100_000


def test_300_bad_rows_list_the_first_200_problems_and_count_the_rest(app, runner, tmp_path, english):
    path = big_csv(tmp_path, "bad.csv", _employee_rows(300, phone="12345"))
    result = invoke(runner, "employees", path)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    listed = [LINE_RE.match(line) for line in lines[:-1]]
    assert len(listed) == 200 and all(listed)
    assert [int(match.group(1)) for match in listed] == list(range(2, 202))  # the first rows, in order
    assert lines[-1] == "100 more problems are not listed."
    assert counts(app)["Employee"] == 0
