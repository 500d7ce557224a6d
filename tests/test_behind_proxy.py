"""The kiosk behind a reverse proxy (kiosk/web.py): what KIOSK_TRUSTED_PROXIES believes of the
proxy's X-Forwarded-* headers, Secure cookies behind HTTPS, and the whole kiosk under
KIOSK_URL_PREFIX: every link, form, htmx URL, redirect and cookie stays under the prefix."""
from __future__ import annotations

import re
import shutil
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from sqlalchemy import select

from kiosk import create_app
from kiosk.config import url_prefix
from kiosk.extensions import db
from kiosk.models import Garment, User
from tests.conftest import _test_config

from .conftest import Factory

HTTPS_PROXY = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "uniform.hotel.example"}


@pytest.fixture
def make_app(tmp_path, monkeypatch, database_url):
    """An app of this test's database with some settings on top (closed after the test)."""
    made = []

    def _make(**config):
        monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
        monkeypatch.delenv("KIOSK_SECURE_COOKIES", raising=False)
        app = create_app({**_test_config(database_url), **config})
        made.append(app)
        return app

    yield _make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _clerk(app) -> int:
    with app.app_context():
        user = Factory().user(role="clerk", pin="2580")
        db.session.commit()
        return user.id


def _session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers
    return cookies[-1]


# --- X-Forwarded-For, -Proto, -Host -------------------------------------------------

def _where(app) -> dict:
    """A public page that tells what the kiosk believes of the request (added before any request)."""
    seen: dict = {}

    def where():
        from flask import request, url_for

        seen.update(url=url_for("main.home", _external=True), remote=request.remote_addr)
        return ""

    where._access = "public"
    app.add_url_rule("/_test/where", "where", where)
    _clerk(app)  # a hotel that is set up (else every page leads to the first-run screen)
    return seen


def test_behind_a_trusted_proxy_links_name_the_host_and_scheme_the_tablet_used(make_app):
    app = make_app(KIOSK_TRUSTED_PROXIES=1)
    seen = _where(app)
    app.test_client().get("/_test/where", headers=HTTPS_PROXY)
    # An absolute URL is the proxy's (not the kiosk's own 127.0.0.1:8000); the client is the tablet.
    assert seen == {"url": "https://uniform.hotel.example/", "remote": "203.0.113.9"}


def test_without_trusted_proxies_the_forwarded_headers_are_ignored(make_app):
    app = make_app(KIOSK_TRUSTED_PROXIES=0)
    seen = _where(app)
    app.test_client().get("/_test/where", headers=HTTPS_PROXY)
    assert seen == {"url": "http://localhost/", "remote": "127.0.0.1"}


@pytest.mark.parametrize("proxies, headers, secure", [
    (1, {"X-Forwarded-Proto": "https"}, True),   # TLS at the trusted proxy: Secure without the setting
    (1, {"X-Forwarded-Proto": "http"}, False),
    (0, {"X-Forwarded-Proto": "https"}, False),  # anybody can send the header: not believed
])
def test_the_session_cookie_is_secure_when_a_trusted_proxy_says_https(make_app, proxies, headers, secure):
    app = make_app(KIOSK_TRUSTED_PROXIES=proxies)
    user_id = _clerk(app)
    response = app.test_client().post("/login", data={"user_id": user_id, "pin": "2580"}, headers=headers)
    assert response.status_code == 302
    cookie = _session_cookie(response)
    assert ("; Secure" in cookie) is secure, cookie
    assert "HttpOnly" in cookie


def test_csrf_accepts_a_form_posted_over_https_through_the_proxy(make_app):
    """Over HTTPS Flask-WTF checks that the Referer is this host: the host must be the tablet's."""
    app = make_app(KIOSK_TRUSTED_PROXIES=1, WTF_CSRF_ENABLED=True)
    user_id = _clerk(app)
    client = app.test_client()
    page = client.get("/login", headers=HTTPS_PROXY).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    headers = {**HTTPS_PROXY, "Referer": "https://uniform.hotel.example/login"}
    response = client.post("/login", data={"user_id": user_id, "pin": "2580", "csrf_token": token}, headers=headers)
    assert response.status_code == 302 and response.headers["Location"] == "/"


# --- KIOSK_URL_PREFIX ---------------------------------------------------------------

@pytest.mark.parametrize("raw, prefix", [("", ""), ("/", ""), ("kiosk", "/kiosk"), ("/kiosk/", "/kiosk"),
                                         (" /uniform/room ", "/uniform/room")])
def test_the_prefix_is_written_as_a_path(raw, prefix):
    assert url_prefix(raw) == prefix


@pytest.mark.parametrize("raw", ["/kiosk room", "/制服", "/a//b", "/../etc", "/k?x=1", "/k#top"])
def test_a_prefix_that_is_not_a_plain_path_stops_the_start_naming_the_variable(raw):
    with pytest.raises(ValueError, match="KIOSK_URL_PREFIX"):
        url_prefix(raw)


def test_outside_the_prefix_the_root_leads_to_the_kiosk_and_anything_else_is_not_found(make_app):
    app = make_app(KIOSK_URL_PREFIX="/kiosk")
    _clerk(app)
    client = app.test_client()
    root = client.get("/")
    assert root.status_code == 308 and root.headers["Location"] == "/kiosk/"
    assert client.get("/kiosk").headers["Location"] == "/kiosk/"
    assert client.get("/login").status_code == 404
    assert client.get("/kioskx/login").status_code == 404
    assert client.get("/kiosk/healthz").status_code == 200
    home = client.get("/kiosk/")
    assert home.status_code == 302 and home.headers["Location"].startswith("/kiosk/login")


def test_under_the_prefix_signing_in_comes_back_to_the_page_asked_for(make_app):
    app = make_app(KIOSK_URL_PREFIX="/kiosk")
    user_id = _clerk(app)
    client = app.test_client()
    asked = client.get("/kiosk/loans/")
    assert asked.status_code == 302
    location = asked.headers["Location"]
    assert location.startswith("/kiosk/login?next=")
    page = client.get(location).get_data(as_text=True)
    assert 'name="next" value="/kiosk/loans/"' in page
    response = client.post("/kiosk/login", data={"user_id": user_id, "pin": "2580", "next": "/kiosk/loans/"})
    assert response.headers["Location"] == "/kiosk/loans/"
    cookie = _session_cookie(response)
    assert "Path=/kiosk" in cookie
    # A next outside the prefix is another site's path on this host: home instead.
    client.post("/kiosk/logout")
    response = client.post("/kiosk/login", data={"user_id": user_id, "pin": "2580", "next": "/other-app/"})
    assert response.headers["Location"] == "/kiosk/"


def test_under_the_prefix_an_idle_lock_seen_by_htmx_leads_to_the_login_under_it(make_app):
    app = make_app(KIOSK_URL_PREFIX="/kiosk", KIOSK_IDLE_MINUTES=0)
    user_id = _clerk(app)
    client = app.test_client()
    signed_in = client.post("/kiosk/login", data={"user_id": user_id, "pin": "2580"})
    assert signed_in.headers["Location"] == "/kiosk/"
    answer = client.get("/kiosk/loans/", headers={"HX-Request": "true",
                                                  "HX-Current-URL": "https://h.example/kiosk/loans/?tab=overdue"})
    assert answer.status_code == 204
    assert unquote(answer.headers["HX-Redirect"]) == "/kiosk/login?next=/kiosk/loans/?tab=overdue"


class _Links(HTMLParser):
    """Every URL a page hands the browser: links, forms, htmx, scripts, styles, data-…-url."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (attribute, url)
        self.pages: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input" and dict(attrs).get("name") == "next" and dict(attrs).get("value"):
            self.urls.append(("<input name=next>", dict(attrs)["value"]))
        for name, value in attrs:
            if not value:
                continue
            if name in ("href", "src", "action", "formaction", "hx-get", "hx-post", "hx-put", "hx-delete",
                        "hx-patch", "poster") or (name.startswith("data-") and name.endswith("-url")):
                self.urls.append((f"<{tag} {name}>", value))
            if (tag == "a" and name == "href") or name == "hx-get":
                self.pages.append(value)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


_NOT_PAGES = ("/logout", "/static/", ".csv", ".xlsx", ".png", ".json", "/healthz")
PER_ENDPOINT = 3


def _outside(url: str, base: str, prefix: str) -> bool:
    if url.startswith(("#", "tel:", "mailto:", "data:", "blob:")):
        return False
    absolute = urljoin(base, url)
    parts = urlsplit(absolute)
    return parts.netloc != "localhost" or not parts.path.startswith(prefix + "/")


def _crawl(app, client, prefix: str) -> tuple[set[str], list[str]]:
    adapter = app.url_map.bind("localhost", script_name=prefix)
    seen, per_endpoint, outside = set(), defaultdict(int), []
    todo = [prefix + "/"]
    while todo:
        url = todo.pop(0)
        if url in seen or any(part in url for part in _NOT_PAGES):
            continue
        seen.add(url)
        path = urlsplit(url).path
        try:
            endpoint, _args = adapter.match(path[len(prefix):], method="GET")
        except Exception:
            endpoint = path
        if per_endpoint[endpoint] >= PER_ENDPOINT:
            continue
        per_endpoint[endpoint] += 1
        response = client.get(url)
        for header in ("Location", "HX-Redirect"):
            target = response.headers.get(header)
            if target:
                if _outside(target, "http://localhost" + url, prefix):
                    outside.append(f"{url}: {header} {target}")
                todo.append(urljoin(url, target))
        if response.mimetype != "text/html":
            continue
        parser = _Links()
        parser.feed(response.get_data(as_text=True))
        for attribute, link in parser.urls:
            if _outside(link, "http://localhost" + url, prefix):
                outside.append(f"{url}: {attribute} {link}")
        todo.extend(urlsplit(urljoin("http://localhost" + url, link))._replace(scheme="", netloc="").geturl()
                    for link in parser.pages if not _outside(link, "http://localhost" + url, prefix))
    return seen, outside


@pytest.mark.parametrize("role", ["admin", "clerk"])
def test_under_the_prefix_no_page_links_outside_it(tmp_path, monkeypatch, demo_data, database_url, role):
    """Crawl the demo hotel from the home screen under /kiosk: every tile's page and what it links to
    (a few of each), htmx URLs and redirects included; the static files load from under the prefix."""
    prefix = "/kiosk"
    instance = tmp_path / "instance"
    shutil.copytree(demo_data.instance, instance, dirs_exist_ok=True)
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(instance))
    app = create_app({**_test_config(database_url), "KIOSK_URL_PREFIX": prefix})
    try:
        name, pin = {"admin": ("管理员", "9999"), "clerk": ("王收发", "1111")}[role]
        with app.app_context():
            user_id = db.session.scalar(select(User.id).where(User.name == name))
            tag = db.session.scalar(select(Garment.tag).order_by(Garment.id).limit(1))
        client = app.test_client()
        signed_in = client.post(f"{prefix}/login", data={"user_id": user_id, "pin": pin})
        assert signed_in.headers["Location"] == f"{prefix}/"
        seen, outside = _crawl(app, client, prefix)
        assert len(seen) > 40, sorted(seen)
        assert outside == []
        garment = client.get(f"{prefix}/garment/{tag}").get_data(as_text=True)
        assert f'href="{prefix}/static/' in client.get(f"{prefix}/").get_data(as_text=True)
        assert tag in garment
        styles = re.search(r'href="(/kiosk/static/[^"]+\.css[^"]*)"', garment).group(1)
        with client.get(styles) as stylesheet:
            assert stylesheet.status_code == 200
        # A form posted as htmx that leads elsewhere (the language switch) stays under the prefix.
        switched = client.post(f"{prefix}/language", data={"lang": "en", "next": f"{prefix}/loans/"})
        assert switched.headers["Location"] == f"{prefix}/loans/"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
