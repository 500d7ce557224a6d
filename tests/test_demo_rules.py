"""The demo hotel keeps every rule the kiosk enforces.

`kiosk demo` is loaded once (the CLI, as a hotel's IT runs it) and each rule
is run over the whole database: what people hold against their position's
kit (kiosk.kits.services.kit_for, the rule every give calls), loans behind
every `loaned` garment, holders by status, stock quantities against their
ledger, and the counts the command prints against the database's.
"""
from __future__ import annotations

import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from kiosk.domain.garment_states import Status
from kiosk.extensions import db
from kiosk.kits import services as kits
from kiosk.kits.models import KitLine
from kiosk.loans.models import Loan, LoanItem
from kiosk.models import Employee, Event, Garment, GarmentType
from kiosk.stock.models import StockItem, StockMovement


@pytest.fixture
def demo(app, runner):
    result = runner.invoke(args=["kiosk", "demo"])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def test_the_demo_keeps_the_rules_the_kiosk_enforces(app, demo):
    with app.app_context():
        session = db.session
        types = {t.id: t for t in session.scalars(select(GarmentType))}
        garments = list(session.scalars(select(Garment)))

        # Positions have kits, and the demo's people are served by them.
        assert session.scalar(select(func.count()).select_from(KitLine)) > 0
        employees = list(session.scalars(select(Employee)))
        kit_of = {e.id: kits.kit_for(session, e) for e in employees}
        assert all(kit.from_position for kit in kit_of.values())
        server = next(e for e in employees if e.position == "服务员")
        assert {types[t].code for t in kit_of[server.id].garments} == {"FB-VEST", "SHIRT", "APRON"}
        assert set(kit_of[server.id].stock) >= {"SHOE", "SOCK"}
        assert all(e.shoe_size for e in employees if e.active)

        # No one holds more of a type than their kit gives, nor a type outside it.
        held = Counter((g.holder_id, g.type_id) for g in garments
                       if g.status in kits.HELD and g.holder_id is not None)  # a visitor's loan: nobody's
        assert held, "the demo has garments out with people"
        for (holder_id, type_id), count in held.items():
            entitled = kit_of[holder_id].entitlement(types[type_id])
            assert count <= entitled, (holder_id, types[type_id].code, count, entitled)

        # Who holds it, by status: out with someone exactly when it is out.
        for garment in garments:
            if garment.status in (Status.ISSUED.value, Status.SPARE_ISSUED.value):
                assert garment.holder_id is not None, garment.tag
            elif garment.status != Status.LOANED.value:
                assert garment.holder_id is None, (garment.tag, garment.status)
            if garment.status == Status.ISSUED.value:
                assert garment.holder_id == garment.owner_id, garment.tag
            if garment.status == Status.SPARE_ISSUED.value:
                assert garment.owner_id is None, garment.tag
        assert not [e for e in employees if not e.active
                    and any(g.holder_id == e.id and g.status in kits.HELD for g in garments)]

        # Every loaned garment has its open loan, and every open loan item is a loaned garment.
        loaned = {g.id for g in garments if g.status == Status.LOANED.value}
        assert loaned, "the demo has garments on loan"
        open_items = session.execute(select(LoanItem.garment_id, Loan.closed_at).join(Loan)
                                     .where(LoanItem.returned_at.is_(None),
                                            LoanItem.written_off_event_id.is_(None))).all()
        assert {garment_id for garment_id, _ in open_items} == loaned
        assert all(closed is None for _, closed in open_items)
        # A loan's items all came back: the loan is closed.
        for loan in session.scalars(select(Loan)):
            settled = all(i.returned_at or i.written_off_event_id for i in loan.items)
            assert loan.items and (loan.closed_at is not None) == settled, loan.id

        # Stock: never below zero, and each quantity is what its ledger says.
        for item in session.scalars(select(StockItem)):
            assert item.quantity_on_hand >= 0
            total = session.scalar(select(func.sum(StockMovement.delta)).where(StockMovement.item_id == item.id))
            assert (total or 0) == item.quantity_on_hand, item.code

        # What the command printed is what is in the database.
        printed = {key: int(value) for value, key in re.findall(r"(\d+) (events|garments|employees)\b", demo)}
        assert printed == {"events": session.scalar(select(func.count()).select_from(Event)),
                           "garments": len(garments), "employees": len(employees)}, demo
