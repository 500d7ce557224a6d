"""The kiosk behind HTTPS, as a hotel runs it: Debian's nginx with deploy/nginx/uniform-kiosk.conf
(only its ports, certificate paths and upstream changed for the test) and a self-signed certificate
for 127.0.0.1, in front of ``kiosk serve`` started with KIOSK_TRUSTED_PROXIES=1 and
KIOSK_SECURE_COOKIES=1. Chromium signs in over https://127.0.0.1:PORT (certificate errors ignored,
as a tablet that installed the local CA would trust it): the session cookie is Secure and HttpOnly,
every redirect stays on the proxy's address, the CSRF check passes over HTTPS, and the address the
kiosk logs is the tablet's (forwarded), not nginx's own nor one the browser made up.

nginx runs as this user with its configuration, pid and logs in a temporary folder; nginx itself
connects to the kiosk from 127.0.0.2, so the kiosk's direct peer differs from the browser's address.
"""
from __future__ import annotations

import os
import re
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.printers.fakeprinter import free_port

from .conftest import wait_until_ok
from .helpers import REPO, new_page, sign_in, unique

NGINX = "/usr/sbin/nginx"
SHIPPED = REPO / "deploy" / "nginx" / "uniform-kiosk.conf"
#: What the browser claims as its own address: a proxy that trusted it would log this.
SPOOFED = "203.0.113.66"


@pytest.fixture(scope="module")
def server_env():
    return {"KIOSK_TRUSTED_PROXIES": "1", "KIOSK_SECURE_COOKIES": "1"}


def _ensure_nginx() -> None:
    if os.access(NGINX, os.X_OK):
        return
    result = subprocess.run([str(REPO / "scripts" / "system-deps.sh")], cwd=REPO, capture_output=True, text=True)
    if not os.access(NGINX, os.X_OK):
        pytest.skip(f"{NGINX} is missing and scripts/system-deps.sh could not install it (exit {result.returncode}): "
                    f"{result.stderr.strip() or result.stdout.strip()}; install Debian's nginx to run this test")


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"{SHIPPED.name} no longer has {old!r}: update this test with it"
    return text.replace(old, new)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl, as the README makes one)."""
    cert, key = folder / "kiosk.crt", folder / "kiosk.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def _configuration(folder: Path, kiosk_port: int, https_port: int, http_port: int) -> Path:
    cert, key = _certificate(folder)
    site = SHIPPED.read_text()
    site = _replace(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{kiosk_port};")
    site = _replace(site, "    listen 80;\n    listen [::]:80;\n", f"    listen 127.0.0.1:{http_port};\n")
    site = _replace(site, "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n",
                    f"    listen 127.0.0.1:{https_port} ssl http2;\n")
    site = _replace(site, "/etc/uniform-kiosk/tls/kiosk.crt", str(cert))
    site = _replace(site, "/etc/uniform-kiosk/tls/kiosk.key", str(key))
    # nginx reaches the kiosk from another loopback address than the browser's 127.0.0.1.
    site = _replace(site, "proxy_pass http://uniform_kiosk;", "proxy_pass http://uniform_kiosk;\n"
                    "        proxy_bind 127.0.0.2;")
    (folder / "uniform-kiosk.conf").write_text(site)
    temp = "".join(f"    {kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi",
                                                                              "uwsgi", "scgi"))
    main = folder / "nginx.conf"
    main.write_text(
        # As root the workers would run as nobody, who cannot enter the test's private folder.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} info;\n"
        "worker_processes 1;\nevents { worker_connections 64; }\n"
        f"http {{\n    access_log {folder / 'access.log'};\n{temp}"
        f"    include {folder / 'uniform-kiosk.conf'};\n}}\n"
    )
    return main


def _unverified() -> ssl.SSLContext:
    """The self-signed certificate accepted (what the tablet's installed CA does)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@pytest.fixture(scope="module")
def https_url(server, tmp_path_factory):
    """https://127.0.0.1:PORT: nginx with the shipped site in front of this module's kiosk."""
    _ensure_nginx()
    folder = tmp_path_factory.mktemp("nginx")
    kiosk_port = int(server.url.rsplit(":", 1)[1])
    https_port, http_port = free_port(), free_port()
    main = _configuration(folder, kiosk_port, https_port, http_port)
    command = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(main)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{https_port}"
    try:
        wait_until_ok(url + "/healthz", process, "nginx", lambda: (folder / "error.log").read_text(errors="replace"),
                      time.monotonic() + 30, _unverified())
        yield url
    finally:
        process.terminate()  # SIGTERM: nginx's fast shutdown
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def tablet_over_https(browser, https_url):
    page = new_page(browser, https_url, ignore_https_errors=True, extra_http_headers={"X-Forwarded-For": SPOOFED})
    try:
        yield page
    finally:
        page.context.close()


def test_a_clerk_signs_in_through_nginx_over_https_with_a_secure_cookie(tablet_over_https, https_url, server):
    page = tablet_over_https
    name = server.add_user(unique("代理"))
    here = re.escape(https_url)

    # Asked for a page before signing in: the login, on the proxy's address, remembering the page.
    page.goto("/loans/")
    expect(page).to_have_url(re.compile(rf"^{here}/login\?next=(%2F|/)loans(%2F|/)$"))
    sign_in(page, name, expect_home=False)
    expect(page).to_have_url(f"{https_url}/loans/")
    expect(page.get_by_test_id("who")).to_contain_text(name)

    session = [cookie for cookie in page.context.cookies() if cookie["name"] == "session"]
    assert len(session) == 1, page.context.cookies()
    assert session[0]["secure"] is True and session[0]["httpOnly"] is True, session[0]
    assert session[0]["sameSite"] == "Lax"

    # A form posted over HTTPS (the CSRF check compares the Referer with the host nginx names).
    page.get_by_test_id("lang-en").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{https_url}/loans/")

    # The kiosk logged the browser's address as nginx forwarded it: not nginx's own (127.0.0.2),
    # not the one the browser claimed itself.
    lines = [line for line in server.server_log().splitlines() if f"({name})" in line and "sign-in by PIN" in line]
    assert lines and lines[-1].endswith("(client 127.0.0.1)"), server.server_log()[-3000:]
    assert SPOOFED not in server.server_log() and "client 127.0.0.2" not in server.server_log()
    # So does the request log: its line for the sign-in names the browser's address.
    assert re.search(r": 127\.0\.0\.1 op=\S+ POST /login 302 ", server.server_log()), server.server_log()[-3000:]
    assert "127.0.0.2 op=" not in server.server_log()

    page.get_by_test_id("logout").click()
    expect(page).to_have_url(f"{https_url}/login")
