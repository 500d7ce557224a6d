"""Uniform Room Kiosk (制服室终端)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

from flask import Flask

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: settings from the environment, then ``config`` on top."""
    app = Flask(__name__, instance_path=os.environ.get("KIOSK_INSTANCE_PATH") or None)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    from . import config as settings

    app.config.from_mapping(settings.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )

    from .extensions import babel, csrf, db, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)

    from . import i18n

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.hotel_zone)
    i18n.init_app(app)

    from . import database, scope

    database.init_app(app)
    scope.init_app(app)  # every query of a property's records is held to the session's property

    from . import (auth, board, checkin, checklists, clearance, cli, garments, group, handover, hotel, imports,
                   inspection, issue, ironing, kits, loans, main, operators, printing, purchases, registry,
                   reports, stock, stocktake, tablets, tailor, transfers, web, writeoffs)

    from . import logs

    logs.init_app(app)  # first: each request's line times the whole request
    hotel.init_app(app)  # then: a database without operators leads to the first-run screen
    web.init_app(app)
    from . import assets

    assets.init_app(app)  # fingerprinted static URLs, cached for a year, text compressed
    for blueprint in (auth.bp, main.bp, hotel.bp, registry.bp, imports.bp, checkin.bp, ironing.bp,
                      inspection.bp, tailor.bp, issue.bp, board.bp, garments.bp, printing.bp,
                      loans.bp, stock.bp, writeoffs.bp, handover.bp, stocktake.bp, purchases.bp,
                      reports.bp, operators.bp, kits.bp, clearance.bp, checklists.bp, group.bp,
                      transfers.bp):
        app.register_blueprint(blueprint)
    printing.init_app(app)
    tablets.init_app(app)
    from . import stations

    stations.init_app(app)
    cli.init_app(app)
    # Alerts to the supervisors' group chats: the screen, and its worker started beside the print worker's.
    from . import alerts

    app.register_blueprint(alerts.bp)
    alerts.init_app(app)
    return app
