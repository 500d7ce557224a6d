"""The kiosk as an installable full-screen app: its web app manifest, its service worker, and one
generic offline page per scan station.

The service worker (``/sw.js``, rendered from ``main/sw.js``) keeps the shell (the stylesheet,
the scripts, the icons, the manifest) and the offline pages in the tablet's cache when it is
installed, and handles nothing but GET: a page asked for while the server cannot be reached is
answered with its station's offline page (or the generic one), a shell file from the cache; every
other request goes to the network as if there were no worker. The offline pages hold no name, no
token and no personal data: the station's title, the scan field and the tablet's own scan queue
(kiosk/static/js/scan.js), which keeps the scans until the operator is back online and signed in.

A service worker needs a secure origin (HTTPS, or the server's own machine): on plain HTTP the
scan queue still works, but a station cannot open while offline (the banner says not to reload).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Response, current_app, render_template, url_for
from flask_babel import gettext as _

from ..web import public
from . import bp
from .stations import STATIONS

#: the scan stations whose scans need nothing but the code (so they can be taken offline): their
#: page, and where their scans go. Issue and the kit need the person at the counter, the tailor
#: its direction, inspection a decision: their pages offline are the generic one.
OFFLINE_STATIONS: tuple[tuple[str, str], ...] = (
    ("checkin.station", "checkin.scan"),
    ("ironing.station", "ironing.scan"),
    ("inspection.slotting", "inspection.slot_scan"),
)
_LABELS = {station.endpoint: station.label for station in STATIONS}
_OFFLINE_TEMPLATES = ("main/offline.html", "stations/_messages.html", "_shell.html", "main/sw.js")
#: the shell the worker keeps (static files, by their fingerprinted URLs)
SHELL_FILES = ("css/kiosk.css", "vendor/htmx-2.0.11.min.js", "js/kiosk.js", "js/scan.js", "js/camera.js",
               "vendor/zxing-wasm-reader-3.1.8.iife.js", "vendor/zxing-wasm-reader-3.1.8.wasm", "favicon.svg",
               "icons/icon-192.png", "icons/icon-512.png", "icons/icon-maskable-512.png")


def _offline_name(endpoint: str) -> str:
    return endpoint.replace(".", "-")


@bp.get("/manifest.webmanifest")
@public
def manifest():
    """The web app manifest: 制服室, full screen, starting at the home screen."""
    body = {
        "name": _("Uniform Room"), "short_name": _("Uniform Room"),
        "start_url": url_for("main.home"), "scope": url_for("main.home"), "id": url_for("main.home"),
        "display": "fullscreen", "display_override": ["fullscreen", "standalone"],
        "orientation": "any", "background_color": "#f3f4f6", "theme_color": "#1d4ed8",
        "icons": [
            {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {"src": url_for("static", filename="icons/icon-maskable-512.png"), "sizes": "512x512",
             "type": "image/png", "purpose": "maskable"},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _offline_pages() -> dict[str, str]:
    """Each station's path -> its offline page's URL."""
    return {url_for(page): url_for("main.offline", name=_offline_name(page)) for page, _scan in OFFLINE_STATIONS}


@bp.get("/sw.js")
@public
def service_worker():
    """The service worker, at the kiosk's root so that it looks after every page. Its version
    changes with any shell file or offline page, so a tablet takes the new one at its next visit."""
    shell = [url_for("static", filename=name) for name in SHELL_FILES] + [url_for("main.manifest")]
    pages = _offline_pages()
    generic = url_for("main.offline", name="page")
    # The version follows the files (by their fingerprints) and the offline pages' templates, not
    # the language a page is read in: switching it does not make a tablet fetch the shell again.
    seen = hashlib.sha256(json.dumps([shell, pages]).encode())
    for template in _OFFLINE_TEMPLATES:
        seen.update((Path(current_app.root_path) / "templates" / template).read_bytes())
    script = render_template("main/sw.js", version=seen.hexdigest()[:16], shell=shell, pages=pages, generic=generic)
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def offline_html(name: str) -> str | None:
    """The offline page called ``name`` (a station's, or ``page``: any other page)."""
    chosen = next(((page, scan) for page, scan in OFFLINE_STATIONS if _offline_name(page) == name), None)
    if chosen is None and name != "page":
        return None
    page, scan = chosen or (None, None)
    return render_template("main/offline.html", title=_(_LABELS[page]) if page else _("Uniform Room"),
                           station_url=url_for(page) if page else url_for("main.home"),
                           scan_url=url_for(scan) if scan else None)


@bp.get("/offline/<name>")
@public
def offline(name: str):
    """A station's offline page, as the service worker keeps it (no name, no token, no personal data)."""
    html = offline_html(name)
    if html is None:
        return Response(status=404)
    return Response(html, mimetype="text/html")
