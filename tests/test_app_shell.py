"""The kiosk as an installable app (kiosk.main.shell): its manifest, its service worker and the
stations' offline pages, as a tablet's browser fetches them. The browser side (installability,
a station opening offline) is tests/e2e/test_app_shell.py."""
from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from kiosk.main.shell import OFFLINE_STATIONS



def test_the_manifest_names_the_app_full_screen_with_its_icons(app, client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert (manifest["display"], manifest["start_url"], manifest["scope"]) == ("fullscreen", "/", "/")
    assert manifest["name"] and manifest["short_name"]
    sizes = {}
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        data = image.get_data()
        image.close()
        assert image.status_code == 200 and image.mimetype == "image/png"
        with Image.open(io.BytesIO(data)) as drawn:
            assert f"{drawn.width}x{drawn.height}" == icon["sizes"]
        sizes.setdefault(icon.get("purpose", "any"), []).append(icon["sizes"])
    assert sorted(sizes["any"]) == ["192x192", "512x512"] and sizes["maskable"] == ["512x512"]


def test_the_manifest_and_offline_pages_are_there_before_the_first_operator_exists(app, client):
    for path in ("/manifest.webmanifest", "/sw.js", "/offline/page"):
        assert client.get(path).status_code == 200, path


def test_the_service_worker_keeps_the_shell_by_its_fingerprinted_urls_and_only_answers_gets(app, client, login_as):
    login_as("clerk")
    page = client.get("/checkin/").get_data(as_text=True)
    script = client.get("/sw.js")
    assert script.mimetype == "text/javascript" and script.headers["Cache-Control"] == "no-cache"
    text = script.get_data(as_text=True)
    shell = json.loads(re.search(r"const SHELL = (\[.*?\]);", text).group(1))
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        assert url in shell, url  # every file the page loads is kept, under the very URL it asks for
    pages = json.loads(re.search(r"const PAGES = (\{.*?\});", text).group(1))
    assert pages["/checkin/"] == "/offline/checkin-station" and len(pages) == len(OFFLINE_STATIONS)
    assert 'if (request.method !== "GET") return;' in text
    # The version is the files' and the offline pages', not the reader's language: switching it
    # does not make the tablet fetch the whole shell again.
    version = re.search(r'const CACHE = "(kiosk-shell-[0-9a-f]+)"', text).group(1)
    client.post("/language", data={"lang": "en"})
    english = client.get("/sw.js").get_data(as_text=True)
    assert re.search(r'const CACHE = "(kiosk-shell-[0-9a-f]+)"', english).group(1) == version


@pytest.mark.parametrize("page, scan", OFFLINE_STATIONS)
def test_each_offline_page_holds_no_name_no_token_and_posts_to_its_station(app, client, login_as, page, scan):
    with app.test_request_context():
        from flask import url_for

        scan_url = url_for(scan)
    user_id = login_as("supervisor")
    with app.app_context():
        from kiosk.extensions import db
        from kiosk.models import User

        name = db.session.get(User, user_id).name
    response = client.get(f"/offline/{page.replace('.', '-')}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="offline-page"' in body
    assert f'action="{scan_url}"' in body and 'data-offline-page="1"' in body
    assert "csrf" not in body.lower() and name not in body and "data-operator=" not in body
    assert not any(c.startswith("session=") for c in response.headers.getlist("Set-Cookie"))


def test_an_unknown_offline_page_is_not_found(client):
    assert client.get("/offline/nothing-here").status_code == 404
