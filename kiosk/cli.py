"""``flask --app app kiosk ...`` commands."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from .domain.errors import DomainError
from .extensions import db
from .domain.roles import ROLES

kiosk_cli = AppGroup("kiosk", help="Uniform Room Kiosk commands.")
user_cli = AppGroup("user", help="Operators of the kiosk.")
kiosk_cli.add_command(user_cli)


def _fail(message: str) -> None:
    raise click.ClickException(message)


@user_cli.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--pin", required=True, help="4 to 8 digits; stored only as a hash.")
@click.option("--badge", default=None, help="Badge code that signs this user in when scanned.")
def user_add(name: str, role: str, pin: str, badge: str | None) -> None:
    """Add an operator who signs in with PIN (and badge)."""
    from flask import current_app

    from .auth.services import create_user

    try:
        user = create_user(db.session, name, role, pin, badge_code=badge,
                           hash_method=current_app.config["KIOSK_PIN_HASH_METHOD"])
    except DomainError as error:
        db.session.rollback()
        _fail(str(error))
    db.session.commit()
    click.echo(f"user {user.name} added, role {user.role}")


@kiosk_cli.command("serve")
@click.option("--host", envvar="KIOSK_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="KIOSK_PORT", default=8000, type=int, show_default=True)
@click.option("--threads", default=8, type=int, show_default=True)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the kiosk with waitress (what `make run` does)."""
    from flask import current_app
    from sqlalchemy import select
    from waitress import serve as waitress_serve

    from .demo import DEMO_USERS
    from .models import User

    click.echo(f"Uniform Room Kiosk: http://{host}:{port}/")
    names = set(db.session.scalars(select(User.name)))
    demo = [u for u in DEMO_USERS if u.name in names]
    if demo:
        click.echo("Demo users (tap the name, type the PIN, or scan the badge code):")
        for u in demo:
            click.echo(f"  {u.name:<6} {u.role:<11} PIN {u.pin}   badge {u.badge}")
    db.session.remove()
    waitress_serve(current_app._get_current_object(), host=host, port=port, threads=threads)


def init_app(app: Flask) -> None:
    from .backup import backup_command
    from .demo import demo_command
    from .imports.cli import import_cli
    from .printing.cli import tag_cli
    from .reports.cli import report_cli

    kiosk_cli.add_command(tag_cli)
    kiosk_cli.add_command(demo_command)
    kiosk_cli.add_command(backup_command)
    kiosk_cli.add_command(import_cli)
    kiosk_cli.add_command(report_cli)
    from .loans.cli import privacy_cli

    kiosk_cli.add_command(privacy_cli)
    app.cli.add_command(kiosk_cli)
