"""A refused scan is seen and heard: the answer area turns red and the previous green answer is gone.

htmx leaves a 4xx answer unswapped by default; the kiosk answers a refusal
(an expired page's token: 400; a screen the role may not use: 403) with an
error aimed at the answer area, and scan.js swaps it and sounds the error tone.
Two employees and their garments come from the real CLI (``kiosk import``):
in stock, so handing one out at the counter answers green.
"""
from __future__ import annotations

import gettext

import pytest
from playwright.sync_api import Page, expect

from .helpers import sign_in, unique, write_csv, zh_catalogue

TYPES = ["代码", "中文名", "英文名", "单价", "配发数量", "预计洗涤次数"]
EMPLOYEES = ["工号", "姓名", "部门", "岗位", "电话", "类别", "制服编号", "尺码"]
GARMENTS = ["标签", "品类", "尺码", "工号", "购入日期", "单价"]


def _said(msgid: str) -> str:
    """What the zh_CN screen says for ``msgid`` (the msgid itself while it is not translated)."""
    path = zh_catalogue()
    if path is None:
        return msgid
    with open(path, "rb") as fh:
        return gettext.GNUTranslations(fh).gettext(msgid)


@pytest.fixture(scope="module")
def room(server, tmp_path_factory):
    """A clerk; two employees, each with three shirts of their own in stock."""
    code = unique("RF")
    people = [unique("RE"), unique("RE")]
    tags = {staff_no: [f"{staff_no}-{n}" for n in range(1, 4)] for staff_no in people}
    folder = tmp_path_factory.mktemp("refusals")
    types = write_csv(folder / "types.csv", TYPES, [[code, "衬衫", "Shirt", "98.50", "3", "100"]])
    staff = write_csv(folder / "staff.csv", EMPLOYEES,
                      [[no, f"员工{no}", "客房部", "服务员", "", "正式", f"U{no}", "M"] for no in people])
    garments = write_csv(folder / "garments.csv", GARMENTS,
                         [[tag, code, "M", no, "", ""] for no in people for tag in tags[no]])
    clerk = unique("收发员")
    server.cli_parallel(server.user_add_args(clerk, "clerk", "1357"), ["kiosk", "import", "types", str(types)],
                        ["kiosk", "import", "employees", str(staff)])
    server.import_csv("garments", garments)
    return {"clerk": clerk, "people": people, "tags": tags}


def _scan(page: Page, tag: str) -> None:
    field = page.get_by_test_id("scan")
    field.fill(tag)
    field.press("Enter")


def _green_answer_at_the_counter(page: Page, clerk: str, staff_no: str, tag: str):
    """Sign in, call the person up at the counter, hand them one of their shirts."""
    sign_in(page, clerk, "1357")
    page.goto("/issue/")
    who = page.get_by_test_id("who-field")
    who.fill(staff_no)
    who.press("Enter")
    expect(page.locator("#employee-panel").get_by_test_id("staff-no")).to_have_text(staff_no)
    _scan(page, tag)
    answer = page.locator("#scan-result")
    expect(answer).to_have_attribute("data-scan-result", "ok")
    expect(answer).to_have_attribute("data-tag", tag)
    return answer


def test_a_scan_refused_for_an_expired_page_shows_the_error_and_the_next_scan_goes_through(page: Page, room):
    person = room["people"][0]
    first, second = room["tags"][person][:2]
    answer = _green_answer_at_the_counter(page, room["clerk"], person, first)

    # The page outlived its token (a server restart with a new key, a session gone stale).
    page.evaluate("""() => {
        document.querySelectorAll("input[name=csrf_token]").forEach(i => { i.value = "expired"; });
        document.querySelector("meta[name=csrf-token]").content = "expired";
        document.body.setAttribute("hx-headers", JSON.stringify({"X-CSRFToken": "expired"}));
    }""")
    refusals = []
    page.on("response", lambda response: refusals.append(response.status)
            if response.url.endswith("/scan") and response.status == 400 else None)
    _scan(page, second)

    # The refusal brought a fresh token, and the tablet's queue sent the scan again with it at
    # once: nothing to scan twice, nothing lost, no reload.
    expect(answer).to_have_attribute("data-scan-result", "ok")
    expect(answer).to_have_attribute("data-tag", second)
    expect(answer).to_have_attribute("data-garment-status", "issued")
    assert refusals == [400]
    expect(page.locator("#scan-result")).to_have_count(1)
    expect(page.get_by_test_id("scan")).to_be_focused()
    # A form that is not a scan still says the page had expired (its own token was stale too).
    page.evaluate("""() => {
        document.querySelectorAll("input[name=csrf_token]").forEach(i => { i.value = "expired"; });
        document.querySelector("meta[name=csrf-token]").content = "expired";
        document.body.setAttribute("hx-headers", JSON.stringify({"X-CSRFToken": "expired"}));
    }""")
    page.get_by_test_id("undo").click()
    expect(answer).to_have_attribute("data-scan-result", "error")
    expect(answer.get_by_test_id("result-message")).to_have_text(
        _said("This page had expired, so nothing was saved. Please try again."))


def test_a_scan_refused_for_the_role_shows_the_error_in_the_answer_area(page: Page, room):
    person = room["people"][1]
    first, second = room["tags"][person][:2]
    answer = _green_answer_at_the_counter(page, room["clerk"], person, first)

    # The scan goes to a supervisor's screen (here: the form is pointed at new purchases).
    page.evaluate("""() => { document.getElementById("scan-form").action = "/purchases/new"; }""")
    _scan(page, second)

    expect(answer).to_have_attribute("data-scan-result", "error")
    expect(answer).to_have_attribute("data-announced", "1")
    expect(answer.get_by_test_id("result-message")).to_have_text(
        _said("Your role may not open this screen. Ask a supervisor."))
    expect(answer).not_to_have_attribute("data-tag", first)
    expect(page.get_by_test_id("scan")).to_be_focused()
