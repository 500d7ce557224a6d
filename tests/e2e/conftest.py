"""Browser tests: Debian's Chromium, driven by Playwright, against the real server.

Each test module gets its own server: a fresh database (a SQLite file in a tmp
dir, or the run's PostgreSQL database emptied first when
``KIOSK_TEST_DATABASE_URL`` is set), the real migrations (``flask db
upgrade``), users added with the real CLI, and waitress serving on a free
port. CSRF is on, as on the kiosk: the browser posts the forms the pages give
it. Data no screen makes yet is seeded with the app's own code on the same
database (:meth:`KioskServer.session`, the tests' Factory and the ledger), or
its CLI. Tests do not lean on each other: a test that changes a user (wrong PINs,
the lock) adds its own, and names and staff numbers are unique in the run.

On a failed test the page is saved to ``tests/e2e/artifacts/<test>.png``.
"""
from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import sync_playwright
from sqlalchemy.orm import Session

from tests.printers.fakeprinter import FakePrinter, free_port

from .helpers import ARTIFACTS, LANDSCAPE, PORTRAIT, REPO, new_page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
]
START_TIMEOUT = 30.0


# --- the server -----------------------------------------------------------

def _empty_postgres(url: str) -> None:
    """Drop everything in the run's PostgreSQL database (tables, types, alembic)."""
    from sqlalchemy import create_engine, text

    from kiosk.config import normalise_database_url

    engine = create_engine(normalise_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


@dataclass
class KioskServer:
    """The kiosk served by waitress, and the CLI on the same database."""

    url: str
    database_url: str
    instance: Path
    log: Path
    env: dict[str, str] = field(repr=False)
    process: subprocess.Popen | None = field(default=None, repr=False)
    _seeder: Flask | None = field(default=None, repr=False)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``flask --app app ARGS...`` against this server's database."""
        result = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=REPO, env=self.env, capture_output=True, text=True, timeout=60,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"flask {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def cli_parallel(self, *commands: list[str]) -> list[subprocess.CompletedProcess]:
        """Several CLI commands at once (each is a second of Python start-up)."""
        with ThreadPoolExecutor(max_workers=len(commands) or 1) as pool:
            return list(pool.map(lambda args: self.cli(*args), commands))

    @staticmethod
    def user_add_args(name: str, role: str = "clerk", pin: str = "2580", badge: str | None = None) -> list[str]:
        # The test's operators sign in with the PIN they are given (no new PIN asked for).
        args = ["kiosk", "user", "add", name, "--role", role, "--pin", pin, "--no-change-required"]
        return args + ["--badge", badge] if badge else args

    def add_user(self, name: str, role: str = "clerk", pin: str = "2580", badge: str | None = None) -> str:
        """``kiosk user add`` (the real CLI); returns the name."""
        self.cli(*self.user_add_args(name, role, pin, badge))
        return name

    def add_users(self, *users: tuple) -> list[str]:
        """``kiosk user add`` for each ``(name, role, pin)``, run side by side."""
        self.cli_parallel(*(self.user_add_args(*user) for user in users))
        return [user[0] for user in users]

    def import_csv(self, kind: str, path: Path, check: bool = True) -> subprocess.CompletedProcess:
        """``kiosk import KIND FILE`` (the real CLI)."""
        return self.cli("kiosk", "import", kind, str(path), check=check)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The app's own code on this server's database, in the test's process
        (for data no screen makes yet): the ledger, the services, the tests'
        Factory. Commits when the block ends."""
        from kiosk.extensions import db

        with self._app().app_context():
            try:
                yield db.session
                db.session.commit()
            finally:
                db.session.remove()

    def _app(self) -> Flask:
        if self._seeder is None:
            from kiosk import create_app

            with pytest.MonkeyPatch.context() as env:
                env.setenv("KIOSK_INSTANCE_PATH", str(self.instance))
                # No print worker here: the server's own worker prints.
                self._seeder = create_app({"SQLALCHEMY_DATABASE_URI": self.database_url,
                                           "SECRET_KEY": self.env["KIOSK_SECRET_KEY"],
                                           "KIOSK_PRINT_WORKER": False})
        return self._seeder

    def close(self) -> None:
        if self._seeder is not None:
            from kiosk.extensions import db

            with self._seeder.app_context():
                db.engine.dispose()

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_until_ok(url: str, process: subprocess.Popen, what: str, read_log: Callable[[], str], deadline: float,
                  context: ssl.SSLContext | None = None) -> None:
    """Until ``url`` answers 200 (``what``: the server's name in the failure, with its log)."""
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{read_log()}")
        try:
            with urllib.request.urlopen(url, timeout=2, context=context) as response:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
            error.close()
        except OSError as error:
            last = repr(error)
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer {url} in time ({last}):\n{read_log()}")


def _wait_until_healthy(server: KioskServer, deadline: float) -> None:
    prefix = server.env.get("KIOSK_URL_PREFIX", "").rstrip("/")  # the whole kiosk under a path
    wait_until_ok(server.url + prefix + "/healthz", server.process, "the kiosk server", server.server_log, deadline)


def stop(process: subprocess.Popen) -> None:
    """Terminate (SIGTERM: a clean stop), then kill what does not stop in 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Environment this module's server gets on top of the defaults below
    (a test module overrides this fixture, e.g. to point KIOSK_PRINTER elsewhere)."""
    return {}


@pytest.fixture(scope="module")
def server(tmp_path_factory, postgres_url, server_env):
    """A migrated, empty kiosk served on a free port for this test module."""
    tmp = tmp_path_factory.mktemp("kiosk-e2e")
    instance = tmp / "instance"
    if postgres_url:
        _empty_postgres(postgres_url)
        database_url = postgres_url
    else:
        database_url = f"sqlite:///{tmp / 'kiosk.sqlite3'}"
    env = {
        **os.environ,
        "KIOSK_INSTANCE_PATH": str(instance),
        "KIOSK_DATABASE_URL": database_url,
        "KIOSK_LANGUAGE": "zh_CN",
        "KIOSK_PRINTER": "dummy:",
        "KIOSK_IDLE_MINUTES": "5",
        # Every browser test signs in from 127.0.0.1: the wrong PINs of one test must not slow the next.
        "KIOSK_SIGNIN_DELAY_SCALE": "0",
        "KIOSK_SECRET_KEY": "e2e-" + os.urandom(8).hex(),
        "PYTHONUNBUFFERED": "1",
        **server_env,
    }
    env.pop("FLASK_APP", None)
    port = free_port()
    server = KioskServer(url=f"http://127.0.0.1:{port}", database_url=database_url,
                         instance=instance, log=tmp / "server.log", env=env)
    server.cli("db", "upgrade")  # the real migrations
    with open(server.log, "wb") as log:
        server.process = subprocess.Popen(
            # What `make run` runs: waitress behind the kiosk's own command.
            [sys.executable, "-m", "flask", "--app", "app", "kiosk", "serve",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(server, time.monotonic() + START_TIMEOUT)
        yield server
    finally:
        stop(server.process)
        server.close()


@pytest.fixture(scope="module")
def printer():
    """A TCP printer on a free port (the fake that answers status like an Epson).

    A module that prints to it points its server there::

        @pytest.fixture(scope="module")
        def server_env(printer):
            return printer_env(printer.url)  # from .helpers
    """
    printer = FakePrinter()
    yield printer
    printer.close()


# --- the browser ----------------------------------------------------------

def _ensure_chromium() -> None:
    if os.access(CHROMIUM, os.X_OK):
        return
    script = REPO / "scripts" / "system-deps.sh"
    result = subprocess.run([str(script)], cwd=REPO, capture_output=True, text=True)
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing and scripts/system-deps.sh could not install it "
            f"(exit {result.returncode}): {result.stderr.strip() or result.stdout.strip()}\n"
            "Install Debian's chromium (apt-get install chromium fonts-wqy-microhei) "
            "and run the browser tests again; Playwright cannot download a browser here.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def browser():
    _ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, server):
    """A fresh browser context (no cookies) per test: 1280x800, zh-CN."""
    page = new_page(browser, server.url)
    try:
        yield page
    finally:
        page.context.close()


@pytest.fixture(params=[LANDSCAPE, PORTRAIT], ids=["1280x800", "800x1280"])
def tablet(request, browser, server):
    """The tablet held landscape, then portrait: a fresh context each (a failure still saves its screenshot)."""
    page = new_page(browser, server.url, request.param)
    try:
        yield page
    finally:
        page.context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failed test, save what the screen showed to artifacts/<test>.png."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if page is None or page.is_closed():
        return
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^\w.\-\[\]]+", "_", item.name) + ".png")
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as error:  # the page may be what failed; keep the real failure
        report.sections.append(("screenshot", f"could not save {path}: {error}"))
    else:
        report.sections.append(("screenshot", str(path)))
