"""Guessing across operators, slowed down per client address (``sign_in_throttle``).

The lock of :func:`kiosk.auth.services.check_pin` holds one operator; this
holds one address trying many: each wrong PIN or unknown badge from an
address makes its next sign-in attempts wait a little longer (the first
:data:`FREE` cost nothing, then 0.5 s doubling up to :data:`CAP`), and a
quarter of an hour without a failure starts the count again. A delay, never
a refusal: the tablets behind one router share an address, and a clerk's
right PIN always signs in, after the wait. No Flask in here: the route
passes the address and the clock, and does the waiting (:func:`pause`).
"""
from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import case, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..models import SignInThrottle, UTCDateTime

#: failures from one address that cost no wait (a clerk's typos)
FREE = 2
FIRST = 0.5  # seconds, after the first failure past FREE; doubled each time
CAP = 8.0  # seconds: a waitress thread is never held longer
#: this long without a failure from the address and its count starts again
QUIET = dt.timedelta(minutes=15)


def delay_after(failures: int) -> float:
    """How long the next attempt waits after ``failures`` failures in a row: 0, 0, 0.5, 1, 2, 4, 8, 8, …"""
    if failures <= FREE:
        return 0.0
    return min(CAP, FIRST * 2 ** (failures - FREE - 1))


def wait_for(session: Session, address: str, now: dt.datetime) -> float:
    """Seconds an attempt from ``address`` must wait now (at most :data:`CAP`)."""
    wait_until = session.scalar(select(SignInThrottle.wait_until).where(SignInThrottle.address == address))
    if wait_until is None or wait_until <= now:
        return 0.0
    return min(CAP, (wait_until - now).total_seconds())


def record_failure(session: Session, address: str, now: dt.datetime) -> SignInThrottle:
    """Count a wrong PIN or unknown badge from ``address``; the row with its new wait.

    One upsert (INSERT … ON CONFLICT DO UPDATE, on SQLite as on PostgreSQL),
    so failures sent at once are all counted; the wait is then set from the
    count in the same transaction, which holds the row. The caller commits.
    """
    table = SignInThrottle.__table__
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    quiet = or_(table.c.last_failure_at.is_(None), table.c.last_failure_at < literal(now - QUIET, UTCDateTime))
    statement = insert(table).values(address=address, failures=1, last_failure_at=now)
    session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.address],
        set_={"failures": case((quiet, 1), else_=table.c.failures + 1),
              "last_failure_at": statement.excluded.last_failure_at}))
    failures = session.scalar(select(SignInThrottle.failures).where(SignInThrottle.address == address))
    wait = delay_after(failures)
    session.execute(update(SignInThrottle).where(SignInThrottle.address == address)
                    .values(wait_until=now + dt.timedelta(seconds=wait) if wait else None)
                    .execution_options(synchronize_session=False))
    row = session.get(SignInThrottle, address)
    session.refresh(row)
    return row


def pause(seconds: float) -> None:
    """The wait itself (tests replace it, to see the wait without spending it)."""
    time.sleep(seconds)
