"""Users, PINs and the lockout rule. No Flask request state in here."""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import case, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from .. import badges
from ..scope import plain_session
from ..domain import pins
from ..domain.calendar import DEFAULT_ZONE, local_time
from ..domain.errors import DomainError, N_
from ..domain.roles import ROLES, in_group
from ..models import User, UTCDateTime, utcnow
from ..properties import services as properties

PIN_RE = re.compile(r"^\d{4,8}$")

@dataclass(frozen=True)
class Policy:
    attempts: int = 5
    lock_minutes: int = 5
    hash_method: str = "scrypt"
    #: The hotel's zone: a lock says when it lifts in the hotel's time.
    zone: str = DEFAULT_ZONE

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        """The room's lock rule (KIOSK_LOCKOUT_*), for every screen that checks a PIN."""
        return cls(attempts=config["KIOSK_LOCKOUT_ATTEMPTS"], lock_minutes=config["KIOSK_LOCKOUT_MINUTES"],
                   hash_method=config["KIOSK_PIN_HASH_METHOD"],
                   zone=config.get("BABEL_DEFAULT_TIMEZONE") or DEFAULT_ZONE)


def hash_pin(pin: str, method: str = "scrypt") -> str:
    return generate_password_hash(pin, method=method)


def create_user(session: Session, name: str, role: str, pin: str, *,
                badge_code: str | None = None, hash_method: str = "scrypt", check_policy: bool = True) -> User:
    """Add an operator. The PIN is stored only as a salted hash.

    The PIN goes through the policy (:mod:`kiosk.domain.pins`); only the demo
    loader passes ``check_policy=False``, for the demo hotel's published PINs.
    """
    name = (name or "").strip()
    if not name:
        raise DomainError(N_("A user needs a name."))
    if role not in ROLES:
        raise DomainError(N_("Unknown role %(role)s."), role=role)
    if check_policy:
        pins.check(pin)
    elif not PIN_RE.match(pin or ""):
        raise DomainError(pins.NOT_DIGITS)
    if session.scalar(select(User).where(User.name == name)):
        raise DomainError(N_("There is already a user called %(name)s."), name=name)
    badge = badges.check_free(session, badge_code)
    user = User(name=name, role=role, pin_hash=hash_pin(pin, hash_method), badge_hash=badge)
    session.add(user)
    session.flush()
    if not in_group(user):  # the group's own roles work at every property
        properties.add_member(session, user)  # an operator of the session's property
    return user


def lifts_at(locked_until: dt.datetime, zone: str) -> str:
    """When a lock lifts, as the hotel's clock shows it (HH:MM)."""
    return local_time(locked_until, zone).strftime("%H:%M")


def is_locked(user: User, now: dt.datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


LOCKED = N_("%(name)s is locked after too many wrong PINs, until %(until)s.")
NOW_LOCKED = N_("Wrong PIN. %(name)s is now locked until %(until)s.")
TRIES_LEFT = N_("Wrong PIN. Tries left before the lock: %(left)s.")
DEACTIVATED = N_("This user has been deactivated.")
UNKNOWN_BADGE = N_("This badge is not known. Sign in with your PIN.")
NOT_OWN_PIN = N_("%(name)s has not chosen their own PIN yet: they sign in once and choose it, then it counts here.")


def check_pin(session: Session, user: User, pin: str, policy: Policy,
              now: dt.datetime | None = None, *, client: str = "", signing_in: bool = False) -> User:
    """Return the user when the PIN is right; otherwise count the failure.

    Every screen that takes a PIN comes here (sign-in, write-off approval,
    stocktake close, handover). The attempt is claimed first, in one
    conditional UPDATE, and only a claimed attempt has its PIN hashed: of
    thirty wrong PINs sent at once, ``policy.attempts`` are checked, the claim
    that reaches that number locks the user for ``policy.lock_minutes``, the
    others are refused as locked, and while locked not even the right PIN
    opens. The right PIN resets the count.

    When the caller's transaction has written nothing yet (the PIN screens),
    the claim is committed at once, before the slow hash: the count stands
    whatever the request does next. Otherwise it is part of the caller's
    transaction (the row is locked until the caller commits, which it does
    either way). ``client``: the address the PIN came from, for the log.

    A PIN someone else chose (``must_change_pin``: a first PIN, a reset) only
    opens the sign-in and the change-PIN screen (``signing_in``): elsewhere a
    PIN stands for its owner's own word (an approval, a second person at a
    close), which whoever set it could otherwise give in their name.
    """
    now = now or utcnow()
    if not user.active:
        raise DomainError(DEACTIVATED)
    if user.must_change_pin and not signing_in:
        raise DomainError(NOT_OWN_PIN, name=user.name)
    own = _nothing_written(session)
    claimed, locked_until = _claim_attempt(session, user, policy, now)
    if own:
        session.commit()
    if claimed is None:
        log.warning("PIN refused: %s is locked until %s (client %s)", _who(user), _iso(locked_until), client or "-")
        raise DomainError(LOCKED, name=user.name, until=lifts_at(locked_until or now, policy.zone))
    if check_password_hash(user.pin_hash, pin or ""):
        session.execute(update(User).where(User.id == user.id)
                        .values(failed_attempts=0, locked_until=None, last_login_at=now)
                        .execution_options(synchronize_session=False))
        for name, value in (("failed_attempts", 0), ("locked_until", None), ("last_login_at", now)):
            set_committed_value(user, name, value)
        if own:
            session.commit()
        return user
    if locked_until is not None:
        log.warning("wrong PIN for %s (attempt %s of %s): locked until %s (client %s)",
                    _who(user), claimed, policy.attempts, _iso(locked_until), client or "-")
        raise DomainError(NOW_LOCKED, name=user.name, until=lifts_at(locked_until, policy.zone))
    log.warning("wrong PIN for %s (attempt %s of %s) (client %s)", _who(user), claimed, policy.attempts,
                client or "-")
    raise DomainError(TRIES_LEFT, left=policy.attempts - claimed)


log = logging.getLogger("kiosk.auth")


def _who(user: User) -> str:
    return f"operator {user.id} ({user.name})"


def _iso(moment: dt.datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "?"


def _claim_attempt(session: Session, user: User, policy: Policy,
                   now: dt.datetime) -> tuple[int | None, dt.datetime | None]:
    """Take one attempt of the user's allowance, atomically: its number (None when locked) and the lock.

    One UPDATE, so two requests can never take the same slot: it only lands
    while the user is not locked (a lock that has lifted starts a new count),
    and the attempt that reaches ``policy.attempts`` sets the lock at once, so
    the attempts sent with it are refused before their PIN is even hashed. A
    right PIN undoes it (:func:`check_pin`). The user's count and lock are
    read back in the same transaction.
    """
    lifted = User.locked_until.is_not(None)
    count = case((lifted, 1), else_=User.failed_attempts + 1)
    lock_at = now + dt.timedelta(minutes=policy.lock_minutes)
    result = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_attempts=count,
                locked_until=case((count >= policy.attempts, literal(lock_at, UTCDateTime)), else_=None))
        .execution_options(synchronize_session=False))
    row = session.execute(select(User.failed_attempts, User.locked_until).where(User.id == user.id)).one()
    set_committed_value(user, "failed_attempts", row.failed_attempts)
    set_committed_value(user, "locked_until", row.locked_until)
    return (row.failed_attempts if result.rowcount == 1 else None), row.locked_until


def _nothing_written(session: Session) -> bool:
    """True when committing ``session`` now would write nothing of the caller's.

    Nothing pending in the session, no savepoint open, and the database
    transaction has not written: on SQLite (pysqlite begins a transaction only
    before a write) no transaction is open; on PostgreSQL no transaction id
    has been assigned (one is only assigned by a write).
    """
    session = plain_session(session)
    if session.new or session.dirty or session.deleted or session.in_nested_transaction():
        return False
    if not session.in_transaction():
        return True
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return not connection.connection.driver_connection.in_transaction
    if connection.dialect.name == "postgresql":
        return connection.exec_driver_sql("SELECT txid_current_if_assigned()").scalar() is None
    return False


def user_by_badge(session: Session, raw_code: str, *, zone: str = DEFAULT_ZONE) -> User:
    user = badges.operator(session, raw_code)
    if user is None:
        raise DomainError(UNKNOWN_BADGE)
    if not user.active:
        raise DomainError(DEACTIVATED)
    if is_locked(user, utcnow()):
        raise DomainError(LOCKED, name=user.name, until=lifts_at(user.locked_until, zone))
    user.last_login_at = utcnow()
    return user
