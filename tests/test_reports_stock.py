"""The stock at a month's start and end (kiosk.reports.stock): read from the events once, stored once
the instant is settled, read back after; what is stored is what the events say."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select, update

from kiosk.auth.services import Policy
from kiosk.extensions import db
from kiosk.models import Garment, User
from kiosk.reports import services, stock
from kiosk.reports.models import StockSnapshot, StockSnapshotLine
from kiosk.stocktake import services as stocktakes
from tests.conftest import FAST_HASH
from tests.test_reports import LAST_BEFORE, MONTH, _money, _report, _sql, at, month  # noqa: F401 (fixture)

ZONE = "Asia/Shanghai"


def _stored() -> dict[dt.datetime, dict[tuple[int, str], tuple[int, str]]]:
    lines = db.session.execute(select(StockSnapshot.taken_at, StockSnapshotLine.type_id, StockSnapshotLine.size,
                                      StockSnapshotLine.count, StockSnapshotLine.value)
                               .join(StockSnapshotLine, StockSnapshotLine.snapshot_id == StockSnapshot.id)).all()
    out: dict = defaultdict(dict)
    for taken_at, type_id, size, count, value in lines:
        out[taken_at][(type_id, size)] = (count, _money(value))
    for taken_at in db.session.scalars(select(StockSnapshot.taken_at)):
        out.setdefault(taken_at, {})
    return dict(out)


def _from_the_events(t: dt.datetime) -> dict[tuple[int, str], tuple[int, str]]:
    """Per type and size, the garments whose last event before ``t`` leaves them in circulation
    (plain SQL over ``events``), with the cost on that event."""
    garments = {gid: (type_id, size) for gid, type_id, size in db.session.execute(
        select(Garment.id, Garment.type_id, Garment.size))}
    out: dict = defaultdict(lambda: [0, Decimal(0)])
    for garment_id, status, cost in _sql(LAST_BEFORE, t=t):
        if status not in ("written_off", "missing"):
            line = out[garments[garment_id]]
            line[0] += 1
            line[1] += Decimal(str(cost))
    return {key: (count, _money(value)) for key, (count, value) in out.items()}


def test_a_closed_month_stores_its_stock_once_and_it_is_what_the_events_say(month):
    first = _report()
    start, end = services.month_bounds(MONTH, ZONE)
    stored = _stored()
    assert set(stored) == {start, end}
    assert stored[start] == _from_the_events(start) and stored[end] == _from_the_events(end)
    assert _report() == first  # read back from the snapshots: the same report
    assert _stored() == stored  # taken once
    # The opening of the next month is the closing of this one: the same snapshot.
    services.loss_report(db.session, "2026-04", zone=ZONE)
    db.session.commit()
    assert _stored()[end] == stored[end] and len(_stored()) == 3


def test_a_stored_month_is_read_from_its_snapshot_not_recounted(month):
    before = _report()
    start, _end = services.month_bounds(MONTH, ZONE)
    snapshot_id = db.session.scalar(select(StockSnapshot.id).where(StockSnapshot.taken_at == start))
    # Tampered with, the stored figures show: the report reads them instead of the events.
    db.session.execute(update(StockSnapshotLine).where(StockSnapshotLine.snapshot_id == snapshot_id)
                       .values(count=StockSnapshotLine.count + 1))
    db.session.commit()
    lines = db.session.scalar(select(db.func.count()).select_from(StockSnapshotLine)
                              .where(StockSnapshotLine.snapshot_id == snapshot_id))
    assert _report()["opening"]["count"] == before["opening"]["count"] + lines


def test_an_instant_is_stored_only_once_settled(month):
    start, end = services.month_bounds(MONTH, ZONE)
    _report(now=at(3, 20, 12))  # the month is running: its end is to come
    assert set(_stored()) == {start}
    # Just after the end, an event stamped a moment before it may still be committing.
    _report(now=end + stock.SETTLE / 2)
    assert set(_stored()) == {start}
    _report(now=end + stock.SETTLE)
    assert set(_stored()) == {start, end}


def test_a_close_cut_short_before_the_months_end_holds_the_snapshot_until_it_is_finished(month, make):
    """A close marks its garments missing at the time it was claimed, in steps that may finish
    later (after a crash, at the next start): until then the month's end is not settled."""
    boss = db.session.scalar(select(User).where(User.role == "supervisor"))
    counter = make.user("盘点员", role="clerk")
    count = stocktakes.open_stocktake(db.session, MONTH, user=boss, now=at(3, 30))
    db.session.commit()
    claimed = stocktakes.close(db.session, count.id, supervisor=boss, supervisor_pin="2580", counter=counter,
                               counter_pin="2580", policy=Policy(hash_method=FAST_HASH), now=at(3, 31, 22))
    db.session.commit()
    start, end = services.month_bounds(MONTH, ZONE)
    while_closing = _report()
    assert set(_stored()) == {start}
    stocktakes.finish_closing(db.session, claimed)
    after = _report()
    assert after["missing"]["count"] > while_closing["missing"]["count"]  # marked on 31 March
    assert after["closing"]["count"] < while_closing["closing"]["count"]
    assert _stored()[end] == _from_the_events(end)
