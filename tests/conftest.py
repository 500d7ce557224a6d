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
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from kiosk import create_app
from kiosk.domain.garment_states import TRANSITIONS, Action, Status
from kiosk.extensions import db
from kiosk.models import FIRST_PROPERTY

FAST_HASH = "pbkdf2:sha256:1000"  # PIN hashing cost is irrelevant to what tests check
_seq = itertools.count(1)

# The tests' files in memory when the machine has a tmpfs for them (pytest's own setting
# for where its tmp_path folders go): every test's SQLite database syncs to disk on each
# commit (synchronous=FULL), and what the tests check does not include the disk.
_MEMORY = "/dev/shm"
if "PYTEST_DEBUG_TEMPROOT" not in os.environ and os.path.isdir(_MEMORY) and os.access(_MEMORY, os.W_OK):
    os.environ["PYTEST_DEBUG_TEMPROOT"] = _MEMORY


def _test_config(database_url: str) -> dict:
    config = {
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
    if database_url.startswith("postgresql"):
        # A commit returns before the server has flushed it to disk (it is as visible to
        # every other connection as before; only a crash of the server could lose it).
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": "-c synchronous_commit=off"}}
    return config


def _build_schema(database_url: str, instance: Path) -> None:
    """``create_all`` into the template every test's database is copied from.

    The models' tables, stamped at the newest migration (``alembic_version``);
    the migration tests drop it all and run ``db upgrade``.
    """
    with pytest.MonkeyPatch.context() as env:
        env.setenv("KIOSK_INSTANCE_PATH", str(instance))
        app = create_app(_test_config(database_url))
    with app.app_context():
        db.create_all()
        # Stamped at the newest migration, as a migrated kiosk's database is (/healthz checks it;
        # the migration tests drop it all and upgrade for real).
        from flask_migrate import stamp

        stamp()
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

    def __init__(self, folder: Path, name: str = "template", source: SQLiteTemplate | None = None,
                 build: Callable[[str], None] | None = None) -> None:
        self.path = folder / f"{name}.sqlite3"
        url = f"sqlite:///{self.path}"
        if source is None:
            _build_schema(url, folder / "instance")
        else:
            shutil.copyfile(source.path, self.path)
        if build is not None:
            build(url)
        # The kiosk's connections put the file in WAL mode; back to a rollback
        # journal so that the one file holds everything (no -wal beside it to copy).
        conn = sqlite3.connect(self.path)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()

    def derive(self, folder: Path, name: str, build: Callable[[str], None]) -> SQLiteTemplate:
        """Another template: a copy of this one that ``build(url)`` filled."""
        return SQLiteTemplate(folder, name, source=self, build=build)

    def copy(self, folder: Path) -> str:
        path = folder / "kiosk.sqlite3"
        shutil.copyfile(self.path, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Nothing to do: the copy goes with the test's tmp_path."""

    def close(self) -> None:
        pass


#: What a database's schema is made of, as one digest: its schemas, tables, columns,
#: defaults, constraints, indexes, sequences, types, functions, triggers, extensions and
#: settings. A copy whose digest is the template's has the template's schema.
_SCHEMA_DIGEST = """
WITH ns AS (SELECT oid, nspname FROM pg_namespace
            WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema')
SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) FROM (
  SELECT concat_ws(' ', 'n', nspname) FROM ns
  UNION ALL
  SELECT concat_ws(' ', 'c', ns.nspname, c.relname, c.relkind, c.relnatts, c.reloptions)
  FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
  UNION ALL
  SELECT concat_ws(' ', 'a', a.attrelid::regclass, a.attname, format_type(a.atttypid, a.atttypmod),
                   a.attnotnull, pg_get_expr(d.adbin, d.adrelid))
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns ON ns.oid = c.relnamespace
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT concat_ws(' ', 'k', con.conrelid::regclass, con.conname, pg_get_constraintdef(con.oid))
  FROM pg_constraint con JOIN ns ON ns.oid = con.connamespace
  UNION ALL
  SELECT concat_ws(' ', 'i', pg_get_indexdef(i.indexrelid))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns ON ns.oid = c.relnamespace
  UNION ALL
  SELECT concat_ws(' ', 'q', s.seqrelid::regclass, s.seqtypid::regtype, s.seqstart, s.seqincrement,
                   s.seqmin, s.seqmax, s.seqcycle)
  FROM pg_sequence s
  UNION ALL
  SELECT concat_ws(' ', 't', ns.nspname, t.typname, t.typtype) FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
  UNION ALL
  SELECT concat_ws(' ', 'e', e.enumtypid::regtype, e.enumsortorder, e.enumlabel) FROM pg_enum e
  UNION ALL
  SELECT concat_ws(' ', 'p', p.oid::regprocedure) FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
  UNION ALL
  SELECT concat_ws(' ', 'g', tg.tgrelid::regclass, tg.tgname, tg.tgenabled) FROM pg_trigger tg
  WHERE NOT tg.tgisinternal
  UNION ALL
  SELECT concat_ws(' ', 'r', r.ev_class::regclass, r.rulename)
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN ns ON ns.oid = c.relnamespace
  UNION ALL
  SELECT concat_ws(' ', 'x', extname, extversion) FROM pg_extension
  UNION ALL
  SELECT concat_ws(' ', 'o', count(*)) FROM pg_largeobject_metadata
  UNION ALL
  SELECT concat_ws(' ', 'd', setconfig) FROM pg_db_role_setting
  WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
) AS parts(x)
"""

#: The largest table or index (in blocks) of a copy that goes back to the pool. PostgreSQL
#: plans a table that was never vacuumed nor analysed as if it had at least 10 blocks, so
#: a copy whose tables all stayed under that (and that no VACUUM or ANALYZE has counted)
#: is planned just like a fresh one.
_REUSE_BLOCKS = 9


class PostgresTemplate:
    """The schema in a template database; a test's database is ``CREATE DATABASE ... TEMPLATE``,
    or a copy an earlier test of this process left behind, emptied.

    A copy costs little, dropping it a lot: ``DROP DATABASE`` makes the server
    checkpoint (it writes out every changed page of the whole cluster), 0.2 s
    on a quiet machine and seconds on a busy one. So a test's copy comes back
    (:meth:`drop`): renamed out of reach first (a straggling connection of the
    test cannot write into the next one's), then, when its schema is still the
    template's (:data:`_SCHEMA_DIGEST`) and no table grew past
    :data:`_REUSE_BLOCKS`, its rows deleted and its sequences set back to their
    start, as in a fresh copy. Anything else, a test that dropped the schema (the
    migration tests) or changed it, is dropped and never seen again. Rows are
    deleted, not truncated: ``TRUNCATE`` makes new files for every table it
    touches (with CASCADE, nearly all), about 0.5 to 1 s, against 0.05 s.
    Measured before, against one database with ``TRUNCATE ... RESTART IDENTITY
    CASCADE`` of every table per test: the fresh copy was faster (0.7 s a test
    against 1.1 s), which the emptied copy now beats.

    All names come from the run's database, which is the process's own
    (:func:`postgres_url`), so pytest-xdist's workers never share one.
    A template that holds rows (:meth:`derive`, the demo) hands out fresh
    copies only.
    """

    def __init__(self, run_url: str, folder: Path, suffix: str = "tmpl", source: PostgresTemplate | None = None,
                 build: Callable[[str], None] | None = None) -> None:
        run = make_url(run_url)
        self._run_url = run_url
        self.url = run.set(database=f"{run.database}_{suffix}")
        self._names = (f"{run.database}_{suffix}_{n}" for n in itertools.count(1))
        self._admin = create_engine(run.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self._execute(f'DROP DATABASE IF EXISTS "{self.url.database}" WITH (FORCE)')
        if source is None:
            self._execute(f'CREATE DATABASE "{self.url.database}"')
            _build_schema(self._render(self.url), folder)
        else:
            self._execute(f'CREATE DATABASE "{self.url.database}" TEMPLATE "{source.url.database}"')
        if build is not None:
            build(self._render(self.url))
        self._free: list[str] = []  # emptied copies, waiting for a test
        self._digest = None if build is not None else self._schema_digest(self.url)

    def derive(self, folder: Path, name: str, build: Callable[[str], None]) -> PostgresTemplate:
        """Another template database: a copy of this one that ``build(url)`` filled."""
        return PostgresTemplate(self._run_url, folder, suffix=name, source=self, build=build)

    @staticmethod
    def _render(url: URL) -> str:
        return url.render_as_string(hide_password=False)

    def _execute(self, sql: str, **params) -> list:
        with self._admin.connect() as conn:
            result = conn.execute(text(sql), params)
            return result.all() if result.returns_rows else []

    @staticmethod
    def _engine(url: URL):
        from sqlalchemy.pool import NullPool

        return create_engine(url, poolclass=NullPool)  # closed on release: nothing left connected

    def _schema_digest(self, url: URL) -> str:
        engine = self._engine(url)
        try:
            with engine.connect() as conn:
                return conn.execute(text(_SCHEMA_DIGEST)).scalar_one()
        finally:
            engine.dispose()

    def copy(self, folder: Path) -> str:
        name = next(self._names)
        while self._free:
            free = self._free.pop()
            try:
                self._execute(f'ALTER DATABASE "{free}" RENAME TO "{name}"')
            except Exception:  # somebody got in after all: not this one
                self._execute(f'DROP DATABASE IF EXISTS "{free}" WITH (FORCE)')
            else:
                return self._render(self.url.set(database=name))
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.url.database}"')
        return self._render(self.url.set(database=name))

    def drop(self, url: str) -> None:
        """The test is over: its copy back to the pool, emptied, or dropped."""
        name = make_url(url).database
        free = f"{name}_free"
        if self._digest is not None and self._alone(name):
            try:
                self._execute(f'ALTER DATABASE "{name}" RENAME TO "{free}"')
            except Exception:
                pass
            else:
                if self._empty(self.url.set(database=free)):
                    self._free.append(free)
                    return
                name = free
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _alone(self, name: str) -> bool:
        """No connection left to ``name`` (the test's closed ones may take a moment to go)."""
        for attempt in range(80):
            if not self._execute("SELECT 1 FROM pg_stat_activity WHERE datname = :name", name=name):
                return True
            if attempt == 20:  # left open by the test: as DROP DATABASE ... WITH (FORCE) would
                self._execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name",
                              name=name)
            time.sleep(0.025)
        return False

    def _empty(self, url: URL) -> bool:
        """Delete every row and restart every sequence of a copy with the template's schema.

        False, and nothing done, when the copy is not the template's any more (or grew
        too big to be planned as a fresh one): it is then dropped.
        """
        engine = self._engine(url)
        try:
            with engine.begin() as conn:
                if conn.execute(text(_SCHEMA_DIGEST)).scalar_one() != self._digest:
                    return False
                largest, planned = conn.execute(text(
                    "SELECT coalesce(max(pg_relation_size(c.oid) / current_setting('block_size')::int), 0),"
                    "       coalesce(bool_or(c.relkind = 'r' AND c.reltuples >= 0), false)"
                    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relkind IN ('r', 'i') AND n.nspname = 'public'")).one()
                if largest > _REUSE_BLOCKS or planned:  # grown, or vacuumed/analysed: not as fresh
                    return False
                tables = [t.name for t in db.metadata.sorted_tables]
                filled = {row[0] for row in conn.execute(text(" UNION ALL ".join(
                    f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables)))}
                for name in reversed(tables):  # the ones that refer to others first
                    if name in filled:
                        # The first property is the schema's own (kiosk.models: made with the table).
                        keep = f" WHERE id <> {FIRST_PROPERTY}" if name == "properties" else ""
                        conn.execute(text(f'DELETE FROM "{name}"{keep}'))
                for sequence, start in conn.execute(text(
                        "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value"
                        " FROM pg_sequences WHERE last_value IS NOT NULL")).all():
                    conn.execute(text("SELECT setval(CAST(:sequence AS regclass), :start, false)"),
                                 dict(sequence=sequence, start=start))
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('properties', 'id'), {FIRST_PROPERTY})"))
            return True
        except Exception:  # whatever it was, a fresh copy is the answer
            return False
        finally:
            engine.dispose()

    def close(self) -> None:
        for name in [*self._free, self.url.database]:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory, postgres_url):
    """The schema, built once per run (building it per test was most of the suite's time)."""
    folder = tmp_path_factory.mktemp("template")
    template = PostgresTemplate(postgres_url, folder) if postgres_url else SQLiteTemplate(folder)
    yield template
    template.close()


@dataclass
class DemoTemplate:
    """The demo hotel, loaded once per run: see :func:`demo_template`."""

    database: SQLiteTemplate | PostgresTemplate
    #: the instance folder it was loaded on (its badge key hashed the demo badges)
    instance: Path
    #: what ``kiosk demo`` printed (the summary line, the demo operators and their PINs)
    output: str
    exit_code: int = 0


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, template_database) -> Iterator[DemoTemplate]:
    """The demo hotel (``flask kiosk demo``, the real command) loaded once per run into a template.

    Loading it costs seconds (about 4 s on PostgreSQL); a test that needs the demo
    loaded, and does not test the loading itself, asks for :func:`demo_data` and
    gets a copy of this template instead. Built on first use (a pytest-xdist
    worker that runs no demo test never builds it).
    """
    folder = tmp_path_factory.mktemp("demo")
    instance = folder / "instance"
    said: list = []

    def load(url: str) -> None:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("KIOSK_INSTANCE_PATH", str(instance))
            app = create_app(_test_config(url))
        result = app.test_cli_runner().invoke(args=["kiosk", "demo"])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        assert result.exit_code == 0, result.output + repr(result.exception)
        said.append(result.output)

    database = template_database.derive(folder, "demo", load)
    yield DemoTemplate(database=database, instance=instance, output=said[0])
    database.close()


@pytest.fixture
def demo_data(demo_template) -> DemoTemplate:
    """Ask for this beside ``app`` (``client``, ``runner``, ``database_url``…): the test's
    database then starts as the demo hotel, not empty.

    It is a copy of :func:`demo_template` (loaded once per run by the real ``kiosk demo``),
    and the test's instance folder holds the keys the demo was loaded with (its badges
    still find their operators). Returns the :class:`DemoTemplate`: ``.output`` is what
    the load printed. A test of the loading itself runs ``kiosk demo`` on an empty
    database instead.
    """
    return demo_template


def _wants_demo(request) -> bool:
    return "demo_data" in request.fixturenames


@pytest.fixture
def database_url(request, tmp_path, template_database):
    """This test's own database: a copy of the template, the schema and no rows
    (the demo hotel, for a test that asks for :func:`demo_data`).

    A copy, not a transaction rolled back at the end: several tests commit
    from several connections (the concurrency tests, the CLI, the print worker).
    """
    template = request.getfixturevalue("demo_template").database if _wants_demo(request) else template_database
    url = template.copy(tmp_path)
    yield url
    template.drop(url)


class _SharedBytecode(BytecodeCache):
    """Compiled templates, shared by the apps of this run (in memory).

    Each test makes its own app, whose Jinja environment would compile every
    template it renders again: about a fifth of a page test's time. Jinja checks
    each entry against the template's source, so a changed template compiles anew.
    """

    def __init__(self) -> None:
        self._codes: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._codes.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._codes[bucket.key] = bucket.bytecode_to_string()


_JINJA_BYTECODE = _SharedBytecode()


@pytest.fixture
def app(request, tmp_path, monkeypatch, database_url):
    instance = tmp_path / "instance"
    if _wants_demo(request):
        shutil.copytree(request.getfixturevalue("demo_template").instance, instance, dirs_exist_ok=True)
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(instance))
    app = create_app(_test_config(database_url))
    app.jinja_env.bytecode_cache = _JINJA_BYTECODE
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
             Action.WRITE_OFF, Action.TRANSFER_OUT]
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
