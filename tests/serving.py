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
