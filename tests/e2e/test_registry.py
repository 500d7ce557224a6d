"""Finding a person at the counter: the employee search answers as the clerk types."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .helpers import sign_in, unique, write_csv

HEADER = ["staff_no", "name", "department", "position", "phone", "kind", "uniform_no", "size"]


@pytest.fixture(scope="module")
def counter(server, tmp_path_factory):
    """A clerk, and three employees on record imported with the CLI (`kiosk import employees`).

    Searching changes nothing, so the module's tests share them.
    """
    tag = unique("")
    rows = {
        "housekeeping": [f"H{tag}", f"欧阳娜娜{tag}", "客房部", "服务员", "13800138001", "regular", f"R{tag}1", "S"],
        "kitchen": [f"K{tag}", f"欧阳锋{tag}", "厨房", "厨师", "010-12345678", "hourly", f"R{tag}2", "L"],
        "front": [f"F{tag}", f"林青{tag}", "前厅部", "接待", "", "new_hire", f"R{tag}3", "M"],
    }
    path = write_csv(tmp_path_factory.mktemp("people") / "people.csv", HEADER, list(rows.values()))
    clerk = unique("收发员")
    server.cli_parallel(server.user_add_args(clerk, "clerk", "1470"),
                        ["kiosk", "import", "employees", str(path)])
    people = {key: {"staff_no": r[0], "name": r[1], "uniform_no": r[6]} for key, r in rows.items()}
    return clerk, people


@pytest.fixture
def people(counter):
    return counter[1]


@pytest.fixture
def employees_screen(page: Page, counter):
    """The clerk signed in, on the Employees screen (tapped from the home screen)."""
    sign_in(page, counter[0], "1470")
    page.locator("[data-station='registry.employees']").click()
    expect(page.get_by_test_id("employee-search")).to_be_visible()
    return page


def _results(page: Page):
    return page.locator("#employee-results [data-staff-no]")


def test_typing_a_name_narrows_the_list_to_that_person(employees_screen, people):
    page = employees_screen
    front = people["front"]
    expect(_results(page)).to_have_count(3)

    page.get_by_test_id("employee-search").press_sequentially(front["name"][:2])

    expect(_results(page)).to_have_count(1)
    row = _results(page).first
    expect(row).to_have_attribute("data-staff-no", front["staff_no"])
    expect(row).to_contain_text(front["name"])
    expect(row).to_contain_text(front["uniform_no"])


def test_part_of_a_name_finds_everyone_who_shares_it(employees_screen, people):
    page = employees_screen
    page.get_by_test_id("employee-search").press_sequentially("欧阳")
    expect(_results(page)).to_have_count(2)
    found = {_results(page).nth(i).get_attribute("data-staff-no") for i in range(2)}
    assert found == {people["housekeeping"]["staff_no"], people["kitchen"]["staff_no"]}


def test_scanning_a_uniform_number_finds_its_wearer(employees_screen, people):
    page = employees_screen
    kitchen = people["kitchen"]
    search = page.get_by_test_id("employee-search")
    search.press_sequentially(kitchen["uniform_no"].lower())  # the scanner types, then Enter
    search.press("Enter")
    expect(_results(page)).to_have_count(1)
    expect(_results(page).first).to_have_attribute("data-staff-no", kitchen["staff_no"])


def test_a_search_that_matches_nobody_says_so(employees_screen):
    page = employees_screen
    page.get_by_test_id("employee-search").press_sequentially("没有这个人")
    expect(_results(page)).to_have_count(0)
    expect(page.locator("#employee-results")).to_contain_text("没有这个人")
