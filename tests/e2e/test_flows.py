"""Small flows that tripped people, in Chromium (zh_CN): the supervisor's way to the loss report,
an undone scan struck through, what a finger taps (48 px), a refused loan form's message in view,
the favicon, and the issue and kit tables held portrait (800×1280) and landscape (1280×800).

Screenshots of the tables go to /work/shots/ (issue-800x1280.png, kit-1280x800.png, ...).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kiosk.loans import services as loans
from kiosk.models import utcnow
from tests.conftest import Factory

from .helpers import ARTIFACTS, sign_in, unique

MIN_TOUCH_PX = 48
SHOTS = Path("/work/shots")

# Every visible link and button inside ``root``, with its box (what a finger has to hit).
_BOXES_JS = """
(root) => Array.from(root.querySelectorAll('a[href], button, [role=button]'))
  .map(el => {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === 'hidden') return null;
    return {what: el.tagName.toLowerCase() + ' ' + (el.dataset.testid || (el.textContent || '').trim().slice(0, 30)
                  || el.getAttribute('href')),
            width: Math.round(box.width), height: Math.round(box.height)};
  })
  .filter(Boolean)
"""


def _too_small(page: Page, selector: str) -> list[dict]:
    boxes = page.locator(selector).first.evaluate(_BOXES_JS)
    assert boxes, f"no links or buttons in {selector}"
    return [b for b in boxes if b["width"] < MIN_TOUCH_PX or b["height"] < MIN_TOUCH_PX]


def _sideways(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _shot(page: Page, name: str) -> None:
    size = "{width}x{height}".format(**page.viewport_size)
    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}-{size}.png"), full_page=True)


@pytest.fixture(scope="module")
def room(server):
    """A housekeeper with own garments out and a spare, a loan with a phone, tags in the print queue."""
    tag = unique("")
    with server.session():
        make = Factory()
        dept = make.department(f"客房部{tag}")
        person = make.employee(f"王芳{tag}", dept, staff_no=f"W{tag}", uniform_no=f"U{tag}", size="M",
                               position="客房服务员")
        suit = make.garment_type(f"HK-SUIT{tag}", name_zh="客房工作服套装", entitlement=4)
        shirt = make.garment_type(f"SHIRT{tag}", name_zh="衬衫", entitlement=2)
        tags = [f"HK-SUIT-{tag}-{n:03d}" for n in range(3)]
        tags.append(f"HK-SUIT-{tag}-".ljust(24, "X"))  # the longest tag a scanner may read (24 characters)
        for code in tags:
            make.garment(code, suit, owner=person, status="issued")
        make.garment(f"SH-{tag}-001", shirt, owner=person, status="at_tailor", defects="button")
        make.garment(f"SH-{tag}-SPARE", shirt, holder=person, status="spare_issued")
        make.garment(f"CI-{tag}-001", shirt, owner=make.employee(f"李{tag}", dept, staff_no=f"L{tag}"),
                     status="issued")
        person_id = person.id
    with server.session() as session:
        loan_id = loans.open_loan(session, loans.LoanData(
            reason="event", due_at=utcnow() + dt.timedelta(days=1), name=f"访客{tag}", phone="13800138000",
            organisation="会展公司", signed_on_paper=True), user=None, request_key=None).id
    for code in tags[:2]:
        server.cli("kiosk", "tag", "print", code)
    clerk, supervisor = unique("收发员"), unique("主管")
    server.add_users((clerk, "clerk", "1470"), (supervisor, "supervisor", "4826"))
    return {"tag": tag, "person": person_id, "tags": tags, "loan": loan_id, "clerk": clerk,
            "supervisor": supervisor, "other": f"CI-{tag}-001"}


def test_a_supervisor_reaches_the_loss_report_from_home(page: Page, room):
    sign_in(page, room["supervisor"], "4826")
    tile = page.locator("[data-station='reports.loss']")
    expect(tile).to_contain_text("月度报损报表")
    tile.click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    expect(page.locator("h1.page-title")).to_contain_text("月度报损报表")
    page.get_by_test_id("logout").click()
    sign_in(page, room["clerk"], "1470")  # not a clerk's report: no tile
    expect(page.locator("[data-station='reports.loss']")).to_have_count(0)


def test_an_undone_scan_is_struck_through_live_and_after_a_reload(page: Page, room):
    sign_in(page, room["clerk"], "1470")
    page.goto("/checkin/")
    page.keyboard.type(room["other"])
    page.keyboard.press("Enter")
    row = page.locator("#scan-log-rows tr", has_text=room["other"])
    expect(row).to_have_count(1)
    expect(row).not_to_have_class("undone")
    page.get_by_test_id("undo").click()
    expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "ok")
    expect(row).to_have_count(1)  # the same row, not a new one
    expect(row).to_have_class("undone")
    expect(row.locator("td.undone-note")).to_have_text("已撤销")
    assert row.locator("td.tag-code").evaluate("td => getComputedStyle(td).textDecorationLine") == "line-through"
    page.reload()
    row = page.locator("#scan-log-rows tr", has_text=room["other"])
    expect(row).to_have_count(1)
    expect(row).to_have_class("undone")


def test_the_loan_card_and_the_print_queue_links_take_a_finger(tablet: Page, room):
    sign_in(tablet, room["clerk"], "1470")
    tablet.goto(f"/loans/?loan_id={room['loan']}")
    expect(tablet.get_by_test_id("loan-card-phone")).to_have_attribute("href", "tel:13800138000")
    assert _too_small(tablet, "#loan-panel") == []
    assert _too_small(tablet, "main") == []  # the rest of the loans page too
    tablet.goto("/print/")
    expect(tablet.get_by_test_id("job-tag").first).to_be_visible()
    assert _too_small(tablet, "[data-testid=print-jobs]") == []
    assert _too_small(tablet, "main") == []


def test_a_refused_loan_form_says_why_where_the_clerk_is_looking(tablet: Page, room):
    sign_in(tablet, room["clerk"], "1470")
    tablet.goto("/loans/")
    tablet.get_by_test_id("loan-name").fill("访客")  # no phone, no organisation
    button = tablet.get_by_test_id("loan-open")
    button.scroll_into_view_if_needed()
    button.click()
    error = tablet.get_by_test_id("loan-error")
    expect(error).to_be_visible()
    expect(error).to_be_in_viewport()  # beside the button just tapped, not above the fold
    expect(tablet.get_by_test_id("loan-open")).to_be_in_viewport()


def test_the_kiosk_has_a_favicon(page: Page, room):
    page.goto("/login")
    href = page.locator("link[rel=icon]").get_attribute("href")
    answer = page.request.get(href)
    assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in answer.body()


def _no_break(page: Page, selector: str) -> list[str]:
    """Tag codes and status badges under ``selector`` that wrap onto a second line."""
    return page.locator(selector).evaluate_all("""els => els
      .filter(el => el.offsetParent !== null)
      .filter(el => el.getClientRects().length > 1
                    || el.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(el).lineHeight || 0)
                    || el.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(el).fontSize))
      .map(el => el.textContent.trim())""")


@pytest.mark.parametrize("screen", ["issue", "kit"])
def test_the_issue_and_kit_tables_keep_tags_and_badges_on_one_line(tablet: Page, room, screen):
    sign_in(tablet, room["clerk"], "1470")
    tablet.goto(f"/issue/{'kit' if screen == 'kit' else ''}?employee={room['person']}")
    table = tablet.locator("#employee-panel table.holdings")
    expect(table).to_be_visible()
    expect(table.locator(".tag-code").first).to_be_visible()
    _shot(tablet, f"{screen}-table")
    assert _no_break(tablet, "#employee-panel table.holdings .tag-code") == []
    assert _no_break(tablet, "#employee-panel table.holdings .badge") == []
    assert _sideways(tablet) <= 0


@pytest.mark.parametrize("station", ["/checkin/", "/issue/"])
def test_a_500_character_scan_does_not_widen_the_page(tablet: Page, room, station):
    sign_in(tablet, room["clerk"], "1470")
    tablet.goto(station)
    width = tablet.evaluate("() => document.documentElement.clientWidth")
    tablet.get_by_test_id("scan").fill("X" * 500)
    tablet.get_by_test_id("scan").press("Enter")
    result = tablet.locator("#scan-result")
    expect(result).to_have_attribute("data-scan-result", "error")
    _shot(tablet, "long-scan" + station.replace("/", "-").rstrip("-"))
    assert _sideways(tablet) <= 0
    box = result.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert box["height"] < tablet.viewport_size["height"]  # the answer still reads at a glance
