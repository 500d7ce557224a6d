"""Roles are enforced on the server for every route, not by hiding buttons."""
import pytest
from werkzeug.routing import BuildError

from kiosk.extensions import db
from kiosk.main.stations import STATIONS
from kiosk.web import PUBLIC, access_of


def _urls(app, methods={"GET", "POST"}):
    """Every rule of the app with its arguments filled in (ids = 1)."""
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            for method in sorted(rule.methods & methods):
                values = {arg: 1 for arg in rule.arguments}
                try:
                    url = app.url_for(rule.endpoint, **values)
                except BuildError:  # pragma: no cover - a converter that refuses 1
                    url = rule.rule
                yield rule.endpoint, method, url


def test_every_view_declares_who_may_reach_it(app):
    undeclared = [name for name, view in app.view_functions.items()
                  if name != "static" and access_of(view) is None]
    assert undeclared == []


def test_only_sign_in_language_health_first_run_and_the_app_shell_are_public(app):
    public = sorted(name for name, view in app.view_functions.items() if access_of(view) == PUBLIC)
    # The app shell (manifest, service worker, offline pages) holds no name, token or record:
    # tests/test_app_shell.py checks each offline page for that.
    # Choosing the hotel a group's browser signs in at shows the hotels' names only.
    assert public == ["auth.choose_property", "auth.language", "auth.login", "auth.login_badge", "auth.login_pin",
                      "hotel.setup",
                      "hotel.setup_post", "main.healthz", "main.manifest", "main.offline", "main.service_worker"]


def test_signed_out_visitor_is_sent_to_login_from_every_screen(app, client, make):
    make.user()  # a hotel with an operator (without one, every screen leads to the first-run screen)
    db.session.commit()
    for endpoint, method, url in _urls(app):
        if access_of(app.view_functions[endpoint]) == PUBLIC:
            continue
        response = client.open(url, method=method)
        assert response.status_code == 302, (endpoint, method)
        assert "/login" in response.headers["Location"], endpoint


@pytest.mark.parametrize("role", ["clerk", "ironer"])
def test_clerk_and_ironer_cannot_open_a_supervisors_screen_by_url(app, client, login_as, role):
    login_as(role)
    checked = 0
    for endpoint, method, url in _urls(app):
        access = access_of(app.view_functions[endpoint])
        if access == PUBLIC or "any" in access or role in access:
            continue
        response = client.open(url, method=method)
        assert response.status_code == 403, (endpoint, method, response.status_code)
        checked += 1
    assert checked >= 3  # the registry and import screens at least


def test_home_shows_only_the_stations_the_role_allows(app, client, login_as):
    login_as("clerk")
    page = client.get("/").get_data(as_text=True)
    for station in STATIONS:
        shown = f'data-station="{station.endpoint}"' in page
        assert shown == ("clerk" in station.roles), station.endpoint


def test_every_station_on_home_opens_for_the_roles_it_is_shown_to(app, client, login_as):
    login_as("supervisor")
    with app.test_request_context():
        urls = [app.url_for(s.endpoint) for s in STATIONS if "supervisor" in s.roles]
    for url in urls:
        assert client.get(url).status_code == 200, url
