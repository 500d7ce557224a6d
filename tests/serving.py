"""``kiosk serve`` in a process of its own, for the tests that need the real server (a lock it
holds, its shutdown, its log), not the test client."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.printers.fakeprinter import free_port

REPO = Path(__file__).resolve().parents[1]


def serve(env: dict[str, str], *, stderr=subprocess.DEVNULL) -> tuple[subprocess.Popen, str]:
    """Start ``flask --app app kiosk serve`` with ``env`` on a free port; return it once /healthz answers."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "kiosk", "serve", "--port", str(port)],
                               cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/healthz", timeout=1).read()
            return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    process.wait()
    raise AssertionError("kiosk serve did not start")


class Browser:
    """A tablet's browser against a real server: its own cookie jar, and the CSRF token of the
    last page it opened sent with each form (as the page's forms would)."""

    def __init__(self, url: str) -> None:
        import http.cookiejar

        self.url = url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.token = ""

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        import re
        import urllib.error

        try:
            with self.opener.open(request, timeout=30) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        found = re.search(r'name="csrf_token" value="([^"]+)"', body)
        if found:
            self.token = found.group(1)
        return status, body

    def get(self, path: str, *, htmx: bool = False) -> tuple[int, str]:
        headers = {"HX-Request": "true"} if htmx else {}
        return self._open(urllib.request.Request(self.url + path, headers=headers))

    def post(self, path: str, data: dict, *, htmx: bool = False) -> tuple[int, str]:
        from urllib.parse import urlencode

        if not self.token:
            self.get("/login")
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.url, "Referer": self.url + "/"}
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": self.token})
        body = urlencode({"csrf_token": self.token, **data}).encode()
        return self._open(urllib.request.Request(self.url + path, data=body, headers=headers, method="POST"))

    def sign_in(self, user_id: int, pin: str = "2580") -> None:
        self.get("/login")
        status, body = self.post("/login", {"user_id": user_id, "pin": pin})
        assert status == 200 and 'id="home"' in body, body[-400:]
