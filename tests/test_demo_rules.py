"""The demo hotel keeps every rule the kiosk enforces, today and at every moment of its history.

`kiosk demo` is loaded once per run (the CLI, as a hotel's IT runs it: the
demo_data template of tests/conftest.py) and each rule is run over the whole
database: what people hold against their position's kit
(kiosk.kits.services.kit_for, the rule every give calls), replayed event by
event as the counter would have counted; the counter's spare rules; loans
behind every `loaned` garment; holders by status; stock quantities against
their ledger; and the counts the command prints against the database's.
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
from kiosk.models import Department, Employee, Event, Garment, GarmentType, User
from kiosk.stock.models import StockItem, StockMovement


@pytest.fixture
def demo(app, demo_data):
    """The demo hotel as `kiosk demo` loaded it (once per run, copied for each test), and its facts."""
    with app.app_context():
        yield _Facts(db.session, demo_data.output)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


class _Facts:
    def __init__(self, session, output: str):
        self.session = session
        self.output = output
        self.types = {t.id: t for t in session.scalars(select(GarmentType))}
        self.garments = {g.id: g for g in session.scalars(select(Garment))}
        self.employees = {e.id: e for e in session.scalars(select(Employee))}
        self.kit_of = {e.id: kits.kit_for(session, e) for e in self.employees.values()}
        self.events = list(session.scalars(select(Event).order_by(Event.created_at, Event.id)))


def test_every_position_has_its_kit_and_its_people_their_sizes(demo):
    """Every position of the roster has its 配发标准, and its people can be served by it."""
    session, facts = demo.session, demo
    assert _count(session, KitLine) > 0
    assert all(kit.from_position for kit in facts.kit_of.values()), "a demo position without a kit"
    by_position = {e.position: facts.kit_of[e.id] for e in facts.employees.values()}
    codes = {position: {facts.types[t].code for t in kit.garments} for position, kit in by_position.items()}
    assert codes["餐厅服务员"] == {"FB-VEST", "SHIRT", "APRON"}
    assert codes["行李员"] == {"FO-SUIT", "SHIRT"}
    assert codes["厨师"] == {"CHEF", "APRON"} and "SEC" in codes["保安员"] and "HK-SUIT" in codes["客房服务员"]
    assert set(by_position["餐厅服务员"].stock) == {"SHOE", "SOCK", "HAIR"}
    assert "HAIR" not in by_position["厨师"].stock
    stock = list(session.scalars(select(StockItem)))
    assert all(item.unit_cost is not None and item.unit_cost > 0 for item in stock)
    assert {item.code for item in stock if item.return_on_leaving} == {"SHOE"}
    for employee in (e for e in facts.employees.values() if e.active):
        assert employee.shoe_size and employee.sock_size, employee.name
        for code in facts.kit_of[employee.id].stock:  # their size is kept: the new-hire kit can complete
            assert kits.size_row(employee, [i for i in stock if i.code == code]) is not None, (employee.name, code)


def test_no_give_in_the_demos_history_exceeds_a_kit(demo):
    """Replayed in order, no give took anyone past their kit, nor to anyone before they joined or
    after they left; and today nobody holds more than their kit gives."""
    session, facts = demo.session, demo
    held: Counter = Counter()
    holder_of: dict[int, int] = {}
    gives = 0
    for event in facts.events:
        garment = facts.garments[event.garment_id]
        if event.from_status in kits.HELD and event.to_status not in kits.HELD:
            if (was := holder_of.pop(garment.id, None)) is not None:
                held[(was, garment.type_id)] -= 1
        if event.to_status in kits.HELD and event.from_status not in kits.HELD:
            person_id = event.employee_id
            if event.action == "loan" and not _loan_of(session, event).employee_id:
                continue  # lent to a visitor: nobody on the staff holds it
            gives += 1
            person = facts.employees[person_id]
            assert event.created_at >= person.created_at, (garment.tag, person.name, "before joining")
            assert person.active or event.created_at.date() <= person.left_on, (garment.tag, person.name)
            holder_of[garment.id] = person_id
            held[(person_id, garment.type_id)] += 1
            entitled = facts.kit_of[person_id].entitlement(facts.types[garment.type_id])
            assert held[(person_id, garment.type_id)] <= entitled, (
                event.created_at, garment.tag, event.action, person.name, person.position,
                held[(person_id, garment.type_id)], entitled)
    assert gives > 100, "the demo's history hands garments out"
    today = Counter((g.holder_id, g.type_id) for g in facts.garments.values()
                    if g.status in kits.HELD and g.holder_id is not None)
    assert +held == +today  # the replay ends where the database is
    assert today, "the demo has garments out with people"


def test_spares_went_out_as_the_counter_allows(demo):
    """A spare went only to someone with none of their own of its type in stock, in their size."""
    facts = demo
    status_of: dict[int, str] = {}
    spares = 0
    for event in facts.events:
        garment = facts.garments[event.garment_id]
        if event.action == "issue_spare":
            spares += 1
            own = [g for g in facts.garments.values()
                   if g.owner_id == event.employee_id and g.type_id == garment.type_id]
            assert not [g.tag for g in own if status_of.get(g.id) == Status.IN_STOCK.value], garment.tag
            assert not own or {g.size for g in own} == {garment.size}, garment.tag
        status_of[garment.id] = event.to_status
    assert spares and Status.SPARE_ISSUED.value in {g.status for g in facts.garments.values()}


def test_holders_match_statuses(demo):
    """Out with someone exactly when it is out; an own garment with its owner, a spare with nobody's."""
    session, facts = demo.session, demo
    open_loans = dict(session.execute(select(LoanItem.garment_id, Loan.employee_id).join(Loan).where(
        LoanItem.returned_at.is_(None), LoanItem.written_off_event_id.is_(None))).all())
    for garment in facts.garments.values():
        if garment.status == Status.ISSUED.value:
            assert garment.holder_id is not None and garment.holder_id == garment.owner_id, garment.tag
        elif garment.status == Status.SPARE_ISSUED.value:
            assert garment.owner_id is None and garment.holder_id is not None, garment.tag
        elif garment.status == Status.LOANED.value:
            assert garment.holder_id == open_loans.get(garment.id), garment.tag  # the borrower, or no one
        else:
            assert garment.holder_id is None, (garment.tag, garment.status)
        if garment.holder_id is not None:
            assert facts.employees[garment.holder_id].active, (garment.tag, "held by a leaver")


def test_every_loaned_garment_has_its_open_loan(demo):
    session, facts = demo.session, demo
    loaned = {g.id for g in facts.garments.values() if g.status == Status.LOANED.value}
    assert loaned, "the demo has garments on loan"
    open_items = session.execute(select(LoanItem.garment_id, Loan.closed_at).join(Loan).where(
        LoanItem.returned_at.is_(None), LoanItem.written_off_event_id.is_(None))).all()
    assert sorted(garment_id for garment_id, _ in open_items) == sorted(loaned)
    assert all(closed is None for _, closed in open_items)
    for loan in session.scalars(select(Loan)):
        settled = all(i.returned_at or i.written_off_event_id for i in loan.items)
        assert loan.items and (loan.closed_at is not None) == settled, loan.id
        assert loan.borrower_phone or loan.employee_id, loan.id  # every loan logged with a contact
    # Every loan event has its loan item, and every loan item its loan event.
    lent = {e.id for e in facts.events if e.action == "loan"}
    assert lent == set(session.scalars(select(LoanItem.loan_event_id)))


def test_stock_is_what_its_ledger_says(demo):
    """Never below zero; each movement's balance is the running sum; on hand is the last balance."""
    session = demo.session
    assert session.scalar(select(func.count()).select_from(StockMovement)
                          .where(StockMovement.employee_id.is_not(None))) > 0, "new hires got their kit"
    for item in session.scalars(select(StockItem)):
        assert item.quantity_on_hand >= 0, item.code
        running = 0
        for movement in session.scalars(select(StockMovement).where(StockMovement.item_id == item.id)
                                        .order_by(StockMovement.at, StockMovement.id)):
            running += movement.delta
            assert running >= 0 and movement.balance == running, (item.code, item.size, movement.id)
        assert running == item.quantity_on_hand, (item.code, item.size)


def test_the_counts_kiosk_demo_prints_are_the_databases(demo):
    session = demo.session
    printed = {key: int(value) for value, key in
               re.findall(r"(\d+) (departments|employees|garment types|garments|events|users)\b", demo.output)}
    assert printed == {
        "departments": _count(session, Department), "employees": _count(session, Employee),
        "garment types": _count(session, GarmentType), "garments": _count(session, Garment),
        "events": _count(session, Event), "users": _count(session, User)}, demo.output


def _loan_of(session, event: Event) -> Loan:
    return session.scalar(select(Loan).join(LoanItem).where(LoanItem.loan_event_id == event.id))
