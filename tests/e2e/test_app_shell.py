"""The kiosk as an installable full-screen app, in real Chromium (issue 16 point 3): Chromium's own
installability check passes, a station opens while the network is down (its offline page, from
the service worker) and keeps the tablet's scan queue across a reload, and a station opens with
the server stopped and says it is offline. These tests allow the service worker; the others
block it (tests/e2e/helpers.new_page).

How installability is checked: a persistent browser context (the only kind Chromium installs
apps from) opens the kiosk at http://127.0.0.1 (a secure origin), waits for the service worker
to control the page, and asks Chromium over the DevTools protocol
(``Page.getInstallabilityErrors``): the list must be empty. ``Page.getAppManifest`` must parse
the manifest without errors.
"""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.models import Event, Garment

from .conftest import CHROMIUM, CHROMIUM_ARGS, stop
from .helpers import issued_garments, ARTIFACTS, LANDSCAPE, new_page, sign_in, unique


def _controlled(page) -> None:
    """Wait until the kiosk's service worker is installed and controls this page."""
    page.evaluate("() => navigator.serviceWorker.ready")
    page.reload()
    page.wait_for_function("() => !!navigator.serviceWorker.controller", timeout=15000)


def _garments(server, count: int) -> list[str]:
    return issued_garments(server, "PW", count)


def _landed(server, tags: list[str]) -> list[str]:
    with server.session() as session:
        return list(session.scalars(select(Garment.tag).join(Event, Event.garment_id == Garment.id)
                                    .where(Garment.tag.in_(tags), Event.action == "check_in").order_by(Event.id)))


def test_chromium_finds_the_kiosk_installable(browser, server, tmp_path):
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        base_url=server.url, viewport=LANDSCAPE, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto("/login")
        _controlled(page)
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest.get("errors") == [] and manifest["url"].endswith("/manifest.webmanifest"), manifest
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_a_station_opens_offline_and_its_queue_survives_a_reload(browser, server):
    tags = _garments(server, 3)
    clerk = server.add_user(unique("王收发"), "clerk")
    page = new_page(browser, server.url, service_workers="allow")
    try:
        sign_in(page, clerk)
        page.goto("/checkin/")
        _controlled(page)
        # Offline: the page sees it at once; the service worker's side of the browser a moment
        # later, so the scans' own address is cut off as well (a request the worker lets through
        # is the browser's, which a context route still stops).
        page.context.route("**/checkin/scan", lambda route: route.abort("internetdisconnected"))
        page.context.set_offline(True)
        page.wait_for_function("() => !navigator.onLine")
        for tag in tags:
            page.keyboard.type(tag)
            page.keyboard.press("Enter")
        expect(page.get_by_test_id("queue-banner")).to_have_attribute("data-waiting", "3")
        page.reload()  # offline: the service worker answers with the station's offline page
        expect(page.get_by_test_id("offline-page")).to_be_visible()
        expect(page.get_by_test_id("offline-notice")).to_contain_text("网络断开")
        expect(page.get_by_test_id("queued-scan")).to_have_count(3)
        expect(page.get_by_test_id("queue-banner")).to_contain_text("3 件待发送")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "offline-station.png"), full_page=True)
        # A fourth scan on the offline page joins the queue, for the clerk who worked here.
        [fourth] = _garments(server, 1)
        page.keyboard.type(fourth)
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("queued-scan")).to_have_count(4)
        # Nothing more reached the server. (The very first request may have: Chromium puts the
        # service worker's side of the browser offline a moment after the page, and a request the
        # worker lets through can still go out, its answer lost -- which is what the scan ids are
        # for: sent again below, it lands once.)
        assert _landed(server, [*tags[1:], fourth]) == []
        # Back online: the page comes back by itself (signed in), and one tap sends the four, in order.
        page.context.unroute("**/checkin/scan")
        page.context.set_offline(False)
        send = page.get_by_test_id("queue-send")
        expect(send).to_be_visible(timeout=15000)
        send.click()
        expect(page.get_by_test_id("queued-scan")).to_have_count(0, timeout=15000)
        assert _landed(server, [*tags, fourth]) == [*tags, fourth]
    finally:
        page.context.close()


def test_a_station_opens_with_the_server_stopped_and_says_it_is_offline(browser, server):
    """Last in this module: it stops the module's server."""
    clerk = server.add_user(unique("周熨烫"), "ironer")
    page = new_page(browser, server.url, service_workers="allow")
    try:
        sign_in(page, clerk)
        page.goto("/")
        _controlled(page)
        stop(server.process)
        page.goto("/ironing/")  # never opened before on this tablet: its offline page was kept at install
        expect(page.get_by_test_id("offline-page")).to_be_visible()
        expect(page.locator("h1")).to_have_text("熨烫")
        expect(page.get_by_test_id("offline-notice")).to_contain_text("网络断开")
        expect(page.get_by_test_id("queue-banner")).to_contain_text("网络断开")
        page.goto("/today/")  # a page with no offline page of its own: the generic one
        expect(page.get_by_test_id("offline-page")).to_be_visible()
    finally:
        page.context.close()
