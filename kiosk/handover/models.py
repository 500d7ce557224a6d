"""The shift handover (交接班) record."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import PerProperty, UTCDateTime, User, utcnow


class Handover(PerProperty, db.Model):
    """A note from the outgoing clerk with the open items as they stood then.

    ``summary`` is a JSON snapshot taken when the note was written and never
    recomputed: the next shift reads what the last one saw. The note and the
    snapshot are never edited; only the acknowledgement is filled in, once.
    """

    __tablename__ = "handovers"
    __property_led__ = True  # its indexes begin with property_id
    __table_args__ = (
        # The writer cannot sign off their own handover: the next clerk does.
        CheckConstraint("acknowledged_by_id IS NULL OR acknowledged_by_id <> written_by_id",
                        name="other_user"),
        # "The latest handover still waiting" is asked on every visit.
        Index("ix_handovers_property_acknowledged_created", "property_id", "acknowledged_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    written_by: Mapped[User] = relationship(foreign_keys=[written_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])

    @property
    def snapshot(self) -> dict[str, Any]:
        return json.loads(self.summary)

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None
