"""Fixtures on a real database: a SQLite file per test, or PostgreSQL.

Set ``KIOSK_TEST_DATABASE_URL`` (``make test`` does, for its second pass) to
run the same tests against PostgreSQL. Every test starts from empty tables: a
copy of a template database whose schema is built once per run.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from kiosk import create_app
from kiosk.domain.garment_states import TRANSITIONS, Action, Status
from kiosk.extensions import db

FAST_HASH = "pbkdf2:sha256:1000"  # PIN hashing cost is irrelevant to what tests check
_seq = itertools.count(1)


def _test_config(database_url: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,  # tests/test_csrf.py checks CSRF with it on
        # Tests read the English msgids; test_i18n.py proves zh_CN is the
        # product's default and complete, and the browser tests run in Chinese.
        "BABEL_DEFAULT_LOCALE": "en",
        "KIOSK_PIN_HASH_METHOD": FAST_HASH,
        # Sign-in waits are recorded, not spent (tests/test_sign_in_security.py checks them).
        "KIOSK_SIGNIN_DELAY_SCALE": 0,
        "SECRET_KEY": "test",
        # No print worker thread: tests that print call process_queue themselves.
        "KIOSK_PRINT_WORKER": False,
    }


def _build_schema(database_url: str, instance: Path) -> None:
    """``create_all`` into the template every test's database is copied from.

    Like the per-test ``create_all`` it replaces: the models' tables and no
    ``alembic_version`` (the migration tests drop it all and run ``db upgrade``).
    """
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KIOSK_INSTANCE_PATH", str(instance))
        app = create_app(_test_config(database_url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def _server_url(base: str) -> URL:
    from kiosk.config import normalise_database_url

    return make_url(normalise_database_url(base))


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL database for this test run, or None for SQLite.

    Each run gets its own database (created from KIOSK_TEST_DATABASE_URL's
    server), so two runs at once never empty each other's tables. The browser
    tests serve it (migrated by ``db upgrade``); the unit tests get copies of
    :func:`template_database` instead.
    """
    base = os.environ.get("KIOSK_TEST_DATABASE_URL")
    if not base:
        yield None
        return
    url = _server_url(base)
    name = f"{url.database}_run_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class SQLiteTemplate:
    """The schema in one SQLite file; a test's database is a copy of the file."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "template.sqlite3"
        _build_schema(f"sqlite:///{self.path}", folder / "instance")
        # The kiosk's connections put the file in WAL mode; back to a rollback
        # journal so that the one file holds everything (no -wal beside it to copy).
        conn = sqlite3.connect(self.path)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()

    def copy(self, folder: Path) -> str:
        path = folder / "kiosk.sqlite3"
        shutil.copyfile(self.path, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Nothing to do: the copy goes with the test's tmp_path."""

    def close(self) -> None:
        pass


class PostgresTemplate:
    """The schema in a template database; a test's database is ``CREATE DATABASE ... TEMPLATE``.

    Measured against one database with the schema built once and a
    ``TRUNCATE ... RESTART IDENTITY CASCADE`` of every table per test (and
    against dropping the copies in a background thread): the copy was the
    fastest (about 0.7 s a test against 1.1 s, on the shared 2-core machine),
    and a test that drops the schema (the migration tests) cannot spoil the next.
    """

    def __init__(self, run_url: str, folder: Path) -> None:
        run = make_url(run_url)
        self.url = run.set(database=f"{run.database}_tmpl")
        self._names = (f"{run.database}_{n}" for n in itertools.count(1))
        self._admin = create_engine(run.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self._execute(f'DROP DATABASE IF EXISTS "{self.url.database}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.url.database}"')
        _build_schema(self._render(self.url), folder)

    @staticmethod
    def _render(url: URL) -> str:
        return url.render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(sql))

    def copy(self, folder: Path) -> str:
        name = next(self._names)
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.url.database}"')
        return self._render(self.url.set(database=name))

    def drop(self, url: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.url.database}" WITH (FORCE)')
        self._admin.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory, postgres_url):
    """The schema, built once per run (building it per test was most of the suite's time)."""
    folder = tmp_path_factory.mktemp("template")
    template = PostgresTemplate(postgres_url, folder) if postgres_url else SQLiteTemplate(folder)
    yield template
    template.close()


@pytest.fixture
def database_url(tmp_path, template_database):
    """This test's own database: a copy of the template, the schema and no rows.

    A copy, not a transaction rolled back at the end: several tests commit
    from several connections (the concurrency tests, the CLI, the print worker).
    """
    url = template_database.copy(tmp_path)
    yield url
    template_database.drop(url)


@pytest.fixture
def app(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(_test_config(database_url))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An app context for tests that work on the models directly."""
    with app.app_context():
        yield app


def walk_to(target: Status, *, owner=None, holder=None) -> list[Action]:
    """The shortest list of moves from in_stock to ``target`` (breadth first over TRANSITIONS).

    Only the moves of a garment's round and the one-step exits from stock
    are walked (no tailor round trip, no missing-and-found), so counters move
    as they would on an ordinary day: a garment reaching inspection was
    washed once. The hand-out is the one the app would make for this
    garment: its owner's issue, a spare to ``holder``, else a loan.
    """
    if target in _HANDED_OUT:
        handout = _HANDED_OUT[target]
    else:
        handout = Action.ISSUE if owner is not None else Action.ISSUE_SPARE if holder is not None else Action.LOAN
    moves = [handout, Action.CHECK_IN, Action.WASH, Action.IRON, Action.TO_TAILOR, Action.MARK_MISSING,
             Action.WRITE_OFF]
    paths: dict[Status, list[Action]] = {Status.IN_STOCK: []}
    frontier = [Status.IN_STOCK]
    while frontier and target not in paths:
        reached = []
        for status in frontier:
            for action in moves:
                sources, lands = TRANSITIONS[action]
                if status in sources and lands not in paths:
                    paths[lands] = paths[status] + [action]
                    reached.append(lands)
        frontier = reached
    if target not in paths:
        raise ValueError(f"no walk from in_stock to {target}")
    return paths[target]


_HANDED_OUT = {Status.ISSUED: Action.ISSUE, Status.SPARE_ISSUED: Action.ISSUE_SPARE, Status.LOANED: Action.LOAN}


class Factory:
    """Small builders for test data (after CTFd's gen_user & co.)."""

    def department(self, name: str | None = None):
        from kiosk.models import Department

        dept = Department(name=name or f"部门{next(_seq)}")
        db.session.add(dept)
        db.session.flush()
        return dept

    def employee(self, name: str = "张三", department=None, **fields):
        from kiosk.models import Employee

        from kiosk.badges import digest

        n = next(_seq)
        if "badge" in fields:  # the code a scanner reads; kept as its keyed hash
            fields["badge_hash"] = digest(fields.pop("badge"))
        emp = Employee(
            staff_no=fields.pop("staff_no", f"E{n:05d}"),
            name=name,
            department=department or self.department(),
            uniform_no=fields.pop("uniform_no", f"{1000 + n}"),
            **fields,
        )
        db.session.add(emp)
        db.session.flush()
        return emp

    def garment_type(self, code: str | None = None, **fields):
        from kiosk.models import GarmentType

        gtype = GarmentType(
            code=code or f"T{next(_seq)}",
            name_zh=fields.pop("name_zh", "衬衫"),
            name_en=fields.pop("name_en", "Shirt"),
            unit_cost=fields.pop("unit_cost", Decimal("120.00")),
            entitlement=fields.pop("entitlement", 3),
            expected_washes=fields.pop("expected_washes", 100),
            **fields,
        )
        db.session.add(gtype)
        db.session.flush()
        return gtype

    def garment(self, tag: str | None = None, garment_type=None, owner=None, status: str | None = None,
                holder=None, defects: str = "", washes: int = 0, at: dt.datetime | None = None, **fields):
        """A registered garment, walked through the ledger to ``status``.

        The walk is the shortest one the state machine allows along the
        garment's daily round (out, checked in, washed, ironed) or one step
        aside from the stock (tailor, missing, written off), so the garment
        has the events, holder and wash count the app would have given it.
        Out with someone: an issued garment goes to its owner (made when
        there is none), a spare to ``holder`` (made when there is none), a
        loan to ``holder`` or a visitor. ``washes`` rounds (out, in, ironed,
        passed) come first, for a garment that has been worn a while. ``defects`` come with the last move
        (sent to the tailor for a missing button), or are flagged on a garment
        that did not move. ``at`` backdates the registration, and the walk
        follows it a minute a step.
        """
        from kiosk.ledger import flag_defects, move, register_garment

        target = Status(status) if status else Status.IN_STOCK
        if target is Status.ISSUED and owner is None:
            owner = self.employee()
        if target is Status.SPARE_ISSUED and holder is None:
            holder = self.employee()
        garment = register_garment(
            db.session,
            tag=tag or f"G-{next(_seq):06d}",
            garment_type=garment_type or self.garment_type(),
            owner=owner,
            at=at,
            **fields,
        )
        walk = walk_to(target, owner=owner, holder=holder)
        walk = (walk_to(Status.DIRTY, owner=owner, holder=holder) + [Action.IRON, Action.PASS]) * washes + walk
        for step, action in enumerate(walk, start=1):
            move(db.session, garment, action, user=None, station="test", employee=holder,
                 defects=defects if step == len(walk) else "",
                 at=at + step * dt.timedelta(minutes=1) if at else None)
        if defects and not walk:
            flag_defects(db.session, garment, defects, user=None, station="test", at=at)
        db.session.flush()
        return garment

    def passed(self, tag: str | None = None, **fields):
        """A garment the inspector has just passed: clean, in stock, waiting for its slot."""
        from kiosk.ledger import move

        garment = self.garment(tag, status=Status.INSPECTION.value, **fields)
        move(db.session, garment, Action.PASS, user=None, station="test",
             at=garment.status_since + dt.timedelta(minutes=1) if "at" in fields else None)
        db.session.flush()
        return garment

    def user(self, name: str | None = None, role: str = "clerk", pin: str = "2580", badge: str | None = None):
        from kiosk.auth.services import create_user

        user = create_user(db.session, name or f"user{next(_seq)}", role, pin,
                           badge_code=badge, hash_method=FAST_HASH)
        db.session.flush()
        return user


@pytest.fixture
def make(ctx):
    return Factory()


def login(client, user_id: int, pin: str = "2580"):
    return client.post("/login", data={"user_id": user_id, "pin": pin})


@pytest.fixture
def login_as(app, client):
    """Create a user with ``role`` and sign the test client in as them."""

    def _login(role: str = "clerk", pin: str = "2580"):
        with app.app_context():
            user = Factory().user(role=role, pin=pin)
            db.session.commit()
            user_id = user.id
        response = login(client, user_id, pin)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return _login


@pytest.fixture
def printers():
    """Fake TCP printers (tests/printers/fakeprinter.py), each closed after the test."""
    from tests.printers.fakeprinter import FakePrinter

    made: list[FakePrinter] = []

    def make(mode: str = "ok", **kw) -> FakePrinter:
        made.append(FakePrinter(mode=mode, **kw))
        return made[-1]

    yield make
    for fake in made:
        fake.close()


@pytest.fixture
def product_language(app, monkeypatch):
    """The language a kiosk has out of the box (KIOSK_LANGUAGE unset): zh_CN."""
    from kiosk.config import from_environment

    monkeypatch.delenv("KIOSK_LANGUAGE", raising=False)
    app.config["BABEL_DEFAULT_LOCALE"] = from_environment(app.instance_path)["BABEL_DEFAULT_LOCALE"]
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    return app
