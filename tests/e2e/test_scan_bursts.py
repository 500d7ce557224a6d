"""A scan can never vanish, and the idle lock follows the person (Chromium, zh_CN).

- A wedge scanner types into whatever has focus: at 熨烫 with the note field
  focused, codes typed at scanner speed (a burst ending in Enter) are scans,
  all recorded, and the note keeps what the ironer typed; Chinese typed
  through an input method stays in the note.
- At the sign-in, a name tapped and then a badge scanned signs in by the
  badge and costs no PIN attempt.
- Typing a handover note past the idle limit does not lock (the server hears
  of the typing); a lock that falls keeps what was typed and, after the same
  operator signs in again, brings back the page with it; another operator
  never sees it.
- A refused or failed request (a lost connection, a proxy's error page)
  shows where the person is looking, never the previous green answer.
"""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kiosk.handover.models import Handover
from kiosk.models import Garment, User
from tests.conftest import Factory

from .helpers import sign_in, tick_check, unique, user_tile

IDLE_MINUTES = 1


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {"KIOSK_IDLE_MINUTES": str(IDLE_MINUTES)}


def _garments(server, count: int, status: str = "ironing") -> list[str]:
    prefix = unique("BU")
    with server.session():
        make = Factory()
        kind = make.garment_type(prefix)
        return [make.garment(f"{prefix}-{n}", garment_type=kind, status=status).tag for n in range(count)]


def _at_ironing(page: Page, server, role: str = "ironer") -> None:
    ironer = server.add_user(unique("熨烫"), role)
    sign_in(page, ironer)
    page.goto("/ironing/")
    if page.get_by_test_id("check-ironing_open").count():
        tick_check(page, "ironing_open")
        # Done on the server before the first scan (a scan before it is refused, and says so).
        expect(page.get_by_test_id("check-ironing_open")).to_have_attribute("data-done", "true")
    page.get_by_test_id("scan").focus()
    expect(page.get_by_test_id("scan")).to_be_focused()


def _logged_tags(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#scan-log-rows tr td.tag-code").all_inner_texts()]


def _status(server, tag: str) -> str:
    with server.session() as session:
        return session.scalar(select(Garment.status).where(Garment.tag == tag))


def test_scans_typed_into_the_ironing_note_are_all_recorded_and_the_note_is_kept(server, page: Page):
    first, *rest = _garments(server, 4)
    _at_ironing(page, server)
    page.keyboard.type(first, delay=0)
    page.keyboard.press("Enter")
    expect(page.locator("#scan-result")).to_have_attribute("data-tag", first)

    note = page.get_by_test_id("ironing-note")
    note.click()  # the ironer taps into the note and starts typing, at a person's speed
    page.keyboard.type("left cuff", delay=120)
    for tag in rest:  # ...and the scanner fires while the note has focus
        page.keyboard.type(tag, delay=0)
        page.keyboard.press("Enter")

    expect(page.locator("#scan-log-rows tr")).to_have_count(4, timeout=15000)
    assert _logged_tags(page) == list(reversed([first, *rest]))
    expect(page.locator("#scan-result")).to_have_attribute("data-tag", rest[-1])
    expect(note).to_have_value("left cuff")  # not one scanned character in it
    expect(note).to_be_focused()
    assert {_status(server, tag) for tag in [first, *rest]} == {"inspection"}

    # The note is still the ironer's: a defect tapped now takes it, and the field empties.
    page.locator("#scan-result [data-defect]").first.click()
    expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "ok")
    expect(page.get_by_test_id("ironing-note")).to_have_value("")


def test_chinese_typed_through_an_input_method_stays_in_the_note(server, page: Page):
    [tag] = _garments(server, 1)
    _at_ironing(page, server)
    page.keyboard.type(tag, delay=0)
    page.keyboard.press("Enter")
    expect(page.locator("#scan-log-rows tr")).to_have_count(1)
    note = page.get_by_test_id("ironing-note")
    note.click()
    scans = []
    page.on("request", lambda request: scans.append(request.url) if "/ironing/scan" in request.url else None)
    # Pinyin typed fast inside a composition, then Enter, which commits the letters: a
    # burst by its timing, but an input method's, so it stays text.
    cdp = page.context.new_cdp_session(page)
    for n, letter in enumerate("xiukou", start=1):
        cdp.send("Input.dispatchKeyEvent", {"type": "rawKeyDown", "key": letter, "code": f"Key{letter.upper()}",
                                            "windowsVirtualKeyCode": ord(letter.upper())})
        cdp.send("Input.imeSetComposition", {"text": "xiukou"[:n], "selectionStart": n, "selectionEnd": n})
    cdp.send("Input.dispatchKeyEvent", {"type": "rawKeyDown", "key": "Enter", "code": "Enter",
                                        "windowsVirtualKeyCode": 13})
    cdp.send("Input.insertText", {"text": "袖口"})
    expect(note).to_have_value("袖口")
    page.wait_for_timeout(500)  # a scan would have been sent and answered by now
    assert scans == []
    expect(page.locator("#scan-result")).to_have_attribute("data-tag", tag)
    expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "ok")


def test_a_badge_scanned_after_tapping_a_name_signs_in_by_the_badge_at_no_pin_cost(server, page: Page):
    tapped = server.add_user(unique("王收发"), "clerk")
    badge = unique("BADGE-")
    owner = server.add_user(unique("李熨烫"), "ironer", badge=badge)
    page.goto("/login")
    user_tile(page, tapped).click()  # the clerk's tile was tapped (by them, or by mistake)
    page.keyboard.type(badge, delay=0)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("who")).to_contain_text(owner)
    with server.session() as session:
        assert session.scalar(select(User.failed_attempts).where(User.name == tapped)) == 0
        assert session.scalar(select(User.failed_attempts).where(User.name == owner)) == 0


def test_typing_a_handover_note_past_the_idle_limit_does_not_lock(server, page: Page):
    clerk = server.add_user(unique("陈收发"), "clerk")
    sign_in(page, clerk)
    page.goto("/handover/")
    note = page.get_by_test_id("note")
    note.click()
    # A clerk writing slowly for longer than the idle limit (1 minute here), on the real clock:
    # the server hears of the typing, so the note is saved, not locked away.
    for word in ("三号", "柜门", "坏了", "请", "报修", "谢谢"):
        page.keyboard.type(word)
        page.wait_for_timeout(11_000)
    page.get_by_test_id("write-ok").click()
    expect(page.get_by_test_id("history").locator("li").first).to_contain_text(clerk)
    expect(page.get_by_test_id("who")).to_contain_text(clerk)  # never locked out
    with server.session() as session:
        assert session.scalar(select(Handover.note).join(User, User.id == Handover.written_by_id)
                              .where(User.name == clerk)) == "三号柜门坏了请报修谢谢"


def test_a_lock_keeps_what_was_typed_for_the_same_operator_and_returns_to_the_page(server, page: Page):
    clerk, other = server.add_user(unique("赵收发"), "clerk"), server.add_user(unique("钱收发"), "clerk")
    page.clock.install()
    sign_in(page, clerk)
    page.goto("/handover/?tab=write")
    page.get_by_test_id("note").fill("洗衣机二号漏水")
    page.clock.fast_forward(f"0{IDLE_MINUTES}:10")  # the idle lock falls
    expect(page).to_have_url(re.compile(r"/login\?next=/handover/"))
    expect(page.locator(".notice-warning")).to_be_visible()

    sign_in(page, clerk, expect_home=False)  # the same clerk, back on the page, the note back
    expect(page).to_have_url(re.compile(r"/handover/\?tab=write$"))
    expect(page.get_by_test_id("note")).to_have_value("洗衣机二号漏水")
    expect(page.get_by_test_id("draft-restored")).to_be_visible()

    page.clock.fast_forward(f"0{IDLE_MINUTES}:10")  # locked again, with the note still typed
    expect(page).to_have_url(re.compile(r"/login"))
    sign_in(page, other, expect_home=False)  # another clerk on this tablet: never their text
    expect(page).to_have_url(re.compile(r"/handover/\?tab=write$"))  # not the sign-in's ?next=
    expect(page.get_by_test_id("who")).to_contain_text(other)
    page.wait_for_load_state("domcontentloaded")  # kiosk.js is deferred: it has run by then
    expect(page.get_by_test_id("note")).to_have_value("")
    expect(page.get_by_test_id("draft-restored")).to_have_count(0)
    # Nothing of the first clerk's is left in this tab: their text is gone, and whatever is kept
    # now is the second clerk's own (an empty record when the page saved nothing).
    kept = page.evaluate("() => sessionStorage.getItem('kiosk.drafts')")
    assert kept is None or ("洗衣机" not in kept and json.loads(kept)["operator"] == page.evaluate(
        "() => document.body.dataset.operator")), kept


def test_a_lost_connection_or_a_proxys_error_page_is_an_error_where_the_person_looks(server, page: Page):
    tags = _garments(server, 3)
    _at_ironing(page, server, "supervisor")  # who also writes handovers (a form, below)
    page.keyboard.type(tags[0], delay=0)
    page.keyboard.press("Enter")
    answer = page.locator("#scan-result")
    expect(answer).to_have_attribute("data-scan-result", "ok")

    # The connection lost: the scan is not lost with it. It waits on the tablet, the banner says
    # so where the person looks, and it lands by itself once the server can be reached again.
    page.route("**/ironing/scan", lambda route: route.abort("internetdisconnected"))
    page.keyboard.type(tags[1], delay=0)
    page.keyboard.press("Enter")
    banner = page.get_by_test_id("queue-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-offline", "1")
    expect(banner).to_have_attribute("data-waiting", "1")
    expect(page.get_by_test_id("queued-scan")).to_contain_text(tags[1])
    assert _status(server, tags[1]) == "ironing"
    page.unroute("**/ironing/scan")
    expect(page.get_by_test_id("queued-scan")).to_have_count(0, timeout=15000)
    expect(answer).to_have_attribute("data-tag", tags[1])
    expect(answer).to_have_attribute("data-scan-result", "ok")
    assert _status(server, tags[1]) == "inspection"

    # A proxy's error page (the kiosk restarting behind nginx) is no answer from the kiosk: the
    # scan waits and is sent again (its id: it lands once, whatever the proxy had passed on).
    page.route("**/ironing/scan", lambda route: route.fulfill(status=502, body="<h1>502 Bad Gateway</h1>"))
    page.keyboard.type(tags[2], delay=0)
    page.keyboard.press("Enter")
    expect(banner).to_have_attribute("data-offline", "1")
    expect(page.locator("body")).not_to_contain_text("Bad Gateway")
    assert _status(server, tags[2]) == "ironing"
    page.unroute("**/ironing/scan")
    expect(page.get_by_test_id("queued-scan")).to_have_count(0, timeout=15000)
    assert _status(server, tags[2]) == "inspection"
    # A refusal of the kiosk itself (here a 404: the form pointed at an address it does not have) is
    # an answer: shown where the person looks, and the scan stays in the list, red, until tapped away.
    page.evaluate("""() => { document.getElementById("scan-form").action = "/ironing/no-such-station"; }""")
    page.keyboard.type(tags[0], delay=0)
    page.keyboard.press("Enter")
    refused = page.get_by_test_id("queued-scan")
    expect(refused).to_have_attribute("data-queue-state", "refused")
    refused.get_by_test_id("queue-dismiss").click()
    expect(refused).to_have_count(0)
    page.evaluate("""() => { document.getElementById("scan-form").action = "/ironing/scan"; }""")

    # A form's request (no answer area on the page) lost: the toast, with the error tone.
    page.goto("/handover/")
    page.route("**/handover/", lambda route: route.abort("internetdisconnected")
               if route.request.method == "POST" else route.continue_())
    page.get_by_test_id("note").fill("x")
    page.get_by_test_id("write-ok").click()
    toast = page.get_by_test_id("toast")
    expect(toast).to_be_visible()
    expect(toast).to_have_attribute("data-scan-result", "error")
