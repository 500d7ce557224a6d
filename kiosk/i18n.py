"""Locale choice, the hotel's zone and clock, and locale-aware formatting for templates.

The calendar's rules live in :mod:`kiosk.domain.calendar`; this module only
hands them what the request layer knows: the configured zone
(:func:`hotel_zone`) and the app's clock (:func:`now`).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask import Flask, current_app, g, has_app_context, has_request_context, session
from flask_babel import (format_currency, format_date, format_datetime, get_locale, get_translations, gettext,
                         ngettext)
from jinja2 import pass_eval_context
from markupsafe import Markup

from .config import LANGUAGES
from .domain import calendar, cells
from .domain import notes
from .domain.names import Named, local_name
from .models import utcnow


def select_locale() -> str:
    """The language chosen with the toggle, else KIOSK_LANGUAGE (zh_CN): outside a request
    (a command, the print worker) always KIOSK_LANGUAGE."""
    chosen = session.get("lang") if has_request_context() else None
    if chosen in LANGUAGES:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def money(value: Decimal | int | None) -> str:
    """An amount for a person to read (screens, slips): Babel's CNY format in their language.

    Files carry the plain form instead (:func:`kiosk.domain.money.plain`).
    """
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


def type_name(named: Named) -> str:
    """A garment type's (or stock item's) name in this request's language (the ``type_name`` filter)."""
    return local_name(named, current_language())


def note(value: str | None) -> str:
    """A record's note for a person to read: the kiosk's own notes (``loan #12``, a write-off's
    reason code) in words in their language, a typed note as typed (the ``note`` filter)."""
    return notes.describe(value, gettext)


def late(value: dt.timedelta | int | None) -> str:
    """How late a loan is, in hours under a day (逾期 5 小时), else in days (the ``late`` filter).

    ``value`` is the time late, or a whole number of hours late (a handover's snapshot keeps that)."""
    if value is None:
        return ""
    unit, count = calendar.lateness(value if isinstance(value, dt.timedelta) else dt.timedelta(hours=value))
    if unit == "hours":
        return ngettext("%(num)d hour late", "%(num)d hours late", count)
    return ngettext("%(num)d day late", "%(num)d days late", count)


# --- the templates' gettext ---------------------------------------------------------
#
# What Jinja's i18n extension does with Flask-Babel's callables (newstyle: the message is a
# format string, its variables escaped), without looking the catalogue up again for every
# message: a scan's answer has a dozen or more, and each cost ~25 us that way (~4 us here).


def _catalogue():
    """This request's translations: Flask-Babel's for the locale it gives now (a changed or
    forced locale gets its own), looked up once per request."""
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    kept = g.get("_kiosk_catalogue")
    if kept is None or kept[0] is not locale:
        kept = g._kiosk_catalogue = (locale, get_translations())
    return kept[1]


def _formatted(eval_ctx, text: str, variables: dict) -> str:
    return (Markup(text) if eval_ctx.autoescape else text) % variables


@pass_eval_context
def _template_gettext(eval_ctx, message: str, **variables) -> str:
    return _formatted(eval_ctx, _catalogue().ugettext(message), variables)


@pass_eval_context
def _template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _catalogue().ungettext(singular, plural, num), variables)


@pass_eval_context
def _template_pgettext(eval_ctx, context: str, message: str, **variables) -> str:
    variables.setdefault("context", context)
    return _formatted(eval_ctx, _catalogue().upgettext(context, message), variables)


@pass_eval_context
def _template_npgettext(eval_ctx, context: str, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    return _formatted(eval_ctx, _catalogue().unpgettext(context, singular, plural, num), variables)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, when=when, day=day, month=calendar.month_of, type_name=type_name,
                                 note=note, late=late, percent=cells.percent_text)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_locale=current_language)
    # After Flask-Babel installed its own (``_`` included, which Jinja otherwise resolves per call).
    app.jinja_env.globals.update(gettext=_template_gettext, _=_template_gettext, ngettext=_template_ngettext,
                                 pgettext=_template_pgettext, npgettext=_template_npgettext)


def hotel_zone() -> str:
    """The hotel's time zone, read in this one place: Babel's dates and every calendar rule get
    it from here. The property's own (a group's hotels may be in several), else KIOSK_TIMEZONE."""
    default = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    from .extensions import db
    from .properties.services import zone_of_session

    return zone_of_session(db.session, default)


def now() -> dt.datetime:
    """The app's clock: aware UTC now, or what ``KIOSK_CLOCK`` (a callable a test sets) says."""
    clock = current_app.config.get("KIOSK_CLOCK")
    return clock() if clock is not None else utcnow()


def hotel_today() -> dt.date:
    """Today on the hotel's calendar."""
    return calendar.local_date(now(), hotel_zone())


def hotel_month() -> str:
    """This month on the hotel's calendar, ``YYYY-MM``: the default of every month field."""
    return calendar.local_month(now(), hotel_zone())


def hotel_day_bounds() -> tuple[dt.datetime, dt.datetime]:
    """Today in the hotel's time zone, as a UTC interval [start, end)."""
    return calendar.local_day_bounds(now(), hotel_zone())
