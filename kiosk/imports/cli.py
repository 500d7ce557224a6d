"""``flask --app app kiosk import types|employees|garments|kits FILE`` (CSV, or an Excel .xlsx).

Prints a summary and exits 0; otherwise prints one line per problem,
``row N, column: reason`` (the first 200, then how many more), on stderr and
exits 1 with nothing written. A file that cannot be read at all, or one over
10 MB or 100,000 rows, gives one line and exit 1 (a file too large is not read). Reasons are in the
kiosk's language (KIOSK_LANGUAGE); the ``row N, column:`` prefix is fixed so
that scripts can parse it.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale, gettext, ngettext

from ..domain.errors import DomainError
from ..extensions import db
from ..operators.services import Actor
from . import services

import_cli = AppGroup("import", help="Import CSV files saved from Excel (UTF-8 or GBK), or Excel workbooks (.xlsx).")


def _summary(result: services.ImportResult) -> list[str]:
    if result.kind == "kits":
        lines = [gettext("%(what)s: %(created)s added, %(updated)s changed, %(unchanged)s unchanged, "
                         "%(removed)s taken out.", what=gettext(services.KIND_LABELS[result.kind]),
                         created=result.created, updated=result.updated, unchanged=result.unchanged,
                         removed=result.removed)]
        lines += [services.kit_change_text(change, gettext) for change in result.kit_changes]
    else:
        lines = [gettext("%(what)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
                         what=gettext(services.KIND_LABELS[result.kind]), created=result.created,
                         updated=result.updated, unchanged=result.unchanged)]
    if result.created_departments:
        lines.append(gettext("Departments created: %(names)s",
                             names=", ".join(result.created_departments)))
    if result.ignored_columns:
        lines.append(gettext("Columns not used: %(names)s", names=", ".join(result.ignored_columns)))
    return lines


def _run(kind: str, path: Path) -> None:
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            services.check_size(path.stat().st_size)  # a file too large is never read
            data = path.read_bytes()
        except OSError as error:
            raise click.ClickException(f"{path}: {error.strerror or error}") from None
        except DomainError as error:
            raise click.ClickException(f"{path}: {error.translated(gettext)}") from None
        try:
            result = services.import_csv(db.session, kind, data, user=None, station=services.STATION,
                                         actor=Actor.here())
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(f"{path}: {error.translated(gettext)}") from None
        if not result.ok:
            db.session.rollback()
            for problem in result.problems:
                click.echo(f"row {problem.row}, {problem.column}: {problem.translated(gettext)}", err=True)
            if result.more_problems:
                click.echo(services.more_problems_text(result, ngettext), err=True)
            raise click.exceptions.Exit(1)
        db.session.commit()
        for line in _summary(result):
            click.echo(line)


def _command(kind: str, help_text: str) -> None:
    @import_cli.command(kind, help=help_text)
    @click.argument("file", type=click.Path(path_type=Path))
    def command(file: Path) -> None:
        _run(kind, file)


_command("types", "Garment types: 代码, 中文名, 英文名, 单价, 配发数量, 预计洗涤次数.")
_command("employees", "Employees: 工号, 姓名, 部门, 岗位, 电话, 类别, 制服编号, 尺码, 鞋码, 袜码, 工牌.")
_command("garments", "Garments: 标签, 品类, 尺码, 工号 (empty: spare pool), 购入日期, 单价.")
_command("kits", "Kits by position (配发标准): 岗位, 部门 (empty: every department), 品类或物品, 数量. "
                 "The file's positions get exactly the file's rows; other positions are left as they are.")
