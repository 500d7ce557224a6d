"""The shipped reverse proxies in front of a browser test's kiosk, with a self-signed certificate for
127.0.0.1 made with openssl, each run as this user with its configuration, pid, data and logs in a
temporary folder; only the shipped file's ports, certificate paths and upstream are changed.

- nginx (Debian's) with deploy/nginx/uniform-kiosk.conf, and (for KIOSK_URL_PREFIX) its ``location``
  as the file's comment says; it connects to the kiosk from 127.0.0.2, so the kiosk's direct peer
  differs from the browser's address;
- Caddy with deploy/caddy/Caddyfile, when Debian's caddy is installed (it is not installed for the
  tests: the Caddy test skips without it).
"""
from __future__ import annotations

import os
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.printers.fakeprinter import free_port

from .conftest import KioskServer, stop, wait_until_ok
from .helpers import REPO

NGINX = "/usr/sbin/nginx"
SHIPPED = REPO / "deploy" / "nginx" / "uniform-kiosk.conf"
CADDY = "/usr/bin/caddy"
SHIPPED_CADDYFILE = REPO / "deploy" / "caddy" / "Caddyfile"


def _ensure_nginx() -> None:
    if os.access(NGINX, os.X_OK):
        return
    result = subprocess.run([str(REPO / "scripts" / "system-deps.sh")], cwd=REPO, capture_output=True, text=True)
    if not os.access(NGINX, os.X_OK):
        pytest.skip(f"{NGINX} is missing and scripts/system-deps.sh could not install it (exit {result.returncode}): "
                    f"{result.stderr.strip() or result.stdout.strip()}; install Debian's nginx to run this test")


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"the shipped proxy file no longer has {old!r}: update this test with it"
    return text.replace(old, new)


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl, as the README makes one)."""
    cert, key = folder / "kiosk.crt", folder / "kiosk.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def _configuration(folder: Path, kiosk_port: int, https_port: int, http_port: int, prefix: str) -> Path:
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
    if prefix:  # as the shipped file's comment says
        site = _replace(site, "    location / {", f"    location {prefix}/ {{")
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


@contextmanager
def nginx_in_front(server: KioskServer, folder: Path) -> Iterator[str]:
    """Yield https://127.0.0.1:PORT (with the server's KIOSK_URL_PREFIX): nginx in front of ``server``."""
    _ensure_nginx()
    prefix = server.env.get("KIOSK_URL_PREFIX", "").rstrip("/")
    kiosk_port = int(server.url.rsplit(":", 1)[1])
    https_port, http_port = free_port(), free_port()
    main = _configuration(folder, kiosk_port, https_port, http_port, prefix)
    command = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(main)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{https_port}"
    try:
        wait_until_ok(url + prefix + "/healthz", process, "nginx",
                      lambda: (folder / "error.log").read_text(errors="replace"), time.monotonic() + 30, _unverified())
        yield url
    finally:
        stop(process)  # SIGTERM: nginx's fast shutdown


@contextmanager
def caddy_in_front(server: KioskServer, folder: Path) -> Iterator[str]:
    """Yield https://127.0.0.1:PORT: Caddy with the shipped Caddyfile in front of ``server``."""
    if not os.access(CADDY, os.X_OK):
        pytest.skip(f"{CADDY} is not installed (Debian: apt-get install caddy); the nginx tests cover HTTPS")
    cert, key = _certificate(folder)
    kiosk_port = int(server.url.rsplit(":", 1)[1])
    https_port, http_port = free_port(), free_port()
    site = SHIPPED_CADDYFILE.read_text()
    site = _replace(site, "uniform.hotel.example, 192.168.1.20 {", f"https://127.0.0.1:{https_port} {{")
    site = _replace(site, "tls /etc/uniform-kiosk/tls/kiosk.crt /etc/uniform-kiosk/tls/kiosk.key", f"tls {cert} {key}")
    site = _replace(site, "reverse_proxy 127.0.0.1:8000 {", f"reverse_proxy 127.0.0.1:{kiosk_port} {{")
    # Global options first: its own ports, no admin endpoint, its data in the folder.
    caddyfile = folder / "Caddyfile"
    caddyfile.write_text(f"{{\n\thttp_port {http_port}\n\thttps_port {https_port}\n\tadmin off\n"
                         f"\tstorage file_system {folder / 'data'}\n}}\n\n" + site)
    log = folder / "caddy.log"
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
           "XDG_CONFIG_HOME": str(folder / "config")}
    with open(log, "wb") as out:
        process = subprocess.Popen([CADDY, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
                                   env=env, cwd=folder, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{https_port}"
    try:
        wait_until_ok(url + "/healthz", process, "caddy", lambda: log.read_text(errors="replace"),
                      time.monotonic() + 30, _unverified())
        yield url
    finally:
        stop(process)
