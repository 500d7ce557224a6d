"""Users, PINs and the lockout rule. No Flask request state in here."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .. import badges
from ..domain import pins
from ..domain.errors import DomainError, N_
from ..domain.roles import ROLES
from ..models import User, utcnow

PIN_RE = re.compile(r"^\d{4,8}$")

@dataclass(frozen=True)
class Policy:
    attempts: int = 5
    lock_minutes: int = 5
    hash_method: str = "scrypt"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        """The room's lock rule (KIOSK_LOCKOUT_*), for every screen that checks a PIN."""
        return cls(attempts=config["KIOSK_LOCKOUT_ATTEMPTS"], lock_minutes=config["KIOSK_LOCKOUT_MINUTES"],
                   hash_method=config["KIOSK_PIN_HASH_METHOD"])


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
    return user


def minutes_left(user: User, now: dt.datetime) -> int:
    remaining = (user.locked_until - now).total_seconds()
    return max(1, int(-(-remaining // 60)))


def is_locked(user: User, now: dt.datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def check_pin(session: Session, user: User, pin: str, policy: Policy,
              now: dt.datetime | None = None) -> User:
    """Return the user when the PIN is right; otherwise count the failure.

    After ``policy.attempts`` wrong PINs in a row the user is locked for
    ``policy.lock_minutes``; while locked not even the right PIN opens.
    The caller commits either way, so a failure is counted even though the
    sign-in is refused.
    """
    now = now or utcnow()
    if not user.active:
        raise DomainError(N_("This user has been deactivated."))
    if is_locked(user, now):
        raise DomainError(N_("%(name)s is locked after too many wrong PINs. Try again in %(minutes)s min."),
                          name=user.name, minutes=minutes_left(user, now))
    if check_password_hash(user.pin_hash, pin or ""):
        user.failed_attempts = 0
        user.locked_until = None
        user.last_login_at = now
        return user
    user.failed_attempts += 1
    if user.failed_attempts >= policy.attempts:
        user.failed_attempts = 0
        user.locked_until = now + dt.timedelta(minutes=policy.lock_minutes)
        raise DomainError(N_("Wrong PIN. %(name)s is now locked for %(minutes)s min."),
                          name=user.name, minutes=policy.lock_minutes)
    raise DomainError(N_("Wrong PIN. Tries left before the lock: %(left)s."),
                      left=policy.attempts - user.failed_attempts)


def user_by_badge(session: Session, raw_code: str) -> User:
    user = badges.operator(session, raw_code)
    if user is None:
        raise DomainError(N_("This badge is not known. Sign in with your PIN."))
    if not user.active:
        raise DomainError(N_("This user has been deactivated."))
    if is_locked(user, utcnow()):
        raise DomainError(N_("%(name)s is locked after too many wrong PINs. Try again in %(minutes)s min."),
                          name=user.name, minutes=minutes_left(user, utcnow()))
    user.last_login_at = utcnow()
    return user
