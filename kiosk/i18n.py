"""Locale choice and locale-aware formatting for templates."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

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


def hotel_day_bounds(now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """Today in the hotel's time zone (KIOSK_TIMEZONE), as a UTC interval [start, end)."""
    from flask_babel import get_timezone

    tz = get_timezone()
    local = (now or dt.datetime.now(dt.timezone.utc)).astimezone(tz)
    midnight = dt.datetime(local.year, local.month, local.day)
    start = tz.localize(midnight) if hasattr(tz, "localize") else midnight.replace(tzinfo=tz)
    end_local = midnight + dt.timedelta(days=1)
    end = tz.localize(end_local) if hasattr(tz, "localize") else end_local.replace(tzinfo=tz)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
