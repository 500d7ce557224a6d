"""Operators: who signs in, with which role, PIN and badge. No Flask request state in here.

The screen (:mod:`kiosk.operators.routes`) and the command line (``kiosk user``)
call these functions, so both follow the same rules:

- who may manage whom and give which role is :func:`kiosk.domain.roles.may_manage`
  (an administrator everyone; a supervisor clerks and ironers only); the command
  line acts with an administrator's rights (whoever runs it owns the machine);
- the last active administrator cannot be deactivated or demoted (checked inside
  the transaction, the administrators' rows locked on PostgreSQL);
- every PIN set goes through :mod:`kiosk.domain.pins`, and a PIN set by someone
  else (added, reset, set from the command line) must be replaced at the next
  sign-in (``must_change_pin``);
- a PIN, role or status change ends the operator's sign-ins on the server;
- every change writes an :class:`~kiosk.models.OperatorChange` (who, when, what;
  never a PIN, never a badge code).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash

from .. import badges, people
from ..auth.services import Policy, check_pin, create_user, hash_pin
from ..auth.sessions import end_sessions
from ..domain import pins
from ..domain.errors import DomainError, Label, N_
from ..domain.roles import ADMIN, GROUP_ADMIN, LABELS, ROLES, may_manage
from ..models import Employee, OperatorChange, User, utcnow
from ..properties import services as properties
from ..request_keys import write_lock

# What an OperatorChange row says happened (``action``), and how the history names it.
ADDED, ROLE, PIN_RESET, PIN_SET, PIN_CHANGED = "added", "role", "pin_reset", "pin_set", "pin_changed"
BADGE, EMPLOYEE, DEACTIVATED, REACTIVATED, UNLOCKED = "badge", "employee", "deactivated", "reactivated", "unlocked"
ACTION_LABELS: dict[str, str] = {
    ADDED: N_("Added"),
    ROLE: N_("Role changed"),
    PIN_RESET: N_("PIN reset (one-time PIN)"),
    PIN_SET: N_("PIN set by someone else"),
    PIN_CHANGED: N_("Chose a new PIN"),
    BADGE: N_("Badge"),
    EMPLOYEE: N_("Employee record"),
    DEACTIVATED: N_("Deactivated"),
    REACTIVATED: N_("Active again"),
    UNLOCKED: N_("Unlocked"),
}
#: what happened to a badge (``detail["badge"]``)
BADGE_LABELS: dict[str, str] = {
    "assigned": N_("assigned"),
    "replaced": N_("replaced"),
    "revoked": N_("revoked"),
}

NOT_YOURS = N_("Your role may not manage %(name)s (%(role)s).")
NOT_GRANTABLE = N_("Your role may not give the role %(role)s.")
BADGE_NOT_YOURS = N_("The badge of %(employee)s (%(staff_no)s) signs in the operator %(name)s (%(role)s): "
                     "your role may not set, replace or revoke it.")
LAST_ADMIN = N_("%(name)s is the last active administrator: make someone else administrator first.")


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in operator, or the command line (``label``)."""

    user: User | None = None
    label: str = ""

    @property
    def role(self) -> str:
        # The command line is run by whoever owns the machine: an administrator's rights.
        # The command line runs on the server: it may do what the group's administrator may.
        return self.user.role if self.user is not None else GROUP_ADMIN

    @classmethod
    def command_line(cls, who: str) -> Actor:
        """The command line run by ``who`` (``user@host``)."""
        return cls(label=f"命令行 {who}"[:64])

    @classmethod
    def here(cls) -> Actor:
        """The command line run on this machine by its login user (``kiosk user``, ``kiosk import``)."""
        import getpass
        import socket

        try:
            who = getpass.getuser()
        except (KeyError, OSError):  # no login name (a container without a passwd entry)
            who = "?"
        return cls.command_line(f"{who}@{socket.gethostname()}")


# --- reading --------------------------------------------------------------

def operators(session: Session) -> list[User]:
    """Everyone who can or could sign in: active first, then by role and name."""
    query = (properties.operators_here(session).options(joinedload(User.employee))
             .order_by(User.active.desc(), User.role, User.name))
    return list(session.scalars(query))


def by_name(session: Session, name: str) -> User:
    """The operator called ``name`` (the command line names them), or a refusal."""
    user = session.scalar(properties.operators_here(session).where(User.name == (name or "").strip()))
    if user is None:
        raise DomainError(N_("There is no operator called %(name)s."), name=name)
    return user


def history(session: Session, user: User) -> list[OperatorChange]:
    """The operator's changes, newest first."""
    query = (select(OperatorChange).options(joinedload(OperatorChange.actor_user))
             .where(OperatorChange.user_id == user.id)
             .order_by(OperatorChange.at.desc(), OperatorChange.id.desc()))
    return list(session.scalars(query))


def detail(change: OperatorChange) -> dict[str, Any]:
    try:
        value = json.loads(change.detail or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def has_badge(user: User) -> bool:
    """A badge signs this operator in: their own, or their employee record's."""
    return bool(user.badge_hash or (user.employee is not None and user.employee.badge_hash))


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def may_manage_user(actor: Actor | User | None, user: User) -> bool:
    """May ``actor`` change ``user`` (the screen shows the actions only then)?"""
    return may_manage(actor, user.role)


# --- changing -------------------------------------------------------------

def _record(session: Session, actor: Actor, user: User, action: str, at: dt.datetime | None = None,
            **detail: Any) -> OperatorChange:
    change = OperatorChange(user_id=user.id, actor_id=actor.user.id if actor.user is not None else None,
                            actor=actor.label, action=action, at=at or utcnow(),
                            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True))
    session.add(change)
    return change


def _role_label(role: str) -> Label:
    return Label(LABELS.get(role, role))


def _check_may(actor: Actor, user: User, *, giving: str | None = None) -> None:
    if not may_manage(actor.role, user.role):
        raise DomainError(NOT_YOURS, name=user.name, role=_role_label(user.role))
    if giving is not None and not may_manage(actor.role, giving):
        raise DomainError(NOT_GRANTABLE, role=_role_label(giving))


def _keep_an_admin(session: Session, user: User) -> None:
    """Refuse when ``user`` is the last active administrator (about to stop being one).

    Read inside the transaction with the administrators' rows locked (PostgreSQL)
    or the database's write lock taken first (SQLite, whose deferred BEGIN would
    come only with the UPDATE, after this read), so two administrators demoting
    or deactivating each other at once cannot leave none.
    """
    if user.role != ADMIN or not user.active:
        return
    write_lock(session)
    admins = session.scalars(select(User.id).where(User.role == ADMIN, User.active.is_(True))
                             .order_by(User.id).with_for_update()).all()
    if not [admin for admin in admins if admin != user.id]:
        raise DomainError(LAST_ADMIN, name=user.name)


def _role_of(role: str) -> str:
    if role not in ROLES:
        raise DomainError(N_("Unknown role %(role)s."), role=role)
    return role


def add_operator(session: Session, actor: Actor, name: str, role: str, pin: str, *, hash_method: str,
                 badge_code: str | None = None, must_change_pin: bool = True) -> User:
    """Add an operator with the PIN ``actor`` chose for them (replaced at their first sign-in)."""
    role = _role_of(role)
    if not may_manage(actor.role, role):
        raise DomainError(NOT_GRANTABLE, role=_role_label(role))
    user = create_user(session, name, role, pin, badge_code=badge_code, hash_method=hash_method)
    user.must_change_pin = must_change_pin
    _record(session, actor, user, ADDED, role=role, badge=bool(user.badge_hash))
    session.flush()
    return user


def change_role(session: Session, actor: Actor, user: User, role: str) -> bool:
    """Give ``user`` another role; False when it already was theirs. Ends their sign-ins."""
    role = _role_of(role)
    _check_may(actor, user, giving=role)
    if role == user.role:
        return False
    if role != ADMIN:
        _keep_an_admin(session, user)
    before, user.role = user.role, role
    _record(session, actor, user, ROLE, **{"from": before, "to": role})
    end_sessions(session, user.id, "role")
    session.flush()
    return True


def reset_pin(session: Session, actor: Actor, user: User, *, hash_method: str) -> str:
    """A random one-time PIN for ``user`` (returned to be shown once, never stored in the clear).

    They must choose their own at the next sign-in; their sign-ins end now.
    """
    _check_may(actor, user)
    pin = pins.one_time()
    _set(session, user, pin, hash_method=hash_method, must_change=True)
    _record(session, actor, user, PIN_RESET)
    session.flush()
    return pin


def set_pin(session: Session, actor: Actor, user: User, pin: str, *, hash_method: str) -> None:
    """Set the PIN ``actor`` chose for ``user`` (the command line); they replace it at the next sign-in."""
    _check_may(actor, user)
    pins.check(pin)
    _set(session, user, pin, hash_method=hash_method, must_change=True)
    _record(session, actor, user, PIN_SET)
    session.flush()


def _set(session: Session, user: User, pin: str, *, hash_method: str, must_change: bool) -> None:
    user.pin_hash = hash_pin(pin, hash_method)
    user.must_change_pin = must_change
    user.failed_attempts = 0
    user.locked_until = None
    end_sessions(session, user.id, "pin")


def change_own_pin(session: Session, user: User, current: str, new: str, *, policy: Policy,
                   client: str = "") -> None:
    """The operator replaces their PIN: the current one first (a wrong one counts towards
    the lock, as at sign-in), then a new one the policy accepts and unlike the old.

    Ends their sign-ins (the caller signs them out: they sign in with the new PIN).
    The caller commits even on a refusal, so a wrong current PIN is counted.
    """
    check_pin(session, user, current, policy, client=client, signing_in=True)
    pins.check(new)
    if check_password_hash(user.pin_hash, new):
        raise DomainError(N_("The new PIN must not be the old one."))
    _set(session, user, new, hash_method=policy.hash_method, must_change=False)
    _record(session, Actor(user=user), user, PIN_CHANGED)
    session.flush()


def set_badge(session: Session, actor: Actor, user: User, code: str | None) -> str:
    """Give ``user`` the badge just scanned (replacing theirs); "assigned" or "replaced".

    A badge names one person: one held by someone else is refused. An operator
    linked to their employee record shares the employee's badge, so it is
    written there.
    """
    _check_may(actor, user)
    badge = badges.check_free(session, code, for_employee=user.employee, for_user=user)
    if badge is None:
        raise DomainError(N_("Scan the badge (or type its code)."))
    holder = user.employee if user.employee is not None else user
    happened = "replaced" if (holder.badge_hash or user.badge_hash) else "assigned"
    if holder.badge_hash == badge:
        return happened
    holder.badge_hash = badge
    if holder is not user:
        user.badge_hash = None
    _record(session, actor, user, BADGE, badge=happened, on="employee" if holder is not user else "operator")
    session.flush()
    return happened


def revoke_badge(session: Session, actor: Actor, user: User) -> bool:
    """Take ``user``'s badge away (lost, or left with it); False when they had none."""
    _check_may(actor, user)
    if not has_badge(user):
        return False
    user.badge_hash = None
    if user.employee is not None:
        user.employee.badge_hash = None
    _record(session, actor, user, BADGE, badge="revoked")
    session.flush()
    return True


def employee_operator(session: Session, actor: Actor, employee: Employee | None) -> User | None:
    """May ``actor`` set, replace or revoke the badge on ``employee``'s record? The operator linked
    to the record (whose sign-in that badge is), or None; a refusal when ``actor`` may not manage them.

    One rule for the employee form, its revoke button and the employee import:
    the badge signs the linked operator in, so changing it is managing them
    (a supervisor may not give an administrator's sign-in a badge they know).
    """
    if employee is None or employee.id is None:
        return None
    user = session.scalar(select(User).where(User.employee_id == employee.id))
    check_employee_badge(actor, employee, user)
    return user


def check_employee_badge(actor: Actor, employee: Employee, user: User | None) -> None:
    """Refuse when ``actor`` may not manage ``user``, the operator linked to ``employee`` (the rule
    of :func:`employee_operator`, for a caller that loaded the operators itself: the import)."""
    if user is not None and not may_manage(actor.role, user.role):
        raise DomainError(BADGE_NOT_YOURS, employee=employee.name, staff_no=employee.staff_no, name=user.name,
                          role=_role_label(user.role))


def employee_badge_changed(session: Session, actor: Actor, user: User, happened: str) -> None:
    """The badge on ``user``'s employee record was assigned, replaced or revoked (``happened``):
    recorded in their history, and their sign-ins end (whoever held the old badge is out)."""
    _record(session, actor, user, BADGE, badge=happened, on="employee")
    end_sessions(session, user.id, "badge")


def link_employee(session: Session, actor: Actor, user: User, staff_no: str | None) -> User:
    """Link ``user`` to the employee record with this 工号 (empty: unlink).

    A linked operator signs in with the employee's badge; their own badge moves
    to the record when it has none (else their own is dropped: one badge a person).
    """
    _check_may(actor, user)
    staff_no = (staff_no or "").strip()
    if not staff_no:
        if user.employee_id is None:
            return user
        user.employee_id = None
        _record(session, actor, user, EMPLOYEE, staff_no=None)
        session.flush()
        return user
    employee = people.find_by_staff_no(session, staff_no)
    if employee is None:
        raise DomainError(N_("There is no employee with the staff no. %(staff_no)s."), staff_no=staff_no)
    if user.employee_id == employee.id:
        return user
    taken = session.scalar(select(User).where(User.employee_id == employee.id))
    if taken is not None:
        raise DomainError(N_("%(employee)s (%(staff_no)s) is already the operator %(name)s."),
                          employee=employee.name, staff_no=employee.staff_no, name=taken.name)
    if user.badge_hash is not None:
        if employee.badge_hash is None:
            employee.badge_hash = user.badge_hash
        user.badge_hash = None
        session.flush()
    user.employee_id = employee.id
    session.flush()
    session.refresh(user, ["employee"])
    _record(session, actor, user, EMPLOYEE, staff_no=employee.staff_no)
    session.flush()
    return user


def deactivate(session: Session, actor: Actor, user: User, *, now: dt.datetime | None = None) -> bool:
    """``user`` can no longer sign in; their history stays. False when already so."""
    _check_may(actor, user)
    if actor.user is not None and actor.user.id == user.id:
        raise DomainError(N_("You cannot deactivate yourself: ask another administrator."))
    if not user.active:
        return False
    _keep_an_admin(session, user)
    user.active = False
    user.deactivated_at = now or utcnow()
    _record(session, actor, user, DEACTIVATED, at=user.deactivated_at)
    end_sessions(session, user.id, "deactivated")
    session.flush()
    return True


def reactivate(session: Session, actor: Actor, user: User) -> bool:
    """``user`` may sign in again (with the PIN they had). False when already active."""
    _check_may(actor, user)
    if user.active:
        return False
    user.active = True
    user.deactivated_at = None
    _record(session, actor, user, REACTIVATED)
    session.flush()
    return True


def unlock(session: Session, actor: Actor, user: User) -> bool:
    """Lift the lock after too many wrong PINs (and forget the wrong PINs counted)."""
    _check_may(actor, user)
    was_locked = is_locked(user)
    user.failed_attempts = 0
    user.locked_until = None
    _record(session, actor, user, UNLOCKED, locked=was_locked)
    session.flush()
    return was_locked
