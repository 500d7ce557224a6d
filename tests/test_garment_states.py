"""The garment state machine: every (status, action) pair, walked on real garments."""
import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from kiosk.domain.garment_states import (
    ACTION_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
    Action,
    Status,
    TransitionRefused,
    next_status,
)
from kiosk.extensions import db
from kiosk.ledger import move
from kiosk.models import Event, Garment

PAIRS = [(status, action) for status in Status for action in Action]

# What a uniform room expects, written out by hand so the table cannot drift unseen.
EXPECTED = {
    (Status.IN_STOCK, Action.ISSUE): Status.ISSUED,
    (Status.IN_STOCK, Action.ISSUE_SPARE): Status.SPARE_ISSUED,
    (Status.IN_STOCK, Action.LOAN): Status.LOANED,
    (Status.ISSUED, Action.CHECK_IN): Status.DIRTY,
    (Status.SPARE_ISSUED, Action.CHECK_IN): Status.DIRTY,
    (Status.LOANED, Action.CHECK_IN): Status.DIRTY,
    (Status.DIRTY, Action.WASH): Status.IRONING,
    (Status.DIRTY, Action.IRON): Status.INSPECTION,
    (Status.IRONING, Action.IRON): Status.INSPECTION,
    (Status.INSPECTION, Action.PASS): Status.IN_STOCK,
    (Status.INSPECTION, Action.REWASH): Status.DIRTY,
    (Status.INSPECTION, Action.REIRON): Status.IRONING,
    (Status.INSPECTION, Action.TO_TAILOR): Status.AT_TAILOR,
    (Status.IN_STOCK, Action.TO_TAILOR): Status.AT_TAILOR,
    (Status.AT_TAILOR, Action.FROM_TAILOR): Status.INSPECTION,
    (Status.MISSING, Action.FOUND): Status.INSPECTION,
    **{(s, Action.MARK_MISSING): Status.MISSING
       for s in (Status.IN_STOCK, Status.DIRTY, Status.IRONING, Status.INSPECTION, Status.AT_TAILOR)},
    **{(s, Action.WRITE_OFF): Status.WRITTEN_OFF for s in Status if s is not Status.WRITTEN_OFF},
    # 调拨: only a clean garment in its slot travels; received, or called back, it is in stock again.
    (Status.IN_STOCK, Action.TRANSFER_OUT): Status.IN_TRANSIT,
    (Status.IN_TRANSIT, Action.TRANSFER_IN): Status.IN_STOCK,
    (Status.IN_TRANSIT, Action.TRANSFER_CANCEL): Status.IN_STOCK,
}


def test_every_status_and_action_has_a_label():
    assert set(STATUS_LABELS) == set(Status)
    assert set(ACTION_LABELS) == set(Action) == set(TRANSITIONS)


def test_status_codes_are_the_stable_ones_of_the_design():
    assert [s.value for s in Status] == [
        "in_stock", "issued", "spare_issued", "loaned", "dirty", "ironing",
        "inspection", "at_tailor", "missing", "written_off", "in_transit",
    ]


@pytest.mark.parametrize("status,action", PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_transition_table_matches_the_rooms_rules(status, action):
    if (status, action) in EXPECTED:
        assert next_status(status, action) is EXPECTED[(status, action)]
    else:
        with pytest.raises(TransitionRefused):
            next_status(status, action)


def test_every_pair_on_a_real_garment_lands_or_changes_nothing(app, make):
    """Allowed moves land where they should with one event; refused ones leave no trace."""
    owner = make.employee()
    gtype = make.garment_type()
    for status, action in PAIRS:
        if action is Action.TRANSFER_IN:
            continue  # the garment changes property: tests/test_transfers.py, through ledger.receive_transfer
        garment = make.garment(garment_type=gtype, owner=owner, status=status.value)
        db.session.commit()
        events_before = db.session.scalar(select(func.count()).select_from(Event))
        if (status, action) in EXPECTED:
            event = move(db.session, garment, action, user=None, station="test")
            db.session.commit()
            assert garment.status == EXPECTED[(status, action)].value
            assert (event.from_status, event.to_status) == (status.value, garment.status)
            assert db.session.scalar(select(func.count()).select_from(Event)) == events_before + 1
        else:
            with pytest.raises(TransitionRefused) as refused:
                move(db.session, garment, action, user=None, station="test")
            db.session.rollback()
            assert db.session.get(Garment, garment.id).status == status.value
            assert db.session.scalar(select(func.count()).select_from(Event)) == events_before
            assert refused.value.message  # a reason, not a bare refusal


def test_refusal_reason_is_translated_into_chinese(app):
    with pytest.raises(TransitionRefused) as refused:
        next_status(Status.DIRTY, Action.ISSUE)
    with app.test_request_context(), force_locale("zh_CN"):
        chinese = refused.value.translated(gettext)
    with app.test_request_context(), force_locale("en"):
        english = refused.value.translated(gettext)
    assert english == "Issue refused: it is waiting for the wash."
    assert chinese != english and "发" in chinese


def test_move_counts_washes_and_repairs(app, make):
    garment = make.garment(status=Status.DIRTY.value)
    move(db.session, garment, Action.IRON, user=None, station="ironing")
    move(db.session, garment, Action.TO_TAILOR, user=None, station="inspection")
    move(db.session, garment, Action.FROM_TAILOR, user=None, station="tailor")
    assert (garment.wash_count, garment.repair_count) == (1, 1)


def test_event_keeps_the_department_and_price_of_its_moment(app, make):
    first, second = make.department("客房部"), make.department("餐饮部")
    owner = make.employee(department=first)
    garment = make.garment(owner=owner, status=Status.ISSUED.value)
    event = move(db.session, garment, Action.CHECK_IN, user=None, station="checkin")
    db.session.commit()
    owner.department = second
    garment.cost = garment.cost * 2
    db.session.commit()
    db.session.refresh(event)
    assert event.department_id == first.id
    assert event.unit_cost == garment.cost / 2
