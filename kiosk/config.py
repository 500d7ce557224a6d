"""Settings read from the environment (see README, "Configuration")."""
from __future__ import annotations

import os
import secrets
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


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    return default if not raw else raw not in ("0", "false", "no", "off")


def _money(name: str, default: str) -> Decimal:
    raw = os.environ.get(name, "").strip() or default
    try:
        return parse_amount(raw)
    except BadAmount as bad:  # before Babel: the start stops with the English line
        raise ValueError(f"{name}={raw!r}: {bad}") from None


def _zone(name: str, default: str) -> str:
    raw = os.environ.get(name, "").strip() or default
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):  # else every page that shows a date would fail
        raise ValueError(f"{name}={raw!r} is not a time zone; write one like Asia/Shanghai") from None
    return raw


def from_environment(instance_path: str) -> dict[str, Any]:
    """Build the Flask config mapping from KIOSK_* environment variables."""
    default_db = "sqlite:///" + str(Path(instance_path) / "kiosk.sqlite3")
    language = os.environ.get("KIOSK_LANGUAGE", "zh_CN")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        # Badges are stored as a keyed hash (kiosk.badges): a copy of the database
        # alone hands out no working badge code. Back it up with the database.
        "KIOSK_BADGE_KEY": _instance_key(instance_path, BADGE_KEY_FILE, "KIOSK_BADGE_KEY"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("KIOSK_DATABASE_URL", default_db)
        ),
        "BABEL_DEFAULT_LOCALE": language,
        "BABEL_DEFAULT_TIMEZONE": _zone("KIOSK_TIMEZONE", DEFAULT_ZONE),
        # The app's clock (kiosk.i18n.now): None is the real time; a test sets a callable
        # returning an aware UTC datetime to stand at 01:30 on the 1st, say.
        "KIOSK_CLOCK": None,
        "KIOSK_PRINTER": os.environ.get("KIOSK_PRINTER", "dummy:"),
        "KIOSK_PAPER_MM": _int("KIOSK_PAPER_MM", 80),
        # The printer has its own GB18030 font and QR command: send text and QR
        # natively instead of one raster image (names outside GB2312 still go as raster).
        "KIOSK_PRINTER_NATIVE": _bool("KIOSK_PRINTER_NATIVE", False),
        # A CJK font file for slips and tags; empty: Noto Sans CJK SC, then WenQuanYi Micro Hei.
        "KIOSK_FONT": os.environ.get("KIOSK_FONT", "").strip(),
        # Seconds a print may take to connect and send before its job is failed.
        "KIOSK_PRINT_TIMEOUT": _float("KIOSK_PRINT_TIMEOUT", 3.0),
        # The background thread that sends queued jobs (tests turn it off and
        # call kiosk.printing.process_queue themselves).
        "KIOSK_PRINT_WORKER": _bool("KIOSK_PRINT_WORKER", True),
        "KIOSK_PRINT_POLL_SECONDS": _float("KIOSK_PRINT_POLL_SECONDS", 3.0),
        "KIOSK_IDLE_MINUTES": _int("KIOSK_IDLE_MINUTES", 5),
        # The longest a sign-in lasts, however busy (a shift): then the operator signs in again.
        "KIOSK_SESSION_HOURS": _float("KIOSK_SESSION_HOURS", 12.0),
        "KIOSK_DUPLICATE_SECONDS": _int("KIOSK_DUPLICATE_SECONDS", 10),
        "KIOSK_TAILOR_DAYS": _int("KIOSK_TAILOR_DAYS", 3),
        # An overdue loan goes on the supervisors' list after this many failed
        # contact attempts, or this many days overdue.
        "KIOSK_LOAN_ESCALATE_ATTEMPTS": _int("KIOSK_LOAN_ESCALATE_ATTEMPTS", 3),
        "KIOSK_LOAN_ESCALATE_DAYS": _int("KIOSK_LOAN_ESCALATE_DAYS", 3),
        # A visitor's phone and signature are erased this many days after the loan closed.
        "KIOSK_BORROWER_RETENTION_DAYS": _int("KIOSK_BORROWER_RETENTION_DAYS", 90),
        # Write-offs: depreciation tiers "months:percent,..." (see README) and the fee
        # for a uniform handed back unwashed (CNY, default 0).
        "KIOSK_DEPRECIATION": parse_table(os.environ.get("KIOSK_DEPRECIATION", "").strip() or DEFAULT_SPEC),
        "KIOSK_UNWASHED_FEE": _money("KIOSK_UNWASHED_FEE", "0"),
        "KIOSK_LOCKOUT_ATTEMPTS": 5,
        "KIOSK_LOCKOUT_MINUTES": 5,
        "KIOSK_PIN_HASH_METHOD": "scrypt",
        # Sign-in attempts from an address with recent failures wait (kiosk.auth.throttle);
        # the wait is multiplied by this (tests set 0: they check the wait, not the clock).
        "KIOSK_SIGNIN_DELAY_SCALE": _float("KIOSK_SIGNIN_DELAY_SCALE", 1.0),
        # How many reverse proxies in front of the kiosk may name the client (X-Forwarded-For);
        # 0: the direct peer is the client.
        "KIOSK_TRUSTED_PROXIES": _int("KIOSK_TRUSTED_PROXIES", 0),
        # /healthz answers 503 when the database's disk has less free space than this (MB).
        "KIOSK_MIN_FREE_MB": _int("KIOSK_MIN_FREE_MB", 50),
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
