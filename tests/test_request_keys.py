"""Once per request key (kiosk.request_keys): one parser, one effect per operator and key, the first answer again.

Each command family that takes a key is driven through its own service:
the same key twice gives one effect and the same answer; two operators
with the same key get two effects; a malformed key changes nothing. Thirty
requests at once with one key give one effect, on SQLite and PostgreSQL.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from kiosk.auth.services import Policy
from kiosk.domain.errors import DomainError
from kiosk.extensions import db
from kiosk.handover import services as handover
from kiosk.handover.models import Handover
from kiosk.inspection import services as inspection
from kiosk.ironing import services as ironing
from kiosk.loans import services as loans
from kiosk.loans.models import ContactAttempt, Loan
from kiosk.models import Department, Event, Garment, PrintJob, RequestKey
from kiosk.printing import services as printing
from kiosk.purchases import services as purchases
from kiosk.purchases.models import Purchase
from kiosk.registry import services as registry
from kiosk.request_keys import MALFORMED, once, parse_key
from kiosk.stock import services as stock
from kiosk.stock.models import StockItem, StockMovement
from kiosk.tailor import services as tailor
from kiosk.writeoffs import services as writeoffs
from kiosk.writeoffs.models import WriteOff

from .conftest import FAST_HASH, Factory, login
from .test_concurrency import _at_once as at_once
from .scans import HX, scan_result, text_of

KEY = "tablet-7f3a9c21"


def count(model) -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model.__table__))


# --- one parser ---------------------------------------------------------------

@pytest.mark.parametrize("raw, key", [
    (None, None), ("", None), ("   ", None),
    ("0f8e2b6c9d1a4e7fb3c5a2d8e6f10b4c", "0f8e2b6c9d1a4e7fb3c5a2d8e6f10b4c"),   # a form's uuid hex
    ("5d0c3a5e-9b1f-4a8e-8c2d-6f7e1a2b3c4d", "5d0c3a5e-9b1f-4a8e-8c2d-6f7e1a2b3c4d"),  # a tablet's UUID
    ("  scan_0001  ", "scan_0001"),                                         # spaces around are forgiven
    ("a" * 64, "a" * 64), ("7", "7"),                                    # any length up to 64
])
def test_a_key_is_read_the_same_way_everywhere(raw, key):
    assert parse_key(raw) == key


@pytest.mark.parametrize("raw", [
    "a" * 65,             # too long
    "key\x00with-nul", "key\nnewline", "tab\tinside", "\x1b[31mred-key", "key-del\x7f",  # control characters
    "key with space", "key:colon:1", "键-1234567", "ｆｕｌｌｗｉｄｔｈ-key",           # not ours
])
def test_a_malformed_key_is_refused_with_one_message(raw):
    with pytest.raises(DomainError) as refused:
        parse_key(raw)
    assert refused.value.message == MALFORMED


# --- every command family -------------------------------------------------------

class Family:
    """One command that takes a key: ``run(user, key)`` gives what identifies its answer."""

    def __init__(self, make: Factory, name: str):
        self.make = make
        self.name = name
        self.per_user: dict[tuple[int, str], object] = {}

    def thing(self, user, build, what: str = ""):
        """The input this operator's command works on (the same each time they send it)."""
        if (user.id, what) not in self.per_user:
            self.per_user[(user.id, what)] = build()
            db.session.commit()
        return self.per_user[(user.id, what)]


def _scan_answer(result):
    """A scan answers refusals instead of raising them: raised here, so every family reads alike."""
    if result.error is not None:
        raise result.error
    assert result.result in ("ok", "duplicate")
    return result.event.id


def _families():
    def loan_open(f, user, key):
        return loans.open_loan(db.session, _loan_data("李四"), user=user, request_key=key).id

    def loan_contact(f, user, key):
        loan = f.thing(user, lambda: loans.open_loan(db.session, _loan_data("王五"), user=user, request_key=None))
        return loans.log_contact(db.session, loan, how="phone", outcome="no_answer", note="", user=user,
                                 request_key=key).id

    def handover_write(f, user, key):
        return handover.write(db.session, writer=user, note="交接", tailor_days=7, request_key=key).id

    def write_off_open(f, user, key):
        garment = f.thing(user, lambda: f.make.garment())
        return writeoffs.open_write_off(db.session, garment, reason="damaged", responsible="hotel", user=user,
                                        rules=writeoffs.Rules(), today=dt.date.today(), request_key=key).id

    def _item(f, user):
        return f.thing(user, lambda: _stock_item(f"S{user.id}"))

    def stock_receive(f, user, key):
        item = _item(f, user)
        return stock.receive(db.session, item=item, quantity=5, user=user, request_key=key).movement.id

    def stock_issue(f, user, key):
        item = _item(f, user)
        person = f.thing(user, lambda: f.make.employee(f"领用{user.id}"), "employee")
        return stock.issue(db.session, employee=person, code=item.code, quantity=1, user=user,
                           request_key=key).movement.id

    def stock_adjust(f, user, key):
        item = _item(f, user)
        return stock.adjust(db.session, item=item, delta=-2, reason="盘点少了", user=user,
                            request_key=key).movement.id

    def purchase_receive(f, user, key):
        garment_type = f.thing(user, lambda: f.make.garment_type())
        data = purchases.check_purchase(db.session, purchases.PurchaseInput(
            type_id=garment_type.id, size="M", quantity=3, unit_price=Decimal("98.50"), supplier="华美制衣",
            purchased_on=dt.date.today()))
        return purchases.receive_purchase(db.session, data, request_key=key, user=user).purchase.id

    def registry_register(f, user, key):
        garment_type = f.thing(user, lambda: f.make.garment_type())
        registration = registry.register_garments(db.session, request_key=key, garment_type=garment_type,
                                                  count=2, user=user)
        return [garment.id for garment in registration.garments]

    def print_tag(f, user, key):
        garment = f.thing(user, lambda: f.make.garment())
        jobs = printing.print_once(db.session, key, user=user, command="print.tag", queue=lambda: (
            printing.enqueue_tags(db.session, [garment], user=user, language="zh_CN", printer="dummy:")))
        return [job.id for job in jobs]

    def inspection_act(f, user, key):
        garment = f.thing(user, lambda: f.make.garment(status="inspection"))
        result, _reprint = inspection.act(db.session, garment.tag, "rewash", user=user, request_key=key,
                                          duplicate_seconds=0)
        return _scan_answer(result)

    def tailor_send(f, user, key):
        garment = f.thing(user, lambda: f.make.garment(status="inspection"))
        return _scan_answer(tailor.scan(db.session, garment.tag, "send", user=user, defects=["damage"],
                                        request_key=key, duplicate_seconds=0))

    def ironing_flag(f, user, key):
        garment = f.thing(user, lambda: f.make.garment(status="ironing"))
        return _scan_answer(ironing.flag(db.session, garment.tag, "stain", user=user, station="ironing",
                                         request_key=key))

    return {
        "loan.open": (loan_open, Loan),
        "loan.contact": (loan_contact, ContactAttempt),
        "handover.write": (handover_write, Handover),
        "writeoff.open": (write_off_open, WriteOff),
        "stock.receive": (stock_receive, StockMovement),
        "stock.issue": (stock_issue, StockMovement),
        "stock.adjust": (stock_adjust, StockMovement),
        "purchase.receive": (purchase_receive, Purchase),
        "registry.register": (registry_register, Garment),
        "print.tag": (print_tag, PrintJob),
        "inspection.act": (inspection_act, Event),
        "tailor.scan": (tailor_send, Event),
        "ironing.flag": (ironing_flag, Event),
    }


FAMILIES = _families()


def _loan_data(name: str) -> loans.LoanData:
    return loans.LoanData(reason="event", due_at=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1), name=name,
                          phone="13800138000", organisation="宴会外包公司", signed_on_paper=True)


def _stock_item(code: str) -> StockItem:
    item = StockItem(code=code, name_zh="袜子", name_en="Socks", kind="socks", quantity_on_hand=10)
    db.session.add(item)
    db.session.flush()
    return item


def _send(family, user, key):
    answer = family.run(family, user, key)
    db.session.commit()
    return answer


@pytest.fixture(params=sorted(FAMILIES))
def family(request, make):
    command, model = FAMILIES[request.param]
    family = Family(make, request.param)
    family.run, family.model = command, model
    return family


def test_the_same_key_twice_gives_one_effect_and_the_first_answer(family, make):
    clerk = make.user(role="supervisor")
    db.session.commit()
    first = _send(family, clerk, KEY)
    after_first = count(family.model)
    again = _send(family, clerk, KEY)
    assert again == first
    assert count(family.model) == after_first
    assert db.session.scalar(select(func.count()).select_from(RequestKey)
                             .where(RequestKey.user_id == clerk.id, RequestKey.key == KEY)) == 1


def test_two_operators_with_the_same_key_get_two_effects(family, make):
    anna, bo = make.user(role="supervisor"), make.user(role="supervisor")
    db.session.commit()
    first = _send(family, anna, KEY)
    after_anna = count(family.model)
    second = _send(family, bo, KEY)
    assert second != first                       # Bo's own result, not a replay of Anna's
    assert count(family.model) > after_anna
    assert _send(family, anna, KEY) == first     # and each still gets their own answer back
    assert _send(family, bo, KEY) == second


def test_a_malformed_key_changes_nothing(family, make):
    clerk = make.user(role="supervisor")
    db.session.commit()
    _send(family, clerk, None)  # inputs built, and proof that the command itself works
    before = count(family.model), count(RequestKey)
    with pytest.raises(DomainError) as refused:
        family.run(family, clerk, "bad key\n")
    db.session.rollback()
    assert refused.value.message == MALFORMED
    assert (count(family.model), count(RequestKey)) == before


def test_without_a_key_the_command_simply_runs_each_time(make):
    clerk = make.user()
    item = _stock_item("NOKEY")
    db.session.commit()
    for _ in range(2):
        stock.receive(db.session, item=item, quantity=1, user=clerk, request_key=None)
        db.session.commit()
    assert db.session.get(StockItem, item.id).quantity_on_hand == 12
    assert count(RequestKey) == 0


# --- the savepoint --------------------------------------------------------------

def test_a_refused_command_undoes_only_itself_and_keeps_its_key_free(make):
    """The outer transaction's own work survives; the same key then works for the corrected request."""
    clerk = make.user()
    item = _stock_item("SP1")
    db.session.commit()
    db.session.add(Department(name="先写的部门"))
    db.session.flush()
    with pytest.raises(DomainError):
        stock.adjust(db.session, item=item, delta=-50, reason="盘点", user=clerk, request_key=KEY)
    db.session.commit()
    assert db.session.scalar(select(Department.id).where(Department.name == "先写的部门")) is not None
    assert count(StockMovement) == 0 and count(RequestKey) == 0
    moved = stock.adjust(db.session, item=item, delta=-5, reason="盘点", user=clerk, request_key=KEY)
    db.session.commit()
    assert not moved.duplicate and db.session.get(StockItem, item.id).quantity_on_hand == 5


def test_a_request_that_loses_the_race_for_its_key_answers_with_the_winner_and_keeps_the_transaction(app, make):
    """The twin commits its key between this request's look-up and its insert (PostgreSQL lets both get there)."""
    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite takes the write lock before the look-up: the twin waits and finds the key instead")
    clerk = make.user()
    item = _stock_item("RACE")
    db.session.commit()
    clerk_id, item_id = clerk.id, item.id
    twin_movement: list[int] = []

    def twin_lands_first(conn, _cursor, statement, _parameters, _context, _executemany):
        if twin_movement or not statement.lstrip().upper().startswith("INSERT INTO REQUEST_KEYS"):
            return
        twin_movement.append(None)  # the twin's own statements below pass through this hook too
        with db.engine.begin() as twin:  # another tablet's request with the same key, committed now
            twin_movement[0] = twin.execute(text(
                "INSERT INTO stock_movements (property_id, item_id, delta, balance, reason, note, user_id, at)"
                " VALUES (1, :item, 5, 15, 'received', '', :user, now()) RETURNING id"),
                {"item": item_id, "user": clerk_id}).scalar()
            twin.execute(text("UPDATE stock_items SET quantity_on_hand = 15 WHERE id = :item"), {"item": item_id})
            twin.execute(text("INSERT INTO request_keys (user_id, command, key, result, created_at)"
                              " VALUES (:user, 'stock.receive', :key, :result, now())"),
                         {"user": clerk_id, "key": KEY, "result": str(twin_movement[0])})

    db.session.add(Department(name="同一事务"))
    db.session.flush()
    # Just before this request stores its key, after it looked the key up and found none.
    event.listen(db.engine, "before_cursor_execute", twin_lands_first)
    try:
        moved = stock.receive(db.session, item=item, quantity=5, user=clerk, request_key=KEY)
    finally:
        event.remove(db.engine, "before_cursor_execute", twin_lands_first)
    assert twin_movement and twin_movement[0] is not None  # the twin did land in between
    db.session.commit()  # the lost insert did not poison the transaction
    assert moved.duplicate and moved.movement.id == twin_movement[0]
    db.session.expire_all()
    assert db.session.get(StockItem, item_id).quantity_on_hand == 15 and count(StockMovement) == 1
    assert db.session.scalar(select(Department.id).where(Department.name == "同一事务")) is not None


def test_once_answers_a_repeat_without_running_the_command(make):
    clerk = make.user()
    db.session.commit()
    runs = []

    def command():
        runs.append(1)
        department = Department(name=f"部门{len(runs)}")
        db.session.add(department)
        db.session.flush()
        return department

    def send():
        done = once(db.session, KEY, operator=clerk, command="test.department", run=command,
                    remember=lambda d: d.id, recall=lambda i: db.session.get(Department, i))
        db.session.commit()
        return done

    first, again = send(), send()
    assert (first.repeated, again.repeated, again.result.id, len(runs)) == (False, True, first.result.id, 1)


# --- thirty requests at once -------------------------------------------------------

def _thirty_at_once(app, user_id: int, path: str, data: dict) -> list[tuple[int, str]]:
    """One operator on thirty tablets, all sending the same form at the same moment."""
    clients = []
    for _ in range(30):
        client = app.test_client()
        assert login(client, user_id).status_code == 302
        clients.append(client)
    return at_once(clients, path, data)


def test_thirty_deliveries_sent_at_once_with_one_key_are_received_once(app):
    with app.app_context():
        clerk = Factory().user(role="clerk")
        item = _stock_item("THIRTY")
        db.session.commit()
        clerk_id, item_id = clerk.id, item.id
    answers = _thirty_at_once(app, clerk_id, "/stock/receive",
                       {"item_id": item_id, "quantity": "24", "note": "一次送货", "request_key": KEY})
    assert [status for status, _ in answers] == [200] * 30
    assert sum("now 34 on hand" in html for _, html in answers) == 1
    assert sum("Already recorded; nothing new was written." in html for _, html in answers) == 29
    with app.app_context():
        assert db.session.get(StockItem, item_id).quantity_on_hand == 34
        assert count(StockMovement) == 1 and count(RequestKey) == 1


def test_thirty_taps_on_one_defect_chip_at_once_flag_it_once(app):
    with app.app_context():
        f = Factory()
        ironer = f.user(role="ironer")
        garment = f.garment(status="ironing")
        db.session.commit()
        ironer_id, tag = ironer.id, garment.tag
    answers = _thirty_at_once(app, ironer_id, "/ironing/flag", {"tag": tag, "defect": "stain", "request_key": KEY})
    results = sorted(scan_result(html) for _, html in answers)
    assert results == ["duplicate"] * 29 + ["ok"], results
    with app.app_context():
        flags = db.session.scalars(select(Event).where(Event.action == "flag")).all()
        assert [f.defects for f in flags] == ["stain"]


# --- what the user sees ----------------------------------------------------------

def test_a_malformed_key_on_a_scan_is_an_error_answer_and_nothing_moves(app, make, client, login_as):
    login_as("clerk")
    garment = make.garment(status="inspection")
    db.session.commit()
    body = text_of(client.post("/inspection/act", data={"code": garment.tag, "action": "rewash",
                                                        "request_key": "key\x00nul-inside"}, headers=HX))
    assert scan_result(body) == "error" and "key that is not valid" in body
    db.session.refresh(garment)
    assert garment.status == "inspection"
    body = text_of(client.post("/inspection/act", data={"code": garment.tag, "action": "rewash",
                                                        "request_key": "key-nul-outside"}, headers=HX))
    assert scan_result(body) == "ok"  # the same garment with a good key moves: the refusal was the key's


def test_a_malformed_key_on_a_form_is_shown_on_the_form_and_writes_nothing(app, make, client, login_as):
    login_as("clerk")
    item = _stock_item("FORM")
    db.session.commit()
    body = text_of(client.post("/stock/receive", data={"item_id": item.id, "quantity": "3",
                                                       "request_key": "two words"}))
    assert "key that is not valid" in body
    assert count(StockMovement) == 0
    body = text_of(client.post("/stock/receive", data={"item_id": item.id, "quantity": "3",
                                                       "request_key": "two-words"}))
    assert "now 13 on hand" in body


def test_a_malformed_key_on_a_print_button_queues_nothing_and_says_why(app, make, client, login_as):
    login_as("clerk")
    garment = make.garment()
    db.session.commit()
    body = text_of(client.post(f"/print/garment/{garment.tag}/tag", data={"request_key": "x" * 65}, headers=HX))
    assert "key that is not valid" in body and count(PrintJob) == 0
    client.post(f"/print/garment/{garment.tag}/tag", data={"request_key": "x" * 64}, headers=HX)
    assert count(PrintJob) == 1


def test_a_repeated_write_off_form_after_the_approval_still_goes_to_its_write_off(app, make, client, login_as):
    """The key is looked at before the garment: written off now, it would be refused otherwise."""
    login_as("clerk")
    boss = make.user(role="supervisor", pin="2468")
    garment = make.garment()
    db.session.commit()
    form = {"code": garment.tag, "reason": "damaged", "responsible": "hotel", "request_key": KEY}
    first = client.post("/writeoffs/new", data=form, headers=HX)
    write_off = db.session.scalar(select(WriteOff))
    writeoffs.approve(db.session, write_off, approver=boss, pin="2468", policy=Policy(hash_method=FAST_HASH))
    db.session.commit()
    db.session.refresh(garment)
    assert garment.status == "written_off"
    again = client.post("/writeoffs/new", data=form, headers=HX)
    assert first.headers["HX-Redirect"] == again.headers["HX-Redirect"] == f"/writeoffs/{write_off.id}"
    assert count(WriteOff) == 1


def test_amounts_and_names_come_back_from_the_first_request(make):
    """A replay is the first record itself, not a copy made from the second request's input."""
    clerk = make.user()
    item = _stock_item("FIRST")
    db.session.commit()
    first = stock.receive(db.session, item=item, quantity=5, note="第一次", user=clerk, request_key=KEY)
    db.session.commit()
    again = stock.receive(db.session, item=item, quantity=7, note="第二次", user=clerk, request_key=KEY)
    db.session.commit()
    assert again.duplicate and (again.movement.id, again.movement.delta, again.movement.note) == (
        first.movement.id, 5, "第一次")
    assert db.session.get(StockItem, item.id).quantity_on_hand == 15
    assert count(RequestKey) == 1


def test_keys_older_than_two_days_are_forgotten_and_the_newer_still_answer_a_repeat(app, make):
    from kiosk.models import RequestKey, utcnow
    from kiosk.printing.worker import forget_old_keys
    from kiosk.request_keys import KEPT_FOR, by_id, once

    user = make.user()
    db.session.commit()
    now = utcnow()
    for n, age in enumerate((KEPT_FOR + dt.timedelta(minutes=1), KEPT_FOR + dt.timedelta(days=30),
                             KEPT_FOR - dt.timedelta(minutes=1))):
        db.session.add(RequestKey(user_id=user.id, command="test", key=f"k{n}", result=str(user.id),
                                  created_at=now - age))
    db.session.commit()
    assert forget_old_keys(app) == 2
    db.session.expire_all()
    assert list(db.session.scalars(select(RequestKey.key))) == ["k2"]
    # The key kept still answers its repeat with the first result; nothing runs again.
    again = once(db.session, "k2", operator=user, command="test", run=lambda: pytest.fail("ran twice"),
                 **by_id(db.session, type(user)))
    assert again.repeated and again.result.id == user.id
    assert forget_old_keys(app) == 0
