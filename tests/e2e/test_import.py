"""Import from Excel at the kiosk: a file with one bad row is refused whole, and the row is named."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .helpers import sign_in, unique, write_csv

HEADER = ["工号", "姓名", "部门", "岗位", "电话", "类别", "制服编号", "尺码"]


def _person(staff_no: str, name: str, phone: str = "13800138000") -> list[str]:
    return [staff_no, name, "客房部", "服务员", phone, "正式", f"U{staff_no}", "M"]


@pytest.fixture(scope="module")
def office(server, tmp_path_factory):
    """A supervisor, and two employees on record imported with the CLI (`kiosk import employees`)."""
    supervisor, staff = unique("主管"), [unique("E"), unique("E")]
    path = write_csv(tmp_path_factory.mktemp("seed") / "staff.csv", HEADER,
                     [_person(staff[0], "张三"), _person(staff[1], "李四")])
    server.cli_parallel(server.user_add_args(supervisor, "supervisor", "2580"),
                        ["kiosk", "import", "employees", str(path)])
    return supervisor, staff


@pytest.fixture
def supervisor(office):
    return office[0]


@pytest.fixture
def seeded(office):
    return office[1]


def _open_import_screen(page: Page, supervisor: str) -> None:
    sign_in(page, supervisor, "2580")
    page.locator("[data-station='imports.upload']").click()  # the home screen's tile
    expect(page.locator("#import-form")).to_be_visible()


def _upload(page: Page, kind: str, path) -> None:
    form = page.locator("#import-form")
    form.locator("select[name=kind]").select_option(kind)
    form.locator("input[name=file]").set_input_files(str(path))
    form.locator("button[type=submit]").click()


def _search_employees(page: Page, text: str):
    page.goto("/registry/employees")
    search = page.get_by_test_id("employee-search")
    with page.expect_response(lambda r: "/registry/employees?" in r.url and "q=" in r.url):
        search.fill(text)
        search.press("Enter")
    results = page.locator("#employee-results")
    expect(results).to_be_visible()
    # htmx swapped the results in, and the name searched for stays out of the tablet's history.
    expect(page).to_have_url(re.compile(r"/registry/employees$"))
    return results.locator("[data-staff-no]")


def test_a_file_with_one_bad_phone_names_the_row_and_imports_nothing(page, server, supervisor, seeded,
                                                                    tmp_path):
    good_before, bad, good_after = unique("E"), unique("E"), unique("E")
    path = write_csv(tmp_path / "new-hires.csv", HEADER, [
        _person(good_before, "王五"),            # row 2
        _person(bad, "赵六", phone="12345"),     # row 3: not a phone number
        _person(good_after, "钱七"),             # row 4
    ])
    _open_import_screen(page, supervisor)

    _upload(page, "employees", path)

    errors = page.locator("#import-errors")
    expect(errors).to_be_visible()
    rows = errors.locator("tbody tr[data-row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-row", "3")  # as Excel shows it: header = row 1
    expect(rows.first).to_have_attribute("data-column", "电话")
    expect(rows.first).to_contain_text("3")
    expect(rows.first).to_contain_text("12345")
    expect(page.locator("#import-summary")).to_have_count(0)

    # Nothing was written: not even the good rows of that file.
    for staff_no in (good_before, good_after, bad):
        expect(_search_employees(page, staff_no)).to_have_count(0)
    # ...while the people imported before are still there to be found.
    expect(_search_employees(page, seeded[0])).to_have_count(1)


def test_a_good_file_is_imported_and_the_summary_counts_it(page, server, supervisor, seeded, tmp_path):
    first, second = unique("E"), unique("E")
    # A Chinese Excel's plain "CSV" is GBK.
    path = write_csv(tmp_path / "more.csv", HEADER, [_person(first, "孙八"), _person(second, "周九")],
                     encoding="gbk")
    _open_import_screen(page, supervisor)

    _upload(page, "employees", path)

    summary = page.locator("#import-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("data-created", "2")
    expect(page.locator("#import-errors")).to_have_count(0)
    row = _search_employees(page, second)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("周九")
