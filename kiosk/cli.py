"""``flask --app app kiosk ...`` commands.

Every command speaks the kiosk's language (KIOSK_LANGUAGE), as the screens do: outside
a request the locale is KIOSK_LANGUAGE (:func:`kiosk.i18n.select_locale`), so a message
is written once, with gettext, and never as English beside it.
"""
from __future__ import annotations

import signal

import click
from flask import Flask
from flask.cli import AppGroup
from flask_babel import gettext

from .domain.errors import DomainError, N_
from .domain.roles import LABELS as ROLE_LABELS
from .domain.roles import ROLES
from .extensions import db


class KioskGroup(AppGroup):
    """``kiosk``: its ``--property CODE`` says which hotel of a group the command works for."""

    def invoke(self, ctx):
        from . import scope

        try:
            return super().invoke(ctx)
        except scope.NoProperty:
            raise click.UsageError(gettext("This database holds several hotels: say which one with "
                                           "--property CODE (before the command).")) from None


@click.group("kiosk", cls=KioskGroup, help="Uniform Room Kiosk commands.")
@click.option("--property", "property_code", metavar="CODE",
              help="The hotel of a group the command works for (its code, or its number).")
@click.pass_context
def kiosk_cli(ctx: click.Context, property_code: str | None) -> None:
    if property_code is None:
        return
    from flask.cli import ScriptInfo

    from . import scope
    from .properties import services as properties

    app = ctx.ensure_object(ScriptInfo).load_app()
    ctx.with_resource(app.app_context())  # the command's: its session works for the property
    chosen = properties.by_code(db.session, property_code)
    if chosen is None:
        raise click.BadParameter(gettext("No hotel has the code %(code)s.", code=property_code),
                                 param_hint="--property")
    scope.use(db.session, chosen.id)


user_cli = AppGroup("user", help="Operators of the kiosk.")
kiosk_cli.add_command(user_cli)


def _fail(message: str) -> None:
    raise click.ClickException(message)


def _command_line_actor():
    """Who runs this command, for the operators' history: ``命令行 user@host``."""
    from .operators.services import Actor

    return Actor.here()


def _change(change, name: str | None = None):
    """Run ``change(session, actor[, user])`` and commit, or fail with the refusal on one line."""
    from .operators.services import by_name

    try:
        args = (by_name(db.session, name),) if name is not None else ()
        result = change(db.session, _command_line_actor(), *args)
    except DomainError as error:
        db.session.rollback()
        _fail(error.translated(gettext))
    db.session.commit()
    return result


def _hash_method() -> str:
    from flask import current_app

    return current_app.config["KIOSK_PIN_HASH_METHOD"]


def _role(role: str) -> str:
    return gettext(ROLE_LABELS.get(role, role))


_PIN_HELP = "4 to 8 digits, not an easy guess (1111, 1234, 1212); stored only as a hash."


@user_cli.command("list")
def user_list() -> None:
    """Every operator: role, badge, last sign-in, locked, active."""
    from .operators.services import has_badge, is_locked, operators

    from .i18n import when

    for user in operators(db.session):
        last = when(user.last_login_at, "yyyy-MM-dd HH:mm") if user.last_login_at else gettext("Never")
        flags = [gettext(flag) for flag, on in ((N_("Locked"), is_locked(user)),
                                                (N_("Must choose a new PIN"), user.must_change_pin),
                                                (N_("Deactivated"), not user.active)) if on]
        click.echo("\t".join([user.name, _role(user.role),
                              gettext("Badge: %(has)s", has=gettext("Yes") if has_badge(user) else gettext("No")),
                              gettext("Last sign-in: %(when)s", when=last), *flags]))


@user_cli.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--pin", prompt="First PIN", hide_input=True, confirmation_prompt=True,
              help=_PIN_HELP + " Asked (hidden) when left out: a PIN on the command line stays in the shell's history.")
@click.option("--badge", default=None, help="Badge code that signs this user in when scanned "
              "(or scan it later: user set-badge).")
@click.option("--no-change-required", is_flag=True,
              help="The operator chose this PIN themself: no new PIN at the first sign-in.")
def user_add(name: str, role: str, pin: str, badge: str | None, no_change_required: bool) -> None:
    """Add an operator who signs in with PIN (and badge); they choose their own PIN at the first sign-in."""
    from .operators.services import add_operator

    user = _change(lambda session, actor: add_operator(
        session, actor, name, role, pin, hash_method=_hash_method(), badge_code=badge,
        must_change_pin=not no_change_required))
    click.echo(gettext("Operator %(name)s added as %(role)s.", name=user.name, role=_role(user.role)))


@user_cli.command("set-pin")
@click.argument("name")
@click.option("--pin", prompt="New PIN", hide_input=True, confirmation_prompt=True, help=_PIN_HELP)
def user_set_pin(name: str, pin: str) -> None:
    """Set an operator's PIN; they must choose their own at the next sign-in."""
    from .operators.services import set_pin

    _change(lambda session, actor, user: set_pin(session, actor, user, pin, hash_method=_hash_method()), name)
    click.echo(gettext("PIN of %(name)s set; they choose a new one at the next sign-in.", name=name))


@user_cli.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def user_set_role(name: str, role: str) -> None:
    """Give an operator another role (the last active admin stays one)."""
    from .operators.services import change_role

    changed = _change(lambda session, actor, user: change_role(session, actor, user, role), name)
    click.echo(gettext("%(name)s is now %(role)s.", name=name, role=_role(role)) if changed
               else gettext("%(name)s already is %(role)s.", name=name, role=_role(role)))


@user_cli.command("set-badge")
@click.argument("name")
@click.option("--badge", default=None, help="The badge code (as the scanner reads it); left out, it is "
              "asked for, hidden: scan it at the prompt, and it stays out of the shell's history.")
@click.option("--revoke", is_flag=True, help="Take the operator's badge away.")
def user_set_badge(name: str, badge: str | None, revoke: bool) -> None:
    """Give an operator a badge (replacing theirs), or take it away with --revoke."""
    from .operators.services import revoke_badge, set_badge

    if revoke and badge is not None:
        _fail(gettext("Give either --badge CODE or --revoke."))
    if not revoke and badge is None:
        badge = click.prompt(gettext("Scan the badge"), hide_input=True)
    if revoke:
        had = _change(revoke_badge, name)
        click.echo(gettext("Badge of %(name)s revoked.", name=name) if had
                   else gettext("%(name)s had no badge.", name=name))
        return
    happened = _change(lambda session, actor, user: set_badge(session, actor, user, badge), name)
    click.echo(gettext("Badge of %(name)s: %(happened)s.", name=name, happened=gettext(happened)))


@user_cli.command("deactivate")
@click.argument("name")
def user_deactivate(name: str) -> None:
    """The operator can no longer sign in (their history stays)."""
    from .operators.services import deactivate

    done = _change(deactivate, name)
    click.echo(gettext("%(name)s deactivated.", name=name) if done
               else gettext("%(name)s was already deactivated.", name=name))


@user_cli.command("reactivate")
@click.argument("name")
def user_reactivate(name: str) -> None:
    """A deactivated operator may sign in again."""
    from .operators.services import reactivate

    done = _change(reactivate, name)
    click.echo(gettext("%(name)s is active again.", name=name) if done
               else gettext("%(name)s was already active.", name=name))


@user_cli.command("unlock")
@click.argument("name")
def user_unlock(name: str) -> None:
    """Lift the lock after too many wrong PINs."""
    from .operators.services import unlock

    was_locked = _change(unlock, name)
    click.echo(gettext("%(name)s unlocked.", name=name) if was_locked
               else gettext("%(name)s was not locked.", name=name))


def _announce() -> None:
    """What ``kiosk serve`` says at start about the hotel: the demo (and its PINs), or the setup code.

    A real hotel's start lists no operator and no PIN.
    """
    from flask import current_app
    from sqlalchemy import select

    from .demo import DEMO_USERS
    from .hotel.services import new_setup_code, read_state, setup_code_exists
    from .models import User

    folder = current_app.instance_path
    state = read_state(db.session)
    if state.is_demo:
        click.echo(gettext("WARNING: this database is the DEMO hotel, not for real use "
                           "(to go live: flask --app app kiosk demo --remove)."))
        names = set(db.session.scalars(select(User.name)))
        demo = [u for u in DEMO_USERS if u.name in names]
        if demo:
            click.echo(gettext("Demo users (tap the name, type the PIN, or scan the badge code):"))
            for u in demo:
                click.echo("  " + gettext("%(name)s  %(role)s  PIN %(pin)s  badge %(badge)s", name=u.name,
                                          role=_role(u.role), pin=u.pin, badge=u.badge))
    elif not state.set_up:
        if setup_code_exists(folder):
            click.echo(gettext("No operator yet: open the kiosk and set up the hotel with the setup code printed "
                               "when it was made (a new one: flask --app app kiosk setup-code), or run "
                               "flask --app app kiosk init."))
        else:
            click.echo(f"首次设置码 / setup code: {new_setup_code(folder)}")  # both: a script reads it
            click.echo(gettext("No operator yet: open the kiosk and set up the hotel with this code, "
                               "or run flask --app app kiosk init."))


def _own_addresses() -> list[str]:
    """This machine's IPv4 addresses on its network interfaces (not loopback): what a tablet types.

    Linux: each interface's address (SIOCGIFADDR); elsewhere, or when that finds none, the
    address the machine would send from (a UDP socket "connected" to a documentation address:
    no packet is sent).
    """
    import socket

    found: list[str] = []
    try:
        import fcntl
        import struct

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _index, name in socket.if_nameindex():
                try:
                    answer = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
                except OSError:  # an interface without an IPv4 address
                    continue
                address = socket.inet_ntoa(answer[20:24])
                if not address.startswith("127.") and address not in found:
                    found.append(address)
    except (ImportError, OSError, AttributeError):
        pass
    if not found:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect(("192.0.2.1", 9))
                address = probe.getsockname()[0]
            if not address.startswith(("127.", "0.")):
                found.append(address)
        except OSError:
            pass
    return found


def serving_urls(host: str, port: int, prefix: str = "") -> str:
    """The start banner's addresses: on 0.0.0.0 (every interface) the machine's own addresses,
    which the tablets type, and 127.0.0.1; on 127.0.0.1, that it is this machine's alone."""
    if host in ("0.0.0.0", "::", "*", ""):
        urls = [f"http://{address}:{port}{prefix}/" for address in (*_own_addresses(), "127.0.0.1")]
        return " ".join(urls)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}{prefix}/"
    if host == "localhost" or host.startswith("127.") or host == "::1":
        return gettext("%(url)s (this machine only; KIOSK_HOST=0.0.0.0 lets the tablets in)", url=url)
    return url


#: Waitress's threads. One process runs Python on one core at a time (the interpreter's lock), so
#: threads beyond a few add no scans a second: they queue for the interpreter inside the process,
#: each waiting again after every answer from the database. Ten tablets scanning at once,
#: measured with bench/scan.py at a year of data, 8 threads against 4: SQLite p99 126-132 against
#: 84-99 ms, 126-134 against 169-180 scans a second; PostgreSQL p99 162-181 against 111-130 ms.
#: Four still leave three for the scans while one answers a long request (a report, a close).
SERVE_THREADS = 4


@kiosk_cli.command("serve")
@click.option("--host", envvar="KIOSK_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="KIOSK_PORT", default=8000, type=int, show_default=True)
@click.option("--threads", default=SERVE_THREADS, type=click.IntRange(1, 64), show_default=True)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the kiosk with waitress (what `make run` does)."""
    from flask import current_app
    from waitress import serve as waitress_serve

    from . import locks

    click.echo(gettext("Uniform Room Kiosk: %(url)s",
                       url=serving_urls(host, port, current_app.config.get("KIOSK_URL_PREFIX") or "")))
    _announce()
    db.session.remove()
    from .web import serve_logging

    serve_logging(current_app)
    # While this process serves, `kiosk restore` refuses (kiosk.locks): the lock is the
    # operating system's (or PostgreSQL's), so a killed server leaves nothing that blocks.
    held = locks.serving(db.engine)
    _finish_cut_short(current_app)
    signal.signal(signal.SIGTERM, _stop_serving)  # systemctl stop: shut down cleanly, as Ctrl+C does
    try:
        # Waitress drops every X-Forwarded-* header unless told otherwise: with KIOSK_TRUSTED_PROXIES
        # the kiosk's own proxy fix (kiosk.web) reads them, so they must reach it.
        waitress_serve(current_app._get_current_object(), host=host, port=port, threads=threads,
                       clear_untrusted_proxy_headers=not current_app.config.get("KIOSK_TRUSTED_PROXIES"))
    except KeyboardInterrupt:
        pass
    finally:
        _shut_down(current_app)
        held.release()


def _finish_cut_short(app: Flask) -> None:
    """A stocktake close the last server was stopped in the middle of is finished now."""
    from .stocktake.services import finish_all

    try:
        for stocktake in finish_all(db.session):
            app.logger.info("finished the close of stocktake #%s (%s) that was cut short",
                            stocktake.id, stocktake.month)
    except Exception:  # noqa: BLE001 - the kiosk serves anyway; the close page offers to finish it
        db.session.rollback()
        app.logger.exception("could not finish a stocktake close that was cut short")
    finally:
        db.session.remove()


def _stop_serving(signum, frame) -> None:  # noqa: ARG001 - a signal handler's arguments
    raise KeyboardInterrupt


def _shut_down(app: Flask) -> None:
    """A clean stop: the SQLite WAL folded back into the database file (nothing left in
    kiosk.sqlite3-wal for a copied or restored file to trip over), connections closed."""
    from sqlalchemy import text

    from .printing import worker

    worker.stop(app)
    db.session.remove()
    if db.engine.url.get_backend_name() == "sqlite":
        try:
            with db.engine.connect() as connection:
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        except Exception:  # noqa: BLE001 - a stop must not fail; SQLite replays the WAL next time
            app.logger.exception("could not checkpoint the database at shutdown")
    db.engine.dispose()
    app.logger.info("kiosk stopped")


def init_app(app: Flask) -> None:
    from .alerts.cli import alerts_cli
    from .backup import backup_command
    from .restore import restore_command
    from .demo import demo_command
    from .hotel.cli import init_command, setup_code_command
    from .imports.cli import import_cli
    from .properties.cli import property_cli
    from .printing.cli import printer_cli, tag_cli
    from .reports.cli import report_cli

    kiosk_cli.add_command(tag_cli)
    kiosk_cli.add_command(printer_cli)
    kiosk_cli.add_command(demo_command)
    kiosk_cli.add_command(init_command)
    kiosk_cli.add_command(setup_code_command)
    kiosk_cli.add_command(backup_command)
    kiosk_cli.add_command(restore_command)
    kiosk_cli.add_command(alerts_cli)
    kiosk_cli.add_command(import_cli)
    kiosk_cli.add_command(report_cli)
    kiosk_cli.add_command(property_cli)
    from .loans.cli import privacy_cli

    kiosk_cli.add_command(privacy_cli)
    app.cli.add_command(kiosk_cli)
