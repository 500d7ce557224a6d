"""Guessing across operators, slowed down per client address (``sign_in_throttle``).

The lock of :func:`kiosk.auth.services.check_pin` holds one operator; this
holds one address trying many: each wrong PIN or unknown badge from an
address makes its next sign-in attempts wait a little longer (the first
:data:`FREE` cost nothing, then 0.5 s doubling up to :data:`CAP`), and a
quarter of an hour without a failure starts the count again. A delay, never
a refusal: the tablets behind one router share an address, and a clerk's
right PIN always signs in, after the wait.

Once an address has earned a wait, each attempt *claims* its turn
(:func:`claim`): one compare-and-set ``UPDATE`` moves ``wait_until`` on by
the current delay, so attempts sent at once get one turn after another, not
all the same one, and the delay caps the rate. No Flask in here: the routes
go through :mod:`kiosk.auth.guard`, which passes the address and the clock
and does the waiting (:func:`pause`).
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


def throttled(session: Session, address: str, now: dt.datetime) -> bool:
    """Whether attempts from ``address`` now wait their turn (past :data:`FREE` failures, not quiet)."""
    row = session.execute(select(SignInThrottle.failures, SignInThrottle.last_failure_at)
                          .where(SignInThrottle.address == address)).first()
    return row is not None and row.failures > FREE and row.last_failure_at is not None \
        and row.last_failure_at >= now - QUIET


def claim(session: Session, address: str, now: dt.datetime, tries: int = 50) -> float:
    """Take the next turn of ``address``: the seconds this attempt waits (at most :data:`CAP`).

    The turn starts at ``wait_until`` (or now, if that is past; never later
    than :data:`CAP` from now) and moves ``wait_until`` on by the delay the
    address has earned, in one ``UPDATE … WHERE wait_until = <the value
    read>``: of two attempts that read the same value one wins, the other
    reads again and takes the turn after it. Nothing to claim (0) for an
    address with no wait. The caller commits.
    """
    column = SignInThrottle.wait_until
    for _ in range(tries):
        row = session.execute(select(SignInThrottle.failures, SignInThrottle.last_failure_at, column)
                              .where(SignInThrottle.address == address)).first()
        if row is None or row.failures <= FREE or row.last_failure_at is None or row.last_failure_at < now - QUIET:
            return 0.0
        start = min(max(row.wait_until or now, now), now + dt.timedelta(seconds=CAP))
        taken = session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.address == address,
                   column.is_(None) if row.wait_until is None else column == row.wait_until)
            .values(wait_until=start + dt.timedelta(seconds=delay_after(row.failures)))
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            return (start - now).total_seconds()
    return CAP  # never won the race in ``tries`` reads: the longest wait, still never a refusal


def record_failure(session: Session, address: str, now: dt.datetime) -> SignInThrottle:
    """Count a wrong PIN or unknown badge from ``address``; the row with its new wait.

    One upsert (INSERT … ON CONFLICT DO UPDATE, on SQLite as on PostgreSQL),
    so failures sent at once are all counted; the wait is then set from the
    count in the same transaction, which holds the row (never earlier than a
    turn another attempt has already claimed). The caller commits.
    """
    table = SignInThrottle.__table__
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    quiet = or_(table.c.last_failure_at.is_(None), table.c.last_failure_at < literal(now - QUIET, UTCDateTime))
    statement = insert(table).values(address=address, failures=1, last_failure_at=now)
    session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.address],
        set_={"failures": case((quiet, 1), else_=table.c.failures + 1),
              "last_failure_at": statement.excluded.last_failure_at}))
    failures, claimed = session.execute(select(SignInThrottle.failures, SignInThrottle.wait_until)
                                        .where(SignInThrottle.address == address)).one()
    wait = delay_after(failures)
    wait_until = now + dt.timedelta(seconds=wait) if wait else None
    if wait_until is not None and claimed is not None and claimed > wait_until:
        wait_until = claimed
    session.execute(update(SignInThrottle).where(SignInThrottle.address == address)
                    .values(wait_until=wait_until)
                    .execution_options(synchronize_session=False))
    row = session.get(SignInThrottle, address)
    session.refresh(row)
    return row


def pause(seconds: float) -> None:
    """The wait itself (tests replace it, to see the wait without spending it)."""
    time.sleep(seconds)
