"""Shift checklists: the items of each list (a supervisor edits them) and each check as done or missed.

A list is named by ``checklist`` (a stable code: ``ironing_open``,
``ironing_close``, ``counter_open``, ``counter_close``); the role and station it
belongs to are the code's (:mod:`kiosk.checklists.services`). An item with a
``rule`` is checked by the kiosk, not by a tick (``all_slotted``: no passed
garment waits for its slot). A :class:`ChecklistRun` records one check: done
(with what was ticked, as the items read then) or missing (signed out or
locked without it).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import OperatorSession, PerProperty, UTCDateTime, User, utcnow

RUN_STATUSES = ("done", "missing")


class ChecklistItem(PerProperty, db.Model):
    __tablename__ = "checklist_items"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (Index("ix_checklist_items_property_checklist_position", "property_id", "checklist", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist: Mapped[str] = mapped_column(String(24))
    #: The duty in the room's words (the seed's Chinese), shown as written.
    text: Mapped[str] = mapped_column(String(200))
    #: The same duty in English, for an English screen (empty: the Chinese is shown).
    text_en: Mapped[str] = mapped_column(String(200), default="")
    #: A check the kiosk makes itself (empty: a tick).
    rule: Mapped[str] = mapped_column(String(24), default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # Shown like a type's name (kiosk.domain.names.local_name, the ``type_name`` filter):
    # the English words on an English screen when there are some, else the room's own.
    @property
    def name_zh(self) -> str:
        return self.text

    @property
    def name_en(self) -> str:
        return self.text_en


class ChecklistRun(PerProperty, db.Model):
    __tablename__ = "checklist_runs"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        CheckConstraint("status IN ('done', 'missing')", name="status"),
        # 今日 and the handover ask for the day's checks, newest first.
        Index("ix_checklist_runs_property_at", "property_id", "at"),
        Index("ix_checklist_runs_session_checklist", "session_id", "checklist"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: The sign-in it belongs to: an opening check is asked once per sign-in at the station.
    session_id: Mapped[int | None] = mapped_column(ForeignKey("operator_sessions.id"))
    station: Mapped[str] = mapped_column(String(24), default="")
    #: JSON: the items as they read then, each with ticked true/false (and a rule's count).
    items: Mapped[str] = mapped_column(Text, default="[]")
    #: Why it is missing (``sign_out``, ``idle_lock``), or a note with a done check.
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    session: Mapped[OperatorSession | None] = relationship()
