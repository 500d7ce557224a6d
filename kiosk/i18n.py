"""Locale choice and locale-aware formatting for templates."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, current_app, session
from flask_babel import format_currency, format_date, format_datetime, get_locale, gettext

from .config import LANGUAGES


def select_locale() -> str:
    """The language chosen with the toggle, else KIOSK_LANGUAGE (zh_CN)."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def money(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    return format_currency(Decimal(value), "CNY")


def when(value: dt.datetime | None, fmt: str = "short") -> str:
    """A UTC datetime shown in the hotel's zone (KIOSK_TIMEZONE)."""
    return format_datetime(value, fmt) if value else ""


def day(value: dt.date | None) -> str:
    return format_date(value, "medium") if value else ""


def translate_error(error) -> str:
    """Translate a :class:`kiosk.domain.errors.DomainError`."""
    return error.translated(gettext)


def current_language() -> str:
    """The key of :data:`LANGUAGES` in use ("zh_CN" or "en").

    Babel spells zh_CN as zh_Hans_CN, so compare on the language part.
    """
    locale = get_locale()
    return "zh_CN" if locale is not None and locale.language == "zh" else "en"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, when=when, day=day)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_locale=current_language)


def day_bounds(now_utc: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """The local day around ``now_utc`` in ``timezone``, as ``[start, end)`` in UTC
    (a daylight-saving day has 23 or 25 hours)."""
    zone = ZoneInfo(timezone)
    local_day = now_utc.astimezone(zone).date()
    start = dt.datetime.combine(local_day, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(local_day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def hotel_day_bounds(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Today in the hotel's time zone (KIOSK_TIMEZONE), as a UTC interval [start, end)."""
    return day_bounds(now or dt.datetime.now(dt.timezone.utc), current_app.config["BABEL_DEFAULT_TIMEZONE"])
