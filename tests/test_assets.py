"""The static files (kiosk.assets): each page names its scripts and styles by their content, a
tablet keeps those for a year and gets them compressed; an old name still loads; pages are never
kept."""
from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import brotli
import pytest

from kiosk import create_app
from kiosk.extensions import db

from .conftest import Factory, _test_config

STATIC = Path(__file__).resolve().parent.parent / "kiosk" / "static"
YEAR = "public, max-age=31536000, immutable"


@pytest.fixture(autouse=True)
def an_operator(request):
    """A hotel with an operator: without one every page leads to the first-run screen."""
    if "app" in request.fixturenames:
        with request.getfixturevalue("app").app_context():
            Factory().user(role="admin", pin="2580")
            db.session.commit()


def _assets_of(body: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', body)


def test_every_asset_a_page_names_is_fingerprinted_and_kept_for_a_year(client):
    body = client.get("/login").get_data(as_text=True)
    assets = _assets_of(body)
    named = {url.split("?")[0] for url in assets}
    assert {"/static/css/kiosk.css", "/static/js/kiosk.js", "/static/js/scan.js", "/static/favicon.svg",
            "/static/vendor/htmx-2.0.11.min.js"} <= named
    for url in assets:
        path, _, query = url.partition("?")
        assert re.fullmatch(r"v=[0-9a-f]{12}", query), url
        with client.get(url) as answer:
            assert answer.status_code == 200
            assert answer.headers["Cache-Control"] == YEAR, url
            assert answer.get_data() == (STATIC / path.removeprefix("/static/")).read_bytes()
            assert "Content-Encoding" not in answer.headers  # the test client accepts no encoding


@pytest.mark.parametrize("filename", ["css/kiosk.css", "js/kiosk.js", "js/scan.js", "vendor/htmx-2.0.11.min.js"])
@pytest.mark.parametrize("encoding, decompress", [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_text_assets_come_compressed_when_the_browser_accepts_it(client, filename, encoding, decompress):
    url = re.search(rf'"(/static/{re.escape(filename)}\?v=\w+)"', client.get("/login").get_data(as_text=True))
    original = (STATIC / filename).read_bytes()
    for attempt in range(2):  # compressed once, then the same bytes from the kept copy
        with client.get(url.group(1), headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"}) as answer:
            assert answer.status_code == 200
            assert answer.headers["Content-Encoding"] == encoding
            assert answer.headers["Cache-Control"] == YEAR
            assert "Accept-Encoding" in answer.headers["Vary"]
            body = answer.get_data()
            assert int(answer.headers["Content-Length"]) == len(body) < len(original) * 0.5
            assert decompress(body) == original
            assert answer.headers["Content-Security-Policy"] and answer.headers["X-Content-Type-Options"] == "nosniff"
    # ...and the browser's copy is revalidated against the compressed one's own ETag.
    with client.get(url.group(1), headers={"Accept-Encoding": encoding,
                                           "If-None-Match": answer.headers["ETag"]}) as again:
        assert again.status_code == 304


@pytest.fixture
def own_static(app, tmp_path):
    """The app serving a copy of the static files that the test may change."""
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    app.static_folder = str(folder)
    return folder


def _url_of(client, filename: str) -> str:
    return re.search(rf'"(/static/{re.escape(filename)}\?v=\w+)"', client.get("/login").get_data(as_text=True)).group(1)


def test_a_changed_file_gets_a_new_name_and_the_old_name_still_loads_it(client, own_static):
    before = _url_of(client, "js/scan.js")
    script = own_static / "js" / "scan.js"
    script.write_text(script.read_text(encoding="utf-8") + "\n// upgraded\n", encoding="utf-8")
    after = _url_of(client, "js/scan.js")
    assert after != before and after.startswith("/static/js/scan.js?v=")
    with client.get(after) as fresh:
        assert fresh.headers["Cache-Control"] == YEAR and fresh.get_data().endswith(b"// upgraded\n")
    # A tablet still showing a page from before the upgrade: the file as it is now, not kept.
    for stale in (before, "/static/js/scan.js?v=000000000000", "/static/js/scan.js"):
        with client.get(stale, headers={"Accept-Encoding": "gzip"}) as answer:
            assert answer.status_code == 200, stale
            assert "immutable" not in answer.headers["Cache-Control"] and "max-age=31536000" not in \
                answer.headers["Cache-Control"], stale
            assert gzip.decompress(answer.get_data()).endswith(b"// upgraded\n")


def test_pages_and_fragments_are_never_kept_long(client, login_as):
    for answer in (client.get("/login"), client.get("/healthz")):
        assert "max-age=31536000" not in answer.headers.get("Cache-Control", ""), answer.request.path
        assert "Content-Encoding" not in answer.headers
    login_as("clerk")
    for path in ("/", "/today/"):
        for headers in ({}, {"HX-Request": "true"}):
            answer = client.get(path, headers={**headers, "Accept-Encoding": "gzip, br"})
            assert answer.status_code == 200
            cache = answer.headers.get("Cache-Control", "")
            assert "immutable" not in cache and "max-age" not in cache and "public" not in cache, (path, cache)
            assert "Content-Encoding" not in answer.headers  # a page (with its CSRF token) goes as it is


def test_under_the_url_prefix_the_fingerprinted_names_carry_it(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({**_test_config(database_url), "KIOSK_URL_PREFIX": "/kiosk"})
    try:
        with app.app_context():
            Factory().user(role="admin", pin="2580")
            db.session.commit()
        client = app.test_client()
        body = client.get("/kiosk/login").get_data(as_text=True)
        styles = re.search(r'href="(/kiosk/static/css/kiosk\.css\?v=[0-9a-f]{12})"', body).group(1)
        with client.get(styles, headers={"Accept-Encoding": "gzip"}) as answer:
            assert answer.headers["Cache-Control"] == YEAR
            assert gzip.decompress(answer.get_data()) == (STATIC / "css" / "kiosk.css").read_bytes()
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
