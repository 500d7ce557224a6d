"""Who is this person: a badge scan, a 工号 (staff no.), a uniform no. (制服编号) or a name.

Every station that asks "who is this" comes here (check-in, the counter and the
new-hire kit, loans, stock and the monthly distribution, write-offs, the
registry), so the same text finds the same people everywhere, in the same
order, with the same messages. No Flask here: functions take the session and
plain values.

Match order, the first tier that finds anyone wins:

1. the badge code, exactly;
2. the staff no. (工号), exactly;
3. the uniform no. (制服编号), exactly
   (codes are compared NFKC-normalised and upper-cased, so a full-width or
   lower-case entry from a Chinese IME still matches; each column is unique,
   so a code names one person);
4. the whole name, exactly (ignoring case and repeated spaces), so everyone
   can be reached by typing their full name even when it is part of another
   one's (王芳 beside 王芳芳);
5. part of the name.

People still working are listed before leavers, then by name and 工号; at most
:data:`MAX_CANDIDATES` are offered, and the answer says when there are more.

The leaver policy: a leaver is always found (their garments come back when
they leave); giving them anything (issue, exchange, spare, kit, loan, stock,
the monthly distribution) is refused with the day they left, in one message
(:func:`refuse_leaver`); taking their garments back (check-in, a loan return)
is allowed. A caller says which it is doing with ``giving=``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload

from . import badges
from .domain import typed
from .domain.codes import normalise_code
from .domain.errors import DomainError, N_
from .models import Employee

#: Candidates offered for a name: enough for the namesakes of one hotel, few
#: enough to read on a 10" tablet without scrolling. More than that, the clerk
#: types more of the name or the 工号 rather than scrolls.
MAX_CANDIDATES = 8

#: The code columns in the order they are tried (see the module docstring).
CODE_COLUMNS = ("badge", "staff_no", "uniform_no")

EMPTY = N_("Scan the badge, or type the staff no. or the name.")
IDENTIFY_FIRST = N_("Identify the employee first: scan the badge or type the staff no.")
NOBODY = N_("Nobody matches “%(who)s”.")
UNREADABLE = N_("The badge, staff no. or name holds a control character or an invisible one (pasted from "
                "another program?). Scan or type it again.")
SEVERAL = N_("Several people match “%(who)s”: %(people)s. Type the staff no. or scan the badge.")
TOO_MANY = N_("More than %(count)s people match “%(who)s”: type more of the name, or the staff no.")
LEFT = N_("%(name)s (%(staff_no)s) left on %(date)s: nothing can be handed out to them.")

Gettext = Callable[..., str]


def _english(message: str, **params) -> str:
    return message % params if params else message


# --- finding ------------------------------------------------------------------

@dataclass(frozen=True)
class Candidates:
    """Who the text may mean, in match order; ``more`` when the limit cut the list."""

    query: str
    people: tuple[Employee, ...] = ()
    more: bool = False
    by_code: bool = False

    @property
    def one(self) -> Employee | None:
        """The person, when the text names exactly one."""
        return self.people[0] if len(self.people) == 1 and not self.more else None


def _clean(text: str | None) -> str:
    """Typed text as meant (:func:`kiosk.domain.typed.text`), inner spaces collapsed; "" (nobody)
    for text with a control character, which names nobody (:func:`resolve` says why)."""
    return typed.collapsed(text) if typed.is_clean(text) else ""


def _people() -> Select:
    return select(Employee).options(joinedload(Employee.department))


def _in_order(query: Select) -> Select:
    return query.order_by(Employee.active.desc(), Employee.name, Employee.staff_no)


def find_by_code(session: Session, text: str | None,
                 columns: Iterable[str] = CODE_COLUMNS) -> Employee | None:
    """The person whose badge, 工号 or uniform no. ``text`` is, exactly; the first column in
    ``columns`` wins when the code is one person's badge and another one's 工号. Leavers included."""
    raw = _clean(text)
    if not raw:
        return None
    # A badge is kept as its keyed hash (kiosk.badges): the scan is hashed, not the column.
    wanted = {column: ({badges.digest(raw)} if column == "badge" else {raw, normalise_code(raw)})
              for column in columns}
    found = session.scalars(_people().where(or_(*(_column(c).in_(codes) for c, codes in wanted.items())))
                            .limit(len(wanted))).all()
    for column, codes in wanted.items():
        for person in found:
            if getattr(person, _column(column).key) in codes:
                return person
    return None


def _column(name: str):
    return Employee.badge_hash if name == "badge" else getattr(Employee, name)


def find_by_staff_no(session: Session, text: str | None) -> Employee | None:
    """The person with this 工号 (normalised: a full-width entry matches). Leavers included."""
    return find_by_code(session, text, columns=("staff_no",))


#: :func:`find_by_id`'s statement, built once (with the department every screen names them by).
_BY_ID = _people().where(Employee.id == bindparam("employee_id"))


def find_by_id(session: Session, employee_id: int | str | None) -> Employee | None:
    """The person behind an id the page sent back (a tapped candidate, a reload); None for junk."""
    try:
        wanted = typed.record_id(employee_id)
    except ValueError:
        return None
    return session.scalar(_BY_ID, {"employee_id": wanted})


def find_candidates(session: Session, text: str | None, *, limit: int = MAX_CANDIDATES) -> Candidates:
    """Everyone ``text`` may mean, in the match order of the module docstring, at most ``limit``."""
    query = _clean(text)
    if not query:
        return Candidates(query)
    person = find_by_code(session, query)
    if person is not None:
        return Candidates(query, (person,), by_code=True)
    lowered = query.lower()
    for tier in (func.lower(Employee.name) == lowered,
                 Employee.name.icontains(query, autoescape=True)):
        found = session.scalars(_in_order(_people().where(tier)).limit(limit + 1)).all()
        if found:
            return Candidates(query, tuple(found[:limit]), more=len(found) > limit)
    return Candidates(query)


# --- the leaver policy --------------------------------------------------------

class LeaverRefused(DomainError):
    """Something was to be given to someone who has left; nothing was changed."""

    def __init__(self, employee: Employee) -> None:
        # The app records the day with every departure; "—" only for data from elsewhere.
        super().__init__(LEFT, name=employee.name, staff_no=employee.staff_no,
                         date=employee.left_on.isoformat() if employee.left_on else "—")
        self.employee = employee


def leaver_refusal(employee: Employee) -> LeaverRefused | None:
    """The refusal for giving ``employee`` anything, or None while they still work here."""
    return None if employee.active else LeaverRefused(employee)


def refuse_leaver(employee: Employee) -> Employee:
    """Raise :class:`LeaverRefused` for a leaver; every service that hands something out calls it."""
    refused = leaver_refusal(employee)
    if refused is not None:
        raise refused
    return employee


# --- resolving exactly one ----------------------------------------------------

class NobodyMatches(DomainError):
    """The text names nobody (or nothing was typed)."""


class SeveralMatch(DomainError):
    """The text names several people: the message lists them (or says to type more)."""

    def __init__(self, candidates: Candidates) -> None:
        if candidates.more:
            super().__init__(TOO_MANY, count=len(candidates.people), who=candidates.query)
        else:
            super().__init__(SEVERAL, who=candidates.query, people=_listed(candidates.people, _english))
        self.candidates = candidates

    def translated(self, gettext: Gettext) -> str:
        if self.candidates.more:
            return super().translated(gettext)
        return gettext(self.message, who=self.candidates.query,
                       people=_listed(self.candidates.people, gettext))


def candidate_label(person: Employee) -> str:
    """How a candidate is named in a message: enough to tell namesakes apart and to type the 工号."""
    return f"{person.name} ({person.staff_no} · {person.department.name})"


def _listed(people: Iterable[Employee], gettext: Gettext) -> str:
    return gettext(N_(", ")).join(candidate_label(p) for p in people)


def resolve(session: Session, text: str | None, *, giving: bool) -> Employee:
    """Exactly one person for ``text``, or raise: nobody, several (listed), or — when
    ``giving`` — a leaver (:class:`LeaverRefused`)."""
    if not typed.is_clean(text):
        raise NobodyMatches(UNREADABLE)
    candidates = find_candidates(session, text)
    if not candidates.query:
        raise NobodyMatches(EMPTY)
    if not candidates.people:
        raise NobodyMatches(NOBODY, who=candidates.query)
    person = candidates.one
    if person is None:
        raise SeveralMatch(candidates)
    return refuse_leaver(person) if giving else person


def resolve_id(session: Session, employee_id: int | str | None, *, giving: bool) -> Employee:
    """The person behind an id from the page, under the same leaver policy as :func:`resolve`."""
    return _resolved(find_by_id(session, employee_id), giving=giving)


def _resolved(person: Employee | None, *, giving: bool) -> Employee:
    if person is None:
        raise NobodyMatches(IDENTIFY_FIRST)
    return refuse_leaver(person) if giving else person


# --- for screens that offer the candidates to tap ------------------------------

@dataclass
class Identified:
    """The answer to "who is this" for a screen: one person, several to tap, or a refusal."""

    query: str = ""
    employee: Employee | None = None
    candidates: list[Employee] = field(default_factory=list)
    more: bool = False
    error: DomainError | None = None


def _answer(query: str, find: Callable[[], Employee]) -> Identified:
    try:
        return Identified(query, employee=find())
    except SeveralMatch as several:
        return Identified(query, candidates=list(several.candidates.people), more=several.candidates.more,
                          error=several)
    except DomainError as refused:
        return Identified(query, error=refused)


def identify(session: Session, text: str | None, *, giving: bool) -> Identified:
    """:func:`resolve`, answered instead of raised (the candidates come along to be tapped)."""
    return _answer(_clean(text), lambda: resolve(session, text, giving=giving))


def identify_id(session: Session, employee_id: int | str | None, *, giving: bool) -> Identified:
    """:func:`resolve_id`, answered instead of raised."""
    return _answer("", lambda: resolve_id(session, employee_id, giving=giving))


def identified(person: Employee | None, *, giving: bool, query: str = "") -> Identified:
    """A person already found (a badge scanned into another field, the one a scan was for), under
    the leaver policy; None (an id that named nobody) as :func:`identify_id` answers it."""
    return _answer(query, lambda: _resolved(person, giving=giving))
