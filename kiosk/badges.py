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


def holder(session, code: str | None):
    """Whom the badge ``code`` names: an employee, an operator without an employee record, or None.

    A badge names one person. An operator linked to their employee record
    (``User.employee_id``) shares the employee's badge, so the employee is the
    answer and :func:`operator` finds the operator behind it.
    """
    from sqlalchemy import select

    from .models import Employee, User

    from . import scope

    badge = digest(code)
    if badge is None:
        return None
    with scope.every_property(session):  # a badge is one person's in the whole group
        return (session.scalar(select(Employee).where(Employee.badge_hash == badge))
                or session.scalar(select(User).where(User.badge_hash == badge)))


def operator(session, code: str | None):
    """The operator the badge ``code`` signs in: their own badge, or their employee record's."""
    from sqlalchemy import or_, select

    from .models import Employee, User

    badge = digest(code)
    if badge is None:
        return None
    linked = select(Employee.id).where(Employee.badge_hash == badge).scalar_subquery()
    return session.scalar(select(User).where(or_(User.badge_hash == badge, User.employee_id == linked)))


def check_free(session, code: str | None, *, for_employee=None, for_user=None) -> str | None:
    """The digest to store for ``code`` on this person, or a refusal when it names somebody else.

    Raises :class:`kiosk.domain.errors.DomainError` ("already the badge of …");
    the same badge given again to the same person is fine.
    """
    from .domain.errors import DomainError, N_
    from .models import Employee, User

    badge = digest(code)
    if badge is None:
        return None
    current = holder(session, code)
    if current is None or current is for_employee or current is for_user:
        return badge
    if for_user is not None and isinstance(current, Employee) and for_user.employee_id == current.id:
        return badge
    name = current.name
    from . import scope

    if isinstance(current, Employee) and current.property_id != scope.current(session):
        raise DomainError(N_("This badge already belongs to someone at another hotel of the group."))
    if isinstance(current, Employee):
        raise DomainError(N_("This badge already belongs to %(name)s (%(staff_no)s)."), name=name,
                          staff_no=current.staff_no)
    raise DomainError(N_("This badge already belongs to the operator %(name)s."), name=name)
