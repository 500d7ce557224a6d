"""Alerts to the supervisors' group chats: which events, the channels, the queue and its sender. No Flask here.

- The **scanner** (:func:`scan`, every minute in the worker) looks for event
  instances (a loan escalated, a write-off waiting for approval, prints
  failing, a stocktake left open, the morning summary) and writes one
  :class:`~kiosk.alerts.models.Alert` per instance and channel. The dedupe key
  names the instance (``loan_escalated:17``), and ``(channel, key)`` is unique,
  so an instance alerts once however often it is seen, by however many
  processes (a second insert does nothing).
- :func:`raise_alert` is the same for an event the kiosk meets elsewhere (the
  nightly backup failing: ``kiosk backup`` calls it).
- The **sender** (:func:`process`) claims a due alert with one conditional
  UPDATE (``queued`` → ``sending``, as :func:`kiosk.printing.services.claim`),
  sends it with no transaction open, and marks it ``sent``, or queued again
  with a growing wait (:func:`backoff`), or ``failed`` after
  :data:`MAX_ATTEMPTS`. A channel that fails holds its other alerts back to
  the same time, so a receiver that is down for an hour gets them all later,
  in order, once each.

Messages carry staff names at most: a visitor borrower is "a visitor" (and
their organisation), never their name or phone.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from ..board import services as board
from .. import scope
from ..database import insert_or_skip
from ..domain import calendar
from ..domain.errors import DomainError, N_
from ..domain.garment_states import STATUS_LABELS, Status
from ..domain.names import local_name
from ..domain.notes import WRITE_OFF_REASONS
from ..loans import services as loans
from ..models import Hotel, PrintJob, User, utcnow
from ..printing import services as printing
from ..stocktake.models import Stocktake
from ..writeoffs.models import WriteOff
from . import webhooks
from .models import FAILED, KINDS, QUEUED, SENDING, SENT, Alert, AlertChannel, AlertSettings

# --- the events ---------------------------------------------------------------

LOAN_ESCALATED = "loan_escalated"
WRITE_OFF_PENDING = "write_off_pending"
PRINT_FAILING = "print_failing"
STOCKTAKE_OPEN = "stocktake_open"
BACKUP_FAILED = "backup_failed"
MORNING_SUMMARY = "morning_summary"
#: the "send test" button's alert: never subscribed, sent even to a channel switched off
TEST = "test"

#: event -> label msgid, in the order the screen lists them (what a channel may subscribe to)
EVENTS: dict[str, str] = {
    LOAN_ESCALATED: N_("Loan escalated (overdue, chased too often or too late)"),
    WRITE_OFF_PENDING: N_("Write-off or compensation waiting for approval"),
    PRINT_FAILING: N_("Prints failing"),
    STOCKTAKE_OPEN: N_("Stocktake left open"),
    BACKUP_FAILED: N_("Nightly backup failed"),
    MORNING_SUMMARY: N_("Morning summary (the Today board's counts)"),
}
EVENT_LABELS: dict[str, str] = {**EVENTS, TEST: N_("Test")}

KIND_LABELS: dict[str, str] = {
    webhooks.WECOM: N_("WeCom group robot (企业微信)"),
    webhooks.DINGTALK: N_("DingTalk custom robot (钉钉)"),
    webhooks.FEISHU: N_("Feishu custom bot (飞书)"),
    webhooks.GENERIC: N_("Other: JSON POST to a URL"),
}
#: kinds whose robot signs with a secret (WeCom has none: the key in its URL is the credential)
SIGNED_KINDS = (webhooks.DINGTALK, webhooks.FEISHU, webhooks.GENERIC)

STATUS_LABELS_ALERT: dict[str, str] = {
    QUEUED: N_("Waiting to send"),
    SENDING: N_("Sending"),
    SENT: N_("Delivered"),
    FAILED: N_("Not sent"),
}

#: after this many attempts an alert is ``failed`` (about a day of retries, see :func:`backoff`)
MAX_ATTEMPTS = 30
#: the first wait after a failure, doubled each time up to :data:`MAX_WAIT`
FIRST_WAIT = dt.timedelta(seconds=30)
MAX_WAIT = dt.timedelta(hours=1)
#: an alert "sending" for longer than this was left behind by a stopped process: queued again
#: (sent twice at worst, which beats an escalation nobody hears of)
STALE_AFTER = dt.timedelta(minutes=5)
#: at most this many alerts a round (a robot takes about 20 a minute)
ROUND_LIMIT = 20

URL_MAX = 1024
SECRET_MAX = 255
NAME_MAX = 64


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait before attempt ``attempts + 1``: 30 s, 1 min, 2 min, … at most an hour."""
    return min(FIRST_WAIT * (2 ** max(0, attempts - 1)), MAX_WAIT)


# --- channels -------------------------------------------------------------------

def check_url(raw: str) -> str:
    """A webhook URL as given, or DomainError: http(s), a host, no spaces, at most 1024 characters."""
    url = (raw or "").strip()
    if not url:
        raise DomainError(N_("Paste the robot's webhook URL."))
    if len(url) > URL_MAX:
        raise DomainError(N_("At most %(max)d characters."), max=URL_MAX)
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise DomainError(N_("This is not a web address (it starts with https://).")) from None
    if parts.scheme not in ("https", "http") or not host or any(ch.isspace() for ch in url):
        raise DomainError(N_("This is not a web address (it starts with https://)."))
    return url


def mask_url(url: str) -> str:
    """The URL as a screen shows it: host and path, with the key part hidden.

    The credential of a robot's URL is its last path segment (Feishu's hook
    token) or a query value (WeCom's ``key``, DingTalk's ``access_token``):
    each shows its first 4 characters only. A user and password never show.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"

    def hide(value: str) -> str:
        return value if len(value) <= 4 else value[:4] + "…"

    segments = parts.path.split("/")
    if segments and segments[-1]:
        segments[-1] = hide(segments[-1])
    query = "&".join(f"{name}={hide(value)}" for name, value in urllib.parse.parse_qsl(parts.query,
                                                                                    keep_blank_values=True))
    return f"{parts.scheme}://{host}{'/'.join(segments)}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class ChannelData:
    """What the channel form gives: ``url``/``secret`` None keep the saved ones (never shown again)."""

    name: str
    kind: str
    events: tuple[str, ...]
    active: bool = True
    url: str | None = None
    secret: str | None = None


def channels(session: Session) -> list[AlertChannel]:
    return list(session.scalars(select(AlertChannel).order_by(AlertChannel.name, AlertChannel.id)))


def save_channel(session: Session, data: ChannelData, *, user: User | None,
                 channel: AlertChannel | None = None) -> AlertChannel:
    """A new channel, or ``channel`` changed. The form checked the values; the caller commits."""
    if data.kind not in KINDS:
        raise DomainError(N_("Choose the kind of robot."))
    unknown = [event for event in data.events if event not in EVENTS]
    if unknown or not data.events:
        raise DomainError(N_("Choose at least one event."))
    if channel is None:
        if data.url is None:
            raise DomainError(N_("Paste the robot's webhook URL."))
        channel = AlertChannel(url=data.url, secret="")
        session.add(channel)
    elif data.url is not None:
        channel.url = data.url
    channel.name = data.name
    channel.kind = data.kind
    channel.events = ",".join(event for event in EVENTS if event in data.events)
    channel.active = data.active
    if data.secret is not None:
        channel.secret = data.secret
    if channel.kind not in SIGNED_KINDS:
        channel.secret = ""
    channel.updated_by = user
    session.flush()
    return channel


def set_active(session: Session, channel: AlertChannel, active: bool, *, user: User | None) -> None:
    channel.active = active
    channel.updated_by = user
    session.flush()


def delete_channel(session: Session, channel: AlertChannel) -> None:
    """The channel and its alerts (the messages already went; what waits goes nowhere now)."""
    session.execute(delete(Alert).where(Alert.channel_id == channel.id).execution_options(synchronize_session=False))
    session.delete(channel)
    session.flush()


# --- settings ---------------------------------------------------------------------

DEFAULT_PRINT_MINUTES = 15
DEFAULT_STOCKTAKE_HOURS = 48


def settings_of(session: Session) -> AlertSettings:
    """The room's thresholds (the property's saved row, or the defaults, not written)."""
    saved = session.scalar(select(AlertSettings))
    if saved is not None:
        return saved
    return AlertSettings(print_failing_minutes=DEFAULT_PRINT_MINUTES,
                         stocktake_open_hours=DEFAULT_STOCKTAKE_HOURS, summary_hour=None)


def save_settings(session: Session, *, print_failing_minutes: int, stocktake_open_hours: int,
                  summary_hour: int | None, user: User | None) -> AlertSettings:
    row = session.scalar(select(AlertSettings).with_for_update())
    if row is None:
        row = AlertSettings()
        session.add(row)
    row.print_failing_minutes = print_failing_minutes
    row.stocktake_open_hours = stocktake_open_hours
    row.summary_hour = summary_hour
    row.updated_by_id = user.id if user is not None else None
    session.flush()
    return row


# --- queueing ---------------------------------------------------------------------

def _insert_new(session: Session, rows: list[dict]) -> int:
    """Insert ``rows``; one whose (channel, key) is there already is left out (another process's)."""
    if not rows:
        return 0
    property_id = scope.required(session)  # the property of the channels the rows are for
    rows = [{**row, "property_id": property_id} for row in rows]
    statement = (insert_or_skip(session, Alert, ["channel_id", "dedupe_key"]).values(rows)
                 .returning(Alert.id))  # the rows inserted (rowcount is not told for every driver)
    return len(session.execute(statement).all())


def _row(channel_id: int, event: str, key: str, text: str, now: dt.datetime) -> dict:
    return dict(channel_id=channel_id, event=event, dedupe_key=key[:128], text=text, status=QUEUED, attempts=0,
                next_attempt_at=now, last_error=None, created_at=now, updated_at=now)


def _listening(session: Session, event: str) -> list[int]:
    """The ids of the channels switched on for ``event``."""
    return [channel.id for channel in session.scalars(select(AlertChannel).where(AlertChannel.active.is_(True)))
            if event in channel.event_codes]


def raise_alert(session: Session, event: str, text: str, key: str | None = None, *,
                now: dt.datetime | None = None, commit: bool = True) -> int:
    """Queue ``text`` for every channel switched on for ``event``, once per ``key``; returns how many were queued.

    For the events the kiosk meets outside the scanner: ``kiosk backup`` calls
    ``raise_alert(session, BACKUP_FAILED, "…", key="backup_failed:2026-12-03")``
    when the nightly backup fails. ``text`` goes as it is (in the kiosk's
    language; no personal data). Without ``key``, the same text alerts once a
    day (UTC). Nothing is sent here: the server's alert worker sends it.
    Commits (the alert is kept whatever the caller does next), unless ``commit=False``.
    """
    if event not in EVENT_LABELS:
        raise ValueError(f"unknown alert event {event!r}")
    now = now or utcnow()
    if key is None:
        key = f"{event}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}:{now.date().isoformat()}"
    queued = _insert_new(session, [_row(channel_id, event, key, text, now)
                                   for channel_id in _listening(session, event)])
    if commit:
        session.commit()
    return queued


def queue_test(session: Session, channel: AlertChannel, text: str, *, request_key: str,
               now: dt.datetime | None = None) -> bool:
    """The "send test" button: one test alert for ``channel`` (a repeated tap, same key: still one).

    Returns False when this key had queued it already. The caller commits.
    """
    now = now or utcnow()
    return _insert_new(session, [_row(channel.id, TEST, f"{TEST}:{request_key}", text, now)]) == 1


# --- the scanner --------------------------------------------------------------------

@dataclass(frozen=True)
class Words:
    """The kiosk's language, passed in (the worker makes it from Flask-Babel in KIOSK_LANGUAGE)."""

    gettext: Callable[..., str]
    #: how late a loan is (逾期 5 小时 / 逾期 3 天): kiosk.i18n.late
    late: Callable[[dt.timedelta], str]
    #: an amount (¥45.00): kiosk.i18n.money
    money: Callable[[Decimal], str]
    language: str = "zh_CN"


@dataclass(frozen=True)
class ScanSettings:
    """The kiosk's settings the scanner needs (the worker reads them from the app's config)."""

    zone: str
    escalate_attempts: int = 3
    escalate_days: int = 3
    tailor_days: int = 3


@dataclass(frozen=True)
class Instance:
    """One event instance: its key, and its text (made only when some channel lacks it)."""

    event: str
    key: str
    text: Callable[[], str]


def header(session: Session, words: Words) -> str:
    """What every message starts with: the room's name (a DingTalk robot's keyword, 制服室)."""
    name = session.scalar(select(Hotel.name).order_by(Hotel.id).limit(1)) or ""
    head = words.gettext("[%(hotel)s uniform room]", hotel=name) if name else words.gettext("[Uniform room]")
    return head if words.language.startswith("zh") else f"{head} "


def _escalated_loans(session: Session, words: Words, now: dt.datetime, settings: ScanSettings) -> list[Instance]:
    def text(overdue: loans.Overdue) -> Callable[[], str]:
        def make() -> str:
            loan = overdue.loan
            if loan.employee is not None:  # staff: their name and department
                who = loan.employee.name
                department = loan.department.name if loan.department is not None else ""
                if department:
                    who = words.gettext("%(name)s (%(department)s)", name=who, department=department)
            else:  # a visitor: never their name or phone
                who = (words.gettext("a visitor from %(organisation)s", organisation=loan.borrower_org)
                       if loan.borrower_org else words.gettext("a visitor"))
            return words.gettext(
                "Loan %(slip)s needs a supervisor: %(who)s, %(count)s garment(s) not back, %(late)s,"
                " %(failed)s failed contact attempt(s). See Loans.",
                slip=loans.slip_number(loan), who=who, count=len(loan.outstanding), late=words.late(overdue.late),
                failed=overdue.failed_attempts)
        return make

    return [Instance(LOAN_ESCALATED, f"{LOAN_ESCALATED}:{o.loan.id}", text(o))
            for o in loans.escalated(session, now=now, escalate_attempts=settings.escalate_attempts,
                                     escalate_days=settings.escalate_days)]


def _pending_write_offs(session: Session, words: Words) -> list[Instance]:
    def text(write_off: WriteOff) -> Callable[[], str]:
        def make() -> str:
            garment = write_off.garment
            what = f"{local_name(garment.garment_type, words.language)} {garment.tag}"
            reason = words.gettext(WRITE_OFF_REASONS.get(write_off.reason, write_off.reason))
            if write_off.amount and write_off.responsible == "employee" and write_off.employee is not None:
                charge = words.gettext("%(name)s to pay %(amount)s", name=write_off.employee.name,
                                       amount=words.money(write_off.amount))
            elif write_off.amount:
                charge = words.gettext("the borrower to pay %(amount)s", amount=words.money(write_off.amount))
            else:
                charge = words.gettext("no compensation")
            return words.gettext("A write-off waits for approval: %(garment)s, %(reason)s, %(charge)s."
                                 " Approve it under Write-offs and compensation.",
                                 garment=what, reason=reason, charge=charge)
        return make

    pending = session.scalars(select(WriteOff).where(WriteOff.status == "pending")
                              .options(joinedload(WriteOff.garment), joinedload(WriteOff.employee))
                              .order_by(WriteOff.id))
    return [Instance(WRITE_OFF_PENDING, f"{WRITE_OFF_PENDING}:{w.id}", text(w)) for w in pending]


def _failing_prints(session: Session, words: Words, now: dt.datetime, minutes: int) -> list[Instance]:
    """Prints asked for after the last one that printed, failed, the oldest over ``minutes`` ago.

    One alert per such stretch: its key names the last job that printed, so a
    print that comes out ends it, and the next failing stretch alerts again.
    """
    last_done = session.scalar(select(func.max(PrintJob.id)).where(PrintJob.status == printing.DONE)) or 0
    count, oldest = session.execute(
        select(func.count(), func.min(PrintJob.created_at))
        .where(PrintJob.status == printing.FAILED, PrintJob.id > last_done)).one()
    if not count or oldest is None or oldest > now - dt.timedelta(minutes=minutes):
        return []

    def make() -> str:
        latest = session.scalar(select(PrintJob).where(PrintJob.status == printing.FAILED, PrintJob.id > last_done)
                                .order_by(PrintJob.updated_at.desc(), PrintJob.id.desc()).limit(1))
        reason = printing.reason_of(latest) if latest is not None else None
        return words.gettext("Printing has failed for over %(minutes)s minutes: %(count)s print(s) not printed."
                             " Last reason: %(reason)s See the print queue.",
                             minutes=minutes, count=count,
                             reason=reason.translated(words.gettext) if reason else "-")

    return [Instance(PRINT_FAILING, f"{PRINT_FAILING}:{last_done}", make)]


def _open_stocktakes(session: Session, words: Words, now: dt.datetime, hours: int) -> list[Instance]:
    def text(stocktake: Stocktake) -> Callable[[], str]:
        def make() -> str:
            open_for = int((now - stocktake.opened_at).total_seconds() // 3600)
            return words.gettext("The %(month)s stocktake has been open for %(hours)s hours (opened by %(name)s)."
                                 " Close it with the supervisor's and the counter's PINs.",
                                 month=stocktake.month, hours=open_for, name=stocktake.opened_by.name)
        return make

    left_open = session.scalars(select(Stocktake).where(Stocktake.status == "open",
                                                        Stocktake.opened_at <= now - dt.timedelta(hours=hours))
                                .order_by(Stocktake.id))
    return [Instance(STOCKTAKE_OPEN, f"{STOCKTAKE_OPEN}:{s.id}", text(s)) for s in left_open]


def summary_text(session: Session, words: Words, now: dt.datetime, settings: ScanSettings) -> str:
    """The morning summary: the Today board's counts, the overdue loans, the approvals waiting."""
    day = board.today_board(session, now_utc=now, timezone=settings.zone, tailor_days=settings.tailor_days)
    overdue = loans.overdue(session, now=now, escalate_attempts=settings.escalate_attempts,
                            escalate_days=settings.escalate_days)
    pending = session.scalar(select(func.count()).select_from(WriteOff).where(WriteOff.status == "pending")) or 0
    separator = "，" if words.language.startswith("zh") else ", "
    counts = separator.join(f"{words.gettext(STATUS_LABELS[Status(code)])} {count}"
                            for code, count in day.counts.items() if count)
    lines = [
        words.gettext("Good morning. The uniform room on %(day)s:",
                      day=calendar.local_date(now, settings.zone).isoformat()),
        words.gettext("Garments: %(counts)s", counts=counts or "0"),
        words.gettext("Passed, waiting for their slot: %(count)s", count=day.unslotted_count),
        words.gettext("In ironing or inspection for over 24 hours: %(count)s", count=day.stuck_count),
        words.gettext("Overdue at the tailor: %(count)s", count=day.tailor_count),
        words.gettext("Department carts open: %(count)s", count=day.open_carts),
        words.gettext("Tags to print again: %(count)s", count=day.reprints),
        words.gettext("Overdue loans: %(count)s (escalated: %(escalated)s)", count=len(overdue),
                      escalated=sum(1 for o in overdue if o.escalated)),
        words.gettext("Write-offs waiting for approval: %(count)s", count=pending),
    ]
    return "\n".join(lines)


def _morning_summary(session: Session, words: Words, now: dt.datetime, settings: ScanSettings,
                     hour: int | None) -> list[Instance]:
    if hour is None:
        return []
    local = calendar.local_time(now, settings.zone)
    if local.hour != hour:
        return []
    return [Instance(MORNING_SUMMARY, f"{MORNING_SUMMARY}:{local.date().isoformat()}",
                     lambda: summary_text(session, words, now, settings))]


def instances(session: Session, words: Words, *, now: dt.datetime, settings: ScanSettings,
              events: Iterable[str] = EVENTS) -> list[Instance]:
    """Every event instance there is now, of ``events`` (their texts not made yet)."""
    wanted = set(events)
    thresholds = settings_of(session)
    found: list[Instance] = []
    if LOAN_ESCALATED in wanted:
        found += _escalated_loans(session, words, now, settings)
    if WRITE_OFF_PENDING in wanted:
        found += _pending_write_offs(session, words)
    if PRINT_FAILING in wanted:
        found += _failing_prints(session, words, now, thresholds.print_failing_minutes)
    if STOCKTAKE_OPEN in wanted:
        found += _open_stocktakes(session, words, now, thresholds.stocktake_open_hours)
    if MORNING_SUMMARY in wanted:
        found += _morning_summary(session, words, now, settings, thresholds.summary_hour)
    return found


def scan(session: Session, words: Words, *, now: dt.datetime, settings: ScanSettings) -> int:
    """Queue an alert for each event instance a listening channel has not had yet; returns how many.

    Reads first and writes only what is new (an idle minute takes no write
    lock); two processes scanning at once insert each row once (the unique
    key). Commits.
    """
    listening: dict[str, list[int]] = {}
    for channel in session.scalars(select(AlertChannel).where(AlertChannel.active.is_(True))):
        for event in channel.event_codes:
            listening.setdefault(event, []).append(channel.id)
    if not listening:
        session.rollback()
        return 0
    found = instances(session, words, now=now, settings=settings, events=listening)
    if not found:
        session.rollback()
        return 0
    had = {tuple(row) for row in session.execute(select(Alert.channel_id, Alert.dedupe_key)
                                                    .where(Alert.dedupe_key.in_([i.key for i in found])))}
    head = header(session, words)
    rows = []
    for instance in found:
        missing = [cid for cid in listening[instance.event] if (cid, instance.key) not in had]
        if missing:
            text = f"{head}{instance.text()}"
            rows += [_row(cid, instance.event, instance.key, text, now) for cid in missing]
    queued = _insert_new(session, rows)
    session.commit()
    return queued


# --- the sender ----------------------------------------------------------------------

def due(session: Session, now: dt.datetime, limit: int = ROUND_LIMIT) -> list[int]:
    """Ids of the alerts to send now: each channel's oldest waiting one, when it is due.

    A channel's alerts go in the order they were raised: one that came while
    the receiver was down waits behind the one being retried. A switched-off
    channel's alerts wait; its tests go.
    """
    sendable = (Alert.status == QUEUED, or_(AlertChannel.active.is_(True), Alert.event == TEST))
    first = (select(func.min(Alert.id)).join(AlertChannel, AlertChannel.id == Alert.channel_id)
             .where(*sendable).group_by(Alert.channel_id))
    return list(session.scalars(
        select(Alert.id).where(Alert.id.in_(first), Alert.next_attempt_at <= now).order_by(Alert.id).limit(limit)))


def claim(session: Session, alert_id: int, now: dt.datetime) -> bool:
    """Take alert ``alert_id`` for sending; False when another worker took it first.

    One UPDATE with the status and the due time in its WHERE: of two
    processes, exactly one changes the row. Committed at once.
    """
    result = session.execute(
        update(Alert).where(Alert.id == alert_id, Alert.status == QUEUED, Alert.next_attempt_at <= now)
        .values(status=SENDING, attempts=Alert.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def release_stale(session: Session, now: dt.datetime) -> int:
    """Alerts left "sending" by a process that stopped: queued again."""
    before = now - STALE_AFTER
    if session.scalar(select(Alert.id).where(Alert.status == SENDING, Alert.updated_at < before).limit(1)) is None:
        return 0
    result = session.execute(update(Alert).where(Alert.status == SENDING, Alert.updated_at < before)
                             .values(status=QUEUED, next_attempt_at=now, updated_at=now)
                             .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount


@dataclass(frozen=True)
class Outcome:
    alert_id: int
    status: str
    error: DomainError | None = None


def _finish(session: Session, alert_id: int, **values) -> None:
    session.execute(update(Alert).where(Alert.id == alert_id, Alert.status == SENDING).values(**values)
                    .execution_options(synchronize_session=False))
    session.commit()


def send_one(session: Session, alert_id: int, *, now: dt.datetime, timeout: float) -> Outcome:
    """Send a claimed alert; it is ``sent``, queued for a later attempt, or ``failed`` after it."""
    alert = session.get(Alert, alert_id)
    channel = alert.channel
    kind, url, secret, text, event, key, attempts, channel_id = (
        channel.kind, channel.url, channel.secret, alert.text, alert.event, alert.dedupe_key, alert.attempts,
        channel.id)
    session.rollback()  # no transaction stays open while the robot is talked to
    try:
        request = webhooks.request_for(kind, url, text, secret=secret, now=now, event=event, key=key)
        webhooks.post(kind, request, timeout=timeout)
    except DomainError as error:
        reason = printing.error_json(error)
        if attempts >= MAX_ATTEMPTS:
            _finish(session, alert_id, status=FAILED, last_error=reason, updated_at=now)
            return Outcome(alert_id, FAILED, error)
        later = now + backoff(attempts)
        _finish(session, alert_id, status=QUEUED, next_attempt_at=later, last_error=reason, updated_at=now)
        # The channel is down or refusing: its other alerts wait as long (kept in order, not each tried).
        session.execute(update(Alert).where(Alert.channel_id == channel_id, Alert.status == QUEUED,
                                            Alert.next_attempt_at < later)
                        .values(next_attempt_at=later).execution_options(synchronize_session=False))
        session.commit()
        return Outcome(alert_id, QUEUED, error)
    _finish(session, alert_id, status=SENT, sent_at=now, last_error=None, updated_at=now)
    return Outcome(alert_id, SENT)


def process(session: Session, *, now: dt.datetime, timeout: float) -> list[Outcome]:
    """Send every alert due now, oldest first; returns what happened to each one tried."""
    release_stale(session, now)
    outcomes: list[Outcome] = []
    tried: set[int] = set()
    while True:
        ids = [i for i in due(session, now) if i not in tried]
        session.rollback()
        if not ids:
            return outcomes
        for alert_id in ids:
            tried.add(alert_id)
            if claim(session, alert_id, now):
                outcomes.append(send_one(session, alert_id, now=now, timeout=timeout))


def retry(session: Session, alert_id: int, *, now: dt.datetime | None = None) -> bool:
    """A failed alert queued again (a fresh round of attempts); False when it is not failed. The caller commits."""
    now = now or utcnow()
    result = session.execute(update(Alert).where(Alert.id == alert_id, Alert.status == FAILED)
                             .values(status=QUEUED, attempts=0, next_attempt_at=now, updated_at=now)
                             .execution_options(synchronize_session=False))
    return result.rowcount == 1


def recent(session: Session, limit: int = 30) -> list[Alert]:
    """The latest alerts, newest first, with their channel (the screen's list)."""
    return list(session.scalars(select(Alert).options(joinedload(Alert.channel))
                                .order_by(Alert.id.desc()).limit(limit)))


def reason_of(alert: Alert) -> DomainError | None:
    """The alert's last error, ready to translate."""
    return printing.reason_of(alert)  # the same JSON as a print job's reason
