"""``flask --app app kiosk property add|list|join``: the hotels of a group on one database."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext
from sqlalchemy import select

from ..domain.errors import DomainError
from ..extensions import db
from ..models import User
from . import services

property_cli = AppGroup("property", help="The hotels of a group on one database.")


def _fail(error: DomainError) -> None:
    db.session.rollback()
    raise click.ClickException(error.translated(gettext))


@property_cli.command("add")
@click.argument("code")
@click.option("--name", required=True, help="The hotel's name, as its staff say it.")
@click.option("--time-zone", default=None, help="Its time zone when not KIOSK_TIMEZONE's, like Asia/Tokyo.")
def add(code: str, name: str, time_zone: str | None) -> None:
    """Add a hotel to the group: its own room, staff, numbers, printers and tablets."""
    try:
        record = services.add_property(db.session, code, name, time_zone=time_zone)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(gettext("Hotel %(name)s added with the code %(code)s.", name=record.name, code=record.code))


@property_cli.command("set")
@click.argument("code")
@click.option("--code", "new_code", default=None, help="Its new code (the first hotel has none until it is given one).")
@click.option("--name", default=None)
@click.option("--time-zone", default=None, help="Its time zone; an empty one: as KIOSK_TIMEZONE.")
@click.option("--duplicate-seconds", default=None, help="Its KIOSK_DUPLICATE_SECONDS; empty: the server's.")
@click.option("--tailor-days", default=None, help="Its KIOSK_TAILOR_DAYS; empty: the server's.")
@click.option("--retention-days", default=None, help="Its KIOSK_BORROWER_RETENTION_DAYS; empty: the server's.")
@click.option("--depreciation", default=None, help="Its KIOSK_DEPRECIATION table, like 6:100,12:70; empty: the server's.")
def change(code: str, new_code: str | None, name: str | None, time_zone: str | None, duplicate_seconds: str | None,
           tailor_days: str | None, retention_days: str | None, depreciation: str | None) -> None:
    """Change the hotel CODE (or its number, 1 for the first): its code, name, time zone, or its
    own settings (each empty: back to the server's KIOSK_* setting)."""
    record = services.by_code(db.session, code)
    if record is None:
        raise click.ClickException(gettext("No hotel has the code %(code)s.", code=code))
    try:
        services.change_property(db.session, record, code=new_code, name=name, time_zone=time_zone)
        services.set_settings(db.session, record, {
            "KIOSK_DUPLICATE_SECONDS": duplicate_seconds, "KIOSK_TAILOR_DAYS": tailor_days,
            "KIOSK_BORROWER_RETENTION_DAYS": retention_days, "KIOSK_DEPRECIATION": depreciation})
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(gettext("Hotel %(name)s (%(code)s) saved.", name=record.name, code=record.code or "-"))


@property_cli.command("list")
def list_properties() -> None:
    """The group's hotels: code, name, time zone."""
    for record in services.properties(db.session, active_only=False):
        zone = record.time_zone or gettext("as KIOSK_TIMEZONE")
        own = [f"{name}={getattr(record, column)}" for name, (column, _bounds) in services.OWN_SETTINGS.items()
               if getattr(record, column) is not None]
        click.echo("\t".join([str(record.id), record.code or "-", record.name, zone, *own]))


@property_cli.command("join")
@click.argument("code")
@click.argument("operator")
def join(code: str, operator: str) -> None:
    """Let an existing OPERATOR work at the hotel CODE too (its sign-in screen lists them)."""
    record = services.by_code(db.session, code)
    if record is None:
        raise click.ClickException(gettext("No hotel has the code %(code)s.", code=code))
    user = db.session.scalar(select(User).where(User.name == operator.strip()))
    if user is None:
        raise click.ClickException(gettext("There is no operator called %(name)s.", name=operator))
    services.add_member(db.session, user, record.id)
    db.session.commit()
    click.echo(gettext("%(name)s now works at %(hotel)s too.", name=user.name, hotel=record.name or record.code))
