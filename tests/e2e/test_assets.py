"""The static files in Chromium (kiosk.assets): each page's scripts and styles arrive compressed,
marked to keep for a year, and the next page takes them from the browser's cache without asking the
kiosk again; the page works (htmx, the scan field) with no console error."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from .helpers import sign_in, unique

TEXT = (".css", ".js")


def test_assets_come_compressed_once_then_from_the_cache_and_the_pages_work(page: Page, server):
    clerk = server.add_user(unique("缓存"), "clerk", "2580")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    fetched: dict[str, dict] = {}  # asset URL -> the headers it came with, and whether from the cache
    cached: set[str] = set()  # the requests Chromium answered from its memory cache

    def received(event: dict) -> None:
        response = event["response"]
        if "/static/" in response["url"]:
            fetched[response["url"]] = {**{k.lower(): v for k, v in response["headers"].items()},
                                        "_request": event["requestId"], "_disk": response.get("fromDiskCache")}

    cdp.on("Network.responseReceived", received)
    cdp.on("Network.requestServedFromCache", lambda event: cached.add(event["requestId"]))

    page.goto("/login")
    page.wait_for_function("() => window.htmx !== undefined")
    assets = [url for url in fetched if url.split("?")[0].endswith(TEXT)]
    assert len(assets) >= 4, fetched
    for url in assets:
        headers = fetched[url]
        assert "?v=" in url
        assert headers.get("content-encoding") in ("gzip", "br"), (url, headers)
        assert headers.get("cache-control") == "public, max-age=31536000, immutable", (url, headers)

    fetched.clear()
    sign_in(page, clerk, "2580")
    page.goto("/checkin/")
    page.wait_for_function("() => window.htmx !== undefined")
    again = [url for url, seen in fetched.items()
             if url.split("?")[0].endswith(TEXT) and not seen["_disk"] and seen["_request"] not in cached]
    assert again == [], again  # no request, not even a revalidation: the kiosk is not asked
    field = page.get_by_test_id("scan")
    field.fill("NO-SUCH-TAG")
    field.press("Enter")
    expect(page.locator("[data-scan-result]").first).to_have_attribute("data-scan-result", "error")
    assert errors == []
