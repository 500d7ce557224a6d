"""The stations on the home screen, and which roles see them.

The home screen only shows a tile; the view behind it checks the role again
on the server (see :func:`kiosk.web.roles`).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import N_

MANAGERS = ("supervisor", "admin")
COUNTER = ("clerk", "supervisor", "admin")


@dataclass(frozen=True)
class Station:
    endpoint: str
    label: str
    hint: str
    roles: tuple[str, ...]


STATIONS: tuple[Station, ...] = (
    Station("registry.employees", N_("Employees"), N_("Find a person by name, staff no. or uniform no."), COUNTER),
    Station("registry.garments", N_("Garments"), N_("Every numbered garment and where it is"), COUNTER),
    Station("registry.types", N_("Garment types"), N_("Prices, entitlement, expected washes"), MANAGERS),
    Station("imports.upload", N_("Import from Excel"), N_("Employees, garment types, garments (CSV)"), MANAGERS),
)


def stations_for(role: str) -> list[Station]:
    return [s for s in STATIONS if role in s.roles]
