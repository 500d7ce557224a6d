"""Every route that checks a PIN goes through here: the per-address delay of :mod:`kiosk.auth.throttle`.

Sign-in (PIN and badge), write-off approval, stocktake close, handover
acknowledgement and one's own PIN: before the PIN is looked at the route
calls :func:`hold_back`; after a wrong PIN, :func:`failed`. So a guess
across operators costs the same wait whichever screen it is typed on.

The wait is slept in a waitress worker thread, and there are few of them.
So, **per process** (what ``kiosk serve`` runs): at most one attempt per
address sleeps at a time, and at most :data:`SLEEPERS` in all. An attempt
that finds no free place is answered at once, its PIN not checked and not
counted: "too many attempts, try again in N seconds". That only happens
while attempts from one address arrive in parallel, an attack, never to a
clerk typing at a tablet; the rest of the kiosk keeps its threads.
"""
from __future__ import annotations

import math
import threading

from flask import current_app
from flask_babel import gettext as _

from ..domain.errors import DomainError
from ..extensions import db
from ..i18n import now
from ..web import auth_log, client_address
from . import throttle
from .services import LOCKED, NOW_LOCKED, TRIES_LEFT, UNKNOWN_BADGE

#: attempts asleep at once in this process, all addresses together
SLEEPERS = 2
#: what counts towards the address's delay: a wrong PIN (also one typed for a
#: locked operator, which is a guess too) and an unknown badge
GUESSES = frozenset({TRIES_LEFT, NOW_LOCKED, LOCKED, UNKNOWN_BADGE})

_places = threading.BoundedSemaphore(SLEEPERS)
_asleep: set[str] = set()  # addresses with an attempt asleep now
_asleep_lock = threading.Lock()


def _take(address: str) -> bool:
    with _asleep_lock:
        if address in _asleep:
            return False
        if not _places.acquire(blocking=False):
            return False
        _asleep.add(address)
        return True


def _give_back(address: str) -> None:
    with _asleep_lock:
        _asleep.discard(address)
        _places.release()


def hold_back() -> int | None:
    """Make this attempt wait its turn; ``None`` to go on and check the PIN.

    A number instead: another attempt from this address (or too many from
    everywhere) is already waiting; answer at once with :func:`busy_message`
    and neither check nor count this PIN. No transaction is held while waiting.
    """
    scale = current_app.config["KIOSK_SIGNIN_DELAY_SCALE"]
    address = client_address()
    try:
        if scale <= 0 or not throttle.throttled(db.session, address, now()):
            return None
        if not _take(address):
            wait = throttle.wait_for(db.session, address, now())
            auth_log.warning("PIN attempt refused: another from the same client is waiting (client %s)",
                             address or "-")
            return max(1, math.ceil(wait * scale))
    finally:
        db.session.commit()  # no transaction, and no connection, held while waiting
    try:
        seconds = throttle.claim(db.session, address, now())
        db.session.commit()
        if seconds > 0:
            auth_log.info("PIN attempt held back %.1f s (client %s)", seconds, address or "-")
            throttle.pause(seconds * scale)
    finally:
        _give_back(address)
    return None


def failed(error: DomainError) -> None:
    """After a refused PIN: a wrong one (or an unknown badge) makes this address wait longer.

    Other refusals (no supervisor chosen, a deactivated operator…) are not
    guesses and cost nothing. The caller commits.
    """
    if error.message in GUESSES:
        throttle.record_failure(db.session, client_address(), now())


def busy_message(seconds: int, sign_in: bool = False) -> str:
    """What an attempt refused by :func:`hold_back` says (sign-in, or another PIN screen)."""
    if sign_in:
        return _("Too many sign-in attempts, please try again in %(seconds)s seconds.", seconds=seconds)
    return _("Too many PIN attempts, please try again in %(seconds)s seconds.", seconds=seconds)
