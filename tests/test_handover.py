"""Shift handover (交接班): the snapshot of open items, writing, acknowledging by PIN."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from kiosk.auth.services import Policy
from kiosk.domain.errors import DomainError
from kiosk.domain.garment_states import Action
from kiosk.extensions import db
from kiosk.handover import services
from kiosk.handover.models import Handover
from kiosk.ledger import last_event, move
from kiosk.models import OperatorSession, PrintJob, User, utcnow
from tests.conftest import login

HX = {"HX-Request": "true"}
KEY = "0123456789abcdef0123456789abcdef"


def _open_items(make, now):
    """2 at the tailor (1 overdue), 3 unslotted, 2 failed prints, 1 stuck in ironing."""
    owner = make.employee("李四")
    make.garment(tag="TAILOR-1", owner=owner, status="at_tailor")
    make.garment(tag="TAILOR-2", status="at_tailor", at=now - dt.timedelta(days=5))
    for n in range(3):
        make.passed(tag=f"SLOT-{n}")
    make.garment(tag="STUCK-1", status="ironing", at=now - dt.timedelta(hours=30))
    make.garment(tag="IRON-NEW", status="ironing")  # ironing for a moment: not stuck
    for status in ("failed", "failed", "done", "queued"):
        db.session.add(PrintJob(kind="tag", document="{}", status=status))
    db.session.flush()


def _section(snapshot, key):
    return snapshot["sections"][key]


def test_summary_counts_match_the_data(make):
    now = utcnow()
    _open_items(make, now)
    summary = services.collect_summary(db.session, now=now, tailor_days=3)
    assert _section(summary, "at_tailor")["count"] == 2
    assert _section(summary, "at_tailor")["overdue"] == 1
    assert [i["tag"] for i in _section(summary, "at_tailor")["items"]] == ["TAILOR-2", "TAILOR-1"]
    assert _section(summary, "at_tailor")["items"][1]["owner"] == "李四"
    assert _section(summary, "unslotted")["count"] == 3
    assert _section(summary, "failed_prints")["count"] == 2
    assert _section(summary, "stuck")["count"] == 1
    assert _section(summary, "stuck")["items"][0]["tag"] == "STUCK-1"
    for key in ("overdue_loans", "pending_compensation"):
        assert _section(summary, key)["count"] == 0
    assert summary["open_total"] == sum(s["count"] for s in summary["sections"].values())
    json.dumps(summary)  # storable as it is


def test_short_lists_are_short_but_counts_exact(make):
    for n in range(services.SHORT_LIST + 4):
        make.garment(tag=f"T-{n:02d}", status="at_tailor")
    section = _section(services.collect_summary(db.session, now=utcnow(), tailor_days=3), "at_tailor")
    assert section["count"] == services.SHORT_LIST + 4
    assert len(section["items"]) == services.SHORT_LIST


def test_the_snapshot_stays_as_it_was_written(make):
    writer = make.user("甲")
    garment = make.garment(tag="TAILOR-X", status="at_tailor")
    handover = services.write(db.session, writer=writer, note="裁缝间还有一件", tailor_days=3)
    db.session.commit()
    move(db.session, garment, Action.FROM_TAILOR, user=writer, station="tailor")
    make.garment(tag="TAILOR-Y", status="at_tailor")
    make.garment(tag="TAILOR-Z", status="at_tailor")
    db.session.commit()
    stored = db.session.get(Handover, handover.id)
    assert _section(stored.snapshot, "at_tailor")["count"] == 1
    assert _section(stored.snapshot, "at_tailor")["items"][0]["tag"] == "TAILOR-X"


# --- the page -------------------------------------------------------------------

def test_page_and_fragment_render_from_one_template(app, client, login_as):
    login_as("clerk")
    page = client.get("/handover/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "<html" in body and 'id="handover"' in body and 'hx-history="false"' in body
    assert "No handover is waiting" in body
    fragment = client.get("/handover/", headers=HX)
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and text.lstrip().startswith("{#") is False and 'id="handover"' in text


def test_clerk_writes_a_handover_shown_big_until_acknowledged(app, client, login_as, make):
    writer_id = login_as("clerk")
    make.passed(tag="SLOT-A")
    db.session.commit()
    response = client.post("/handover/", data={"note": "三号柜钥匙在抽屉里", "request_key": KEY})
    assert response.status_code == 302
    handover = db.session.scalar(select(Handover))
    assert handover.written_by_id == writer_id and handover.note == "三号柜钥匙在抽屉里"
    assert _section(handover.snapshot, "unslotted")["count"] == 1
    body = client.get("/handover/").get_data(as_text=True)
    assert 'data-testid="handover-open"' in body and "三号柜钥匙在抽屉里" in body
    assert f'data-handover-id="{handover.id}"' in body


def test_writing_twice_with_the_same_key_lands_once(ctx, client, login_as):
    login_as("clerk")
    for _ in range(2):
        response = client.post("/handover/", data={"note": "同一次", "request_key": KEY}, headers=HX)
        assert response.status_code == 200
        assert 'id="handover"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Handover)) == 1


def test_a_note_too_long_is_refused_and_nothing_written(ctx, client, login_as):
    login_as("clerk")
    response = client.post("/handover/", data={"note": "x" * (services.NOTE_MAX + 1), "request_key": KEY},
                           headers=HX)
    assert response.status_code == 200
    assert "The note is too long" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Handover)) == 0


# --- acknowledging ---------------------------------------------------------------

@pytest.fixture
def written(app, client, login_as, make):
    """Clerk A (signed in) wrote a handover; clerk B (PIN 5678) is next."""
    writer_id = login_as("clerk")
    b = make.user("乙", pin="5927")
    db.session.commit()
    client.post("/handover/", data={"note": "交给乙", "request_key": KEY})
    handover = db.session.scalar(select(Handover))
    return handover.id, writer_id, b.id


def _ack(client, handover_id, user_id, pin, headers=None):
    return client.post(f"/handover/{handover_id}/acknowledge", data={"user_id": user_id, "pin": pin},
                       headers=headers or {})


def test_next_clerk_acknowledges_with_their_own_pin_and_takes_the_tablet_over(client, written):
    handover_id, writer_id, b_id = written
    response = _ack(client, handover_id, b_id, "5927", HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/handover/"
    db.session.expire_all()
    handover = db.session.get(Handover, handover_id)
    assert handover.acknowledged_by_id == b_id and handover.acknowledged_at is not None
    # The tablet is now 乙's: the page says so, and the writer's sign-in has ended.
    body = client.get("/handover/").get_data(as_text=True)
    assert "乙 is now signed in on this tablet" in body and "Acknowledged by 乙" in body
    assert 'data-testid="handover-open"' not in body
    assert re.search(r'data-testid="who">\s*乙', body)
    ended = db.session.scalars(select(OperatorSession).where(OperatorSession.user_id == writer_id)).all()
    assert [row.ended_reason for row in ended] == ["handover"]
    assert db.session.scalars(select(OperatorSession).where(OperatorSession.user_id == b_id,
                                                            OperatorSession.ended_at.is_(None))).one()


def test_the_incoming_clerk_acknowledging_on_their_own_sign_in_stays_signed_in(client, login_as, make):
    writer = make.user("甲", pin="5927")
    db.session.commit()
    assert login(client, writer.id, "5927").status_code == 302
    client.post("/handover/", data={"note": "交给乙", "request_key": KEY})
    handover_id = db.session.scalar(select(Handover.id))
    b_id = login_as("clerk")  # 乙 signed in on their own first
    response = _ack(client, handover_id, b_id, "2580", HX)
    assert response.status_code == 200 and "Handover acknowledged" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(OperatorSession)
                             .where(OperatorSession.user_id == b_id, OperatorSession.ended_at.is_(None))) == 1


def test_plain_form_post_redirects_back(client, written):
    handover_id, _writer, b_id = written
    response = _ack(client, handover_id, b_id, "5927")
    assert response.status_code == 302 and response.headers["Location"].endswith("/handover/")


def test_a_wrong_pin_is_refused_and_counts_towards_the_lock(app, client, written):
    handover_id, _writer, b_id = written
    response = _ack(client, handover_id, b_id, "0000", HX)
    assert response.status_code == 200
    assert "Wrong PIN" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Handover, handover_id).acknowledged_at is None
    assert db.session.get(User, b_id).failed_attempts == 1
    for _ in range(app.config["KIOSK_LOCKOUT_ATTEMPTS"] - 1):
        _ack(client, handover_id, b_id, "0000", HX)
    # Locked now: not even the right PIN acknowledges.
    response = _ack(client, handover_id, b_id, "5927", HX)
    assert "is locked" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Handover, handover_id).acknowledged_at is None


def test_a_pin_someone_else_set_does_not_acknowledge_until_its_owner_chose_their_own(client, written):
    handover_id, _writer, b_id = written
    b = db.session.get(User, b_id)
    b.must_change_pin = True  # a first PIN from whoever added them, or a reset
    db.session.commit()
    response = _ack(client, handover_id, b_id, "5927", HX)
    assert "has not chosen their own PIN yet" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Handover, handover_id).acknowledged_at is None
    b = db.session.get(User, b_id)
    b.must_change_pin = False  # they signed in and chose it
    db.session.commit()
    response = _ack(client, handover_id, b_id, "5927", HX)
    assert response.headers["HX-Redirect"] == "/handover/"
    db.session.expire_all()
    assert db.session.get(Handover, handover_id).acknowledged_by_id == b_id


def test_the_writer_cannot_acknowledge_their_own_handover(client, written):
    handover_id, writer_id, _b = written
    response = _ack(client, handover_id, writer_id, "2580", HX)
    assert "must acknowledge it with their own PIN" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Handover, handover_id).acknowledged_at is None
    assert db.session.get(User, writer_id).failed_attempts == 0


def test_acknowledging_twice_lands_once(client, written):
    handover_id, _writer, b_id = written
    _ack(client, handover_id, b_id, "5927", HX)
    db.session.expire_all()
    first = db.session.get(Handover, handover_id).acknowledged_at
    response = _ack(client, handover_id, b_id, "5927", HX)
    assert response.status_code == 200 and "Wrong PIN" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Handover, handover_id).acknowledged_at == first


def test_a_third_clerk_cannot_take_over_what_is_already_taken(client, make, written):
    handover_id, _writer, b_id = written
    c = make.user("丙", pin="7531")
    db.session.commit()
    _ack(client, handover_id, b_id, "5927")
    response = _ack(client, handover_id, c.id, "7531", HX)
    assert "already acknowledged by 乙" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Handover, handover_id).acknowledged_by_id == b_id


def test_an_ironer_cannot_take_over_the_counter(make):
    writer = make.user("甲")
    ironer = make.user("熨", role="ironer", pin="1470")
    clerk = make.user("乙", pin="3691")
    handover = services.write(db.session, writer=writer, note="", tailor_days=3)
    with pytest.raises(DomainError):
        services.acknowledge(db.session, handover.id, user=ironer, pin="1470", policy=Policy())
    assert handover.acknowledged_at is None
    # The same handover is open to a clerk: it was the ironer who was refused.
    services.acknowledge(db.session, handover.id, user=clerk, pin="3691", policy=Policy())
    assert handover.acknowledged_at is not None


def test_unknown_handover_and_no_name_are_refused(client, written):
    handover_id, _writer, _b = written
    assert "does not exist" in _ack(client, 999999, _b, "5927", HX).get_data(as_text=True)
    response = client.post(f"/handover/{handover_id}/acknowledge", data={"pin": "5927"}, headers=HX)
    assert "Tap your name first" in response.get_data(as_text=True)


def test_ironer_is_not_allowed(ctx, client, login_as):
    login_as("ironer")
    assert client.get("/handover/").status_code == 403
    assert client.post("/handover/", data={"note": "x"}).status_code == 403
    assert client.post("/handover/1/acknowledge", data={"user_id": 1, "pin": "1"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Handover)) == 0


def test_signed_out_is_sent_to_login(client, make):
    make.user()  # a hotel with an operator: without one every page leads to the first-run screen
    db.session.commit()
    response = client.get("/handover/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_overdue_loans_and_pending_compensation_are_counted(make):
    """Built on the loans and write-offs models directly (their screens have their own tests)."""
    from decimal import Decimal

    from kiosk.loans.models import Loan, LoanItem
    from kiosk.writeoffs.models import Compensation, WriteOff

    now = utcnow()
    for n, due in enumerate((now - dt.timedelta(days=2), now + dt.timedelta(days=1))):
        garment = make.garment(tag=f"LOAN-{n}", status="loaned")
        event = last_event(db.session, garment)
        loan = Loan(borrower_name=f"借衣人{n}", reason="event", due_at=due)
        db.session.add(loan)
        db.session.flush()
        db.session.add(LoanItem(loan=loan, garment=garment, loan_event_id=event.id))
    write_off = WriteOff(garment=make.garment(tag="LOST-1"), reason="lost", responsible="borrower",
                         borrower_name="借衣人0", price=Decimal("100"), months_in_use=1, percent=Decimal("100"),
                         unwashed_fee=Decimal("0"), amount=Decimal("100"))
    db.session.add(write_off)
    db.session.flush()
    db.session.add(Compensation(write_off=write_off, party="借衣人0", amount=Decimal("100.00")))
    db.session.flush()

    summary = services.collect_summary(db.session, now=now, tailor_days=3)
    loans = _section(summary, "overdue_loans")
    assert loans["count"] == 1
    assert loans["items"][0]["borrower"] == "借衣人0" and loans["items"][0]["days"] == 2
    compensation = _section(summary, "pending_compensation")
    assert compensation["count"] == 1 and compensation["items"][0]["amount"] == "100.00"
