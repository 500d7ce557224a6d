"""``kiosk init`` (a real hotel, its first admin) and ``kiosk setup-code`` (the first-run screen's code).

Messages are in the kiosk's language (KIOSK_LANGUAGE), as every command's.
"""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext

from ..domain import pins
from ..domain.errors import DomainError
from ..extensions import db
from . import forget
from .services import forget_setup_code, new_setup_code, set_up_hotel, the_hotel, why_not_set_up

#: Wrong PINs a person at the terminal may type before ``kiosk init`` gives up.
PIN_TRIES = 3


def interactive() -> bool:
    """Prompt only a person at a terminal; a script passes every option."""
    return sys.stdin.isatty()


def _ask(value: str | None, option: str, prompt: str) -> str:
    if value is not None:
        return value
    if not interactive():
        raise click.UsageError(gettext("Missing %(option)s (no terminal to ask on).", option=option))
    return click.prompt(prompt)


def _ask_pin() -> str:
    for _ in range(PIN_TRIES):
        pin = click.prompt(gettext("PIN (4 to 8 digits, not shown)"), hide_input=True,
                           confirmation_prompt=gettext("The PIN again"))
        try:
            pins.check(pin)
        except DomainError as error:
            click.echo(error.translated(gettext), err=True)
            continue
        return pin
    raise click.ClickException(gettext("No PIN chosen; nothing was set up."))


@click.command("init")
@click.option("--hotel", "hotel_name", help="The hotel's name (asked on a terminal when left out).")
@click.option("--admin", "admin_name", help="The first administrator's name.")
@click.option("--pin", help="Their PIN, chosen by them (asked twice, hidden, on a terminal).")
@with_appcontext
def init_command(hotel_name: str | None, admin_name: str | None, pin: str | None) -> None:
    """Set up a real hotel in a database with no operator: its name and the first admin."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        session = db.session
        reason = why_not_set_up(session)
        if reason:
            raise click.ClickException(gettext(reason))
        hotel_name = _ask(hotel_name, "--hotel", gettext("Hotel name"))
        admin_name = _ask(admin_name, "--admin", gettext("First administrator's name"))
        if pin is None:
            if not interactive():
                raise click.UsageError(gettext("Missing %(option)s (no terminal to ask on).", option="--pin"))
            pin = _ask_pin()
        try:
            admin = set_up_hotel(session, hotel_name=hotel_name, admin_name=admin_name, pin=pin,
                                 hash_method=current_app.config["KIOSK_PIN_HASH_METHOD"])
            session.commit()
        except DomainError as error:
            session.rollback()
            raise click.ClickException(error.translated(gettext)) from None
        forget_setup_code(current_app.instance_path)
        forget()
        click.echo(gettext("Hotel %(hotel)s set up. %(admin)s signs in as administrator with the PIN "
                           "they chose; start the kiosk with: flask --app app kiosk serve",
                           hotel=the_hotel(session).name, admin=admin.name))


@click.command("setup-code")
@with_appcontext
def setup_code_command() -> None:
    """A new one-time code for the first-run screen (the old one stops working)."""
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        reason = why_not_set_up(db.session)
        if reason:
            raise click.ClickException(gettext(reason))
        click.echo(f"首次设置码 / setup code: {new_setup_code(current_app.instance_path)}")

