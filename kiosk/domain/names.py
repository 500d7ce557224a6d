"""A garment type's (or stock item's) name in the reader's language. No Flask in here.

Types and stock items carry the room's own Chinese name (always filled in) and an
English name (may be empty). Every screen, slip, tag and export shows the name
through :func:`local_name`, so the choice is made once: the request layer wraps it
for the current request (:func:`kiosk.i18n.type_name`, the ``type_name`` filter),
services and printed documents pass the reader's language in.
"""
from __future__ import annotations

from typing import Protocol

from .errors import N_

#: A stock item's kind (StockItem.kind) -> its label msgid: the stock screen and the kits screen.
STOCK_KIND_LABELS: dict[str, str] = {
    "shoes": N_("Shoes"),
    "socks": N_("Socks"),
    "hair_accessory": N_("Hair accessory"),
    "consumable": N_("Consumable"),
}


class Named(Protocol):
    name_zh: str
    name_en: str


def local_name(named: Named, language: str) -> str:
    """The English name for an English reader ("en") when there is one, else the Chinese name."""
    if language == "en" and named.name_en:
        return named.name_en
    return named.name_zh
