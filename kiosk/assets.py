"""The static files: each URL names its file's content, so a tablet keeps it for a year; text is sent
compressed.

``url_for('static', filename=...)`` adds ``?v=<the first 12 hex digits of the file's SHA-256>``. A
request that names the file's current content is answered ``Cache-Control: public, max-age=31536000,
immutable``: the tablet never asks again until the page names another version. Any other request
(no ``v``, or one of a file since changed: a tablet still showing a page from before an upgrade)
gets the file as it is now with Flask's own ``no-cache`` (asked again each time, answered 304 while
it is unchanged), so an old page never misses its script. A query string, not a renamed file: the
same path under ``KIOSK_URL_PREFIX``, the same origin for the Content-Security-Policy, nothing for
nginx or Caddy to know.

Text files (CSS, JavaScript, SVG) are compressed by Flask-Compress, Brotli or gzip as the browser
accepts, each version once (kept on the app, keyed by the content's hash). Pages are not: they are a
few kilobytes on the room's network, and a page that echoes input beside a secret (the CSRF token)
is better not compressed.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from threading import Lock

from flask import Flask, Response, current_app, request
from flask_compress import Compress
from werkzeug.security import safe_join

#: what a fingerprinted URL may be kept for: a year, never revalidated
IMMUTABLE = "public, max-age=31536000, immutable"
#: the query argument that carries the fingerprint
VERSION_ARG = "v"
#: what is compressed: the text assets (the vendored htmx among them)
TEXT_TYPES = ["text/css", "text/javascript", "application/javascript", "image/svg+xml"]


@dataclass
class _Fingerprints:
    """The hash of each static file, recomputed when its size or modification time changes."""

    known: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    lock: Lock = field(default_factory=Lock)

    def of(self, path: str) -> str | None:
        try:
            stat = os.stat(path)
        except OSError:
            return None
        seen = self.known.get(path)
        if seen is not None and seen[:2] == (stat.st_mtime_ns, stat.st_size):
            return seen[2]
        with open(path, "rb") as file:
            digest = hashlib.sha256(file.read()).hexdigest()[:12]
        with self.lock:
            self.known[path] = (stat.st_mtime_ns, stat.st_size, digest)
        return digest


class _CompressedOnce:
    """Flask-Compress's cache: each file's compressed bytes, keyed by its content's hash."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def set(self, key: str, value: bytes) -> None:
        self.data[key] = value


def fingerprint(filename: str | None, app: Flask | None = None) -> str | None:
    """The fingerprint of static file ``filename`` as it is on disk now (None: no such file)."""
    app = app or current_app
    if not filename or not app.static_folder:
        return None
    path = safe_join(app.static_folder, filename)
    return app.extensions["kiosk_assets"].of(path) if path else None


def _add_fingerprint(endpoint: str, values: dict) -> None:
    if endpoint == "static" and VERSION_ARG not in values:
        digest = fingerprint(values.get("filename"))
        if digest:
            values[VERSION_ARG] = digest


def _cache_key(req) -> str:
    filename = (req.view_args or {}).get("filename")
    return f"{filename}@{fingerprint(filename)}"


def _cache_and_compress(response: Response) -> Response:
    if request.endpoint != "static":
        return response
    filename = (request.view_args or {}).get("filename")
    asked = request.args.get(VERSION_ARG)
    if asked and response.status_code in (200, 304) and asked == fingerprint(filename):
        response.headers["Cache-Control"] = IMMUTABLE
    if response.status_code != 200:  # a 304, a 404, or a range of the file: as it is
        return response
    if response.mimetype in TEXT_TYPES:
        # Read the file (a few kilobytes) so that it is compressed whole, once, with its length.
        response.direct_passthrough = False
        response.make_sequence()
    response = current_app.extensions["kiosk_compress"].after_request(response)
    if "Content-Encoding" in response.headers:
        response.headers.pop("Accept-Ranges", None)  # a range would be of the file, not of these bytes
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", TEXT_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Each version is compressed once: the smallest the algorithm makes is worth its few milliseconds.
    app.config.setdefault("COMPRESS_BR_LEVEL", 11)
    app.config.setdefault("COMPRESS_LEVEL", 9)
    app.config.setdefault("COMPRESS_REGISTER", False)  # only for the static files, below
    app.config.setdefault("COMPRESS_CACHE_BACKEND", _CompressedOnce)
    app.config.setdefault("COMPRESS_CACHE_KEY", _cache_key)
    compress = Compress()
    compress.init_app(app)
    app.extensions["kiosk_compress"] = compress
    app.extensions["kiosk_assets"] = _Fingerprints()
    app.url_defaults(_add_fingerprint)
    app.after_request(_cache_and_compress)
