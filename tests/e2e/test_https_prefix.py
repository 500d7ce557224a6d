"""The whole kiosk under a path behind HTTPS (KIOSK_URL_PREFIX=/kiosk, nginx's ``location /kiosk/``,
as the shipped file's comment says): a clerk signs in, opens a station from the home screen and
scans (htmx, its URLs read from data- attributes), and the browser never asks for anything outside
/kiosk/: pages, redirects, static files, htmx requests and the session cookie's path."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import new_page, sign_in, unique
from .proxies import nginx_in_front

PREFIX = "/kiosk"


@pytest.fixture(scope="module")
def server_env():
    return {"KIOSK_TRUSTED_PROXIES": "1", "KIOSK_SECURE_COOKIES": "1", "KIOSK_URL_PREFIX": PREFIX}


@pytest.fixture(scope="module")
def https_url(server, tmp_path_factory):
    with nginx_in_front(server, tmp_path_factory.mktemp("nginx")) as url:
        yield url


def test_under_a_path_every_request_of_a_clerks_work_stays_under_it(browser, https_url, server):
    page = new_page(browser, https_url + PREFIX + "/", ignore_https_errors=True)
    asked, failed = [], []
    page.on("request", lambda request: asked.append(request.url))
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
            if response.status >= 400 and "data-scan-result" not in (response.headers.get("content-type") or "")
            and "/scan" not in response.url and "lookup" not in response.url else None)
    try:
        name = server.add_user(unique("路径"))
        page.goto(f"{https_url}{PREFIX}/")
        expect(page).to_have_url(re.compile(rf"^{re.escape(https_url + PREFIX)}/login(\?.*)?$"))
        sign_in(page, name)
        expect(page).to_have_url(f"{https_url}{PREFIX}/")
        session = [c for c in page.context.cookies() if c["name"] == "session"]
        assert session and session[0]["path"] == PREFIX and session[0]["secure"], session

        # A lookup (htmx GET from data-lookup-url) and a check-in scan (htmx POST to the form's action).
        page.locator("[data-station='garments.lookup']").click()
        expect(page).to_have_url(re.compile(rf"^{re.escape(https_url + PREFIX)}/garment"))
        page.get_by_test_id("scan").fill("NO-SUCH-TAG-1")
        page.get_by_test_id("scan").press("Enter")
        expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "error")
        page.get_by_role("link", name="制服室").click()
        page.locator("[data-station='checkin.station']").click()
        expect(page).to_have_url(f"{https_url}{PREFIX}/checkin/")
        page.get_by_test_id("scan").fill("NO-SUCH-TAG-2")
        page.get_by_test_id("scan").press("Enter")
        expect(page.locator("#scan-result")).to_have_attribute("data-scan-result", "error")
        # The page's style sheet came from under the path too.
        expect(page.locator("header.topbar")).to_have_css("display", re.compile(r"^(flex|grid)$"))

        page.get_by_test_id("logout").click()
        expect(page).to_have_url(f"{https_url}{PREFIX}/login")
    finally:
        page.context.close()
    outside = [url for url in asked if not url.startswith(f"{https_url}{PREFIX}/")]
    assert outside == [], outside
    assert failed == [], failed
