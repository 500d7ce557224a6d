"""Settings read from the environment (see README, "Configuration")."""
from __future__ import annotations

import os
import secrets
import socket
import unicodedata
from pathlib import Path
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .domain.calendar import DEFAULT_ZONE
from .domain.depreciation import DEFAULT_SPEC, parse_table
from .domain.money import BadAmount, parse_amount


#: The instance folder's key files: kept beside the database, never in it.
SECRET_KEY_FILE = "secret_key"
BADGE_KEY_FILE = "badge_key"


def _instance_key(instance_path: str, file_name: str, env_name: str) -> str:
    """Return ``env_name``, or a key generated once and kept (owner-only) in instance/.

    Keeping it on disk means sessions survive a restart and badges keep
    finding their person; two processes starting at once agree on one key.
    """
    if os.environ.get(env_name):
        return os.environ[env_name]
    path = Path(instance_path) / file_name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # the other process wrote it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def _secret_key(instance_path: str) -> str:
    return _instance_key(instance_path, SECRET_KEY_FILE, "KIOSK_SECRET_KEY")


class SettingError(ValueError):
    """A KIOSK_* setting the kiosk cannot run with: the start (and every command) stops with this line."""


def _int(name: str, default: int, low: int = 0, high: int = 10**6) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise SettingError(f"{name}={raw!r} is not a whole number from {low} to {high}") from None
    return value


def _float(name: str, default: float, low: float = 0.0, high: float = 10.0**6) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or value != value or not low <= value <= high:  # NaN is no number
        raise SettingError(f"{name}={raw!r} is not a number from {low:g} to {high:g}") from None
    return value


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in _TRUE + _FALSE:
        raise SettingError(f"{name}={raw!r} is neither on nor off; write 1 or 0 (true/false, yes/no, on/off)")
    return raw in _TRUE


def _choice(name: str, default: str, choices) -> str:
    raw = os.environ.get(name, "").strip() or default
    if raw not in choices:
        raise SettingError(f"{name}={raw!r} is not one of {', '.join(map(str, choices))}")
    return raw


def _printer_url(name: str, default: str) -> str:
    from printers.errors import PrinterError
    from printers.transport import BACKENDS, parse_url

    raw = os.environ.get(name, "").strip() or default
    try:
        parts = parse_url(raw)
        if parts.scheme == "tcp" and (not parts.hostname or parts.port is None):
            raise ValueError
    except (PrinterError, ValueError):
        raise SettingError(f"{name}={raw!r} is not a printer address; write one like tcp://192.168.1.50:9100 "
                           f"({', '.join(f'{scheme}:' for scheme in BACKENDS)})") from None
    return raw


def _existing_file(name: str) -> str:
    raw = os.environ.get(name, "").strip()
    if raw and not Path(raw).is_file():
        raise SettingError(f"{name}={raw!r}: no such file")
    return raw


def _writable_file(name: str) -> str:
    """A file the kiosk appends to (a log): its folder must exist."""
    raw = os.environ.get(name, "").strip()
    if raw and not Path(raw).parent.is_dir():
        raise SettingError(f"{name}={raw!r}: the folder {Path(raw).parent} does not exist")
    return raw


def _depreciation(name: str):
    raw = os.environ.get(name, "").strip() or DEFAULT_SPEC
    try:
        return parse_table(raw)
    except ValueError as bad:
        raise SettingError(f"{name}={raw!r}: {bad}") from None


def _database_url(name: str, default: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    raw = os.environ.get(name, "").strip() or default
    try:
        backend = make_url(normalise_database_url(raw)).get_backend_name()
    except ArgumentError:
        backend = None
    if backend not in ("sqlite", "postgresql"):
        raise SettingError(f"{name}={raw!r} is not a database address; write sqlite:///path/kiosk.sqlite3 "
                           "or postgresql://user@host/dbname")
    return normalise_database_url(raw)


def _money(name: str, default: str) -> Decimal:
    raw = os.environ.get(name, "").strip() or default
    try:
        return parse_amount(raw)
    except BadAmount as bad:  # before Babel: the start stops with the English line
        raise SettingError(f"{name}={raw!r}: {bad}") from None


def _zone(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip() or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):  # else every page that shows a date would fail
        raise SettingError(f"{name}={raw!r} is not a time zone; write one like Asia/Shanghai") from None
    return raw


def _server_name(name: str) -> str:
    raw = os.environ.get(name, "").strip()
    if len(raw) > 255 or any(unicodedata.category(c).startswith("C") for c in raw):
        raise SettingError(f"{name}={raw!r} is not a server name; write one like laundry-pc")
    return raw or socket.gethostname()


def url_prefix(raw: str, name: str = "KIOSK_URL_PREFIX") -> str:
    """``/kiosk`` from ``kiosk``, ``/kiosk/`` or ``/kiosk``; empty: served at the root.

    Only letters, digits and ``- _ . ~`` in each part: the prefix goes into every URL and the
    cookie's path as it is written.
    """
    value = raw.strip().strip("/")
    if not value:
        return ""
    parts = value.split("/")
    if any(not part or part in (".", "..") or not all(c.isascii() and (c.isalnum() or c in "-_.~") for c in part)
           for part in parts):
        raise SettingError(f"{name}={raw!r} is not a path; write one like /kiosk") from None
    return "/" + "/".join(parts)


def from_environment(instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from KIOSK_* environment variables."""
    default_db = "sqlite:///" + str(Path(instance_path) / "kiosk.sqlite3")
    language = _choice("KIOSK_LANGUAGE", "zh_CN", LANGUAGES)
    # The alert thread follows the print worker's setting unless set on its own.
    alert_worker = {"KIOSK_ALERT_WORKER": _bool("KIOSK_ALERT_WORKER", True)} \
        if os.environ.get("KIOSK_ALERT_WORKER", "").strip() else {}
    return {
        **alert_worker,
        "SECRET_KEY": _secret_key(instance_path),
        # Badges are stored as a keyed hash (kiosk.badges): a copy of the database
        # alone hands out no working badge code. Back it up with the database.
        "KIOSK_BADGE_KEY": _instance_key(instance_path, BADGE_KEY_FILE, "KIOSK_BADGE_KEY"),
        "SQLALCHEMY_DATABASE_URI": _database_url("KIOSK_DATABASE_URL", default_db),
        "BABEL_DEFAULT_LOCALE": language,
        "BABEL_DEFAULT_TIMEZONE": _zone("KIOSK_TIMEZONE", DEFAULT_ZONE),
        # The app's clock (kiosk.i18n.now): None is the real time; a test sets a callable
        # returning an aware UTC datetime to stand at 01:30 on the 1st, say.
        "KIOSK_CLOCK": None,
        "KIOSK_PRINTER": _printer_url("KIOSK_PRINTER", "dummy:"),
        "KIOSK_PAPER_MM": int(_choice("KIOSK_PAPER_MM", "80", ("58", "80"))),
        # The printer has its own GB18030 font and QR command: send text and QR
        # natively instead of one raster image (names outside GB2312 still go as raster).
        "KIOSK_PRINTER_NATIVE": _bool("KIOSK_PRINTER_NATIVE", False),
        # A CJK font file for slips and tags; empty: Noto Sans CJK SC, then WenQuanYi Micro Hei.
        "KIOSK_FONT": _existing_file("KIOSK_FONT"),
        # Seconds a print may take to connect and send before its job is failed.
        "KIOSK_PRINT_TIMEOUT": _float("KIOSK_PRINT_TIMEOUT", 3.0, 0.1, 600),
        # The background thread that sends queued jobs (tests turn it off and
        # call kiosk.printing.process_queue themselves).
        "KIOSK_PRINT_WORKER": _bool("KIOSK_PRINT_WORKER", True),
        "KIOSK_PRINT_POLL_SECONDS": _float("KIOSK_PRINT_POLL_SECONDS", 3.0, 0.1, 3600),
        # This server's name, as a printer that only it drives names it (the "host" of a USB,
        # serial or file printer); empty: the machine's host name.
        "KIOSK_SERVER_NAME": _server_name("KIOSK_SERVER_NAME"),
        "KIOSK_IDLE_MINUTES": _int("KIOSK_IDLE_MINUTES", 5, 1, 24 * 60),
        # The longest a sign-in lasts, however busy (a shift): then the operator signs in again.
        "KIOSK_SESSION_HOURS": _float("KIOSK_SESSION_HOURS", 12.0, 0.25, 24 * 7),
        "KIOSK_DUPLICATE_SECONDS": _int("KIOSK_DUPLICATE_SECONDS", 10, 0, 3600),
        "KIOSK_TAILOR_DAYS": _int("KIOSK_TAILOR_DAYS", 3, 1, 365),
        # An overdue loan goes on the supervisors' list after this many failed
        # contact attempts, or this many days overdue.
        "KIOSK_LOAN_ESCALATE_ATTEMPTS": _int("KIOSK_LOAN_ESCALATE_ATTEMPTS", 3, 1, 100),
        "KIOSK_LOAN_ESCALATE_DAYS": _int("KIOSK_LOAN_ESCALATE_DAYS", 3, 0, 365),
        # A visitor's phone and signature are erased this many days after the loan closed.
        "KIOSK_BORROWER_RETENTION_DAYS": _int("KIOSK_BORROWER_RETENTION_DAYS", 90, 1, 3650),
        # Write-offs: depreciation tiers "months:percent,..." (see README) and the fee
        # for a uniform handed back unwashed (CNY, default 0).
        "KIOSK_DEPRECIATION": _depreciation("KIOSK_DEPRECIATION"),
        "KIOSK_UNWASHED_FEE": _money("KIOSK_UNWASHED_FEE", "0"),
        "KIOSK_LOCKOUT_ATTEMPTS": 5,
        "KIOSK_LOCKOUT_MINUTES": 5,
        "KIOSK_PIN_HASH_METHOD": "scrypt",
        # Sign-in attempts from an address with recent failures wait (kiosk.auth.throttle);
        # the wait is multiplied by this (tests set 0: they check the wait, not the clock).
        "KIOSK_SIGNIN_DELAY_SCALE": _float("KIOSK_SIGNIN_DELAY_SCALE", 1.0, 0, 100),
        # How many reverse proxies in front of the kiosk may name the client (X-Forwarded-For);
        # 0: the direct peer is the client.
        "KIOSK_TRUSTED_PROXIES": _int("KIOSK_TRUSTED_PROXIES", 0, 0, 10),
        # The path the kiosk is served under behind a proxy (https://hotel.example/kiosk/); empty: the root.
        "KIOSK_URL_PREFIX": url_prefix(os.environ.get("KIOSK_URL_PREFIX", "")),
        # /healthz answers 503 when the database's disk has less free space than this (MB).
        "KIOSK_MIN_FREE_MB": _int("KIOSK_MIN_FREE_MB", 50, 0, 10**7),
        # Alerts (kiosk.alerts.worker): how often the worker looks for alerts due, and for new
        # events to alert on; how long a robot may take to answer.
        "KIOSK_ALERT_POLL_SECONDS": _float("KIOSK_ALERT_POLL_SECONDS", 10.0, 1, 3600),
        "KIOSK_ALERT_SCAN_SECONDS": _float("KIOSK_ALERT_SCAN_SECONDS", 60.0, 5, 86400),
        "KIOSK_ALERT_TIMEOUT": _float("KIOSK_ALERT_TIMEOUT", 5.0, 0.5, 120),
        # Logs (kiosk.logs): stderr unless a file; one line per record, or JSON for a collector.
        "KIOSK_LOG_FILE": _writable_file("KIOSK_LOG_FILE"),
        "KIOSK_LOG_FORMAT": _choice("KIOSK_LOG_FORMAT", "text", ("text", "json")),
        "WTF_CSRF_TIME_LIMIT": None,  # the session's idle lock bounds a token's life
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        # Behind HTTPS (a reverse proxy with a certificate): the session cookie,
        # which also carries the CSRF token, is only ever sent over HTTPS.
        "SESSION_COOKIE_SECURE": _bool("KIOSK_SECURE_COOKIES", False),
        # Any request's body: room for the largest import file (10 MB, kiosk.imports) and its form.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    }


def normalise_database_url(url: str) -> str:
    """Let integrators write ``postgresql://`` and still get the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


LANGUAGES = {"zh_CN": "中文", "en": "English"}
