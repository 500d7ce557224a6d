"""Every screen runs under the Content-Security-Policy (kiosk.web) without one violation,
and what used to be inline still works.

A ``securitypolicyviolation`` listener is put in every document before the
page's own scripts (``add_init_script``), and the console is watched: a
refused inline script, handler, style attribute or eval shows in either. The
behaviour moved out of the markup is then used as a clerk would: a scan
answers, the lookup mode asks with the code alone in its URL (no CSRF token),
the loss report's print button prints, the counter's "who" field clears once
the person is found, the stocktake poll holds while a count is being typed.
Screenshots (1280x800) go to tests/e2e/artifacts/csp-*.png.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import Factory

from .helpers import ARTIFACTS, sign_in, unique

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                    + (e.sourceFile || "") + ":" + e.lineNumber + " " + (e.sample || ""));
});
window.__printed = 0;
window.print = function () { window.__printed += 1; };
"""

#: The screens a signed-in admin opens from home and the stations' own pages.
SCREENS = [
    "/", "/checkin/", "/issue/", "/issue/kit", "/inspection/", "/inspection/slot", "/ironing/",
    "/tailor/", "/loans/", "/today/", "/handover/", "/print/", "/print/reprints", "/purchases/",
    "/purchases/new", "/registry/employees", "/registry/employees/new", "/registry/garments",
    "/registry/garments/new", "/registry/garments/batch", "/registry/types", "/registry/types/new",
    "/import/", "/reports/", "/stock/", "/stock/distribution", "/stock/purchase", "/stocktake/",
    "/writeoffs/", "/writeoffs/statement", "/garment/lookup", "/operators/", "/operators/new",
    "/operators/my-pin", "/no/such/screen",
]
SHOTS = {"/", "/checkin/", "/issue/", "/reports/", "/loans/", "/registry/employees"}


@pytest.fixture(scope="module")
def room(server):
    """An admin, an employee with shirts out and in stock, and this month's stocktake open."""
    admin = server.add_user(unique("管理"), "admin", "2580")
    prefix = unique("CSP")
    with server.session() as session:
        from sqlalchemy import select

        from kiosk.models import User
        from kiosk.stocktake.services import open_stocktake

        make = Factory()
        emp = make.employee("陈静", make.department(f"客房部{prefix}"), staff_no=prefix, uniform_no=prefix)
        shirt = make.garment_type(prefix, unit_cost=98, entitlement=4)
        issued = [make.garment(f"{prefix}-{n}", shirt, owner=emp, status="issued").tag for n in (1, 2)]
        spare = make.garment(f"{prefix}-9", shirt, owner=emp).tag
        user = session.scalar(select(User).where(User.name == admin))
        month = dt.date.today().strftime("%Y-%m")
        stocktake_id = open_stocktake(session, month, user=user).id
        admin_id = user.id
    return {"admin": admin, "admin_id": admin_id, "staff_no": prefix, "issued": issued, "spare": spare, "stocktake": stocktake_id}


@pytest.fixture
def watched(page: Page):
    """The page with the violation listener, and every console error and page error it logs."""
    errors: list[str] = []
    page.add_init_script(WATCH)
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.errors = errors  # type: ignore[attr-defined]
    return page


def _violations(page: Page) -> list[str]:
    """What the current document refused, and what the console complained of about the policy."""
    page.wait_for_function("() => window.htmx && htmx.config.allowEval === false"
                           " && htmx.config.includeIndicatorStyles === false")
    found = page.evaluate("() => window.__csp")
    said = [line for line in page.errors if "Content Security Policy" in line or "page error" in line]
    page.errors.clear()
    return found + said


def _open(page: Page, path: str) -> list[str]:
    page.goto(path)
    page.wait_for_load_state("load")
    if path in SHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        name = path.strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(ARTIFACTS / f"csp-{name}.png"))
    return [f"{path}: {v}" for v in _violations(page)]


def test_no_screen_breaks_the_policy(watched: Page, server, room):
    page = watched
    found = _open(page, "/login")
    sign_in(page, room["admin"], "2580")
    for path in SCREENS + [f"/garment/{room['spare']}", f"/stocktake/{room['stocktake']}",
                           f"/stocktake/{room['stocktake']}/close", f"/operators/{room['admin_id']}"]:
        found += _open(page, path)
    assert found == []
    # No htmx indicator <style> was injected: the policy would have refused it anyway.
    assert page.evaluate("() => document.querySelectorAll('style').length") == 0


def test_a_scan_and_a_lookup_answer_and_the_lookup_url_holds_the_code_alone(watched: Page, server, room):
    page = watched
    sign_in(page, room["admin"], "2580")
    page.goto("/checkin/")
    field = page.get_by_test_id("scan")
    field.fill(room["issued"][0])
    field.press("Enter")
    answer = page.locator("#scan-result")
    expect(answer).to_have_attribute("data-scan-result", "ok")
    expect(answer).to_contain_text(room["issued"][0])

    page.locator("[data-lookup-toggle]").click()
    expect(page.locator("[data-lookup-toggle]")).to_have_attribute("aria-pressed", "true")
    with page.expect_request(lambda r: "/garment/lookup" in r.url) as asked:
        page.get_by_test_id("scan").fill(room["issued"][1])
        page.get_by_test_id("scan").press("Enter")
    request = asked.value
    assert request.method == "GET"
    assert parse_qs(urlsplit(request.url).query) == {"code": [room["issued"][1]]}
    assert "csrf" not in request.url.lower()
    expect(page.locator("#scan-result")).to_contain_text(room["issued"][1])
    assert _violations(page) == []


def _say_who(page: Page, room, path: str):
    """Sign in, open ``path`` and type the employee's 工号 into its who field; the field."""
    sign_in(page, room["admin"], "2580")
    page.goto(path)
    who = page.get_by_test_id("who-field")
    who.fill(room["staff_no"])
    who.press("Enter")
    return who


def test_who_is_handing_in_is_found_without_landing_in_the_address(watched: Page, server, room):
    page = watched
    _say_who(page, room, "/checkin/")
    page.wait_for_url("**/checkin/?employee_id=*")
    assert room["staff_no"] not in page.url and "who=" not in page.url
    expect(page.locator("[data-employee]").first).to_be_visible()
    assert _violations(page) == []


def test_the_loss_report_print_button_still_prints(watched: Page, server, room):
    page = watched
    sign_in(page, room["admin"], "2580")
    page.goto("/reports/")
    page.get_by_test_id("report-print").click()
    page.wait_for_function("() => window.__printed === 1")
    assert _violations(page) == []


def test_the_counter_who_field_clears_once_the_person_is_found(watched: Page, server, room):
    page = watched
    who = _say_who(page, room, "/issue/")
    expect(page.locator("#employee-panel").get_by_test_id("staff-no")).to_have_text(room["staff_no"])
    expect(who).to_have_value("")
    expect(who).not_to_be_focused()
    # Not found: the typed text stays, to be corrected.
    page.goto("/issue/")
    who.fill("没有这个人")
    who.press("Enter")
    expect(page.locator("#employee-panel")).to_be_visible()
    expect(page.locator("#employee-panel[data-employee-id]")).to_have_count(0)
    expect(who).to_have_value("没有这个人")
    assert _violations(page) == []


def test_the_stocktake_poll_runs_and_holds_while_a_count_is_typed(watched: Page, server, room):
    page = watched
    sign_in(page, room["admin"], "2580")
    page.goto(f"/stocktake/{room['stocktake']}")
    # A window listener sees each poll after kiosk.js had its say (document first).
    page.evaluate("""() => {
      window.__polls = [];
      window.addEventListener("htmx:beforeRequest", function (e) {
        if (e.detail.elt.id === "stocktake-progress") window.__polls.push(e.defaultPrevented ? "held" : "sent");
      });
    }""")
    page.wait_for_function("() => window.__polls.includes('sent')", timeout=15000)
    page.get_by_test_id("item-form").locator("input[name=counted]").focus()
    page.wait_for_function("() => window.__polls.includes('held')", timeout=15000)
    assert _violations(page) == []
