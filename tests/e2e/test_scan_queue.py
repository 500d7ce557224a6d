"""Scans survive a dropped Wi-Fi (issue 16): the tablet keeps each scan in IndexedDB until the
server has answered it, sends the queue in scan order when the network is back, and a scan
whose answer was lost on its way back is sent again and lands once.

Real Chromium against the real server, in zh_CN; the network taken away with Playwright's
offline emulation, an answer dropped with a route that lets the request reach the server
(``route.fetch()``) and then aborts what comes back. The tests that route requests block
service workers (a worker's own fetches bypass the route).
"""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.models import Event, Garment

from .helpers import issued_garments, ARTIFACTS, new_page, sign_in, unique

ZH_OFFLINE = "网络断开"


def _garments(server, count: int) -> list[str]:
    return issued_garments(server, "OQ", count)


def _check_ins(server, tags: list[str]) -> list[Event]:
    with server.session() as session:
        rows = list(session.scalars(select(Event).join(Garment, Event.garment_id == Garment.id)
                                    .where(Garment.tag.in_(tags), Event.action == "check_in")
                                    .order_by(Event.id)))
        for row in rows:
            session.expunge(row)
        return rows


def _tags_of(server, events: list[Event]) -> list[str]:
    with server.session() as session:
        return [session.get(Garment, event.garment_id).tag for event in events]


def _scan(page, code: str) -> None:
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def test_ten_scans_made_offline_wait_on_the_tablet_then_land_once_in_scan_order(page, server):
    tags = _garments(server, 10)
    clerk = server.add_user(unique("王收发"), "clerk")
    sign_in(page, clerk)
    page.goto("/checkin/")
    expect(page.get_by_test_id("scan")).to_be_focused()
    page.context.set_offline(True)
    for tag in tags:
        _scan(page, tag)
    banner = page.get_by_test_id("queue-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(ZH_OFFLINE)
    expect(banner).to_have_attribute("data-waiting", "10")
    queued = page.get_by_test_id("queued-scan")
    expect(queued).to_have_count(10)
    expect(queued.first).to_contain_text(tags[-1])  # newest first, as the shift's list
    expect(queued.first).to_contain_text("等待发送")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "scan-queue-offline.png"), full_page=True)
    assert _check_ins(server, tags) == []
    page.wait_for_timeout(2500)  # they waited on the tablet: each event keeps when it was scanned

    page.context.set_offline(False)
    expect(queued).to_have_count(0, timeout=20000)
    expect(banner).to_be_hidden()
    landed = _check_ins(server, tags)
    assert _tags_of(server, landed) == tags  # once each, in scan order
    assert all(e.scanned_at is not None and e.scanned_at <= e.created_at for e in landed)
    assert [e.scanned_at for e in landed] == sorted(e.scanned_at for e in landed)
    rows = page.locator("#scan-log-rows tr")
    expect(rows).to_have_count(10)
    expect(rows.first).to_contain_text(tags[-1])
    expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "ok")


def test_a_scan_whose_answer_is_lost_on_the_way_back_is_sent_again_and_lands_once(browser, server):
    [tag] = _garments(server, 1)
    clerk = server.add_user(unique("陈收发"), "clerk")
    page = new_page(browser, server.url, service_workers="block")
    try:
        sign_in(page, clerk)
        page.goto("/checkin/")
        dropped = []

        def lose_the_first_answer(route):
            if dropped:
                route.continue_()
                return
            route.fetch()  # the server has it (and has checked the garment in)...
            dropped.append(route.request.post_data or "")
            route.abort()  # ...and its answer never reaches the tablet

        page.route("**/checkin/scan", lose_the_first_answer)
        _scan(page, tag)
        expect(page.get_by_test_id("queue-banner")).to_contain_text(ZH_OFFLINE, timeout=10000)
        assert len(_check_ins(server, [tag])) == 1
        # Sent again by itself (a few seconds later): the same scan id, so nothing more moves, and
        # the answer is the one the first request got: checked in, its row in the shift's list.
        expect(page.get_by_test_id("queued-scan")).to_have_count(0, timeout=15000)
        expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "ok")
        expect(page.locator("#scan-log-rows tr").first).to_contain_text(tag)
        assert len(dropped) == 1 and "scan_id=" in dropped[0]
        assert len(_check_ins(server, [tag])) == 1
    finally:
        page.context.close()


def test_a_scan_whose_request_never_answers_is_sent_again_after_the_timeout(browser, server):
    [tag] = _garments(server, 1)
    clerk = server.add_user(unique("周收发"), "clerk")
    page = new_page(browser, server.url, service_workers="block")
    try:
        sign_in(page, clerk)
        page.goto("/checkin/")
        page.evaluate("() => { document.body.dataset.scanTimeout = '1500'; }")  # 15 s on a tablet
        stalled = []
        page.route("**/checkin/scan", lambda route: stalled.append(route))  # never answered
        _scan(page, tag)
        row = page.get_by_test_id("queued-scan")
        expect(page.get_by_test_id("queue-banner")).to_have_attribute("data-offline", "1", timeout=10000)
        expect(row).to_have_attribute("data-queue-state", "waiting")
        page.unroute("**/checkin/scan")
        expect(row).to_have_count(0, timeout=15000)
        assert len(_check_ins(server, [tag])) == 1 and stalled
    finally:
        page.context.close()


def test_a_queue_left_on_the_tablet_is_sent_by_its_operator_with_one_tap_and_never_by_another(
        browser, server):
    tags = _garments(server, 3)
    first, second = server.add_user(unique("王收发"), "clerk"), server.add_user(unique("陈收发"), "clerk")
    page = new_page(browser, server.url, service_workers="block")
    try:
        sign_in(page, first)
        page.goto("/checkin/")
        page.context.set_offline(True)
        for tag in tags:
            _scan(page, tag)
        expect(page.get_by_test_id("queue-banner")).to_have_attribute("data-waiting", "3")
        page.route("**/checkin/scan", lambda route: route.abort())  # the scan address cannot be reached yet
        page.context.set_offline(False)
        page.reload()
        # The same clerk, the page opened again: the scans wait for one tap.
        expect(page.get_by_test_id("queued-scan")).to_have_count(3)
        page.unroute("**/checkin/scan")
        # Another operator on this tablet sees them waiting, and cannot send them as theirs.
        page.get_by_test_id("logout").click()
        sign_in(page, second)
        page.goto("/checkin/")
        queued = page.get_by_test_id("queued-scan")
        expect(queued).to_have_count(3)
        expect(queued.first).to_contain_text(first)
        expect(page.get_by_test_id("queue-send")).to_be_hidden()
        page.wait_for_timeout(1500)
        assert _check_ins(server, tags) == []
        # Back to the first clerk: the home screen says where their scans wait; one tap sends the three.
        page.get_by_test_id("logout").click()
        sign_in(page, first)
        waiting = page.get_by_test_id("queue-elsewhere-link")
        expect(waiting).to_have_count(1)
        expect(waiting).to_contain_text("收衣")
        expect(waiting).to_contain_text("3")
        waiting.click()
        expect(page).to_have_url(f"{server.url}/checkin/")
        send = page.get_by_test_id("queue-send")
        expect(send).to_be_visible()
        send.click()
        expect(page.get_by_test_id("queued-scan")).to_have_count(0, timeout=15000)
        assert _tags_of(server, _check_ins(server, tags)) == tags
    finally:
        page.context.close()
