"""Alerts to the supervisors' group chats: WeCom, DingTalk, Feishu and a generic JSON URL.

Every message goes to a real HTTP receiver on 127.0.0.1 that checks the
robot's own signature the way the vendor does (computed here, not by the
kiosk's code), and answers as the robot would.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.alerts import services
from kiosk.alerts.models import Alert, AlertChannel
from kiosk.alerts.worker import run_once
from kiosk.extensions import db
from kiosk.loans import services as loans
from kiosk.loans.models import Loan
from kiosk.models import utcnow

SECRET = "SEC0123456789abcdef"
#: each robot's URL path as the vendor gives it (the key part is what the screen hides)
PATHS = {
    "wecom": "/cgi-bin/webhook/send?key=WECOMKEY-693a91f6",
    "dingtalk": "/robot/send?access_token=DINGTOKEN5e3d587e",
    "feishu": "/open-apis/bot/v2/hook/FEISHUTOKEN-5e3d587e",
    "generic": "/hooks/uniform-room",
}
VISITOR_PHONE = "13912345678"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Receiver:
    """A group robot on 127.0.0.1: records what it takes, checks signatures, can be down or fail."""

    def __init__(self, secret: str = "", port: int | None = None) -> None:
        self.secret = secret
        self.port = port or free_port()
        self.mode = "ok"  # or "500"
        self.received: list[dict] = []
        self.refused = 0
        self.server: ThreadingHTTPServer | None = None

    def url(self, kind: str) -> str:
        return f"http://127.0.0.1:{self.port}{PATHS[kind]}"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.mode == "500":
                    receiver.refused += 1
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                parts = urllib.parse.urlsplit(self.path)
                kind = next(k for k, p in PATHS.items() if p.split("?")[0] == parts.path)
                data = json.loads(body)
                ok = receiver.verify(kind, urllib.parse.parse_qs(parts.query), self.headers, body, data)
                receiver.received.append({"kind": kind, "query": parts.query, "body": data, "raw": body,
                                          "verified": ok, "headers": dict(self.headers)})
                status, answer = receiver.answer(kind, ok)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def verify(self, kind, query, headers, body: bytes, data: dict) -> bool:
        """The vendor's check, written from its documentation."""
        if kind == "dingtalk":
            if not self.secret:
                return "sign" not in query
            stamp = query["timestamp"][0]
            expected = base64.b64encode(hmac.new(self.secret.encode(), f"{stamp}\n{self.secret}".encode(),
                                                 hashlib.sha256).digest()).decode()
            return query["sign"][0] == expected
        if kind == "feishu":
            if not self.secret:
                return "sign" not in data
            stamp = data["timestamp"]
            expected = base64.b64encode(hmac.new(f"{stamp}\n{self.secret}".encode(), b"",
                                                 hashlib.sha256).digest()).decode()
            return data["sign"] == expected
        if kind == "generic" and self.secret:
            stamp = headers["X-Kiosk-Timestamp"]
            expected = hmac.new(self.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
            return headers["X-Kiosk-Signature"] == f"sha256={expected}"
        return True

    @staticmethod
    def answer(kind: str, ok: bool) -> tuple[int, dict]:
        if kind == "feishu":
            return 200, ({"code": 0, "msg": "success", "data": {}} if ok else
                         {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
        if kind in ("wecom", "dingtalk"):
            return 200, ({"errcode": 0, "errmsg": "ok"} if ok else {"errcode": 310000, "errmsg": "sign not match"})
        return (200, {}) if ok else (401, {})

    def texts(self) -> list[str]:
        out = []
        for message in self.received:
            body = message["body"]
            out.append(body["text"]["content"] if "text" in body and isinstance(body["text"], dict)
                       else body["content"]["text"] if "content" in body else body["text"])
        return out


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(secret: str = "", *, port: int | None = None, start: bool = True) -> Receiver:
        made.append(Receiver(secret, port))
        return made[-1].start() if start else made[-1]

    yield make
    for receiver in made:
        receiver.stop()


@pytest.fixture
def clock(app):
    """The app's clock, set by the test (``clock.now``); the worker reads it too."""

    class Clock:
        now = utcnow()

        def at(self, moment: dt.datetime) -> None:
            self.now = moment

        def forward(self, **delta) -> None:
            self.now += dt.timedelta(**delta)

    moment = Clock()
    app.config["KIOSK_CLOCK"] = lambda: moment.now
    return moment


def channel(kind: str, url: str, *, secret: str = "", events=(services.LOAN_ESCALATED,), name=None) -> int:
    saved = services.save_channel(db.session, services.ChannelData(
        name=name or f"{kind} group", kind=kind, events=tuple(events), url=url, secret=secret), user=None)
    db.session.commit()
    return saved.id


def escalated_loan(make, *, visitor: bool = False, days_late: int = 4, name: str = "张三") -> Loan:
    """A loan out past the escalation point the Loans board uses (3 days overdue)."""
    garment = make.garment()
    if visitor:
        loan = Loan(borrower_name="王访客", borrower_phone=VISITOR_PHONE, borrower_org="宴会外包公司", reason="event",
                    due_at=utcnow() - dt.timedelta(days=days_late), signed_on_paper=True)
    else:
        from kiosk.models import Department

        rooms = db.session.scalar(select(Department).where(Department.name == "客房部")) or make.department("客房部")
        person = make.employee(name, department=rooms, phone="13700001111")
        loan = Loan(employee=person, department=person.department, borrower_name=person.name,
                    borrower_phone=person.phone, borrower_org="客房部", reason="other",
                    due_at=utcnow() - dt.timedelta(days=days_late), signed_on_paper=True)
    db.session.add(loan)
    db.session.flush()
    assert loans.lend(db.session, loan, garment.tag, user=None, duplicate_seconds=0).ok
    db.session.commit()
    return loan


def alerts() -> list[Alert]:
    db.session.expire_all()
    return list(db.session.scalars(select(Alert).order_by(Alert.id)))


# --- each robot's message shape, signed ----------------------------------------------

@pytest.mark.parametrize("kind, secret", [("wecom", ""), ("dingtalk", SECRET), ("dingtalk", ""),
                                          ("feishu", SECRET), ("feishu", ""), ("generic", SECRET)])
def test_an_escalated_loan_reaches_each_robot_in_its_own_shape_signed(make, app, receivers, kind, secret):
    receiver = receivers(secret)
    channel(kind, receiver.url(kind), secret=secret)
    loan = escalated_loan(make)

    result = run_once(app)

    assert (result.queued, result.sent) == (1, 1)
    [message] = receiver.received
    assert message["verified"], message
    body = message["body"]
    if kind in ("wecom", "dingtalk"):
        assert body["msgtype"] == "text" and set(body) == {"msgtype", "text"}
        text = body["text"]["content"]
    elif kind == "feishu":
        assert body["msg_type"] == "text"
        assert set(body) == ({"msg_type", "content", "timestamp", "sign"} if secret else {"msg_type", "content"})
        text = body["content"]["text"]
    else:
        assert body["event"] == "loan_escalated" and body["key"] == f"loan_escalated:{loan.id}"
        text = body["text"]
    if kind == "dingtalk" and secret:
        assert "timestamp=" in message["query"] and "sign=" in message["query"]
        assert message["query"].startswith("access_token=DINGTOKEN5e3d587e&")  # the robot's own key kept
    assert f"L{loan.id:06d}" in text and "张三" in text and "客房部" in text and "4 days late" in text
    assert "13700001111" not in message["raw"].decode()  # not even a staff member's phone
    [row] = alerts()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None) and row.sent_at is not None


def test_a_wrong_secret_is_the_robots_refusal_kept_in_its_words_and_retried(make, app, receivers, clock):
    receiver = receivers(SECRET)
    channel("feishu", receiver.url("feishu"), secret="SECwrong")
    escalated_loan(make)

    result = run_once(app)

    assert (result.sent, result.retrying) == (0, 1)
    [row] = alerts()
    assert row.status == "queued" and row.attempts == 1 and row.next_attempt_at > clock.now
    assert "19021" in services.reason_of(row).translated(lambda m, **p: m % p)


def test_the_same_escalated_loan_alerts_once_however_often_the_worker_runs(make, app, receivers, clock):
    receiver = receivers()
    channel("wecom", receiver.url("wecom"))
    escalated_loan(make)

    run_once(app)
    clock.forward(minutes=1)
    run_once(app)
    clock.forward(days=2)
    again = run_once(app)

    assert again.queued == 0 and len(receiver.received) == 1 and len(alerts()) == 1


def test_two_channels_each_get_the_alert_once(make, app, receivers):
    wecom, dingtalk = receivers(), receivers(SECRET)
    channel("wecom", wecom.url("wecom"))
    channel("dingtalk", dingtalk.url("dingtalk"), secret=SECRET)
    escalated_loan(make)

    run_once(app)
    run_once(app)

    assert len(wecom.received) == 1 and len(dingtalk.received) == 1 and dingtalk.received[0]["verified"]


def test_workers_in_four_threads_at_once_send_each_alert_once(make, app, receivers):
    receiver = receivers()
    channel("wecom", receiver.url("wecom"))
    for name in ("张三", "李四", "王五"):
        escalated_loan(make, name=name)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work():
        try:
            start.wait()
            run_once(app)
        except BaseException as error:  # noqa: BLE001 - shown by the assert below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert len(receiver.received) == 3 and len({t.split(" needs")[0] for t in receiver.texts()}) == 3 and len(alerts()) == 3
    assert {a.status for a in alerts()} == {"sent"}


_PROCESS = """
import sys, time
from pathlib import Path
from kiosk import create_app
from kiosk.alerts.worker import run_once
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "KIOSK_PRINT_WORKER": False, "BABEL_DEFAULT_LOCALE": "en"})
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
result = run_once(app)
print(result.queued, result.sent)
"""


def test_two_processes_at_once_send_the_escalated_loan_once(make, app, receivers, database_url, tmp_path):
    receiver = receivers()
    channel("wecom", receiver.url("wecom"))
    channel("generic", receiver.url("generic"))
    escalated_loan(make)
    db.session.remove()
    go = tmp_path / "go"
    env = {**os.environ, "KIOSK_INSTANCE_PATH": app.instance_path, "PYTHONPATH": str(Path(__file__).parents[1])}
    processes = [subprocess.Popen([sys.executable, "-c", _PROCESS, database_url, str(go)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    go.touch()
    outputs = [process.communicate(timeout=120) for process in processes]

    assert [process.returncode for process in processes] == [0, 0], outputs
    queued = sum(int(out.split()[0]) for out, _err in outputs)
    sent = sum(int(out.split()[1]) for out, _err in outputs)
    assert (queued, sent) == (2, 2)  # one row per channel, whichever process wrote it
    assert sorted(m["kind"] for m in receiver.received) == ["generic", "wecom"]


# --- a receiver that is down for a while ---------------------------------------------

def test_a_receiver_down_then_failing_gets_every_alert_once_in_order_when_it_is_back(make, app, receivers, clock):
    port = free_port()
    receiver = receivers(SECRET, port=port, start=False)  # nothing listens: connection refused
    channel("dingtalk", receiver.url("dingtalk"), secret=SECRET)
    first = escalated_loan(make, name="张三")

    down = run_once(app)
    assert (down.queued, down.sent, down.retrying) == (1, 0, 1)
    [row] = alerts()
    assert row.status == "queued" and row.attempts == 1
    assert "127.0.0.1" in services.reason_of(row).translated(lambda m, **p: m % p)

    # A second escalation while it is down: it waits behind the first, not tried on its own.
    second = escalated_loan(make, name="李四")
    clock.forward(seconds=10)
    meanwhile = run_once(app)
    assert (meanwhile.queued, meanwhile.sent, meanwhile.retrying) == (1, 0, 0)

    receiver.start()
    receiver.mode = "500"
    clock.forward(seconds=30)
    failing = run_once(app)
    assert failing.retrying == 1 and receiver.refused == 1 and receiver.received == []
    assert "500" in services.reason_of(alerts()[0]).translated(lambda m, **p: m % p)

    receiver.mode = "ok"
    for _ in range(6):  # a supervisor-free hour of the worker's rounds
        clock.forward(minutes=10)
        run_once(app)

    texts = receiver.texts()
    assert len(texts) == 2 and all(m["verified"] for m in receiver.received)
    assert f"L{first.id:06d}" in texts[0] and f"L{second.id:06d}" in texts[1]
    assert [(a.status, a.attempts) for a in alerts()] == [("sent", 3), ("sent", 1)]


def test_an_alert_gives_up_after_its_attempts_and_a_supervisor_can_send_it_again(make, app, receivers, clock):
    receiver = receivers(start=False)
    channel("wecom", receiver.url("wecom"))
    escalated_loan(make)
    for _ in range(services.MAX_ATTEMPTS):
        run_once(app)
        clock.forward(hours=2)
    [row] = alerts()
    assert (row.status, row.attempts) == ("failed", services.MAX_ATTEMPTS)

    receiver.start()
    assert services.retry(db.session, row.id, now=clock.now)
    db.session.commit()
    run_once(app)
    assert len(receiver.received) == 1 and alerts()[0].status == "sent"


# --- what a message may say ----------------------------------------------------------

def test_a_visitors_name_and_phone_never_appear_in_a_message(make, app, receivers, product_language):
    receiver = receivers()
    channel("wecom", receiver.url("wecom"), events=services.EVENTS)
    loan = escalated_loan(make, visitor=True)

    run_once(app)

    [message] = receiver.received
    raw = message["raw"].decode()
    assert VISITOR_PHONE not in raw and "王访客" not in raw
    text = receiver.texts()[0]
    assert text.startswith("【制服室】") and f"借衣单 L{loan.id:06d}" in text and "宴会外包公司的访客" in text
    assert "逾期 4 天" in text
    assert VISITOR_PHONE not in "".join(a.text for a in alerts())


# --- the other events ------------------------------------------------------------------

def _listening(receivers, *events) -> Receiver:
    receiver = receivers()
    channel("generic", receiver.url("generic"), events=events)
    return receiver


def test_a_write_off_waiting_for_approval_alerts_once_with_who_pays(make, app, receivers):
    from kiosk.writeoffs import services as writeoffs

    receiver = _listening(receivers, services.WRITE_OFF_PENDING)
    person = make.employee("赵六")
    garment = make.garment(owner=person, status="issued")
    rules = writeoffs.Rules.from_config(app.config, zone=app.config["BABEL_DEFAULT_TIMEZONE"])
    writeoffs.open_write_off(db.session, garment, reason="lost", responsible="employee", user=None, rules=rules,
                             staff_no=person.staff_no, today=dt.date.today())
    db.session.commit()

    run_once(app)
    run_once(app)

    [text] = receiver.texts()
    assert garment.tag in text and "Lost" in text and "赵六 to pay" in text


def test_prints_failing_for_longer_than_the_setting_alert_once_per_stretch(make, app, receivers, clock):
    from kiosk.printing import process_queue
    from kiosk.printing import services as printing

    receiver = _listening(receivers, services.PRINT_FAILING)
    app.config["KIOSK_PRINTER"] = f"tcp://127.0.0.1:{free_port()}"  # nobody listens: the print fails
    garment = make.garment()
    printing.enqueue_tags(db.session, [garment], user=None, language="en", printer=app.config["KIOSK_PRINTER"])
    db.session.commit()
    process_queue(app)

    clock.forward(minutes=10)
    assert run_once(app).queued == 0  # under the 15 minutes
    clock.forward(minutes=6)
    run_once(app)
    clock.forward(minutes=10)
    run_once(app)

    [text] = receiver.texts()
    assert "Printing has failed for over 15 minutes: 1 print(s)" in text and "127.0.0.1" in text


def test_a_stocktake_left_open_alerts_after_the_hours_set(make, app, receivers, clock):
    from kiosk.stocktake import services as stocktake

    receiver = _listening(receivers, services.STOCKTAKE_OPEN)
    supervisor = make.user("周主管", role="supervisor")
    opened = stocktake.open_stocktake(db.session, "2026-11", user=supervisor)
    db.session.commit()
    clock.at(opened.opened_at)
    services.save_settings(db.session, print_failing_minutes=15, stocktake_open_hours=24, summary_hour=None,
                           user=None)
    db.session.commit()

    clock.forward(hours=23)
    assert run_once(app).queued == 0
    clock.forward(hours=2)
    run_once(app)
    run_once(app)

    [text] = receiver.texts()
    assert "2026-11 stocktake has been open for 25 hours (opened by 周主管)" in text


def test_the_morning_summary_goes_once_at_its_hour_in_the_hotels_zone(make, app, receivers, clock):
    receiver = _listening(receivers, services.MORNING_SUMMARY)
    make.garment(status="dirty")
    services.save_settings(db.session, print_failing_minutes=15, stocktake_open_hours=48, summary_hour=8, user=None)
    db.session.commit()

    clock.at(dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.timezone.utc))  # 07:30 in Shanghai
    assert run_once(app).queued == 0
    clock.forward(minutes=35)  # 08:05
    run_once(app)
    clock.forward(minutes=30)
    run_once(app)

    [text] = receiver.texts()
    assert "2026-12-04" in text and "Dirty 1" in text and "Overdue loans: 0" in text


def test_raise_alert_queues_a_failed_backup_once_per_key_and_the_worker_sends_it(make, app, receivers):
    receiver = _listening(receivers, services.BACKUP_FAILED)
    quiet = receivers()
    channel("wecom", quiet.url("wecom"), events=[services.LOAN_ESCALATED])  # not listening to backups

    assert services.raise_alert(db.session, services.BACKUP_FAILED, "【制服室】备份失败：/mnt/usb 不存在",
                                key="backup_failed:2026-12-03") == 1
    assert services.raise_alert(db.session, services.BACKUP_FAILED, "【制服室】备份失败：/mnt/usb 不存在",
                                key="backup_failed:2026-12-03") == 0
    run_once(app)

    assert receiver.texts() == ["【制服室】备份失败：/mnt/usb 不存在"] and quiet.received == []


def test_kiosk_alerts_run_once_scans_and_sends(make, app, receivers, runner):
    receiver = receivers()
    channel("wecom", receiver.url("wecom"))
    escalated_loan(make)
    db.session.remove()

    result = runner.invoke(args=["kiosk", "alerts", "run-once"])

    assert result.exit_code == 0, result.output
    assert "Alerts: 1 queued, 1 sent, 0 to try again, 0 given up." in result.output
    assert len(receiver.received) == 1


def test_kiosk_alerts_run_once_speaks_the_kiosks_language(app, runner, product_language):
    result = runner.invoke(args=["kiosk", "alerts", "run-once"])
    assert result.exit_code == 0 and "提醒：新排队 0 条，已发送 0 条，待重试 0 条，放弃 0 条。" in result.output


# --- the screen ------------------------------------------------------------------------

def _form(**fields) -> dict:
    form = {"new-name": "主管群", "new-kind": "dingtalk", "new-url": "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456",
            "new-secret": SECRET, "new-events": ["loan_escalated", "print_failing"], "new-active": "y"}
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


def test_only_supervisors_and_admins_reach_the_alerts_screen(client, login_as):
    login_as("clerk")
    assert client.get("/alerts/").status_code == 403
    assert client.post("/alerts/channels", data=_form()).status_code == 403
    login_as("supervisor")
    page = client.get("/alerts/")
    assert page.status_code == 200 and 'id="add-channel"' in page.get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert 'data-station="alerts.index"' in home


def test_a_saved_channel_shows_its_url_masked_and_never_its_secret(make, client, login_as):
    login_as("supervisor")
    response = client.post("/alerts/channels", data=_form())
    assert response.status_code == 302
    page = client.get("/alerts/").get_data(as_text=True)
    assert "https://oapi.dingtalk.com/robot/send?access_token=abcd…" in page
    assert "abcdef123456" not in page and SECRET not in page
    saved = db.session.scalars(select(AlertChannel)).one()
    assert (saved.kind, saved.secret, saved.event_codes) == ("dingtalk", SECRET, ["loan_escalated", "print_failing"])

    # An edit with the URL and secret left empty keeps both.
    response = client.post(f"/alerts/channels/{saved.id}", data={
        f"c{saved.id}-name": "值班群", f"c{saved.id}-kind": "dingtalk", f"c{saved.id}-url": "",
        f"c{saved.id}-secret": "", f"c{saved.id}-events": ["loan_escalated"], f"c{saved.id}-active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(AlertChannel, saved.id)
    assert (saved.name, saved.url, saved.secret, saved.events) == (
        "值班群", "https://oapi.dingtalk.com/robot/send?access_token=abcdef123456", SECRET, "loan_escalated")


@pytest.mark.parametrize("fields, message", [
    ({"new-url": "ftp://example.com/hook"}, "这不是网址（以 https:// 开头）。"),
    ({"new-url": ""}, "请粘贴机器人的 Webhook 地址。"),
    ({"new-events": None}, "请至少选择一个事件。"),
    ({"new-events": ["loan_escalated", "everything"]}, "请从列表中选择事件。"),
    ({"new-kind": "wecom"}, "企业微信群机器人没有签名密钥：请留空。"),
    ({"new-name": ""}, "请给这个渠道起个名字，例如群名。"),
    ({"new-kind": "telegram"}, "请选择机器人类型。"),
])
def test_a_refused_channel_form_says_why_in_chinese_and_saves_nothing(ctx, client, login_as, product_language,
                                                                     fields, message):
    login_as("supervisor")
    response = client.post("/alerts/channels", data=_form(**fields))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AlertChannel)) == 0


def test_a_refused_settings_form_says_why_in_chinese(ctx, client, login_as, product_language):
    login_as("supervisor")
    response = client.post("/alerts/settings", data={"print_failing_minutes": "0", "stocktake_open_hours": "48",
                                                     "summary_hour": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "打印失败超过（分钟）" in body and "1 至 1,440" in body
    response = client.post("/alerts/settings", data={"print_failing_minutes": "30", "stocktake_open_hours": "12",
                                                     "summary_hour": "7"})
    assert response.status_code == 302
    saved = services.settings_of(db.session)
    assert (saved.print_failing_minutes, saved.stocktake_open_hours, saved.summary_hour) == (30, 12, 7)


def test_send_test_queues_one_message_says_so_and_the_worker_sends_it(make, app, client, login_as, receivers,
                                                                       product_language):
    receiver = receivers(SECRET)
    login_as("supervisor")
    channel_id = channel("feishu", receiver.url("feishu"), secret=SECRET, name="主管群")

    form = {"request_key": "test-key-0001"}
    first = client.post(f"/alerts/channels/{channel_id}/test", data=form, follow_redirects=True)
    client.post(f"/alerts/channels/{channel_id}/test", data=form)  # a double tap

    assert "主管群的测试消息已排队" in first.get_data(as_text=True)
    assert receiver.received == []  # the request only queued it
    [row] = alerts()
    assert (row.event, row.status) == ("test", "queued")

    run_once(app)
    [text] = receiver.texts()
    assert receiver.received[0]["verified"] and "测试" in text and "主管群" in text
    db.session.expire_all()  # the test's own session shares the requests' app context
    page = client.get("/alerts/").get_data(as_text=True)
    assert 'data-status="sent"' in page and "已发送" in page


def test_a_switched_off_channel_gets_nothing_new(make, app, client, login_as, receivers):
    receiver = receivers()
    login_as("supervisor")
    channel_id = channel("wecom", receiver.url("wecom"))
    assert client.post(f"/alerts/channels/{channel_id}/active", data={"active": "0"}).status_code == 302
    escalated_loan(make)

    assert run_once(app).queued == 0 and receiver.received == []


def test_mask_url_hides_each_robots_key():
    assert services.mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx") == \
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a…"
    assert services.mask_url("https://open.feishu.cn/open-apis/bot/v2/hook/5e3d587e-d78e") == \
        "https://open.feishu.cn/open-apis/bot/v2/hook/5e3d…"
    assert services.mask_url("https://user:pw@example.com:8443/x?token=abcdefg") == "https://example.com:8443/x?token=abcd…"


def test_the_background_worker_sends_a_test_the_moment_it_is_queued(make, app, client, login_as, receivers):
    """The real thread (as a server runs it): the button's request wakes it; the request itself sends nothing."""
    import time

    from kiosk.alerts import worker

    receiver = receivers()
    login_as("supervisor")
    channel_id = channel("wecom", receiver.url("wecom"))
    app.config.update(KIOSK_ALERT_WORKER=True, KIOSK_ALERT_POLL_SECONDS=30.0)
    try:
        client.post(f"/alerts/channels/{channel_id}/test", data={"request_key": "test-key-0002"})
        deadline = time.monotonic() + 60
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop(app)
    assert len(receiver.received) == 1 and receiver.received[0]["body"]["msgtype"] == "text"


def test_a_failed_nightly_backup_reaches_the_group(make, app, receivers, runner, tmp_path):
    """``kiosk backup`` to a folder that is not there fails, and the supervisors hear of it once."""
    receiver = _listening(receivers, services.BACKUP_FAILED)
    db.session.remove()
    missing = tmp_path / "usb-stick-not-mounted"

    for _ in range(2):  # the timer tries again: still one alert that day
        assert runner.invoke(args=["kiosk", "backup", str(missing)]).exit_code != 0
    run_once(app)

    [text] = receiver.texts()
    assert str(missing) in text
