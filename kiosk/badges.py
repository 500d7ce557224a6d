"""Badge codes as a keyed hash: the one place a scanned badge becomes what is stored.

A badge (工牌) opens the kiosk and names a person, so the database keeps only
``HMAC-SHA256(key, code)``: a copy of the database (a backup on a USB stick,
a laptop) hands out no badge code that would work at a scanner, while a scan
still finds its person in one indexed lookup of the digest. The key lives in
the instance folder beside the secret key (``KIOSK_BADGE_KEY``), never in
the database; ``kiosk backup`` writes it beside the copy.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from .domain.codes import normalise_code


def badge_key() -> str:
    """The configured key (read once per call; the app holds it, not this module)."""
    return current_app.config["KIOSK_BADGE_KEY"]


def digest(code: str | None, key: str | None = None) -> str | None:
    """What is stored for the badge ``code`` (normalised as every scan is); None for no code."""
    normalised = normalise_code(code or "")
    if not normalised:
        return None
    secret = (key if key is not None else badge_key()).encode()
    return hmac.new(secret, normalised.encode(), hashlib.sha256).hexdigest()
