"""The request layer (kiosk/web.py): no-store for personal data, htmx answers, refusals the user sees."""
from __future__ import annotations

import json

import pytest
from werkzeug.routing import BuildError

from kiosk.extensions import db

from .scans import HX, events, garment, scan_result, text_of

SCAN = {**HX, "HX-Target": "scan-result"}  # what scan.js sends: the answer area is the target


def _get_pages(app, blueprints):
    """Every GET rule of ``blueprints`` with its arguments filled in (ids = 1)."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint.split(".")[0] not in blueprints:
                continue
            try:
                yield rule.endpoint, app.url_for(rule.endpoint, **{arg: 1 for arg in rule.arguments})
            except BuildError:  # pragma: no cover - a converter that refuses 1
                yield rule.endpoint, rule.rule


def _personal_blueprints(app) -> set[str]:
    return {name for name, bp in app.blueprints.items() if getattr(bp, "holds_personal_data", False)}


# --- no-store -----------------------------------------------------------------

def test_every_screen_with_personal_data_is_declared_so(app):
    # The declaration is per blueprint: each of these shows names, phones or amounts.
    assert _personal_blueprints(app) == {
        "board", "checkin", "clearance", "garments", "handover", "imports", "inspection", "ironing", "issue", "loans",
        "operators", "printing", "purchases", "registry", "reports", "stock", "stocktake", "tailor", "writeoffs",
        "alerts"}


def test_every_page_of_a_personal_blueprint_is_never_stored(app, client, login_as):
    login_as("admin")
    pages = list(_get_pages(app, _personal_blueprints(app)))
    assert len(pages) > 30
    for endpoint, url in pages:
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            assert response.headers.get("Cache-Control") == "no-store", (endpoint, url, response.status_code)


def test_home_and_sign_in_hold_no_personal_data_and_may_be_cached(app, client, login_as):
    # The policy is the declaration, not a blanket header: pages outside it keep the default.
    assert client.get("/login").headers.get("Cache-Control") is None
    login_as("clerk")
    home = client.get("/")
    assert home.status_code == 200
    assert home.headers.get("Cache-Control") is None
    assert client.get("/loans/").headers.get("Cache-Control") == "no-store"


def test_a_loan_with_the_borrowers_phone_is_never_stored(client, login_as):
    login_as("clerk")
    opened = client.post("/loans/open", data={"name": "李四", "phone": "13800138000", "organisation": "宴会外包公司",
                                              "reason": "event", "signed_on_paper": "1"})
    assert opened.status_code == 302, text_of(opened)
    response = client.get(opened.headers["Location"])  # the loan being lent into
    assert response.status_code == 200
    assert "13800138000" in text_of(response)  # the page does show the phone...
    assert response.headers["Cache-Control"] == "no-store"  # ...and the tablet keeps none of it


def test_a_payroll_export_is_never_stored(client, login_as):
    login_as("supervisor")
    response = client.get("/writeoffs/payroll.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"


# --- refusals htmx shows --------------------------------------------------------

@pytest.fixture
def clerk_with_csrf(app, login_as):
    """A clerk signed in, then CSRF on as on the kiosk (tests/test_csrf.py covers every route)."""
    login_as("clerk")
    app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture
def handed_in(make):
    """A garment its owner can hand in at check-in (a green answer)."""
    owner = make.employee()
    tag = make.garment(owner=owner, status="issued").tag
    db.session.commit()
    return tag


def test_a_scan_with_an_expired_token_is_an_error_in_the_answer_area(clerk_with_csrf, client, handed_in):
    before = events()
    response = client.post("/checkin/scan", data={"code": handed_in, "csrf_token": "expired"}, headers=SCAN)
    assert response.status_code == 400
    # htmx swaps it into the answer area (scan.js swaps 4xx answers that say where they go)...
    assert response.headers["HX-Retarget"] == "#scan-result"
    assert response.headers["HX-Reswap"] == "outerHTML"
    body = text_of(response)
    assert scan_result(body) == "error"
    assert "This page had expired, so nothing was saved." in body
    # ...and nothing was written.
    assert events() == before
    assert garment(handed_in).status == "issued"


def test_the_refusal_of_an_expired_token_brings_a_fresh_one_that_the_next_scan_uses(
        clerk_with_csrf, client, handed_in):
    refused = client.post("/checkin/scan", data={"code": handed_in, "csrf_token": "expired"}, headers=SCAN)
    fresh = json.loads(refused.headers["HX-Trigger"])["kiosk:csrf-token"]
    assert refused.headers["HX-Trigger"].isascii()
    again = client.post("/checkin/scan", data={"code": handed_in, "csrf_token": fresh}, headers=SCAN)
    assert again.status_code == 200
    assert scan_result(text_of(again)) == "ok"
    assert garment(handed_in).status == "dirty"


def test_a_scan_the_role_may_not_make_is_an_error_in_the_answer_area(client, login_as, handed_in):
    login_as("ironer")  # check-in is counter work
    response = client.post("/checkin/scan", data={"code": handed_in}, headers=SCAN)
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#scan-result"
    body = text_of(response)
    assert scan_result(body) == "error"
    assert "Your role may not open this screen." in body
    assert garment(handed_in).status == "issued"


def test_a_refusal_not_aimed_at_a_scan_is_a_toast_and_a_plain_form_gets_the_page(client, login_as):
    login_as("clerk")
    # A supervisor's form, tapped by a clerk: htmx aimed it at the form, not at an answer area.
    toast = client.post("/stock/adjust", data={"item_id": "1", "delta": "1", "reason": "x"},
                        headers={**HX, "HX-Target": "stock"})
    assert toast.status_code == 403
    assert toast.headers["HX-Retarget"] == "#toast"
    body = text_of(toast)
    assert 'id="toast"' in body and 'data-scan-result="error"' in body
    assert "Your role may not open this screen." in body
    page = client.post("/stock/adjust", data={"item_id": "1", "delta": "1", "reason": "x"})
    assert page.status_code == 403
    assert "HX-Retarget" not in page.headers
    assert 'id="error-message"' in text_of(page)


def test_a_missing_record_and_an_unreadable_request_are_shown_to_htmx(client, login_as):
    login_as("clerk")
    missing = client.post("/loans/999/scan", data={"code": "X"}, headers=SCAN)
    assert missing.status_code == 404
    assert missing.headers["HX-Retarget"] == "#scan-result"
    assert "This page does not exist." in text_of(missing)
    unreadable = client.post("/writeoffs/new", data={"code": "NOT-OURS"}, headers=HX)
    assert unreadable.status_code == 400
    assert unreadable.headers["HX-Retarget"] == "#toast"
    assert "nothing was saved" in text_of(unreadable)


def test_the_page_has_the_toast_slot_the_refusals_aim_at(client, login_as):
    login_as("clerk")
    assert '<div id="toast" hidden></div>' in text_of(client.get("/checkin/"))


def _post_urls(app):
    """Every POST rule that a signed-in operator's page can send (ids = 1, months 2026-01)."""
    import re

    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and access_rule(app, rule) not in (None, "public") \
                and rule.endpoint != "auth.logout":  # it would end the sweep's own sign-in
            yield rule.endpoint, re.sub(r"<(?:(\w+):)?(\w+)>",
                                        lambda m: "1" if m.group(1) == "int" else "2026-01", rule.rule)


def access_rule(app, rule):
    from kiosk.web import access_of

    return access_of(app.view_functions.get(rule.endpoint))


def test_every_form_and_station_refused_by_htmx_is_shown_where_the_person_looks(app, client, login_as):
    """An expired page (400), a role that may not (403): every POST answers htmx with an error
    aimed at the answer area (a scan) or the toast (a form), which scan.js swaps and sounds."""
    login_as("ironer")
    app.config["WTF_CSRF_ENABLED"] = True
    problems, forbidden = [], 0
    for endpoint, url in _post_urls(app):
        for headers, aimed in ((SCAN, "#scan-result"), ({**HX, "HX-Target": "some-form"}, "#toast")):
            expired = client.post(url, data={"csrf_token": "expired"}, headers=headers)
            if (expired.status_code, expired.headers.get("HX-Retarget")) != (400, aimed) \
                    or 'data-scan-result="error"' not in text_of(expired):
                problems.append(f"{endpoint} expired: {expired.status_code} {expired.headers.get('HX-Retarget')}")
    app.config["WTF_CSRF_ENABLED"] = False
    for endpoint, url in _post_urls(app):
        answer = client.post(url, data={}, headers={**HX, "HX-Target": "some-form"})
        if answer.status_code == 403:
            forbidden += 1
            if answer.headers.get("HX-Retarget") != "#toast" or "Your role may not" not in text_of(answer):
                problems.append(f"{endpoint} forbidden: not a toast")
        elif answer.status_code >= 400 and not answer.headers.get("HX-Retarget"):
            problems.append(f"{endpoint}: {answer.status_code} aimed nowhere")
    assert not problems, "\n".join(problems)
    assert forbidden > 20  # the ironer is refused most of the counter's and supervisor's forms


def test_a_crash_is_shown_to_htmx_as_an_error_where_the_person_looks(app, client, login_as):
    from kiosk.web import roles

    @roles("any")
    def broken():
        raise RuntimeError("boom")

    app.add_url_rule("/test-broken", "test_broken", broken, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login_as("clerk")
    answer = client.post("/test-broken", headers=SCAN)
    assert answer.status_code == 500 and answer.headers["HX-Retarget"] == "#scan-result"
    assert scan_result(text_of(answer)) == "error" and "Nothing was saved" in text_of(answer)
    assert "boom" not in text_of(answer) and "Traceback" not in text_of(answer)
