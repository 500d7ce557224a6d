"""Alerts (提醒) to the supervisors' group chats: the channels, the settings, and each alert as a row.

An alert is written once per event instance: ``(channel_id, dedupe_key)`` is
unique, so the same escalated loan is one row per channel whichever process
saw it first. A background worker (:mod:`kiosk.alerts.worker`) claims a row
with a conditional UPDATE (``queued`` → ``sending``) and sends it; a request
only ever inserts rows.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import PerProperty, UTCDateTime, User, utcnow

#: 企业微信群机器人 · 钉钉自定义机器人 · 飞书自定义机器人 · any URL taking a JSON POST
KINDS = ("wecom", "dingtalk", "feishu", "generic")
QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
STATUSES = (QUEUED, SENDING, SENT, FAILED)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class AlertChannel(PerProperty, db.Model):
    """Where alerts go: a group robot's webhook URL, its signing secret, the events it gets.

    ``url`` and ``secret`` are credentials (whoever has the URL can post into
    the group): the screens show the URL masked and the secret never.
    ``events``: the event codes, comma separated (:data:`kiosk.alerts.services.EVENTS`).
    """

    __tablename__ = "alert_channels"
    __table_args__ = (CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(1024))
    secret: Mapped[str] = mapped_column(String(255), default="")
    events: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()

    @property
    def event_codes(self) -> list[str]:
        return [code for code in self.events.split(",") if code]


class AlertSettings(PerProperty, db.Model):
    """The room's alert thresholds (one row per property): edited on the alerts screen."""

    __tablename__ = "alert_settings"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint("print_failing_minutes > 0", name="print_minutes"),
        CheckConstraint("stocktake_open_hours > 0", name="stocktake_hours"),
        CheckConstraint("summary_hour IS NULL OR (summary_hour >= 0 AND summary_hour <= 23)", name="summary_hour"),
        UniqueConstraint("property_id", name="uq_alert_settings_property"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: prints failing (nothing printed since) for longer than this: one alert
    print_failing_minutes: Mapped[int] = mapped_column(default=15)
    #: a stocktake still open after this many hours: one alert
    stocktake_open_hours: Mapped[int] = mapped_column(default=48)
    #: the hour (hotel time, 0-23) of the morning summary; NULL: no summary
    summary_hour: Mapped[int | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Alert(PerProperty, db.Model):
    """One message for one channel: queued, being sent, sent, or failed for good.

    ``text`` is written when the event is seen (staff names only: never a
    visitor's name or phone). ``last_error`` keeps the latest reason as msgid
    + parameters (JSON, as a print job's), read in the reader's language.
    """

    __tablename__ = "alerts"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(STATUSES)})", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        # One alert per event instance and channel, across processes.
        UniqueConstraint("channel_id", "dedupe_key", name="uq_alerts_channel_key"),
        # The worker's "what is due now".
        Index("ix_alerts_property_status_next", "property_id", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("alert_channels.id"))
    event: Mapped[str] = mapped_column(String(24))
    dedupe_key: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[AlertChannel] = relationship()
