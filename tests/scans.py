"""What the station tests read off an answer, and count in the database."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Event, Garment

HX = {"HX-Request": "true"}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def scan_result(body: str) -> str:
    """ok / duplicate / error of the answer (#scan-result)."""
    return re.search(r'id="scan-result"[^>]*data-scan-result="([a-z]+)"', body, re.S).group(1)


def garment_status(body: str) -> str | None:
    found = re.search(r'data-garment-status="([a-z_]+)"', body)
    return found.group(1) if found else None


def events() -> int:
    """Events in the ledger, counted on a connection of its own (what is committed)."""
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Event.__table__))


def garment(tag: str) -> Garment:
    """The garment as it is in the database now."""
    db.session.expire_all()
    return db.session.scalar(select(Garment).where(Garment.tag == tag))
