"""Codes people type or scan: tag codes, staff numbers, phone numbers."""
from __future__ import annotations

import re
import unicodedata

TAG_MAX_LENGTH = 24
#: A code a person types or a scanner reads: a garment's tag, a garment type's or stock item's code
#: (HK-SUIT). The one rule for every form and every import (after :func:`normalise_code`).
CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]*$"
#: Staff and uniform numbers: letters, digits and a few separators, no spaces.
NUMBER_PATTERN = r"^[A-Z0-9][A-Z0-9._/-]*$"
_TAG_RE = re.compile(CODE_PATTERN)
_NUMBER_RE = re.compile(NUMBER_PATTERN)
# Mainland mobile: 11 digits starting 13-19. Landline: area code 0xx/0xxx and
# a 7-8 digit number, optionally with an extension (010-12345678-123).
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalise_code(raw: str) -> str:
    """NFKC, trimmed and upper-cased: a full-width code from a Chinese IME matches."""
    return unicodedata.normalize("NFKC", raw or "").strip().upper()


def is_valid_tag(code: str) -> bool:
    """A tag any scanner reads: A–Z, 0–9 and '-', at most 24 characters."""
    return bool(code) and len(code) <= TAG_MAX_LENGTH and bool(_TAG_RE.match(code))


def is_valid_code(code: str) -> bool:
    """A garment type's or stock item's code: A–Z, 0–9 and '-', starting with a letter or digit."""
    return bool(_TAG_RE.match(code or ""))


def is_valid_number(number: str) -> bool:
    """A staff or uniform number: A–Z, 0–9 and . _ / -, starting with a letter or digit."""
    return bool(_NUMBER_RE.match(number or ""))


def normalise_phone(raw: str) -> str:
    """Digits and dashes only; +86 / 0086 prefixes, spaces and brackets dropped."""
    value = unicodedata.normalize("NFKC", raw or "").strip()
    value = re.sub(r"[\s()（）]", "", value)
    for prefix in ("+86", "0086"):
        if value.startswith(prefix):
            value = value[len(prefix):].lstrip("-")
    # People group a mobile as 138-0013-8000; a landline's dash is kept.
    digits = value.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return digits
    return value


def is_valid_phone(raw: str) -> bool:
    """Mainland mobile (13800138000) or landline (010-12345678, 0755-1234567)."""
    value = normalise_phone(raw)
    return bool(_MOBILE_RE.match(value) or _LANDLINE_RE.match(value))
