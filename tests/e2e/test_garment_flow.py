"""One garment through the uniform room, the way the staff do it: tap, scan
(the wedge scanner types the code and Enter), read the screen.

check-in (with a duplicate and an unknown code) → ironing, a defect flagged →
inspection, to the tailor → back from the tailor → inspection pass (the slot
number fills the screen) → exchange at the counter. And two tablets scanning
the same garment at the same moment move it once.

Words on the screen are looked up in the compiled zh_CN catalogue; a msgid
not translated yet shows in English, so each lookup accepts either (a
translation pass may be running while these tests do). Screenshots of the key
moments go to tests/e2e/artifacts/flow-*.png, landscape and portrait.
"""
from __future__ import annotations

import gettext
import itertools
import re

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from kiosk.models import Event, Garment
from tests.conftest import Factory

from .helpers import ARTIFACTS, PORTRAIT, new_page, sign_in, tick_check, unique, zh_catalogue

# --- the catalogue ----------------------------------------------------------

def _catalogue_now() -> gettext.NullTranslations:
    path = zh_catalogue()
    if path is None:
        return gettext.NullTranslations()
    try:
        with open(path, "rb") as fh:
            return gettext.GNUTranslations(fh)
    except (OSError, gettext.error):  # being recompiled at this very moment
        return gettext.NullTranslations()


# The server loads its catalogue once, at its first Chinese page; the file may
# be recompiled while the tests run. So a word may be the translation read at
# import, the one read now, or the msgid itself.
_AT_IMPORT = _catalogue_now()


def variants(msgid: str) -> set[str]:
    """Every form ``msgid`` may take on the screen (translated or not)."""
    return {msgid, _AT_IMPORT.gettext(msgid), _catalogue_now().gettext(msgid)}


def zh(msgid: str, **params) -> re.Pattern:
    """What the screen says for ``msgid``: the zh_CN translation, or the msgid.

    A parameter may itself be a set of variants (a translated word inside a
    translated sentence).
    """
    keys = list(params)
    choices = [params[k] if isinstance(params[k], set) else {params[k]} for k in keys]
    texts = set()
    for template in variants(msgid):
        for combo in itertools.product(*choices):
            texts.add(template % dict(zip(keys, combo)) if keys else template)
    return re.compile("|".join(re.escape(t) for t in sorted(texts, key=len, reverse=True)))


# --- what the clerk does and sees -------------------------------------------

def seed_employee(server, *, prefix: str, uniform_no: str, tags: list[str], entitlement: int = 2) -> dict:
    """A garment type with an entitlement, an employee with a uniform number and
    a badge, and ``tags`` registered to them and issued."""
    person = {"staff_no": unique("E"), "name": unique("王芳"), "uniform_no": uniform_no,
              "badge": f"BADGE{uniform_no}"}
    with server.session():
        make = Factory()
        emp = make.employee(person["name"], make.department(f"客房部{prefix}"), staff_no=person["staff_no"],
                            uniform_no=uniform_no, badge=person["badge"], size="M")
        shirt = make.garment_type(prefix, unit_cost=98, entitlement=entitlement)
        for tag in tags:
            make.garment(tag, shirt, owner=emp, size="M", status="issued")
    return person


def scan_field(page: Page):
    return page.get_by_test_id("scan")


def answer(page: Page):
    return page.locator("#scan-result")


def _mark_answer_seen(page: Page) -> None:
    # The next answer replaces #scan-result; the mark tells the old one apart.
    answer(page).evaluate("el => { el.dataset.seen = '1'; }")


def _new_answer(page: Page, result: str, status: str | None = None, tag: str | None = None):
    fresh = page.locator("#scan-result:not([data-seen])")
    expect(fresh).to_have_attribute("data-scan-result", result)
    if status is not None:
        expect(fresh).to_have_attribute("data-garment-status", status)
    if tag is not None:
        expect(fresh).to_have_attribute("data-tag", tag)
    # Cleared and still focused: the scanner's next code lands in the field.
    expect(scan_field(page)).to_have_value("")
    expect(scan_field(page)).to_be_focused()
    return answer(page)  # not `fresh`: the next tap marks it seen


def scan(page: Page, code: str, result: str, status: str | None = None, tag: str | None = None):
    """Scan (type + Enter into the focused field) and wait for this scan's answer."""
    expect(scan_field(page)).to_be_focused()
    _mark_answer_seen(page)
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    return _new_answer(page, result, status, tag)


def tap(page: Page, target, result: str, status: str | None = None, tag: str | None = None):
    """Tap a button that answers in #scan-result, and wait for the answer."""
    _mark_answer_seen(page)
    target.click()
    return _new_answer(page, result, status, tag)


def tap_check(page: Page, box) -> None:
    """Tick a checkbox: ticked, and the scanner still types into the scan field."""
    box.click()
    expect(box).to_be_checked()
    expect(scan_field(page)).to_be_focused()


def shot(page: Page, name: str) -> None:
    """What the clerk sees (the viewport, not the whole page), for a human to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = "{width}x{height}".format(**page.viewport_size)
    page.screenshot(path=str(ARTIFACTS / f"flow-{name}-{size}.png"))


def switch_user(page: Page, name: str) -> None:
    """The shared tablet: the one signed in taps Sign out, the next signs in.

    An ironer who worked the station does its closing check first (the sign-out shows it).
    """
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/login|/checklists/sign-out"))
    if "/checklists/sign-out" in page.url:
        tick_check(page, "ironing_close")
    expect(page).to_have_url(re.compile(r"/login"))
    sign_in(page, name)


def held(panel, type_code: str):
    return panel.locator(f"tr[data-type='{type_code}'] [data-testid=holds]")


# --- the flow ---------------------------------------------------------------

def test_one_garment_goes_from_check_in_through_the_tailor_to_the_exchange(server, page, browser):
    clerk = server.add_user(unique("收发"), "clerk")
    ironer = server.add_user(unique("熨烫"), "ironer")
    prefix = unique("FL")
    garment, other = f"{prefix}-A", f"{prefix}-B"
    person = seed_employee(server, prefix=prefix, uniform_no="1023", tags=[garment, other])
    damage = variants("Damage")

    # 1. Check-in: the dirty garment handed in; again (duplicate); a code that is not ours.
    sign_in(page, clerk)
    page.goto("/checkin/")
    log_rows = page.locator("#scan-log-rows tr")
    shown = scan(page, garment, "ok", "dirty", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Checked in"))
    expect(shown.locator("[data-status=dirty]")).to_have_text(zh("Dirty"))
    expect(log_rows).to_have_count(1)
    expect(log_rows.first.locator("td.tag-code")).to_have_text(garment)

    shown = scan(page, garment.lower(), "duplicate", "dirty", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Already scanned"))
    expect(shown).to_contain_text(zh("%(tag)s was scanned here a moment ago; nothing new was recorded.",
                                     tag=garment))
    expect(log_rows).to_have_count(1)  # nothing new in the shift's list

    shown = scan(page, "MY-OWN-SHIRT", "error")
    expect(shown.locator(".result-word")).to_have_text(zh("Not done"))
    expect(shown.get_by_test_id("result-message")).to_have_text(
        zh("%(code)s is not one of our uniforms. Personal clothes never enter the stock.", code="MY-OWN-SHIRT"))
    expect(shown).to_contain_text("MY-OWN-SHIRT")
    expect(log_rows).to_have_count(1)

    # 2. Ironing: ironed → inspection; one tap flags the damage.
    switch_user(page, ironer)
    page.goto("/ironing/")
    tick_check(page, "ironing_open")  # the opening check comes before the first scan
    expect(page.get_by_test_id("check-ironing_open")).to_have_attribute("data-done", "true")
    shown = scan(page, garment, "ok", "inspection", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Ironed"))
    expect(shown.locator("[data-status=inspection]")).to_have_text(zh("Inspection"))
    chip = shown.locator("button.chip[data-defect=damage]")
    expect(chip).to_have_text(zh("Damage"))
    expect(chip).to_have_attribute("aria-pressed", "false")

    shown = tap(page, chip, "ok", "inspection", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Flagged: %(defect)s", defect=damage))
    flagged = shown.get_by_test_id("flagged")
    expect(flagged).to_have_attribute("data-defects", "damage")
    expect(flagged).to_contain_text(zh("Flagged for the inspector:"))
    expect(flagged).to_contain_text(zh("Damage"))
    expect(shown.locator("button.chip[data-defect=damage]")).to_have_attribute("aria-pressed", "true")

    # 3. Inspection: the card shows what the ironer flagged; to the tailor.
    switch_user(page, clerk)
    page.goto("/inspection/")
    shown = scan(page, garment, "ok", "inspection", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Inspect"))
    expect(shown.locator(".inspection-line")).to_contain_text(zh("Flagged:"))
    expect(shown.locator("[data-testid=flagged-defects] [data-defect=damage]")).to_have_text(zh("Damage"))
    for action, word in (("pass", "Pass"), ("rewash", "Rewash"), ("reiron", "Re-iron"), ("tailor", "To the tailor")):
        expect(shown.get_by_test_id(f"act-{action}")).to_have_text(zh(word))
    shot(page, "inspection-card")
    _inspection_card_in_portrait(browser, server, clerk, garment)

    shown = tap(page, shown.get_by_test_id("act-tailor"), "ok", "at_tailor", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Sent to the tailor"))
    expect(shown.locator("[data-status=at_tailor]")).to_have_text(zh("At the tailor"))

    # 4. Tailor: switch to receive back, scan → back on the inspection table.
    page.goto("/tailor/")
    expect(page.locator(f"[data-at-tailor='{garment}']")).to_be_visible()
    page.get_by_test_id("mode-receive").click()
    expect(page.get_by_test_id("mode-receive")).to_be_checked()
    expect(scan_field(page)).to_be_focused()
    shown = scan(page, garment, "ok", "inspection", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Back from the tailor"))
    expect(shown.get_by_test_id("next-step")).to_have_text(zh("Take it to the inspection table."))
    expect(shown.get_by_test_id("repair-count")).to_have_text(zh("Mended %(count)s times", count=1))
    expect(page.get_by_test_id("tailor-empty")).to_be_visible()

    # 5. Inspection again: a pass without the checks is refused; with them, the slot number.
    page.goto("/inspection/")
    shown = scan(page, garment, "ok", "inspection", garment)
    expect(shown.locator("[data-testid=flagged-defects] [data-defect=damage]")).to_be_visible()
    shown = tap(page, shown.get_by_test_id("act-pass"), "error", "inspection", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Not done"))
    expect(shown.get_by_test_id("result-message")).to_have_text(
        zh("Pass refused: check the buttons, hooks and zippers and tick all three first."))
    expect(shown.get_by_test_id("slot-number")).to_have_count(0)
    shot(page, "pass-refused")
    for check, word in (("buttons", "Buttons"), ("hooks", "Hooks"), ("zippers", "Zippers")):
        box = shown.get_by_test_id(f"check-{check}")
        expect(box.locator("xpath=..")).to_contain_text(zh(word))
        tap_check(page, box)
    shown = tap(page, shown.get_by_test_id("act-pass"), "ok", "in_stock", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Passed"))
    slot = shown.get_by_test_id("slot-number")
    expect(slot).to_have_text(zh("Slot %(number)s", number="1023"))
    expect(slot).to_contain_text("1023")
    expect(slot).to_be_in_viewport()
    expect(shown.locator("[data-status=in_stock]")).to_have_text(zh("In stock"))
    expect(shown.locator("#inspection-card")).to_have_count(0)  # off the table
    shot(page, "slot-number")

    # 6. The counter: who is it (工号 typed into the who field), their dirty one in, the clean one out.
    page.goto("/issue/")
    who = page.get_by_test_id("who-field")
    who.click()
    page.keyboard.type(person["staff_no"])
    page.keyboard.press("Enter")
    panel = page.locator("#employee-panel")
    expect(panel.get_by_test_id("employee-name")).to_have_text(person["name"])
    expect(panel.get_by_test_id("staff-no")).to_have_text(person["staff_no"])
    expect(panel.locator(".uniform-no")).to_have_text("1023")
    expect(who).to_have_value("")
    expect(scan_field(page)).to_be_focused()
    expect(held(panel, prefix)).to_have_text("1 / 2")
    expect(panel.locator(f"[data-tag='{garment}'] [data-status]")).to_have_text(zh("In stock"))

    shown = scan(page, other, "ok", "dirty", other)
    expect(shown.locator(".result-word")).to_have_text(zh("Returned"))
    expect(held(panel, prefix)).to_have_text("0 / 2")
    expect(panel.locator(f"[data-tag='{other}'] [data-status]")).to_have_text(zh("Dirty"))

    shown = scan(page, garment, "ok", "issued", garment)
    expect(shown.locator(".result-word")).to_have_text(zh("Issued"))
    expect(held(panel, prefix)).to_have_text("1 / 2")
    expect(panel.locator(".held-tag .tag-code")).to_have_text([garment])
    expect(panel.locator(f"[data-tag='{garment}'] [data-status]")).to_have_text(zh("Issued"))
    expect(page.locator("#scan-log-rows td.tag-code")).to_have_text([garment, other])
    shot(page, "issue-panel")

    _issue_panel_in_portrait(browser, server, clerk, person)


def _portrait_station(browser, server, clerk: str, path: str) -> Page:
    page = new_page(browser, server.url, PORTRAIT)
    sign_in(page, clerk)
    page.goto(path)
    expect(scan_field(page)).to_be_focused()
    return page


def _inspection_card_in_portrait(browser, server, clerk: str, tag: str) -> None:
    """The same card on the tablet held upright (a scan at inspection moves nothing)."""
    page = _portrait_station(browser, server, clerk, "/inspection/")
    try:
        shown = scan(page, tag, "ok", "inspection", tag)
        expect(shown.get_by_test_id("act-pass")).to_be_visible()
        shot(page, "inspection-card")
    finally:
        page.context.close()


def _issue_panel_in_portrait(browser, server, clerk: str, person: dict) -> None:
    """Upright, the next person at the counter identified by scanning their badge."""
    page = _portrait_station(browser, server, clerk, "/issue/")
    try:
        shown = scan(page, person["badge"].lower(), "ok")
        expect(shown.locator(".result-word")).to_have_text(zh("Next: %(name)s", name=person["name"]))
        panel = page.locator("#employee-panel")
        expect(panel.get_by_test_id("employee-name")).to_have_text(person["name"])
        expect(panel.locator("[data-testid=holds]")).to_have_text(["1 / 2"])
        shot(page, "issue-panel")
    finally:
        page.context.close()


# --- two tablets at once ------------------------------------------------------

# Both pages press Enter at the same instant of the browser's clock (the form's
# own submit, which is what Enter in the field does), so both requests are in
# flight together, not one after the other's answer.
_SUBMIT_AT = """at => new Promise(resolve => setTimeout(() => {
  document.getElementById('scan-form').requestSubmit(); resolve();
}, Math.max(0, at - Date.now())))"""


def test_two_tablets_scanning_the_same_garment_at_once_check_it_in_once(server, page, browser):
    clerks = server.add_users((unique("收发"), "clerk", "2580"), (unique("收发"), "clerk", "2580"))
    prefix = unique("TW")
    tags = [f"{prefix}-{i}" for i in range(3)]
    seed_employee(server, prefix=prefix, uniform_no=unique("9"), tags=tags, entitlement=3)
    other = new_page(browser, server.url)
    try:
        tablets = [page, other]
        for tablet, clerk in zip(tablets, clerks):
            sign_in(tablet, clerk)
            tablet.goto("/checkin/")
        for tag in tags:
            for tablet in tablets:
                expect(scan_field(tablet)).to_be_focused()
                _mark_answer_seen(tablet)
                tablet.keyboard.type(tag)
            at = page.evaluate("Date.now()") + 200
            for tablet in tablets:
                tablet.evaluate(f"at => {{ ({_SUBMIT_AT})(at); }}", at)
            answers = {}
            for tablet in tablets:
                fresh = tablet.locator("#scan-result:not([data-seen])")
                expect(fresh).to_have_attribute("data-scan-result", re.compile("^(ok|duplicate|error)$"))
                expect(fresh).to_have_attribute("data-tag", tag)
                answers[tablet] = fresh.get_attribute("data-scan-result")
            # Another clerk's check-in is no repeat of this one's: the loser hears of the race.
            assert sorted(answers.values()) == ["error", "ok"], (tag, answers)
            for tablet, result in answers.items():
                shown = tablet.locator("#scan-result")
                # Whatever the answer, the screen says where the garment is now.
                expect(shown, f"the {result} answer to {tag} shows a stale status").to_have_attribute(
                    "data-garment-status", "dirty")
                if result == "ok":
                    expect(shown.locator(".result-word")).to_have_text(zh("Checked in"))
                else:  # a clear message naming the garment and where it is, not a server error
                    expect(shown.get_by_test_id("result-message")).to_have_text(zh(
                        "%(tag)s was just moved on another tablet: %(where)s.", tag=tag,
                        where=variants("it is waiting for the wash")))
                expect(scan_field(tablet)).to_be_focused()

        # The two shift lists together hold each garment once.
        logged = []
        for tablet in tablets:
            tablet.reload()
            logged += [t.strip() for t in tablet.locator("#scan-log-rows td.tag-code").all_inner_texts()]
        assert sorted(logged) == sorted(tags)
        # And the ledger agrees: one check-in per garment.
        with server.session() as session:
            rows = session.execute(
                select(Garment.tag, func.count(Event.id), Garment.status)
                .outerjoin(Event, (Event.garment_id == Garment.id) & (Event.action == "check_in"))
                .where(Garment.tag.in_(tags)).group_by(Garment.id).order_by(Garment.tag)).all()
        assert [tuple(row) for row in rows] == [(tag, 1, "dirty") for tag in sorted(tags)]
    finally:
        other.context.close()
