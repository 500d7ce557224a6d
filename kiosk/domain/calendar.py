"""The hotel's calendar: its dates, months and their bounds in UTC. No Flask in here.

Time is stored in UTC; the room lives by the hotel's wall clock. A day or a
month is the hotel's (01:30 in Shanghai on 1 March is March, although it is
still 28 February in UTC), so every function takes the time zone as an
argument (an IANA name such as ``"Asia/Shanghai"``): a hotel group has one per
property. The request layer passes the configured zone and the app's clock
(:func:`kiosk.i18n.hotel_zone`, :func:`kiosk.i18n.now`).

Bounds are half-open ``[start, end)`` intervals of aware UTC datetimes, so a
day of a daylight-saving change has its 23 or 25 hours and consecutive months
neither overlap nor leave a gap.

A month is written ``YYYY-MM``; :func:`parse_month` takes one from 2000-01 to
2099-12 (:data:`FIRST_MONTH`, :data:`LAST_MONTH`) and refuses anything else
with the one message :data:`BAD_MONTH`. Nothing in a uniform room is dated
before 2000 or after 2099 (such a month is a typo), and the range keeps all
the arithmetic far from ``datetime``'s limits of years 1 and 9999: the month
after 9999-12, or 0001-01 at midnight east of Greenwich in UTC, do not exist.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from .errors import DomainError, N_

UTC = dt.timezone.utc
#: KIOSK_TIMEZONE when it is not set
DEFAULT_ZONE = "Asia/Shanghai"
FIRST_MONTH = "2000-01"
LAST_MONTH = "2099-12"
BAD_MONTH = N_("Give the month as YYYY-MM, from %(first)s to %(last)s, e.g. 2026-03.")

_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")


class BadMonth(DomainError):
    """Not a month written YYYY-MM within FIRST_MONTH..LAST_MONTH."""

    def __init__(self) -> None:
        super().__init__(BAD_MONTH, first=FIRST_MONTH, last=LAST_MONTH)


def local_time(moment: dt.datetime, zone: str) -> dt.datetime:
    """An aware moment on the hotel's wall clock."""
    return moment.astimezone(ZoneInfo(zone))


def local_date(moment: dt.datetime, zone: str) -> dt.date:
    """The hotel's date at ``moment`` (with the clock's now: today)."""
    return local_time(moment, zone).date()


def month_of(day: dt.date) -> str:
    """``YYYY-MM`` of a date."""
    return f"{day.year:04d}-{day.month:02d}"


def local_month(moment: dt.datetime, zone: str) -> str:
    """The hotel's month at ``moment`` as ``YYYY-MM`` (with the clock's now: this month)."""
    return month_of(local_date(moment, zone))


def at_local(day: dt.date, time: dt.time, zone: str) -> dt.datetime:
    """``time`` on ``day`` on the hotel's wall clock, in UTC."""
    return dt.datetime.combine(day, time, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def start_of_day(day: dt.date, zone: str) -> dt.datetime:
    """The hotel's midnight at the start of ``day``, in UTC."""
    return at_local(day, dt.time(), zone)


def day_bounds(day: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The hotel's ``day`` as a UTC interval [start, end)."""
    return start_of_day(day, zone), start_of_day(day + dt.timedelta(days=1), zone)


def local_day_bounds(moment: dt.datetime, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The hotel's day around ``moment`` (with the clock's now: today) as [start, end) in UTC."""
    return day_bounds(local_date(moment, zone), zone)


def add_months(first: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before) the month of ``first``."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_month(raw: str | None) -> str:
    """``YYYY-MM`` from 2000-01 to 2099-12, as typed (full-width digits from an IME are
    fine, spaces around it too), or :class:`BadMonth`."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    match = _MONTH_RE.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12 or not FIRST_MONTH <= text <= LAST_MONTH:
        raise BadMonth()
    return text


def first_day(month: str) -> dt.date:
    """The first day of a checked ``YYYY-MM`` (:class:`BadMonth` otherwise)."""
    year, number = parse_month(month).split("-")
    return dt.date(int(year), int(number), 1)


def month_bounds(month: str, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The hotel's ``YYYY-MM`` as a UTC interval [start, end); :class:`BadMonth` on a bad month."""
    first = first_day(month)
    return start_of_day(first, zone), start_of_day(add_months(first, 1), zone)


def lateness(late: dt.timedelta) -> tuple[str, int]:
    """How late, as a person counts it: whole days from a day on, whole hours before
    (``("hours", 5)``, never "0 days"); at least one hour once it is late at all."""
    if late >= dt.timedelta(days=1):
        return "days", late.days
    return "hours", max(1, int(late.total_seconds() // 3600))
