"""The stations on the home screen, and which roles see them.

The home screen only shows a tile; the view behind it checks the role again
on the server (see :func:`kiosk.web.roles`). Both read the groups of
:mod:`kiosk.domain.roles`.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import N_
from ..domain.roles import COUNTER, EVERYONE, GROUP, MANAGERS, OPERATOR_MANAGERS


@dataclass(frozen=True)
class Station:
    endpoint: str
    label: str
    hint: str
    roles: tuple[str, ...]


STATIONS: tuple[Station, ...] = (
    Station("group.index", N_("The group's hotels"), N_("Each hotel's day and month side by side; move to another hotel"),
            GROUP),
    Station("checkin.station", N_("Check-in"), N_("Dirty uniforms handed in"), COUNTER),
    Station("ironing.station", N_("Ironing station"), N_("Scan each ironed garment; flag damage"), EVERYONE),
    Station("inspection.station", N_("Inspection table"), N_("Pass, rewash, re-iron or tailor"), COUNTER),
    Station("inspection.slotting", N_("Slotting"), N_("Put passed garments in their numbered slot"), COUNTER),
    Station("issue.station", N_("Issue and exchange"), N_("Dirty in, clean out; spares"), COUNTER),
    Station("issue.kit", N_("New-hire kit"), N_("The full set for a new employee"), COUNTER),
    Station("tailor.station", N_("Tailor"), N_("Sent out for mending, back again"), COUNTER),
    Station("board.today", N_("Today"), N_("What must be done before the room closes"), COUNTER),
    Station("loans.station", N_("Loans"), N_("Lend with contact details; chase what is overdue"), COUNTER),
    Station("stock.items", N_("Shoes, socks and supplies"), N_("Stock, monthly distribution, purchase list"), COUNTER),
    Station("clearance.index", N_("Leavers' clearances"), N_("What a leaver hands back, or pays for; their signed slip"),
            COUNTER),
    Station("writeoffs.index", N_("Write-offs and compensation"), N_("Worn out, lost, damaged; who pays"), COUNTER),
    Station("stocktake.index", N_("Monthly stocktake"), N_("Scan every garment; close with two PINs"), COUNTER),
    Station("transfers.index", N_("Transfers between hotels"),
            N_("Send garments and stock to another hotel of the group; scan in what comes"), COUNTER),
    Station("handover.index", N_("Shift handover"), N_("What is pending for the next clerk"), COUNTER),
    Station("checklists.items", N_("Shift checklists"), N_("The opening and closing checks, in the room's words"),
            MANAGERS),
    Station("reports.loss", N_("Monthly loss report"), N_("Purchases, write-offs, loss rate and compensation by month"),
            MANAGERS),
    Station("purchases.index", N_("New purchases"), N_("Receive new uniforms, register them, print their tags"), MANAGERS),
    Station("garments.lookup", N_("Look up a garment"), N_("Scan a tag: where it is, its whole history"), EVERYONE),
    Station("registry.employees", N_("Employees"), N_("Find a person by name, staff no. or uniform no."), COUNTER),
    Station("registry.garments", N_("Garments"), N_("Every numbered garment and where it is"), COUNTER),
    Station("registry.types", N_("Garment types"), N_("Prices, entitlement, expected washes"), MANAGERS),
    Station("kits.index", N_("Kits by position"), N_("What each position gets: garments, shoes, socks (配发标准)"),
            COUNTER),
    Station("printing.queue", N_("Print queue"), N_("Tags and slips: failed prints, print again"), COUNTER),
    Station("printing.tablets", N_("Tablets"), N_("Name this tablet; the printers beside each tablet"), MANAGERS),
    Station("alerts.index", N_("Alerts"), N_("Escalated loans, approvals, failing prints to your WeCom, DingTalk or Feishu group"),
            MANAGERS),
    Station("operators.index", N_("Operators"), N_("Who signs in: roles, PINs, badges"), OPERATOR_MANAGERS),
    Station("imports.upload", N_("Import from Excel"), N_("Employees, garment types, garments, kits (CSV or Excel)"), MANAGERS),
)


def stations_for(role: str) -> list[Station]:
    return [s for s in STATIONS if role in s.roles]
