"""The operators' roles and what each may do. No Flask in here.

One table for every reader: the routes declare these groups (``@roles(*COUNTER)``,
:func:`kiosk.web.roles`), the home screen's tiles (:mod:`kiosk.main.stations`) and the
templates (the Jinja globals ``is_manager()``, ``can_approve()``, ``works_counter()``)
show what the groups allow, and the services refuse what they do not, so a role's
permissions are the same on the tile, the route and the service.
"""
from __future__ import annotations

from typing import Protocol

from .errors import N_

CLERK, IRONER, SUPERVISOR, ADMIN = "clerk", "ironer", "supervisor", "admin"
#: a hotel group's own: they work at every property of the group (kiosk.properties), as a
#: supervisor or an administrator there, and see the group's figures side by side
GROUP_SUPERVISOR, GROUP_ADMIN = "group_supervisor", "group_admin"

#: a hotel's roles, in the order screens list them
HOTEL_ROLES: tuple[str, ...] = (CLERK, IRONER, SUPERVISOR, ADMIN)
#: every role (the users table allows only these)
ROLES: tuple[str, ...] = HOTEL_ROLES + (GROUP_SUPERVISOR, GROUP_ADMIN)

#: role -> label msgid (sign-in tiles, the status bar, the handover)
LABELS: dict[str, str] = {
    CLERK: N_("Clerk"),
    IRONER: N_("Ironer"),
    SUPERVISOR: N_("Supervisor"),
    ADMIN: N_("Administrator"),
    GROUP_SUPERVISOR: N_("Group supervisor"),
    GROUP_ADMIN: N_("Group administrator"),
}

#: run the room: purchases, the registry's changes, imports, reports, settling compensation,
#: opening a stocktake and seeing what a blind count expects, everyone's ironing figures
MANAGERS: tuple[str, ...] = (SUPERVISOR, ADMIN, GROUP_SUPERVISOR, GROUP_ADMIN)
#: approve with their own PIN: a write-off, and the close of a stocktake (as its supervisor)
APPROVERS: tuple[str, ...] = MANAGERS
#: work the counter: check-in, issue, loans, stock, write-offs opened, a stocktake's count
#: (and confirming it as its counter), taking over the counter at a handover, printing
COUNTER: tuple[str, ...] = (CLERK, SUPERVISOR, ADMIN, GROUP_SUPERVISOR, GROUP_ADMIN)
#: work at every property of the group, move between them, see the group's figures side by side
GROUP: tuple[str, ...] = (GROUP_SUPERVISOR, GROUP_ADMIN)
#: the ironing station and the garment look-up are open to everyone signed in
EVERYONE: tuple[str, ...] = ROLES
#: open the operators screen (what each may do there: :func:`may_manage`)
OPERATOR_MANAGERS: tuple[str, ...] = MANAGERS
#: role -> the roles of the operators it manages, which are also the roles it may give
_MANAGES: dict[str, tuple[str, ...]] = {
    GROUP_ADMIN: ROLES,
    GROUP_SUPERVISOR: (CLERK, IRONER),
    ADMIN: HOTEL_ROLES,
    SUPERVISOR: (CLERK, IRONER),
}


class HasRole(Protocol):
    role: str


def _role(who: HasRole | str | None) -> str | None:
    if who is None or isinstance(who, str):
        return who
    return who.role


def is_manager(who: HasRole | str | None) -> bool:
    """A supervisor or an administrator (a user, or a role code)."""
    return _role(who) in MANAGERS


def can_approve(who: HasRole | str | None) -> bool:
    """May approve a write-off or close a stocktake with their own PIN."""
    return _role(who) in APPROVERS


def in_group(who: HasRole | str | None) -> bool:
    """A group supervisor or administrator: every property of the group is theirs."""
    return _role(who) in GROUP


def works_counter(who: HasRole | str | None) -> bool:
    """May work the counter (and take it over at a handover)."""
    return _role(who) in COUNTER


def may_manage(who: HasRole | str | None, role: str) -> bool:
    """May ``who`` manage an operator whose role is ``role``, and give ``role`` to one?

    An administrator manages everyone; a supervisor clerks and ironers only,
    and gives no role above them. One rule for the screen (which choices it
    offers), the service (what it refuses) and the command line.
    """
    return role in _MANAGES.get(_role(who) or "", ())


def grantable(who: HasRole | str | None) -> tuple[str, ...]:
    """The roles ``who`` may give, in the order screens list them."""
    return tuple(role for role in ROLES if may_manage(who, role))


def label(role: str) -> str:
    """The role's label msgid; an unknown code is shown as it is."""
    return LABELS.get(role, role)
