"""Shift checklists (开班 / 收班检查) in the browser, in Chinese: an ironer's opening and closing
checks; a clerk's closing check refused while passed garments wait for their slot; a check
not done on 今日 and in the handover's summary.

Screenshots of the three screens, landscape and portrait, go to
tests/e2e/artifacts/checklist-*.png (KIOSK_SHOTS: another folder), and each is
checked for what a finger needs (48 px targets, nothing sideways).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from kiosk.checklists.models import ChecklistRun
from kiosk.models import Garment, OperatorSession, User
from tests.conftest import Factory

from .helpers import ARTIFACTS, PORTRAIT, new_page, sign_in, tick_check, unique
from .test_garment_flow import scan, variants, zh
from .test_screens import _sideways_overflow, _too_small


def _shot(page: Page, name: str) -> None:
    """What the operator sees, saved for a person to look at, and checked for a finger."""
    folder = Path(os.environ.get("KIOSK_SHOTS") or ARTIFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    size = "{width}x{height}".format(**page.viewport_size)
    page.screenshot(path=str(folder / f"checklist-{name}-{size}.png"))
    assert _too_small(page) == [], f"{name} at {size}: touch targets under 48px"
    assert _sideways_overflow(page) <= 0, f"{name} at {size} scrolls sideways"


def _in_portrait(browser, server, name: str, path: str, shot: str, ready) -> None:
    """The same screen on the tablet held upright (a sign-in of its own)."""
    upright = new_page(browser, server.url, PORTRAIT)
    try:
        sign_in(upright, name)
        upright.goto(path)
        ready(upright)
        _shot(upright, shot)
    finally:
        upright.context.close()


def _runs(server, name: str) -> list[ChecklistRun]:
    with server.session() as session:
        user = session.scalar(select(User).where(User.name == name))
        rows = list(session.scalars(select(ChecklistRun).where(ChecklistRun.user_id == user.id)
                                    .order_by(ChecklistRun.id)))
        for row in rows:
            session.expunge(row)
        return rows


def _garments(server, *, status: str, count: int = 1, passed: bool = False) -> list[str]:
    prefix = unique("CK")
    with server.session() as session:
        make = Factory()
        kind = make.garment_type(prefix)
        tags = []
        for n in range(count):
            garment = (make.passed if passed else make.garment)(f"{prefix}-{n}", garment_type=kind,
                                                              **({} if passed else {"status": status}))
            tags.append(garment.tag)
    return tags


def test_an_ironers_opening_and_closing_checks_are_recorded(server, page, browser):
    ironer = server.add_user(unique("熨烫"), "ironer")
    [tag] = _garments(server, status="ironing")
    sign_in(page, ironer)
    page.goto("/ironing/")

    opening = page.get_by_test_id("check-ironing_open")
    expect(opening).to_have_attribute("data-done", "false")
    expect(opening).to_contain_text(zh("Ironing: opening check"))
    expect(opening).to_contain_text("做好机器设备使用前的各种准备工作")
    expect(opening).to_contain_text("检查不安全隐患")
    expect(opening.get_by_test_id("check-gate")).to_have_text(zh("Scanning starts once this check is done."))
    _shot(page, "ironing-opening")
    _in_portrait(browser, server, ironer, "/ironing/", "ironing-opening",
                 lambda p: expect(p.get_by_test_id("check-ironing_open")).to_be_visible())

    # A scan before the check: refused, said so, nothing moved.
    shown = scan(page, tag, "error")
    expect(shown).to_contain_text(zh("Do the opening check above first: tick every item, then tap Check done. "
                                     "This scan was not recorded: scan the garment again afterwards."))
    with server.session() as session:
        assert session.scalar(select(Garment.status).where(Garment.tag == tag)) == "ironing"

    tick_check(page, "ironing_open")
    expect(opening).to_have_attribute("data-done", "true")
    expect(opening).to_contain_text(ironer)
    scan(page, tag, "ok", "inspection", tag)

    # Signing out: the closing check first, then signed out.
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"/checklists/sign-out"))
    closing = page.get_by_test_id("check-ironing_close")
    expect(closing).to_contain_text("关闭电源、蒸汽阀门")
    expect(closing.get_by_test_id("check-ok")).to_have_text(zh("Check done: sign out"))
    _shot(page, "ironing-closing")
    tick_check(page, "ironing_close")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.locator(".notice-success")).to_contain_text(zh("Closing check recorded. You are signed out."))

    done = _runs(server, ironer)
    assert [(run.checklist, run.status) for run in done] == [("ironing_open", "done"), ("ironing_close", "done")]
    assert done[0].session_id == done[1].session_id is not None and done[0].at <= done[1].at
    with server.session() as session:
        assert session.get(OperatorSession, done[1].session_id).ended_at is not None  # signed out


def test_a_clerks_closing_check_is_refused_while_garments_are_unslotted(server, page, browser):
    clerk = server.add_user(unique("收发"), "clerk")
    tags = _garments(server, status="in_stock", count=2, passed=True)
    with server.session() as session:
        waiting = session.scalars(select(Garment.tag).where(Garment.awaiting_slot.is_(True))).all()
    sign_in(page, clerk)
    page.goto("/today/")
    page.get_by_test_id("do-counter_close").click()
    expect(page).to_have_url(re.compile(r"/checklists/counter_close/"))

    check = page.get_by_test_id("check-counter_close")
    slotted = check.locator("label.tick[data-rule=all_slotted]")
    expect(slotted).to_have_class(re.compile("tick-blocked"))
    expect(slotted.locator("input")).to_be_disabled()
    expect(check.get_by_test_id("tick-blocked")).to_contain_text(
        zh("Cannot be ticked yet: %(num)d passed garments are not in their numbered slot.", num=len(waiting)))
    _shot(page, "counter-closing-unslotted")
    _in_portrait(browser, server, clerk, "/checklists/counter_close/", "counter-closing-unslotted",
                 lambda p: expect(p.get_by_test_id("tick-blocked")).to_be_visible())

    tick_check(page, "counter_close")  # the other two ticked; the button tapped
    expect(check.get_by_test_id("check-error")).to_have_text(
        zh("Passed garments not yet in their numbered slot: %(num)d. Slot them first.", num=len(waiting)))
    expect(check).to_have_attribute("data-done", "false")
    assert [run for run in _runs(server, clerk) if run.checklist == "counter_close"] == []

    # Slotted, the tick goes through.
    page.goto("/inspection/slot")
    for tag in waiting:
        scan(page, tag, "ok")
    page.goto("/checklists/counter_close/")
    expect(check.locator("label.tick[data-rule=all_slotted]")).not_to_have_class(re.compile("tick-blocked"))
    tick_check(page, "counter_close")
    expect(check).to_have_attribute("data-done", "true")
    [run] = [run for run in _runs(server, clerk) if run.checklist == "counter_close"]
    assert run.status == "done" and tags


def test_a_missing_check_shows_on_today_and_in_the_handover_summary(server, page, browser):
    ironer, clerk = server.add_users((unique("熨烫"), "ironer", "2580"), (unique("收发"), "clerk", "2580"))
    sign_in(page, ironer)
    page.goto("/ironing/")
    tick_check(page, "ironing_open")
    expect(page.get_by_test_id("check-ironing_open")).to_have_attribute("data-done", "true")
    page.get_by_test_id("logout").click()
    page.get_by_test_id("sign-out-skip").click()  # signed out without the closing check
    expect(page).to_have_url(re.compile(r"/login"))

    sign_in(page, clerk)
    page.goto("/today/")
    checks = page.get_by_test_id("shift-checks")
    missing = checks.locator("li.check-run-missing[data-checklist=ironing_close]").filter(has_text=ironer)
    expect(missing).to_have_count(1)
    expect(missing).to_contain_text(zh("Ironing: closing check"))
    expect(missing).to_contain_text(zh("Not done: %(why)s", why=variants("signed out without it")))
    expect(checks.locator("li.check-run-done[data-checklist=ironing_open]").filter(has_text=ironer)).to_have_count(1)
    checks.scroll_into_view_if_needed()
    _shot(page, "today-missing")
    _in_portrait(browser, server, clerk, "/today/", "today-missing",
                 lambda p: p.get_by_test_id("shift-checks").scroll_into_view_if_needed())

    page.goto("/handover/")
    expect(page.get_by_test_id("closing-owed")).to_be_visible()
    page.get_by_test_id("note").fill("熨烫没做收班检查")
    page.get_by_test_id("write-ok").click()
    waiting = page.get_by_test_id("handover-open")
    expect(waiting).to_be_visible()
    summary = waiting.locator("[data-section=checks]")
    expect(summary.locator("li.check-run-missing[data-checklist=ironing_close]").filter(has_text=ironer)).to_have_count(1)
    # The clerk handed over without the counter's closing check: that is missing too.
    expect(summary.locator("li.check-run-missing[data-checklist=counter_close]").filter(has_text=clerk)).to_have_count(1)
