"""What a clerk does on the kiosk, as steps the browser tests share."""
from __future__ import annotations

import csv
import itertools
import os
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 800, "height": 1280}

_names = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test of the run uses (user names, staff numbers)."""
    return f"{prefix}{os.getpid() % 1000:03d}{next(_names):02d}"


def new_page(browser: Browser, base_url: str, viewport: dict | None = None, **options) -> Page:
    """A page in a fresh context (no cookies): the tablet's screen, zh-CN (``options``: more of
    Playwright's context options, e.g. ``ignore_https_errors``). The kiosk's service worker is
    blocked unless ``service_workers="allow"`` (the offline tests): a worker's own fetches pass
    by Playwright's routes, which many tests use."""
    options.setdefault("service_workers", "block")
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport or LANDSCAPE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        has_touch=False,
        **options,
    )
    context.set_default_timeout(8000)
    return context.new_page()


def printer_env(url: str) -> dict[str, str]:
    """A server's settings for printing to ``url`` (the ``printer`` fixture's), polled every second."""
    return {"KIOSK_PRINTER": url, "KIOSK_PRINT_TIMEOUT": "3", "KIOSK_PRINT_POLL_SECONDS": "1"}


# --- what a clerk does ----------------------------------------------------

def user_tile(page: Page, name: str):
    """The tile with exactly this name on the login screen."""
    return page.locator("label.user-tile").filter(
        has=page.locator(".tile-name", has_text=re.compile(rf"^\s*{re.escape(name)}\s*$"))
    )


def tap_pin(page: Page, pin: str) -> None:
    for digit in pin:
        page.locator(f"[data-pinpad] [data-key='{digit}']").click()


def sign_in(page: Page, name: str, pin: str = "2580", *, expect_home: bool = True) -> None:
    """Tap the name tile, tap the PIN on the pad, tap OK."""
    if "/login" not in page.url:
        page.goto("/login")
    user_tile(page, name).click()
    tap_pin(page, pin)
    page.get_by_test_id("pin-ok").click()
    if expect_home:
        expect(page.get_by_test_id("who")).to_contain_text(name)


def tick_check(page: Page, code: str) -> None:
    """Tick every box of the shift check ``code`` (开班 / 收班检查) that can be ticked, tap its button."""
    check = page.get_by_test_id(f"check-{code}")
    for box in check.locator("label.tick:not(.tick-blocked)").all():
        box.click()
        expect(box.locator("input")).to_be_checked()
    check.get_by_test_id("check-ok").click()


def switch_language(page: Page, code: str) -> None:
    """Tap the language toggle (``en`` or ``zh_CN``) and wait for the page to follow."""
    page.get_by_test_id(f"lang-{code}").click()
    expect(page.locator("html")).to_have_attribute("lang", "en" if code == "en" else "zh-CN")


def csrf_token(page: Page) -> str:
    """The CSRF token the current page was rendered with (what its forms post)."""
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def post_form(page: Page, path: str, form: dict, *, with_token: bool = True):
    """POST a form the way the page's own forms do: same cookies, the page's token.

    For checks that need the raw response (status, body) rather than the
    screen; ``with_token=False`` shows what CSRF protection does without it.
    """
    data = dict(form)
    if with_token:
        data["csrf_token"] = csrf_token(page)
    return page.request.post(path, form=data, max_redirects=0)


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    """A CSV as Excel saves it (UTF-8 with BOM, CRLF line ends)."""
    with open(path, "w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def zh_catalogue() -> Path | None:
    """The compiled zh_CN catalogue (``make translations``), if there is one.

    Babel files zh_CN under zh_Hans_CN; a plain zh_CN folder is looked at too.
    """
    for folder in ("zh_Hans_CN", "zh_CN"):
        path = REPO / "kiosk" / "translations" / folder / "LC_MESSAGES" / "messages.mo"
        if path.exists():
            return path
    return None


def issued_garments(server, prefix: str, count: int) -> list[str]:
    """``count`` garments of a new type, each issued to one new employee; their tags, in order."""
    from tests.conftest import Factory

    prefix = unique(prefix)
    with server.session() as session:
        make = Factory()
        kind = make.garment_type(prefix)
        owner = make.employee(name=unique("张工"))
        tags = [make.garment(f"{prefix}-{n:02d}", garment_type=kind, owner=owner, status="issued").tag
                for n in range(count)]
        session.commit()
    return tags

