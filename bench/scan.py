"""Scan benchmark at hotel-group scale, over real HTTP (issue 14, point 5).

Run from the repository root with the project's venv::

    .venv/bin/python bench/scan.py                          # 5 M events, SQLite and PostgreSQL
    .venv/bin/python bench/scan.py --events 1000000 --samples 300 --only sqlite   # quicker

1. Builds (or reuses, keyed by a stamp) a year of a hotel group's data with the real schema
   (the Alembic migrations) and bulk inserts through ``sqlite3``: 20,000 garments, >= 5 M
   events that follow the state machine (each garment's row matches its last event, checked
   after a build), 400,000 print jobs, a loan for every loan event (open ones overdue) and a
   closed stocktake with its snapshot for each past month. Every row of a property's table is
   property 1's; ``--properties N`` builds a hotel group instead (property 1 holding half the
   garments, the tablets signed in there). PostgreSQL gets the same rows by COPY into a
   database of its own (``kiosk_bench``), dropped at the end.
2. Serves the kiosk as ``kiosk serve`` does (waitress, its own process, 127.0.0.1) and drives
   it with 1, 4 and 10 tablets at once, each a thread with a keep-alive connection, signed in
   through the login form with its PIN and sending the page's CSRF token: check-in, ironing,
   inspection pass, exchange, over garments in the right status, none scanned twice.
3. With one tablet, takes turns with the same scans' SQL run in-process with the driver and
   behind a bare WSGI app on waitress: latency, and CPU per scan (server process CPU / scans).
4. Times the print status bar, the garment page, the loss report (also at smaller ledgers),
   and a stocktake close through its form while tablets keep scanning.

The last line printed is one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import http.client
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))
if __name__ == "__main__":
    # Run as a script, Python puts bench/ first on the path, where bench/queue.py stands in for the
    # standard library's queue (psycopg imports it): the folder's modules are bench.NAME instead.
    sys.path[:] = [entry for entry in sys.path if Path(entry or os.curdir).resolve() != ROOT / "bench"]

DATA_DIR = ROOT / "bench" / ".data"
MIGRATIONS = ROOT / "migrations" / "versions"

#: Bump when the builder's output changes: a cached database with another stamp is rebuilt.
BUILDER_VERSION = 5

#: The property a database of one hotel has, made by the migrations (kiosk.models.FIRST_PROPERTY):
#: in a group (``--properties N``) the bench's tablets scan there, the property holding half the garments.
FIRST_PROPERTY = 1

GARMENTS = 20_000
EMPLOYEES = 2_000
EVENTS = 5_000_000
PRINT_JOBS = 400_000
SEED = 20241126

#: The benchmark's own operators: one clerk per simulated tablet, a supervisor for the close and the report.
BENCH_CLERKS = tuple(f"压测收发{i:02d}" for i in range(1, 11))
BENCH_USER = BENCH_CLERKS[0]
BENCH_SUPERVISOR = "压测主管"
BENCH_PIN = "2468"
FAST_HASH = "pbkdf2:sha256:1000"
CHECKS = ("buttons", "hooks", "zippers")

# --- the hotel group ----------------------------------------------------------

HOTELS = ("外滩店", "静安店", "浦东店", "虹桥店", "西湖店", "滨江店", "鼓楼店", "天河店",
          "解放碑店", "春熙路店", "中山路店", "五一广场店")
DEPARTMENTS = ("客房部", "餐饮部", "前厅部", "工程部", "保安部")

#: code, name_zh, name_en, unit cost, entitlement, expected washes
TYPES = (
    ("HK-SUIT-S", "客房服务员套装（夏）", "Housekeeping suit (summer)", 268.0, 3, 150),
    ("HK-SUIT-W", "客房服务员套装（冬）", "Housekeeping suit (winter)", 298.0, 3, 150),
    ("FB-VEST", "餐厅马甲", "Restaurant vest", 158.0, 2, 120),
    ("CHEF", "厨师服", "Chef jacket", 135.5, 3, 150),
    ("FO-SUIT-S", "前台西装（夏）", "Front office suit (summer)", 680.0, 2, 60),
    ("FO-SUIT-W", "前台西装（冬）", "Front office suit (winter)", 760.0, 2, 60),
    ("SHIRT-S", "短袖衬衫", "Short-sleeved shirt", 88.0, 3, 100),
    ("SHIRT-L", "长袖衬衫", "Long-sleeved shirt", 98.5, 3, 100),
    ("ENG-S", "工程工装（夏）", "Engineering workwear (summer)", 188.0, 3, 120),
    ("ENG-W", "工程工装（冬）", "Engineering workwear (winter)", 218.0, 3, 120),
    ("SEC", "保安制服", "Security uniform", 320.0, 2, 100),
    ("APRON", "围裙", "Apron", 45.0, 2, 80),
)
ENTITLEMENT = {t[0]: t[4] for t in TYPES}

#: department -> (position, weight, the type codes of its kit); pieces = entitlement
ROSTER = {
    "客房部": (("客房服务员", 11, ("HK-SUIT-S", "HK-SUIT-W", "APRON")),
            ("楼层领班", 3, ("HK-SUIT-S", "HK-SUIT-W", "SHIRT-L")),
            ("公区保洁员", 3, ("HK-SUIT-S", "HK-SUIT-W", "APRON"))),
    "餐饮部": (("服务员", 7, ("FB-VEST", "SHIRT-S", "SHIRT-L", "APRON")),
            ("传菜员", 3, ("FB-VEST", "SHIRT-S", "SHIRT-L")),
            ("厨师", 5, ("CHEF", "APRON", "SHIRT-S"))),
    "前厅部": (("前台接待", 5, ("FO-SUIT-S", "FO-SUIT-W", "SHIRT-S", "SHIRT-L")),
            ("礼宾员", 3, ("FO-SUIT-S", "FO-SUIT-W", "SHIRT-L"))),
    "工程部": (("工程师", 7, ("ENG-S", "ENG-W", "SHIRT-L")),),
    "保安部": (("保安员", 7, ("SEC", "SHIRT-S", "SHIRT-L")),),
}

USERS = (("王收发", "clerk"), ("陈收发", "clerk"), ("刘收发", "clerk"), ("李熨烫", "ironer"),
         ("周熨烫", "ironer"), ("赵领班", "supervisor"), ("管理员", "admin"),
         *((name, "clerk") for name in BENCH_CLERKS), (BENCH_SUPERVISOR, "supervisor"))

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万"
_GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
          "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文静", "子涵", "浩然", "雨萱", "梓轩",
          "欣怡", "宇航", "思远", "婷婷", "海燕", "春梅", "志刚", "晓东", "丽娟", "堃", "喆", "玥", "赟")
_SIZES = ("S", "M", "L", "XL", "XXL")
_DEFECTS = ("damage", "missing_button", "missing_ornament", "stain", "faded_number")

# Where each action happens and who does it.
_STATION = {"register": "registry", "issue": "issue", "issue_spare": "issue", "loan": "issue",
            "check_in": "checkin", "wash": "ironing", "iron": "ironing", "pass": "inspection",
            "rewash": "inspection", "reiron": "inspection", "to_tailor": "inspection",
            "from_tailor": "tailor", "slot": "slot", "mark_missing": "stocktake",
            "found": "stocktake", "write_off": "office"}
_ROLE = {"wash": "ironer", "iron": "ironer", "write_off": "supervisor"}

#: action -> status it leads to ("slot" keeps the status)
_TO = {"register": "in_stock", "issue": "issued", "issue_spare": "spare_issued", "loan": "loaned",
       "check_in": "dirty", "wash": "ironing", "iron": "inspection", "pass": "in_stock",
       "rewash": "dirty", "reiron": "ironing", "to_tailor": "at_tailor", "from_tailor": "inspection",
       "mark_missing": "missing", "found": "inspection", "write_off": "written_off"}

#: How long ago (seconds) a garment reached its final status.
_SLACK = {"in_stock": (3600, 20 * 86400), "issued": (3600, 14 * 86400),
          "spare_issued": (3600, 10 * 86400), "loaned": (86400, 20 * 86400),
          "dirty": (600, 30 * 3600), "ironing": (600, 30 * 3600), "inspection": (600, 30 * 3600),
          "at_tailor": (86400, 10 * 86400), "missing": (5 * 86400, 90 * 86400),
          "written_off": (5 * 86400, 200 * 86400)}


def stamp(garments: int, employees: int, events: int, seed: int, properties: int = 1) -> str:
    """What the cached database was built from: migrations, builder, scale."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(f"{BUILDER_VERSION}:{garments}:{employees}:{events}:{seed}:{properties}".encode())
    return digest.hexdigest()[:16]


#: The bench's badge key: the generated data and the app agree on it.
BADGE_KEY = "bench-badge-key"


def _badge(code: str) -> str:
    """A badge as the kiosk stores it: its keyed hash, under the bench's fixed key."""
    from kiosk.badges import digest

    return digest(code, key=BADGE_KEY)


def _iso(us: int) -> str:
    """Microseconds since the epoch -> the text SQLAlchemy stores for a naive UTC DateTime."""
    return (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=us)).isoformat(" ", "microseconds")


# --- histories ----------------------------------------------------------------

def _cycle(rng: random.Random, out: tuple) -> list[tuple]:
    """One round from the slot: out, back dirty, laundered, inspected, slotted."""
    steps = [out, ("check_in", out[1])]
    if rng.random() < 0.4:
        steps.append(("wash", None))
    roll = rng.random()
    if roll < 0.05:
        steps += [("iron", None), ("rewash", None, "stain"), ("wash", None), ("iron", None)]
    elif roll < 0.09:
        steps += [("iron", None), ("reiron", None)]
        steps.append(("iron", None))
    elif roll < 0.12:
        defect = rng.choice(_DEFECTS)
        steps += [("iron", None, defect), ("to_tailor", None, defect), ("from_tailor", None)]
    else:
        steps.append(("iron", None))
    steps.append(("pass", None))
    if rng.random() < 0.95:  # most passed garments go straight into their slot
        steps.append(("slot", None))
    return steps


def _tail(rng: random.Random, target: str, out: tuple, variant: str) -> list[tuple]:
    """From a clean garment in its slot to where it is today."""
    back = ("check_in", out[1])
    if target == "in_stock":
        if variant == "returned":
            return [out, back, ("iron", None), ("pass", None), ("slot", None)]
        return []
    if target in ("issued", "spare_issued", "loaned"):
        return [out]
    if target == "dirty":
        return [out, back]
    if target == "ironing":
        return [out, back, ("wash", None)]
    if target == "inspection":
        return [out, back, ("iron", None)]
    if target == "at_tailor":
        defect = rng.choice(_DEFECTS)
        return [out, back, ("iron", None, defect), ("to_tailor", None, defect)]
    if target == "missing":
        return [("mark_missing", None)]
    if target == "written_off":
        if variant == "lost":
            return [("mark_missing", None), ("write_off", None)]
        return [out, back, ("iron", None, "damage"), ("to_tailor", None, "damage"),
                ("write_off", None, "damage")]
    raise AssertionError(target)


@dataclass
class BuildInfo:
    garments: int = 0
    employees: int = 0
    properties: int = 1
    garments_by_property: dict[int, int] = field(default_factory=dict)
    events: int = 0
    departments: int = 0
    garment_types: int = 0
    users: int = 0
    loans: int = 0
    open_loans: int = 0
    print_jobs: int = 0
    stocktakes: int = 0
    build_s: float = 0.0
    status_counts: dict[str, int] = field(default_factory=dict)


def _create_schema(path: Path | str) -> None:
    """The real schema: the migrations, as ``flask db upgrade`` runs them (a SQLite file or a database URL)."""
    import flask_migrate

    from kiosk import create_app
    from kiosk.extensions import db

    os.environ.setdefault("KIOSK_SECRET_KEY", "bench")
    os.environ.setdefault("KIOSK_INSTANCE_PATH", str(DATA_DIR / "instance"))
    os.environ.setdefault("KIOSK_BADGE_KEY", BADGE_KEY)
    url = path if isinstance(path, str) else f"sqlite:///{path}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def property_code(property_id: int) -> str:
    """A property's short code: none for the first (its tags stay as they were), ``H02``... after."""
    return "" if property_id == FIRST_PROPERTY else f"H{property_id:02d}"


def property_name(property_id: int) -> str:
    return f"酒店 {property_id}"


def _prefix(property_id: int) -> str:
    """What a property's tags and badges begin with, so that they stay unique in the group."""
    return f"{property_code(property_id)}-" if property_id != FIRST_PROPERTY else ""


def _shares(properties: int) -> dict[int, float]:
    """The part of the group's garments each property holds: the first half, the rest even."""
    if properties == 1:
        return {FIRST_PROPERTY: 1.0}
    rest = 0.5 / (properties - 1)
    return {p: 0.5 if p == FIRST_PROPERTY else rest for p in range(1, properties + 1)}


def _fullest_below_share(held: dict[int, int], shares: dict[int, float], adding: int) -> int:
    """The property that, given ``adding`` more garments, stays furthest below its share (the
    first on a tie): people and spares dealt out so that the garments follow :func:`_shares`."""
    return min(shares, key=lambda p: ((held[p] + adding) / shares[p], p))


def _operators(properties: int) -> tuple[list[tuple[int, str, str]], list[tuple[int, int]]]:
    """The group's operators (id, name, role) and where each works (property id, user id): the
    hotel's own (USERS but the bench's) at each property, theirs named with its code; the bench's
    clerks and supervisor at every property."""
    bench = set(BENCH_CLERKS) | {BENCH_SUPERVISOR}
    users = [(i + 1, name, role) for i, (name, role) in enumerate(USERS)]
    members = [(FIRST_PROPERTY, uid) for uid, _, _ in users]
    for p in range(2, properties + 1):
        for name, role in USERS:
            if name not in bench:
                users.append((len(users) + 1, f"{property_code(p)}{name}", role))
                members.append((p, len(users)))
        members += [(p, uid) for uid, name, _ in users[:len(USERS)] if name in bench]
    return users, members


def build(path: Path, *, garments: int = GARMENTS, employees: int = EMPLOYEES, events: int = EVENTS,
          seed: int = SEED, now: dt.datetime | None = None, print_jobs: int | None = None,
          properties: int = 1) -> BuildInfo:
    """Build the database at ``path`` (replaced if there) and return what is in it.

    ``properties`` > 1: a group of that many hotels on the one database (properties 2..N made
    here, property 1 being the migration's): each its own departments, staff, garments and so
    their histories, loans, print jobs and stocktakes, the first holding half the garments and
    the others the rest evenly. Department names, staff and uniform numbers start again at each
    property (as the kiosk allows: unique within one); tags and badges stay unique in the group.
    """
    if properties < 1:
        raise ValueError("a group has at least one property")
    started = time.perf_counter()
    rng = random.Random(seed)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    _create_schema(path)
    now = now or dt.datetime.now(dt.timezone.utc)
    now_us = int(now.timestamp() * 1_000_000)
    year_us = 365 * 86400 * 1_000_000
    created = _iso(now_us - year_us - 30 * 86400 * 1_000_000)

    from werkzeug.security import generate_password_hash

    pin_hash = generate_password_hash(BENCH_PIN, method=FAST_HASH)

    # Reference data: the group's (garment types, operators) and each property's.
    property_ids = list(range(1, properties + 1))
    property_rows = [(p, property_code(p), property_name(p), created) for p in property_ids[1:]]
    shares = _shares(properties)
    types = [(i + 1, *t) for i, t in enumerate(TYPES)]
    type_id = {t[1]: t[0] for t in types}
    cost_of = {t[0]: t[4] for t in types}
    users, members = _operators(properties)
    role_of = {uid: role for uid, _, role in users}
    by_role_at: dict[int, dict[str, list[int]]] = {p: {} for p in property_ids}  # who works where, by role
    for p, uid in members:
        by_role_at[p].setdefault(role_of[uid], []).append(uid)

    positions = [(dept, pos, weight, kit) for dept, rows in ROSTER.items() for pos, weight, kit in rows]
    avg_kit = (sum(w * sum(ENTITLEMENT[c] for c in kit) for _, _, w, kit in positions)
               / sum(w for _, _, w, _ in positions))
    # Enough staff that their kits (plus a spare pool of ~5 %) reach the garment count.
    staff = max(employees, math.ceil(garments / 1.05 / avg_kit), properties)
    # One database of one hotel stands for a group by its departments (a hotel's name before
    # each); in a group of properties each property is one hotel with the same five names.
    hotels = max(1, min(len(HOTELS), math.ceil(staff / 250))) if properties == 1 else 1
    departments = []  # (id, property id, name, created)
    dept_id = {}
    for p in property_ids:
        for h in range(hotels):
            for d in DEPARTMENTS:
                dept_id[(p, h, d)] = len(departments) + 1
                departments.append((len(departments) + 1, p, f"{HOTELS[h]}·{d}" if hotels > 1 else d, created))

    emp_rows = []
    emp_dept: dict[int, int] = {}
    # (employee id, property id, uniform no, active, size, kit)
    kits: list[tuple[int, int, str, bool, str, tuple]] = []
    names = set()
    weights = [w for _, _, w, _ in positions]
    held = dict.fromkeys(property_ids, 0)  # garments dealt to each property so far
    staff_at = dict.fromkeys(property_ids, 0)
    for i in range(staff):
        eid = i + 1
        dept, pos, _, kit = rng.choices(positions, weights)[0]
        n_kit = sum(ENTITLEMENT[c] for c in kit)
        # Each property gets at least one person, then people go where the garments are short.
        p = property_ids[i] if i < properties else _fullest_below_share(held, shares, n_kit)
        held[p] += n_kit
        n = staff_at[p]  # the property's own numbering
        staff_at[p] += 1
        did = dept_id[(p, n % hotels, dept)]
        while True:
            name = rng.choice(_SURNAMES) + rng.choice(_GIVEN) + ("" if rng.random() < 0.7 else rng.choice(_GIVEN))
            if name not in names or len(names) > 50_000:
                break
        names.add(name)
        roll = rng.random()
        kind = "hourly" if roll < 0.05 else "new_hire" if roll < 0.07 else "regular"
        active = rng.random() > 0.02
        size = rng.choices(_SIZES, (12, 30, 32, 18, 8))[0]
        staff_no, uniform_no = f"{200001 + n}", f"{100001 + n}"
        joined = _iso(now_us - rng.randint(30, 3 * 365) * 86400 * 1_000_000)
        left_on = None if active else (now.date() - dt.timedelta(days=rng.randint(2, 200))).isoformat()
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        emp_rows.append((eid, p, staff_no, name, did, pos, phone, kind, uniform_no, size,
                         _badge(f"EMP-{_prefix(p)}{staff_no}"), int(active), left_on, joined, joined))
        emp_dept[eid] = did
        kits.append((eid, p, uniform_no, active, size, kit))
    active_staff = {p: [k[0] for k in kits if k[3] and k[1] == p] for p in property_ids}

    # Garments: each person's kit (pieces = entitlement), then the spare pool. A tag is unique
    # in the group: another property's begin with its code.
    pieces = []  # (tag, type id, size, owner id or None, number, target, variant, property id)
    for eid, p, uniform_no, active, size, kit in kits:
        for code in kit:
            n_pieces = ENTITLEMENT[code]
            for n in range(1, n_pieces + 1):
                if not active:
                    target, variant = ("in_stock", "returned") if rng.random() < 0.7 else ("written_off", "lost")
                elif n == 1:  # one of each type is on the person
                    target, variant = "issued", ""
                else:
                    target = rng.choices(("in_stock", "dirty", "ironing", "inspection", "issued", "at_tailor",
                                          "missing", "written_off"),
                                         (50, 12, 6, 12, 17, 1.5, 0.5, 1))[0]
                    variant = rng.choice(("worn_out", "lost")) if target == "written_off" else ""
                pieces.append((f"{_prefix(p)}{code}-{uniform_no}{n:02d}", type_id[code], size, eid, uniform_no,
                               target, variant, p))
    n_spares = max(math.ceil(len(pieces) * 0.05), garments - len(pieces))
    codes = [t[1] for t in types]
    spares_at = dict.fromkeys(property_ids, 0)
    for n in range(1, n_spares + 1):
        p = _fullest_below_share(held, shares, 1)
        held[p] += 1
        spares_at[p] += 1
        code = rng.choice(codes)
        target = rng.choices(("in_stock", "spare_issued", "loaned", "dirty", "inspection", "at_tailor",
                              "written_off"), (70, 10, 5, 5, 6, 2, 2))[0]
        if target == "spare_issued" and not active_staff[p]:
            target = "in_stock"  # nobody of the property to wear it
        pieces.append((f"{_prefix(p)}{code}-9{spares_at[p]:05d}", type_id[code], rng.choice(_SIZES), None, None,
                       target, "worn_out" if target == "written_off" else "", p))

    per_garment = math.ceil(events / len(pieces))
    garment_rows = []
    # (t_us, garment id, seq, action, from, to, user, station, employee, dept, cost, defects, property id)
    event_rows = []
    status_counts: dict[str, int] = {}
    loans_out: list[list] = []  # [garment id, seq of the loan event, at, seq of the return or None, at]
    for index, (tag, tid, size, owner, number, target, variant, p) in enumerate(pieces):
        gid = index + 1
        # Paired jitter: the total stays exactly per_garment x garments before the tails.
        jitter = (gid // 2 * 7919) % 21 - 10
        length = max(4, per_garment + (jitter if gid % 2 else -jitter))
        out = ("issue", owner) if owner else None
        wearers = active_staff[p]  # a spare is worn by someone of its own property
        steps: list[tuple] = []
        tail_out = out or (("issue_spare", rng.choice(wearers)) if target != "loaned" else ("loan", None))
        tail = _tail(rng, target, tail_out, variant)
        while 1 + len(steps) + len(tail) < length:
            if owner is None:
                out = (("issue_spare", rng.choice(wearers)) if rng.random() < 0.7 and wearers
                       else ("loan", None))
            steps += _cycle(rng, out)
        steps += tail
        # Times: registered about a year ago, the last step _SLACK before now.
        start = now_us - year_us + rng.randrange(30 * 86400 * 1_000_000)
        lo, hi = _SLACK[target]
        slack = rng.randint(lo, hi)
        end = now_us - slack * 1_000_000
        if steps and steps[-1][0] == "pass" and slack > 6 * 3600:
            steps.append(("slot", None))  # a garment passed hours ago is in its slot by now
        span = max(end - start, len(steps) + 1)
        moments = sorted(rng.sample(range(1, span), len(steps))) if len(steps) < span else list(range(1, len(steps) + 1))
        cost = cost_of[tid]
        status, holder, wash, repair, defects, since, awaiting = "in_stock", None, 0, 0, "", start, False
        owner_dept = emp_dept.get(owner) if owner else None
        operators = by_role_at[p]
        event_rows.append((start, gid, 0, "register", None, "in_stock", operators["clerk"][0], "registry",
                           owner, owner_dept, cost, "", p))
        for seq, (step, offset) in enumerate(zip(steps, moments), start=1):
            action, person = step[0], step[1]
            flagged = step[2] if len(step) > 2 else ""
            at = start + offset
            if action == "loan":
                loans_out.append([gid, seq, at, None, None])  # returned by the next check-in, if any
            elif action == "check_in" and status == "loaned":
                loans_out[-1][3:] = [seq, at]
            if action == "slot":
                to = status
                awaiting = False
            else:
                to = _TO[action]
                if action in ("wash", "iron") and status == "dirty":
                    wash += 1
                if action == "from_tailor":
                    repair += 1
                holder = (person or owner) if to in ("issued", "spare_issued", "loaned") else None
                awaiting = action == "pass"
                if action == "pass":
                    defects = ""
                elif flagged:
                    defects = ",".join(dict.fromkeys([c for c in defects.split(",") if c] + [flagged]))
                since = at
            who = person or holder or owner  # the ledger's rule: employee, holder, then owner
            role = _ROLE.get(action, "clerk")
            staff_ids = operators[role]
            event_rows.append((at, gid, seq, action, status, to, staff_ids[seq % len(staff_ids)],
                               _STATION[action], who, emp_dept.get(who) if who else None, cost, flagged, p))
            status = to
        assert status == target, (tag, status, target)
        status_counts[status] = status_counts.get(status, 0) + 1
        last = start + (moments[-1] if steps else 0)
        bought = (dt.date(1970, 1, 1) + dt.timedelta(microseconds=start) - dt.timedelta(days=rng.randint(1, 400))).isoformat()
        garment_rows.append((gid, tag, tid, size, owner, number, status, wash, repair, bought, cost, holder,
                             defects, _iso(since), int(awaiting), 1 + len(steps), _iso(start), _iso(last), p))

    # Ids in time order, as a kiosk in use would have given them.
    event_rows.sort(key=lambda r: (r[0], r[1], r[2]))
    extra = _history_records(rng, event_rows, loans_out, garment_rows, by_role_at, now_us,
                             PRINT_JOBS if print_jobs is None else print_jobs)

    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-400000")
        con.execute("PRAGMA temp_store=MEMORY")
        # Indexes are dropped for the load and created again afterwards (faster than
        # maintaining them row by row); their SQL comes from the migrated schema.
        indexes = con.execute("SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL "
                              "AND tbl_name IN ('events', 'garments')").fetchall()
        con.execute("BEGIN")
        for name, _ in indexes:
            con.execute(f'DROP INDEX "{name}"')
        if properties > 1:  # the migration's property is the group's first hotel
            con.execute("UPDATE properties SET name = ? WHERE id = ?", (property_name(FIRST_PROPERTY), FIRST_PROPERTY))
        con.executemany("INSERT INTO properties (id, code, name, active, created_at) VALUES (?, ?, ?, 1, ?)",
                        property_rows)
        con.executemany("INSERT INTO departments (id, property_id, name, created_at) VALUES (?, ?, ?, ?)",
                        departments)
        con.executemany(
            "INSERT INTO garment_types (id, code, name_zh, name_en, unit_cost, entitlement, expected_washes, active) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 1)", types)
        con.executemany(
            "INSERT INTO users (id, name, role, pin_hash, badge_hash, active, must_change_pin, failed_attempts, "
            "created_at) VALUES (?, ?, ?, ?, ?, 1, 0, 0, ?)",
            [(uid, name, role, pin_hash, _badge(f"BADGE-{uid:04d}"), created) for uid, name, role in users])
        con.executemany("INSERT INTO property_members (property_id, user_id, created_at) VALUES (?, ?, ?)",
                        [(p, uid, created) for p, uid in members])
        con.executemany(
            "INSERT INTO employees (id, property_id, staff_no, name, department_id, position, phone, kind, uniform_no, "
            "size, shoe_size, sock_size, badge_hash, active, left_on, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, ?, ?)",
            emp_rows)
        con.executemany(
            "INSERT INTO garments (id, tag, type_id, size, owner_id, number, status, wash_count, repair_count, "
            "purchased_on, cost, holder_id, defects, status_since, awaiting_slot, version, created_at, updated_at, "
            "property_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", garment_rows)
        con.executemany(
            "INSERT INTO events (property_id, garment_id, action, from_status, to_status, user_id, station, "
            "employee_id, department_id, unit_cost, defects, note, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)",
            ((r[12], r[1], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], _iso(r[0])) for r in event_rows))
        for table, (columns, rows) in extra.items():
            con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            rows)
        for _, sql in indexes:
            con.execute(sql)
        con.execute("COMMIT")
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()
    return BuildInfo(garments=len(garment_rows), employees=len(emp_rows), events=len(event_rows),
                     departments=len(departments), garment_types=len(types), users=len(users),
                     properties=properties,
                     garments_by_property={p: sum(1 for r in garment_rows if r[18] == p) for p in property_ids},
                     loans=len(extra["loans"][1]), open_loans=sum(1 for r in extra["loans"][1] if r[-2] is None),
                     print_jobs=len(extra["print_jobs"][1]), stocktakes=len(extra["stocktakes"][1]),
                     build_s=round(time.perf_counter() - started, 1), status_counts=status_counts)


def _history_records(rng: random.Random, event_rows: list[tuple], loans_out: list[list], garment_rows: list[tuple],
                     by_role_at: dict[int, dict[str, list[int]]], now_us: int,
                     n_jobs: int) -> dict[str, tuple[tuple[str, ...], list[tuple]]]:
    """The year's other records, consistent with the ledger: a loan (and its item) for every
    ``loan`` event, returned by the garment's next check-in (open ones overdue or due soon),
    ``n_jobs`` print jobs (tags and slips, printed; the newest two of each property failed hours
    ago, so its status bar has something to say), and a closed stocktake with its snapshot for
    each past month at each property. Each record is its garment's property's, made by its
    operators (``by_role_at``: property -> role -> user ids)."""
    from printers.documents import GarmentLine, checkin_slip, garment_tag

    wanted = {(g, seq) for g, seq, _, back, _ in loans_out for seq in (seq, back) if seq is not None}
    event_id = {}
    for index, row in enumerate(event_rows, start=1):
        if (row[1], row[2]) in wanted:
            event_id[(row[1], row[2])] = index
    property_of = {row[0]: row[18] for row in garment_rows}
    property_ids = sorted(by_role_at)
    day = 86400 * 1_000_000
    loans, items = [], []
    for n, (gid, seq, at, back, back_at) in enumerate(loans_out, start=1):
        p = property_of[gid]
        clerks = by_role_at[p]["clerk"]
        name = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        due = at + rng.choice((1, 1, 2, 3)) * day
        loans.append((n, p, None, name, f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                      rng.choice(("宴会外包", "实习生", "兄弟酒店", "活动公司")), None,
                      rng.choice(("forgot_locker_key", "other_post", "event", "other")), "", "", "", None,
                      _iso(due), None, 1, clerks[n % len(clerks)], _iso(at), None if back is None else _iso(back_at),
                      None))
        items.append((n, p, n, gid, event_id[(gid, seq)], None if back is None else _iso(back_at),
                      None if back is None else event_id[(gid, back)], None))

    tag_doc = json.dumps(garment_tag("TAGCODE", "100001", "客房服务员套装（夏）", "M", "王芳").to_dict(),
                         ensure_ascii=False)
    slip_doc = json.dumps(checkin_slip("收衣单", employee="王芳 100001", clerk="王收发", when="2024-11-01 08:00",
                                       garments=[GarmentLine("TAGCODE", "客房服务员套装（夏）", "M")] * 3).to_dict(),
                          ensure_ascii=False)
    garments_of: dict[int, list[int]] = {}
    for row in garment_rows:
        garments_of.setdefault(row[18], []).append(row[0])
    jobs = []
    year = 365 * day
    failing = 2 * len(property_ids)
    for n in range(1, n_jobs + 1):
        created = now_us - year + (n * year) // (n_jobs + 1) - rng.randrange(3_600_000_000)
        gid = rng.randrange(1, len(garment_rows) + 1)
        status, error, printed = "done", None, _iso(created + 2_000_000)
        if n > n_jobs - failing:  # the newest two of each property failed two hours ago
            p = property_ids[(n_jobs - n) // 2 % len(property_ids)]
            if property_of[gid] != p:
                gid = rng.choice(garments_of[p])
            created = now_us - 2 * 3600 * 1_000_000 - n
            status, printed = "failed", None
            error = json.dumps({"message": "The printer did not answer.", "params": {}, "labels": []})
        p = property_of[gid]
        clerks = by_role_at[p]["clerk"]
        tag = garment_rows[gid - 1][1]
        kind = "tag" if n % 5 < 2 else "receipt"
        doc = (tag_doc if kind == "tag" else slip_doc).replace("TAGCODE", tag)
        jobs.append((n, p, kind, doc, gid if kind == "tag" else None, None, status, 1, error, "dummy:",
                     clerks[n % len(clerks)], _iso(created), _iso(created + 2_000_000), printed))

    # A closed stocktake for each of the 11 months before this one at each property, with its
    # snapshot per type and size.
    now = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=now_us)
    in_room = {"in_stock", "dirty", "ironing", "inspection", "at_tailor"}
    stocktakes, snapshots = [], []
    for p in property_ids:
        clerks, supervisors = by_role_at[p]["clerk"], by_role_at[p]["supervisor"]
        expected: dict[tuple[int, str], int] = {}
        for row in garment_rows:
            if row[18] == p and (row[6] in in_room or row[6] == "missing"):
                expected[(row[2], row[3])] = expected.get((row[2], row[3]), 0) + 1
        for back in range(11, 0, -1):
            y, m = divmod(now.year * 12 + now.month - 1 - back, 12)
            month = f"{y:04d}-{m + 1:02d}"
            nxt_y, nxt_m = divmod(y * 12 + m + 1, 12)
            end = dt.datetime(nxt_y, nxt_m + 1, 1) - dt.timedelta(hours=20)  # the month's last evening (UTC)
            opened = int((end - dt.datetime(1970, 1, 1)).total_seconds() * 1_000_000)
            sid = len(stocktakes) + 1
            stocktakes.append((sid, p, month, "closed", 0, supervisors[0], _iso(opened), supervisors[0], clerks[0],
                               _iso(opened + 3 * 3600 * 1_000_000), None, "[]", "[]", "[]"))
            for (tid, size), count in sorted(expected.items()):
                missing = min(count, rng.choice((0, 0, 0, 1, 2)))
                snapshots.append((len(snapshots) + 1, p, sid, tid, size, count, count - missing, count - missing,
                                  missing))
    return {
        "loans": (("id", "property_id", "employee_id", "borrower_name", "borrower_phone", "borrower_org",
                   "department_id", "reason", "note", "approver", "deposit", "deposit_returned_at", "due_at",
                   "signature_png", "signed_on_paper", "created_by_id", "created_at", "closed_at",
                   "contact_erased_at"), loans),
        "loan_items": (("id", "property_id", "loan_id", "garment_id", "loan_event_id", "returned_at",
                        "return_event_id", "written_off_event_id"), items),
        "print_jobs": (("id", "property_id", "kind", "document", "garment_id", "reprint_id", "status", "attempts",
                        "last_error", "printer", "requested_by_id", "created_at", "updated_at", "printed_at"), jobs),
        "stocktakes": (("id", "property_id", "month", "status", "blind", "opened_by_id", "opened_at", "closed_by_id",
                        "counted_by_id", "closed_at", "corrects_id", "missing_json", "unknown_json",
                        "overdue_json"), stocktakes),
        "stocktake_snapshots": (("id", "property_id", "stocktake_id", "type_id", "size", "expected", "seen",
                                 "accounted_for", "missing"), snapshots),
    }


def check_consistency(path: Path) -> list[str]:
    """Problems found: a garment's row that does not match its history, a move the state machine refuses."""
    from kiosk.domain.garment_states import TransitionRefused, next_status

    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    problems = []
    try:
        # Each property's records are its own: an event is its garment's property's, an owner, a
        # holder and a department of the same property as the garment or the person.
        for what, sql in (
                ("events of another property than their garment's",
                 "SELECT count(*) FROM events e JOIN garments g ON g.id = e.garment_id "
                 "WHERE e.property_id != g.property_id"),
                ("garments owned or held by someone of another property",
                 "SELECT count(*) FROM garments g JOIN employees p ON p.id = g.owner_id OR p.id = g.holder_id "
                 "WHERE p.property_id != g.property_id"),
                ("employees in a department of another property",
                 "SELECT count(*) FROM employees e JOIN departments d ON d.id = e.department_id "
                 "WHERE d.property_id != e.property_id"),
                ("events by an operator who does not work at the property",
                 "SELECT count(*) FROM events e WHERE e.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                 "property_members m WHERE m.user_id = e.user_id AND m.property_id = e.property_id)")):
            count = con.execute(sql).fetchone()[0]
            if count:
                problems.append(f"{count} {what}")
        garments = {row[0]: row for row in con.execute(
            "SELECT id, tag, status, holder_id, status_since, awaiting_slot, wash_count, repair_count, owner_id "
            "FROM garments")}
        history: dict[int, list[tuple]] = {}
        for row in con.execute("SELECT garment_id, action, from_status, to_status, created_at, employee_id "
                               "FROM events ORDER BY garment_id, created_at, id"):
            history.setdefault(row[0], []).append(row)
        for gid, (_, tag, status, holder, since, awaiting, washes, repairs, owner) in garments.items():
            events = history.get(gid, [])
            if not events or events[0][1] != "register":
                problems.append(f"{tag}: history does not start with register")
                continue
            state, moved_at, last_move, count_w, count_r = "in_stock", events[0][4], "register", 0, 0
            for _, action, from_status, to_status, created_at, _ in events[1:]:
                if from_status != state:
                    problems.append(f"{tag}: {action} from {from_status}, but it was {state}")
                    break
                if action != "slot":
                    try:
                        if next_status(from_status, action).value != to_status:
                            problems.append(f"{tag}: {action} {from_status} -> {to_status}")
                    except TransitionRefused:
                        problems.append(f"{tag}: {action} refused from {from_status}")
                    count_w += action in ("wash", "iron") and from_status == "dirty"
                    count_r += action == "from_tailor"
                    moved_at, last_move = created_at, action
                elif last_move != "pass":
                    problems.append(f"{tag}: slot without a pass")
                state = to_status
            last = events[-1]
            if status != last[3]:
                problems.append(f"{tag}: status {status}, last event says {last[3]}")
            if since != moved_at:
                problems.append(f"{tag}: status_since {since}, last move at {moved_at}")
            if bool(awaiting) != (last[1] == "pass"):
                problems.append(f"{tag}: awaiting_slot {awaiting}, last event {last[1]}")
            if (washes, repairs) != (count_w, count_r):
                problems.append(f"{tag}: washes/repairs {washes}/{repairs}, history {count_w}/{count_r}")
            if status in ("issued", "spare_issued") and holder is None:
                problems.append(f"{tag}: {status} without a holder")
            if status == "issued" and holder != owner:
                problems.append(f"{tag}: issued to {holder}, owned by {owner}")
            if status not in ("issued", "spare_issued", "loaned") and holder is not None:
                problems.append(f"{tag}: {status} with a holder")
            if len(problems) > 20:
                break
    finally:
        con.close()
    return problems


def ensure_database(garments: int, employees: int, events: int, seed: int,
                    rebuild: bool = False, properties: int = 1) -> tuple[Path, dict, bool]:
    """The cached database for this stamp, built when missing or stale; (path, info, reused).

    The default scale is ``scale.sqlite3``; other event counts (the report's smaller
    ledgers, a quick run) are cached beside it as ``scale-<events>.sqlite3``, a group of
    properties as ``scale[-<events>]-p<properties>.sqlite3``."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    name = ("scale" if events == EVENTS else f"scale-{events}") + ("" if properties == 1 else f"-p{properties}")
    path = DATA_DIR / f"{name}.sqlite3"
    meta_path = DATA_DIR / f"{name}.json"
    key = stamp(garments, employees, events, seed, properties)
    if not rebuild and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("stamp") == key:
            return path, meta, True
    meta_path.unlink(missing_ok=True)
    building = DATA_DIR / f"building-{name}.sqlite3"
    print(f"building the database ({garments:,} garments, {employees:,} employees, {events:,} events"
          + (f", {properties} properties" if properties > 1 else "") + ")...", flush=True)
    info = build(building, garments=garments, employees=employees, events=events, seed=seed, properties=properties)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(building, path)
    meta = {"stamp": key, **info.__dict__, "built_at": dt.datetime.now(dt.timezone.utc).isoformat()}
    meta = json.loads(json.dumps(meta))  # as a cached one reads back (the properties' keys as text)
    started = time.perf_counter()
    problems = check_consistency(path)
    if problems:
        path.unlink()
        raise SystemExit("the built database is not consistent:\n" + "\n".join(problems))
    meta["check_s"] = round(time.perf_counter() - started, 1)
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return path, meta, False


# --- figures ------------------------------------------------------------------

def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of ``samples``."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(samples: list[float]) -> dict | None:
    if not samples:
        return None
    return {"n": len(samples), "p50_ms": round(percentile(samples, 50), 2),
            "p95_ms": round(percentile(samples, 95), 2), "p99_ms": round(percentile(samples, 99), 2),
            "max_ms": round(max(samples), 2)}


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def process_cpu_s(pid: int) -> float:
    """CPU seconds of process ``pid``, all its threads: the scheduler's nanoseconds on CPU
    (/proc/PID/task/*/schedstat; waitress's threads live as long as the server), else the
    10 ms ticks of /proc/PID/stat."""
    try:
        return sum(int((task / "schedstat").read_text().split()[0])
                   for task in Path(f"/proc/{pid}/task").iterdir()) / 1e9
    except (OSError, ValueError):
        pass
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the scans: garments in the right status, each used once ---------------------

#: One round of a clerk's day: a check-in, an ironing, an inspection pass (card, then pass),
#: an exchange (the worn garment in, the clean one out).
OPS = ("checkin", "iron", "inspection_pass", "exchange")
REQUESTS_PER_ROUND = 6


class Exhausted(SystemExit):
    """No garment left in the status an operation needs."""


class Pool:
    """Garments for each operation, handed out once each (no garment is scanned by two clients):
    those of ``property_id``, where the bench's tablets sign in."""

    def __init__(self, source: Path, rng: random.Random, property_id: int = FIRST_PROPERTY):
        con = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            pairs = con.execute(
                "SELECT e.id, held.tag, clean.tag FROM employees e "
                "JOIN garments held ON held.owner_id = e.id AND held.holder_id = e.id AND held.status = 'issued' "
                "JOIN garments clean ON clean.owner_id = e.id AND clean.type_id = held.type_id "
                "  AND clean.status = 'in_stock' AND clean.awaiting_slot = 0 "
                "JOIN garment_types t ON t.id = held.type_id "
                "WHERE e.property_id = ? AND e.active = 1 AND (SELECT count(*) FROM garments h "
                "  WHERE h.holder_id = e.id AND h.type_id = held.type_id) <= t.entitlement "
                "ORDER BY e.id, held.id, clean.id", (property_id,)).fetchall()
            by_status: dict[str, list[str]] = {}
            for tag, status, awaiting in con.execute("SELECT tag, status, awaiting_slot FROM garments "
                                                     "WHERE property_id = ? ORDER BY id", (property_id,)):
                if status != "in_stock" or not awaiting:
                    by_status.setdefault(status, []).append(tag)
            self.users = dict(con.execute("SELECT name, id FROM users"))
        finally:
            con.close()
        rng.shuffle(pairs)
        seen: set[int] = set()
        exchange = []
        for emp, held, clean in pairs:
            if emp not in seen:  # one exchange per person: each independent of the others
                seen.add(emp)
                exchange.append((emp, held, clean))
        used = {t for _, held, clean in exchange for t in (held, clean)}
        self.lists = {"checkin": [t for t in by_status.get("issued", []) if t not in used],
                      "iron": list(by_status.get("dirty", [])),
                      "inspection_pass": list(by_status.get("inspection", [])),
                      "exchange": exchange,
                      "count": [t for t in by_status.get("in_stock", []) if t not in used]}
        for items in self.lists.values():
            rng.shuffle(items)
        shown = by_status.get("issued", []) + by_status.get("in_stock", [])
        self.pages = rng.sample(shown, min(60, len(shown)))
        self.lock = threading.Lock()

    def take(self, op: str):
        with self.lock:
            items = self.lists[op]
            if not items:
                raise Exhausted(f"no garment left for {op}: use fewer --samples")
            return items.pop()

    def split(self, rounds: int) -> Pool:
        """A pool of its own with ``rounds`` garments per operation taken from this one."""
        part = object.__new__(Pool)
        part.lists = {op: [self.take(op) for _ in range(rounds)] for op in OPS}
        part.lists["count"] = []
        part.pages, part.users, part.lock = self.pages, self.users, threading.Lock()
        return part

    def left(self) -> dict[str, int]:
        return {op: len(items) for op, items in self.lists.items()}


# --- a tablet: one keep-alive HTTP connection, signed in, sending the page's CSRF token ---

class ScanFailed(SystemExit):
    pass


class Client:
    """One tablet over real HTTP (``http.client``, keep-alive): its session cookie and CSRF token."""

    def __init__(self, port: int, name: str = ""):
        self.port, self.name = port, name
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.trace: list[tuple[float, float]] | None = None  # (start, end) of each request, when asked

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None) -> tuple[int, http.client.HTTPMessage, str, float]:
        body = urllib.parse.urlencode(form, doseq=True) if form is not None else None
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if method == "POST" and self.csrf:
            sent["X-CSRFToken"] = self.csrf
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # the server closed an idle keep-alive connection: once more
                if attempt == 2:
                    raise
        elapsed = (time.perf_counter() - started) * 1000
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if self.trace is not None:
            self.trace.append((started, started + elapsed / 1000))
        return response.status, response.headers, data.decode("utf-8", "replace"), elapsed

    def sign_in(self, user_id: int, pin: str = BENCH_PIN, property_id: int = FIRST_PROPERTY) -> None:
        """The real login form: its CSRF token, the user's tile and PIN; then a page's token for htmx.
        A group's sign-in screen first asks which hotel this browser is at: ``property_id``'s tile."""
        status, _, body, _ = self.request("GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
        if status != 200 or not token:
            raise SystemExit(f"GET /login answered {status} without a CSRF token")
        if 'data-testid="choose-property"' in body:
            status, _, answer, _ = self.request("POST", "/login/property", {"csrf_token": token.group(1),
                                                                            "property_id": property_id, "next": ""})
            if status != 302:
                raise SystemExit(f"choosing property {property_id} answered {status}:\n{answer[:800]}")
            status, _, body, _ = self.request("GET", "/login")
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
            if status != 200 or not token or f'value="{user_id}"' not in body:
                raise SystemExit(f"GET /login at property {property_id} answered {status} without a CSRF token "
                                 f"or user {user_id}'s tile")
        status, headers, body, _ = self.request("POST", "/login", {"csrf_token": token.group(1), "user_id": user_id,
                                                                   "pin": pin, "next": ""})
        if status != 302:
            raise SystemExit(f"sign-in of user {user_id} answered {status}:\n{body[:800]}")
        self.refresh_token("/")

    def opening_check(self) -> None:
        """The ironing station's opening check of this sign-in, ticked as on the tablet (its form on the
        ironing page: every item, the form's request key): until then the station takes no scan."""
        _, _, body, _ = self.request("GET", "/ironing/")
        form = re.search(r'<form method="post" action="([^"]+)"[^>]*data-testid="check-form"(.*?)</form>', body, re.S)
        if form is None:
            return  # no opening check asked for
        fields = {"request_key": re.search(r'name="request_key" value="([^"]*)"', form.group(2)).group(1),
                  "then": "", "next": "", "note": "",
                  "item": re.findall(r'name="item" value="(\d+)"(?![^>]*disabled)', form.group(2))}
        status, _, answer, _ = self.request("POST", form.group(1), fields, {"HX-Request": "true"})
        if status != 200 or 'data-done="true"' not in answer:
            raise SystemExit(f"{self.name}: the ironing opening check answered {status}:\n{answer[:1500]}")

    def refresh_token(self, path: str) -> None:
        status, _, body, _ = self.request("GET", path)
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', body)
        if status != 200 or not token:
            raise SystemExit(f"GET {path} answered {status} without a CSRF token:\n{body[:800]}")
        self.csrf = token.group(1)

    def scan(self, path: str, form: dict) -> float:
        """One scan as htmx sends it; its milliseconds, or stop with what failed."""
        status, _, body, ms = self.request("POST", path, form, {"HX-Request": "true"})
        if status != 200 or 'data-scan-result="ok"' not in body:
            found = re.search(r'data-scan-result="(\w+)"', body)
            raise ScanFailed(f"{self.name}: POST {path} {form} answered {status}, "
                             f"data-scan-result={found.group(1) if found else None}:\n{body[:1500]}")
        return ms

    def get(self, path: str, headers: dict | None = None) -> float:
        status, _, body, ms = self.request("GET", path, headers=headers)
        if status != 200:
            raise SystemExit(f"{self.name}: GET {path} answered {status}:\n{body[:800]}")
        return ms

    def close(self) -> None:
        self.conn.close()


def http_op(client: Client, op: str, item) -> list[float]:
    """One operation over HTTP (to the kiosk or the bare WSGI app: the same forms); ms per request."""
    if op == "checkin":
        return [client.scan("/checkin/scan", {"code": item})]
    if op == "iron":
        return [client.scan("/ironing/scan", {"code": item})]
    if op == "inspection_pass":  # the inspector scans, the card is shown, then the pass
        return [client.scan("/inspection/scan", {"code": item}),
                client.scan("/inspection/act", {"code": item, "action": "pass", "checks": list(CHECKS),
                                                "request_key": uuid.uuid4().hex})]
    if op == "exchange":
        employee, held, clean = item
        return [client.scan("/issue/scan", {"employee_id": employee, "code": held}),
                client.scan("/issue/scan", {"employee_id": employee, "code": clean})]
    raise AssertionError(op)


# --- the floor: the same SQL with the database driver ----------------------------------

def plain_url(url: str) -> str:
    """A libpq URL from an SQLAlchemy one (``postgresql+psycopg://`` -> ``postgresql://``)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


class Baseline:
    """The database work of each scan with the driver alone (``sqlite3`` or ``psycopg``): the same
    statements the kiosk runs for it, in the same order and transactions, with the app's settings
    (tests/test_bench.py compares the two, statement by statement): the floor no framework beats.
    Used in-process (``scan_cpu_ratio_raw``) and behind a bare WSGI app (``scan_cpu_ratio_wsgi``)."""

    def __init__(self, url: str, user_id: int, property_id: int = FIRST_PROPERTY):
        self.sqlite = url.startswith("sqlite")
        if self.sqlite:
            self.con = sqlite3.connect(url.split("///", 1)[1], isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=5000"):
                self.con.execute(f"PRAGMA {pragma}")
        else:
            import psycopg

            self.con = psycopg.connect(plain_url(url), autocommit=True)
        self.user_id = user_id
        # The property signed in to, as the sign-in's row says at every request (_request): the
        # reads and writes of its records below are held to it where the kiosk's are (kiosk.scope:
        # ``property_id = ?`` on an ORM query of a PerProperty model or a Core statement's
        # ``:in_property``), and its events carry their garment's.
        self.property_id = property_id
        # A sign-in of its own, found by its token's hash at every scan as the kiosk finds its operator's.
        self.token_hash = uuid.uuid4().hex * 2
        self.sign_in_id = self.q(
            "INSERT INTO operator_sessions (token_hash, user_id, property_id, client, created_at, ended_reason) "
            "VALUES (?, ?, ?, 'bench', ?, '') RETURNING id",
            (self.token_hash, user_id, property_id, _iso(int(time.time() * 1_000_000)))).fetchone()[0]

    def q(self, sql: str, params: tuple = ()):
        return self.con.execute(sql if self.sqlite else sql.replace("?", "%s"), params)

    def close(self):
        self.con.close()

    def _request(self) -> None:
        """What every request of the app reads first (PostgreSQL: in its transaction): who is
        signed in, at which property, its time zone and name, and how many properties there are
        (kiosk.web's sign-in look-up: one statement)."""
        if not self.sqlite:
            self.q("BEGIN")
        row = self.q("SELECT u.id, u.name, u.role, u.pin_hash, u.badge_hash, u.employee_id, u.active, "
                     "u.deactivated_at, u.must_change_pin, u.failed_attempts, u.locked_until, u.last_login_at, "
                     "u.created_at, s.created_at, s.id, s.property_id, p.time_zone, p.name, p.code, "
                     "(SELECT count(properties.id) FROM properties) "
                     "FROM users u JOIN operator_sessions s ON s.user_id = u.id JOIN properties p ON p.id = s.property_id "
                     "WHERE s.token_hash = ? AND s.ended_at IS NULL AND u.active = ?",
                     (self.token_hash, True)).fetchone()
        self.property_id = row[15]  # the request's property from now on

    def _lock(self) -> None:
        """The write lock the app takes before its first write (SQLite), then the scan's savepoint."""
        if self.sqlite:
            self.q("BEGIN IMMEDIATE")

    def _end(self, wrote: bool) -> None:
        if wrote or not self.sqlite:
            self.q("COMMIT" if wrote else "ROLLBACK")

    def _garment(self, tag: str):
        """The garment by tag with its type, owner and holder; then, for a move, its latest event."""
        return self.q(
            "SELECT g.id, g.status, g.version, g.holder_id, g.owner_id, g.cost, g.wash_count, g.type_id, g.defects, "
            "g.repair_count, g.awaiting_slot, g.tag, g.size, g.number, g.purchased_on, g.status_since, g.created_at, "
            "g.updated_at, t.id, t.code, t.name_zh, t.name_en, t.expected_washes, t.entitlement, t.unit_cost, t.active, "
            "o.id, o.name, o.staff_no, o.department_id, o.uniform_no, o.size, o.active, "
            "h.id, h.name, h.staff_no, h.department_id, h.uniform_no, h.size, h.active, g.property_id "
            "FROM garments g JOIN garment_types t ON t.id = g.type_id "
            "LEFT OUTER JOIN employees o ON o.id = g.owner_id LEFT OUTER JOIN employees h ON h.id = g.holder_id "
            "WHERE g.tag = ? AND g.property_id = ?", (tag, self.property_id)).fetchone()

    def _latest(self, g) -> None:
        # No property criterion: the kiosk reads the history of a garment it found in the property
        # (kiosk.ledger._LATEST_MOVE, scope.reached_through).
        self.q("SELECT id, station, action, user_id, created_at FROM events WHERE garment_id = ? "
               "ORDER BY created_at DESC, id DESC LIMIT 1", (g[0],)).fetchone()

    def _move(self, g, action: str, to: str, station: str, person: int | None, department: int | None, *,
              holder: int | None, awaiting: bool, washes: int = 0, defects: str | None = None,
              check=None) -> int:
        """The scan's savepoint, the station's rule (``check``), the garment's row where its version
        still matches, the event."""
        now = _iso(int(time.time() * 1_000_000))
        self.q("SAVEPOINT scan")
        if check is not None:
            check()
        cur = self.q("UPDATE garments SET status = ?, wash_count = ?, repair_count = ?, holder_id = ?, defects = ?, "
                     "status_since = ?, awaiting_slot = ?, version = ?, updated_at = ? "
                     "WHERE id = ? AND version = ? AND property_id = ?",
                     (to, g[6] + washes, g[9], holder, g[8] if defects is None else defects, now, awaiting,
                      g[2] + 1, now, g[0], g[2], self.property_id))
        if cur.rowcount != 1:
            raise SystemExit("baseline: lost the optimistic lock")
        event_id = self.q("INSERT INTO events (property_id, garment_id, action, from_status, to_status, user_id, "
                          "station, employee_id, department_id, unit_cost, defects, note, reverses_event_id, batch_id, "
                          "created_at, scanned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '', NULL, NULL, ?, NULL) "
                          "RETURNING id",
                          (g[40], g[0], action, g[1], to, self.user_id, station, person, department, g[5],
                           now)).fetchone()[0]
        self.q("RELEASE SAVEPOINT scan")
        return event_id

    @staticmethod
    def _person(g) -> tuple[int | None, int | None]:
        """Who the event names (holder, else owner) and their department, from the joined rows."""
        if g[33] is not None:
            return g[33], g[36]
        return g[26], g[29]

    def checkin(self, tag: str) -> None:
        self._request()
        g = self._garment(tag)
        assert g[1] == "issued", (tag, g[1])
        self._latest(g)
        self._lock()
        self._move(g, "check_in", "dirty", "checkin", *self._person(g), holder=None,
                    awaiting=False)
        self._end(True)

    def iron(self, tag: str) -> None:
        self._request()
        # The station's opening check of this sign-in (done: the station takes scans).
        self.q("SELECT (EXISTS (SELECT checklist_items.id FROM checklist_items WHERE checklist_items.checklist = ? "
               "AND checklist_items.active = ? AND checklist_items.property_id = ?)) AND NOT (EXISTS (SELECT "
               "checklist_runs.id FROM checklist_runs WHERE checklist_runs.session_id = ? AND checklist_runs.checklist = ? "
               "AND checklist_runs.status = ? AND checklist_runs.property_id = ?))",
               ("ironing_open", True, self.property_id, self.sign_in_id, "ironing_open", "done",
                self.property_id)).fetchone()
        g = self._garment(tag)
        assert g[1] == "dirty", (tag, g[1])
        self._latest(g)
        self._lock()
        self._move(g, "iron", "inspection", "ironing", *self._person(g), holder=None,
                    awaiting=False, washes=1)
        self._end(True)

    def card(self, tag: str) -> None:
        """The inspection card: the garment, read only."""
        self._request()
        self._garment(tag)
        self._end(False)

    def inspection_pass(self, tag: str) -> None:
        key = uuid.uuid4().hex
        self._request()
        self._lock()
        # Once per request key, as the app does: look the key up, claim it, keep the event's id with it.
        self.q("SAVEPOINT once")
        assert self.q("SELECT result FROM request_keys WHERE user_id = ? AND command = ? AND key = ?",
                      (self.user_id, "inspection.act", key)).fetchone() is None
        key_id = self.q("INSERT INTO request_keys (user_id, command, key, result, created_at) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (user_id, command, key) DO NOTHING RETURNING id",
                        (self.user_id, "inspection.act", key, "null", _iso(int(time.time() * 1_000_000)))).fetchone()[0]
        g = self._garment(tag)
        assert g[1] == "inspection", (tag, g[1])
        self._latest(g)
        event_id = self._move(g, "pass", "in_stock", "inspection", *self._person(g), holder=None,
                               awaiting=True, defects="")
        self.q("UPDATE request_keys SET result = ? WHERE id = ?", (str(event_id), key_id))
        self.q("RELEASE SAVEPOINT once")
        self._end(True)

    def _kit(self, person) -> None:
        """The person's kit by position, else every type's own entitlement."""
        rows = self.q("SELECT position, department_id, type_id, stock_code, quantity FROM kit_lines "
                      "WHERE property_id = ? AND position = ? ORDER BY id", (self.property_id, person[4])).fetchall()
        if not rows:
            self.q("SELECT id, entitlement FROM garment_types WHERE active = ? AND entitlement > ?",
                   (True, 0)).fetchall()

    def _panel(self, employee: int) -> None:
        """What the person's panel shows: their garments with their types, the spares in stock."""
        pieces = self.q("SELECT g.tag, g.status, g.size, g.holder_id, g.owner_id, g.type_id, t.code, t.name_zh, "
                        "t.name_en, t.entitlement, t.active FROM garments g JOIN garment_types t ON g.type_id = t.id "
                        "WHERE (g.holder_id = ? OR g.owner_id = ?) AND g.status != ? AND g.property_id = ? ORDER BY g.tag",
                        (employee, employee, "written_off", self.property_id)).fetchall()
        # A spare is offered (and the spares in stock counted) for a type they may hold more of
        # and of which none of their own is in stock: by each type's own entitlement (no kit here).
        held = Counter(row[5] for row in pieces if row[3] == employee and row[1] in ("issued", "spare_issued", "loaned"))
        own_in_stock = {row[5] for row in pieces if row[4] == employee and row[1] == "in_stock"}
        types = sorted({row[5] for row in pieces
                        if held[row[5]] < (row[9] if row[10] else 0) and row[5] not in own_in_stock})
        if types:
            self.q(f"SELECT type_id, size, count(*) FROM garments WHERE status = ? AND owner_id IS NULL "
                   f"AND type_id IN ({', '.join('?' * len(types))}) AND property_id = ? GROUP BY type_id, size",
                   ("in_stock", *types, self.property_id)).fetchall()

    def exchange_scan(self, employee: int, tag: str) -> None:
        """One scan of an exchange: the garment the person holds comes in, or their clean one goes out;
        then the person's panel and the station's receipt switch."""
        self._request()
        person = self.q("SELECT e.id, e.staff_no, e.name, e.department_id, e.position, e.phone, e.kind, "
                        "e.uniform_no, e.size, e.shoe_size, e.sock_size, e.badge_hash, e.active, e.left_on, "
                        "e.created_at, e.updated_at, e.property_id, d.id, d.name, d.created_at, d.property_id "
                        "FROM employees e JOIN departments d ON d.id = e.department_id "
                        "WHERE e.id = ? AND e.property_id = ?", (employee, self.property_id)).fetchone()
        g = self._garment(tag)
        self._latest(g)
        self._lock()
        if g[1] == "issued":
            assert g[3] == employee, (tag, g[1])
            self._move(g, "check_in", "dirty", "issue", employee, person[3], holder=None,
                       awaiting=False)
            self._kit(person)
        else:
            assert g[1] == "in_stock" and g[4] == employee, (tag, g[1])

            def hold() -> None:  # the entitlement, inside the scan's savepoint, as the counter's rule holds it
                self._kit(person)
                if not self.sqlite:
                    self.q("SELECT id FROM employees WHERE id = ? AND property_id = ? FOR UPDATE",
                           (employee, self.property_id)).fetchone()
                held = self.q("SELECT count(*) FROM garments WHERE holder_id = ? AND type_id = ? "
                              "AND status IN (?, ?, ?) AND property_id = ?",
                              (employee, g[7], "issued", "spare_issued", "loaned", self.property_id)).fetchone()[0]
                assert held < g[23], (tag, held)

            self._move(g, "issue", "issued", "issue", employee, person[3], holder=employee,
                       awaiting=False, check=hold)
        self._panel(employee)
        self.q("SELECT receipts FROM station_settings WHERE station = ? AND property_id = ?",
               ("issue", self.property_id)).fetchone()
        self._end(True)

    def op(self, op: str, item) -> list[float]:
        """The operation of :func:`http_op`, in-process; ms per scan."""
        scans = {"checkin": [(self.checkin, item)], "iron": [(self.iron, item)],
                 "inspection_pass": [(self.card, item), (self.inspection_pass, item)],
                 "exchange": [(lambda tag: self.exchange_scan(item[0], tag), item[1]),
                              (lambda tag: self.exchange_scan(item[0], tag), item[2])]}[op]
        times = []
        for call, tag in scans:
            started = time.perf_counter()
            call(tag)
            times.append((time.perf_counter() - started) * 1000)
        return times


def bare_wsgi(url: str, user_id: int):
    """The framework's floor: a WSGI app with no framework that answers the kiosk's scan forms
    with :class:`Baseline`'s SQL (a connection per server thread) and a one-line fragment."""
    local = threading.local()
    routes = {"/checkin/scan": "checkin", "/ironing/scan": "iron", "/inspection/scan": "card",
              "/inspection/act": "inspection_pass", "/issue/scan": "exchange_scan"}

    def app(environ, start_response):
        base = getattr(local, "baseline", None)
        if base is None:
            base = local.baseline = Baseline(url, user_id)
        size = int(environ.get("CONTENT_LENGTH") or 0)
        form = urllib.parse.parse_qs(environ["wsgi.input"].read(size).decode())
        name = routes.get(environ.get("PATH_INFO", ""))
        if name is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found"]
        code = form.get("code", [""])[0]
        try:
            if name == "exchange_scan":
                base.exchange_scan(int(form["employee_id"][0]), code)
            else:
                getattr(base, name)(code)
        except Exception as error:  # noqa: BLE001 - the bench shows what failed
            try:
                base.q("ROLLBACK")
            except Exception:  # noqa: BLE001
                pass
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [repr(error).encode()]
        body = f'<div id="scan-result" data-scan-result="ok">{code}</div>'.encode()
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    return app


# --- the databases of a run -------------------------------------------------------

#: What the builder writes, copied as they are to PostgreSQL (the properties with the migration's
#: first one, which the build may have named: the table is emptied first).
TABLES = ("properties", "departments", "garment_types", "users", "property_members", "employees", "garments",
          "events", "loans", "loan_items", "print_jobs", "stocktakes", "stocktake_snapshots")


def fresh_copy(source: Path, name: str = "run") -> Path:
    """Each run scans a copy, so the cached database stays as built."""
    con = sqlite3.connect(source)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    target = DATA_DIR / f"{name}.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


def remove_copy(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(plain_url(admin_url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_postgres(source: Path, admin_url: str, name: str) -> tuple[str, float]:
    """A database of its own on the server of ``admin_url`` (never that database itself): the
    migrations, then the built rows by COPY (indexes built after, foreign keys checked by the
    build, not again row by row); (its URL, seconds)."""
    import psycopg

    started = time.perf_counter()
    if urllib.parse.urlsplit(admin_url).path.strip("/") == name:
        raise SystemExit(f"the benchmark's database must not be {name!r}, the one of KIOSK_BENCH_POSTGRES_URL")
    drop_postgres(admin_url, name)
    with psycopg.connect(plain_url(admin_url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(plain_url(admin_url), name)
    from kiosk.config import normalise_database_url

    _create_schema(normalise_database_url(url))
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    with psycopg.connect(url) as pg:
        pg.execute("SET session_replication_role = replica")  # no FK triggers during the load
        indexes = pg.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)", (list(TABLES),)).fetchall()
        for index, _ in indexes:
            pg.execute(f'DROP INDEX "{index}"')
        for table in reversed(TABLES):  # what the migrations put there (property 1) comes from the build
            pg.execute(f'DELETE FROM "{table}"')
        keyed = set()
        for table in TABLES:
            columns = [row[1] for row in lite.execute(f'PRAGMA table_info("{table}")')]
            names = ", ".join(f'"{c}"' for c in columns)
            order = "id" if "id" in columns else ", ".join(f'"{c}"' for c in columns[:2])
            if "id" in columns:
                keyed.add(table)
            with pg.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in lite.execute(f'SELECT {names} FROM "{table}" ORDER BY {order}'):
                    copy.write_row(row)
        for _, definition in indexes:
            pg.execute(definition)
        for table in TABLES:
            if table in keyed:
                pg.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM \"{table}\" "
                           "HAVING max(id) IS NOT NULL")
        pg.commit()
    lite.close()
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("VACUUM ANALYZE")
    return url, round(time.perf_counter() - started, 1)


def scalar(url: str, sql: str, params: tuple = ()):
    """One value from the run's database, with the driver."""
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.split("///", 1)[1])
        try:
            return con.execute(sql, params).fetchone()[0]
        finally:
            con.close()
    import psycopg

    with psycopg.connect(plain_url(url)) as con:
        return con.execute(sql.replace("?", "%s"), params).fetchone()[0]


# --- the servers ------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server in its own process on 127.0.0.1: the kiosk as ``kiosk serve`` runs it, or the bare app."""

    def __init__(self, kind: str, url: str, log: Path, user_id: int = 0):
        self.port = free_port()
        env = {**os.environ, "KIOSK_SECRET_KEY": "bench", "KIOSK_BADGE_KEY": BADGE_KEY,
               "KIOSK_INSTANCE_PATH": str(DATA_DIR / "instance"), "KIOSK_DATABASE_URL": url,
               "KIOSK_PRINTER": "dummy:", "PYTHONUNBUFFERED": "1"}
        if kind == "app":
            command = [sys.executable, "-m", "flask", "--app", "app", "kiosk", "serve", "--host", "127.0.0.1",
                       "--port", str(self.port)]
        else:
            command = [sys.executable, str(Path(__file__).resolve()), "--serve-bare", url, "--port", str(self.port),
                       "--user-id", str(user_id)]
        self.log = log
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the {kind} server stopped at start:\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"the {kind} server did not listen within 120 s:\n{log.read_text()[-3000:]}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu(self) -> float:
        return process_cpu_s(self.pid)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)  # kiosk serve: a clean stop (the WAL folded back)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve_bare(url: str, port: int, user_id: int) -> int:
    from waitress import serve

    from kiosk.cli import SERVE_THREADS

    serve(bare_wsgi(url, user_id), host="127.0.0.1", port=port, threads=SERVE_THREADS)  # as kiosk serve
    return 0


# --- the phases of a run ----------------------------------------------------------

def interleaved(app_client: Client, bare_client: Client, app: Server, bare: Server, baseline: Baseline,
                pool: Pool, requests: int, rounds: int = 10) -> dict:
    """One tablet: the kiosk's rounds, the raw SQL's and the bare WSGI app's taken in turn, so all
    three see the same background load; latency of each, and CPU per scan (server process CPU /
    scans over HTTP, the thread's CPU in-process)."""
    per_round = max(1, math.ceil(requests / REQUESTS_PER_ROUND / rounds))
    ms = {"app": [], "raw": [], "wsgi": []}
    cpu = {"app": 0.0, "raw": 0.0, "wsgi": 0.0}
    wall = 0.0
    ratios = {"raw": [], "wsgi": []}
    for _ in range(rounds):
        per_scan = {}
        for side in ("app", "raw", "wsgi"):
            before_n = len(ms[side])
            c0 = (app.cpu() if side == "app" else bare.cpu() if side == "wsgi" else time.thread_time())
            t0 = time.perf_counter()
            for _ in range(per_round):
                for op in OPS:
                    item = pool.take(op)
                    if side == "raw":
                        ms[side] += baseline.op(op, item)
                    else:
                        ms[side] += http_op(app_client if side == "app" else bare_client, op, item)
            if side == "app":
                wall += time.perf_counter() - t0
            used = (app.cpu() if side == "app" else bare.cpu() if side == "wsgi" else time.thread_time()) - c0
            cpu[side] += used
            per_scan[side] = used / (len(ms[side]) - before_n)
        for side in ("raw", "wsgi"):
            ratios[side].append(per_scan["app"] / per_scan[side] if per_scan[side] else math.inf)
    cpu_ms = {side: round(cpu[side] / len(ms[side]) * 1000, 3) for side in cpu}
    return {"app": summary(ms["app"]), "raw": summary(ms["raw"]), "wsgi": summary(ms["wsgi"]),
            "scans_per_s": round(len(ms["app"]) / wall, 1), "cpu_ms_per_scan": cpu_ms,
            # all the app's CPU per scan over all the baseline's, the rounds taken in turn; and the
            # median of the rounds' own ratios (each round's app over the baseline's next to it)
            "cpu_ratio_raw": round(cpu_ms["app"] / cpu_ms["raw"], 2),
            "cpu_ratio_wsgi": round(cpu_ms["app"] / cpu_ms["wsgi"], 2),
            "cpu_ratio_raw_median_round": round(statistics.median(ratios["raw"]), 2),
            "cpu_ratio_wsgi_median_round": round(statistics.median(ratios["wsgi"]), 2),
            "p50_ratio_raw": round(percentile(ms["app"], 50) / percentile(ms["raw"], 50), 2),
            "p50_ratio_wsgi": round(percentile(ms["app"], 50) / percentile(ms["wsgi"], 50), 2)}


def concurrent(clients: list[Client], pool: Pool, requests: int, server: Server | None = None,
               stop: threading.Event | None = None) -> dict:
    """Each client a thread scanning its own garments (one round of OPS after another) until
    ``requests`` scans are done between them, or until ``stop``."""
    lock = threading.Lock()
    done = [0]
    latencies: list[float] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(clients) + 1)

    def work(index: int, client: Client) -> None:
        barrier.wait()
        k = index
        try:
            while not (stop is not None and stop.is_set()):
                op = OPS[k % len(OPS)]
                k += 1
                with lock:
                    if stop is None and done[0] >= requests:
                        return
                    done[0] += 2 if op in ("inspection_pass", "exchange") else 1
                try:
                    item = pool.take(op)
                except Exhausted:
                    if stop is not None:
                        return
                    raise
                times = http_op(client, op, item)
                with lock:
                    latencies.extend(times)
        except BaseException as error:  # noqa: BLE001 - shown by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    c0 = server.cpu() if server else 0.0
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    figures = {**summary(latencies), "scans_per_s": round(len(latencies) / wall, 1)}
    if server:
        figures["cpu_ms_per_scan"] = round((server.cpu() - c0) / len(latencies) * 1000, 3)
    return figures


def timed_gets(client: Client, paths: list[str], headers: dict | None = None, warm: int = 2) -> dict:
    for path in paths[:warm]:
        client.get(path, headers)
    return summary([client.get(path, headers) for path in paths[warm:]])


def last_full_month() -> str:
    first = dt.date.today().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime("%Y-%m")


def close_phase(supervisor: Client, counter: Client, scanners: list[Client], pool: Pool, users: dict[str, int],
                counted: int, url: str, rounds: int = 60) -> dict:
    """Open this month's stocktake, count a part of the room, then close it through the close form
    (supervisor and counting clerk, each with their PIN) while ``scanners`` go on scanning."""
    _, _, body, _ = supervisor.request("GET", "/stocktake/")
    month = re.search(r'name="month"[^>]*value="(\d{4}-\d{2})"', body)
    month = month.group(1) if month else dt.date.today().strftime("%Y-%m")
    status, headers, body, _ = supervisor.request("POST", "/stocktake/", {"month": month}, {"HX-Request": "true"})
    found = re.search(r"/stocktake/(\d+)", headers.get("HX-Redirect") or headers.get("Location") or "")
    if not found:
        raise SystemExit(f"opening the stocktake of {month} answered {status}:\n{body[:1500]}")
    sid = int(found.group(1))
    # The garments the tablets will scan during the close are counted first (those in the room:
    # the close would otherwise rightly mark them missing), then a part of the rest of the room.
    during = pool.split(rounds)
    in_room = (during.lists["iron"] + during.lists["inspection_pass"]
               + [clean for _, _, clean in during.lists["exchange"]])
    count_ms = [counter.scan(f"/stocktake/{sid}/scan", {"code": tag, "location": "rack"})
                for tag in in_room + [pool.take("count") for _ in range(counted)]]
    preview_ms = supervisor.get(f"/stocktake/{sid}/close")
    stop = threading.Event()
    for client in scanners:
        client.trace = []
    figures: dict = {}
    def scanning() -> None:
        try:
            figures.update(concurrent(scanners, during, 0, stop=stop))
        except BaseException as error:  # noqa: BLE001 - raised again below, after the close
            figures["error"] = error

    runner = threading.Thread(target=scanning, daemon=True)
    runner.start()
    time.sleep(1.0)  # the tablets are scanning
    form = {"supervisor_id": users[BENCH_SUPERVISOR], "supervisor_pin": BENCH_PIN,
            "counter_id": users[BENCH_USER], "counter_pin": BENCH_PIN}
    t0 = time.perf_counter()
    status, headers, body, close_ms = supervisor.request("POST", f"/stocktake/{sid}/close", form,
                                                         {"HX-Request": "true"})
    t1 = time.perf_counter()
    time.sleep(0.5)
    stop.set()
    runner.join()
    if "error" in figures:
        raise figures["error"]
    if status not in (204, 302) or not (headers.get("HX-Redirect") or headers.get("Location")):
        raise SystemExit(f"closing the stocktake answered {status}:\n{body[:2000]}")
    waits = [(end - start) * 1000 for client in scanners for start, end in client.trace if end > t0 and start < t1]
    for client in scanners:
        client.trace = None
    closed = scalar(url, "SELECT status FROM stocktakes WHERE id = ?", (sid,))
    missing = scalar(url, "SELECT count(*) FROM events WHERE action = 'mark_missing' AND created_at >= "
                          "(SELECT closed_at FROM stocktakes WHERE id = ?)", (sid,)) if closed == "closed" else None
    if closed != "closed":
        raise SystemExit(f"the stocktake is {closed!r} after its close")
    return {"close_ms": round(close_ms, 1), "close_max_scan_wait_ms": round(max(waits), 1) if waits else None,
            "scans_during_close": len(waits), "close_clients": len(scanners), "counted": counted,
            "counted_in_all": len(count_ms), "count_scan": summary(count_ms), "preview_ms": round(preview_ms, 1), "marked_missing": missing,
            "month": month, "scans_around_close": figures}


def run_database(kind: str, source: Path, args, rng: random.Random, log) -> dict:
    """Everything measured on one database at the main scale."""
    pool = Pool(source, rng)
    users = pool.users
    started = time.perf_counter()
    if kind == "sqlite":
        path = fresh_copy(source, "run")
        url, load_s = f"sqlite:///{path}", round(time.perf_counter() - started, 1)
    else:
        url, load_s = load_postgres(source, args.postgres_url, PG_DATABASE)
    log(f"[{kind}] database ready in {load_s} s ({'copy of the cache' if kind == 'sqlite' else 'COPY'})")
    app = bare = baseline = None
    out: dict = {"load_s": load_s}
    try:
        app = Server("app", url, DATA_DIR / f"server-{kind}.log")
        bare = Server("bare", url, DATA_DIR / f"bare-{kind}.log", user_id=users[BENCH_USER])
        clients = [Client(app.port, name) for name in BENCH_CLERKS]
        for client in clients:
            client.sign_in(users[client.name])
            client.opening_check()
        supervisor = Client(app.port, BENCH_SUPERVISOR)
        supervisor.sign_in(users[BENCH_SUPERVISOR])
        bare_client = Client(bare.port, "bare")
        baseline = Baseline(url, users[BENCH_USER])
        for client in clients:  # warm-up: every client, every operation once
            for op in OPS:
                http_op(client, op, pool.take(op))
        for op in OPS:
            http_op(bare_client, op, pool.take(op))
            baseline.op(op, pool.take(op))
        log(f"[{kind}] {len(clients)} clerks and a supervisor signed in over HTTP; warm-up done")
        n = args.samples
        out["c1"] = interleaved(clients[0], bare_client, app, bare, baseline, pool, n)
        log(f"[{kind}] 1 client: p50 {out['c1']['app']['p50_ms']} ms, p99 {out['c1']['app']['p99_ms']} ms, "
            f"{out['c1']['scans_per_s']} scans/s; CPU/scan app {out['c1']['cpu_ms_per_scan']['app']} ms, "
            f"wsgi {out['c1']['cpu_ms_per_scan']['wsgi']} ms, raw {out['c1']['cpu_ms_per_scan']['raw']} ms")
        for count in (4, 10):
            out[f"c{count}"] = concurrent(clients[:count], pool, n, server=app)
            log(f"[{kind}] {count} clients: p50 {out[f'c{count}']['p50_ms']} ms, p99 {out[f'c{count}']['p99_ms']} ms, "
                f"{out[f'c{count}']['scans_per_s']} scans/s")
        pages = max(22, n // 20)
        month = last_full_month()
        out["print_status"] = timed_gets(clients[0], ["/print/status"] * pages,
                                         {"HX-Request": "true", "X-Kiosk-Background": "1"})
        out["garment_page"] = timed_gets(clients[0], [f"/garment/{urllib.parse.quote(t)}"
                                                      for t in (pool.pages * 3)[:pages]])
        # The today board (今日) of the property the tablets work at, with its 60 s poll's headers.
        out["board"] = timed_gets(clients[0], ["/today/"] * pages, {"HX-Request": "true", "X-Kiosk-Background": "1"})
        out["report"] = timed_gets(supervisor, [f"/reports/?month={month}"] * max(7, pages // 2))
        out["report_xlsx"] = timed_gets(supervisor, [f"/reports/loss.xlsx?month={month}"] * 7)
        log(f"[{kind}] print status p50 {out['print_status']['p50_ms']} ms; garment page p50 "
            f"{out['garment_page']['p50_ms']} ms; today board p50 {out['board']['p50_ms']} ms; report ({month}) p50 {out['report']['p50_ms']} ms, "
            f"xlsx p50 {out['report_xlsx']['p50_ms']} ms")
        out["close"] = close_phase(supervisor, clients[0], clients[1:1 + args.close_clients], pool, users,
                                   min(args.counted, len(pool.lists["count"])), url)
        log(f"[{kind}] stocktake close {out['close']['close_ms']} ms ({out['close']['marked_missing']} marked "
            f"missing), longest scan wait meanwhile {out['close']['close_max_scan_wait_ms']} ms over "
            f"{out['close']['scans_during_close']} scans")
        out["garments_left"] = pool.left()
    finally:
        for server in (app, bare):
            if server is not None:
                server.stop()
        if baseline is not None:
            baseline.close()
        if kind == "sqlite":
            if not args.keep:
                remove_copy(DATA_DIR / "run.sqlite3")
        else:
            drop_postgres(args.postgres_url, PG_DATABASE)
    return out


def report_at(kind: str, source: Path, args, users: dict[str, int]) -> dict:
    """The loss report page on a database of a smaller ledger (same garments, fewer events)."""
    if kind == "sqlite":
        path = fresh_copy(source, "report-size")
        url = f"sqlite:///{path}"
    else:
        url, _ = load_postgres(source, args.postgres_url, PG_DATABASE)
    app = None
    try:
        app = Server("app", url, DATA_DIR / f"server-{kind}-report.log")
        supervisor = Client(app.port, BENCH_SUPERVISOR)
        supervisor.sign_in(users[BENCH_SUPERVISOR])
        return timed_gets(supervisor, [f"/reports/?month={last_full_month()}"] * max(7, args.samples // 40))
    finally:
        if app is not None:
            app.stop()
        if kind == "sqlite":
            remove_copy(DATA_DIR / "report-size.sqlite3")
        else:
            drop_postgres(args.postgres_url, PG_DATABASE)


PG_DATABASE = "kiosk_bench"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def size_label(events: int) -> str:
    """``5m``, ``1m``, ``0_2m``: the key suffix of a ledger size."""
    millions = events / 1_000_000
    return f"{millions:g}m".replace(".", "_")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=600, help="scans per concurrency level (default 600)")
    parser.add_argument("--events", type=int, default=EVENTS, help=f"events in the ledger (default {EVENTS:,})")
    parser.add_argument("--report-sizes", default="200000,1000000",
                        help="smaller ledgers the report is also timed at (comma-separated events; '' for none)")
    parser.add_argument("--only", choices=("sqlite", "pg"), help="one database only")
    parser.add_argument("--close-clients", type=int, default=2, help="tablets scanning during the close (1-4)")
    parser.add_argument("--counted", type=int, default=100,
                        help="garments counted before the close besides those scanned during it")
    parser.add_argument("--garments", type=int, default=GARMENTS)
    parser.add_argument("--employees", type=int, default=EMPLOYEES)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--properties", type=int, default=1,
                        help="hotels of the group on the one database (default 1); the first holds half the "
                             "garments and is where the tablets scan")
    parser.add_argument("--rebuild", action="store_true", help="build the database even if a cached one fits")
    parser.add_argument("--keep", action="store_true", help="keep bench/.data/run.sqlite3 afterwards")
    parser.add_argument("--serve-bare", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--user-id", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_bare:
        return serve_bare(args.serve_bare, args.port, args.user_id)
    args.postgres_url = os.environ.get("KIOSK_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    kinds = [args.only] if args.only else ["sqlite", "pg"]
    run_started = time.perf_counter()

    def log(line: str) -> None:
        print(f"{time.perf_counter() - run_started:7.1f} s  {line}", flush=True)

    load_before = load_average()
    log(f"load average before: {load_before} on {os.cpu_count()} CPUs")
    if args.properties < 1:
        parser.error("--properties must be at least 1")
    source, meta, reused = ensure_database(args.garments, args.employees, args.events, args.seed, args.rebuild,
                                           args.properties)
    log(f"database: {'reused' if reused else 'built'} {source.relative_to(ROOT)} (stamp {meta['stamp']}, "
        f"built in {meta['build_s']} s" + ("" if reused else f", consistency checked in {meta.get('check_s')} s") + ")")
    log(f"  {meta['garments']:,} garments, {meta['employees']:,} employees, {meta['events']:,} events, "
        f"{meta.get('print_jobs', 0):,} print jobs, {meta.get('loans', 0):,} loans ({meta.get('open_loans', 0)} open), "
        f"{meta.get('stocktakes', 0)} closed stocktakes, {meta['users']} users"
        + (f"; {meta['properties']} properties, property {FIRST_PROPERTY} (scanned) holding "
           f"{meta['garments_by_property'][str(FIRST_PROPERTY)]:,} garments" if args.properties > 1 else ""))
    results: dict[str, dict] = {}
    for kind in kinds:
        results[kind] = run_database(kind, source, args, random.Random(args.seed), log)

    sizes = sorted({int(s) for s in args.report_sizes.split(",") if s.strip()} - {args.events})
    reports: dict[str, dict[int, dict]] = {kind: {args.events: results[kind]["report"]} for kind in kinds}
    for size in sizes:
        small, small_meta, small_reused = ensure_database(args.garments, args.employees, size, args.seed, args.rebuild,
                                                          args.properties)
        users = Pool(small, random.Random(0)).users
        for kind in kinds:
            reports[kind][size] = report_at(kind, small, args, users)
            log(f"[{kind}] report at {small_meta['events']:,} events: p50 {reports[kind][size]['p50_ms']} ms")

    figures: dict = {}
    for kind, short in (("sqlite", "sqlite"), ("pg", "pg")):
        if kind not in results:
            continue
        r = results[kind]
        for count in (1, 4, 10):
            level = r["c1"]["app"] if count == 1 else r[f"c{count}"]
            figures[f"{short}_c{count}_p50_ms"] = level["p50_ms"]
            figures[f"{short}_c{count}_p99_ms"] = level["p99_ms"]
            figures[f"{short}_c{count}_scans_per_s"] = (r["c1"] if count == 1 else level)["scans_per_s"]
        figures[f"{short}_scan_cpu_ratio_wsgi"] = r["c1"]["cpu_ratio_wsgi"]
        figures[f"{short}_scan_cpu_ratio_raw"] = r["c1"]["cpu_ratio_raw"]
        figures[f"{short}_cpu_ms_per_scan"] = r["c1"]["cpu_ms_per_scan"]
        figures[f"{short}_raw_p50_ms"] = r["c1"]["raw"]["p50_ms"]
        figures[f"{short}_wsgi_p50_ms"] = r["c1"]["wsgi"]["p50_ms"]
        figures[f"{short}_p50_ratio_raw"] = r["c1"]["p50_ratio_raw"]
        figures[f"{short}_close_ms"] = r["close"]["close_ms"]
        figures[f"{short}_close_max_scan_wait_ms"] = r["close"]["close_max_scan_wait_ms"]
        figures[f"{short}_print_status_ms"] = r["print_status"]["p50_ms"]
        figures[f"{short}_garment_page_ms"] = r["garment_page"]["p50_ms"]
        figures[f"{short}_board_ms"] = r["board"]["p50_ms"]
        figures[f"{short}_report_xlsx_ms"] = r["report_xlsx"]["p50_ms"]
        for size, report in sorted(reports[kind].items()):
            figures[f"report_ms_{size_label(size)}_{short}"] = report["p50_ms"]
            figures[f"report_p99_ms_{size_label(size)}_{short}"] = report["p99_ms"]

    def worst(name: str):
        values = [figures[f"{k}_{name}"] for k in ("sqlite", "pg") if figures.get(f"{k}_{name}") is not None]
        return max(values) if values else None

    main_label = size_label(args.events)
    figures.update({
        # the headline figures: the worse of the databases measured
        "scan_cpu_ratio_wsgi": worst("scan_cpu_ratio_wsgi"), "scan_cpu_ratio_raw": worst("scan_cpu_ratio_raw"),
        "close_ms": worst("close_ms"), "close_max_scan_wait_ms": worst("close_max_scan_wait_ms"),
        "print_status_ms_400k": worst("print_status_ms"), "garment_page_ms_5m": worst("garment_page_ms"),
        "report_ms_5m_sqlite": figures.get(f"report_ms_{main_label}_sqlite"),
        "report_ms_5m_pg": figures.get(f"report_ms_{main_label}_pg"),
    })
    for key in ("sqlite_c1_p50_ms", "sqlite_c1_p99_ms", "sqlite_c10_p99_ms", "sqlite_c1_scans_per_s",
                "sqlite_c10_scans_per_s", "pg_c1_p50_ms", "pg_c10_p99_ms"):
        figures.setdefault(key, None)
    figures.update({
        "events": meta["events"], "garments": meta["garments"], "employees": meta["employees"],
        "properties": meta.get("properties", 1),
        "print_jobs": meta.get("print_jobs"), "loans": meta.get("loans"), "open_loans": meta.get("open_loans"),
        "stocktakes": meta.get("stocktakes"), "samples": args.samples, "close_clients": args.close_clients,
        "reused_database": reused, "build_s": meta["build_s"],
        "pg_load_s": results["pg"]["load_s"] if "pg" in results else None,
        "load_average_before": load_before, "load_average": load_average(), "cpus": os.cpu_count(),
        "run_s": round(time.perf_counter() - run_started, 1), "csrf": "on",
        "details": {kind: {k: v for k, v in r.items() if k != "report"} for kind, r in results.items()},
    })
    print_table(figures, results, reports, kinds)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


AIMS = {"c1_p50_ms": "≤ 5 (SQLite)", "c10_p99_ms": "≤ 100", "scan_cpu_ratio_wsgi": "≤ 2",
        "scan_cpu_ratio_raw": "≤ 5", "close_max_scan_wait_ms": "≤ 100", "report_ms": "≤ 300",
        "print_status_ms": "≤ 10", "garment_page_ms": "≤ 15", "c10_scans_per_s": "≥ 1 client's"}


def print_table(figures: dict, results: dict, reports: dict, kinds: list[str]) -> None:
    def cell(kind: str, get) -> str:
        if kind not in results:
            return f"{'-':>23}"
        try:
            value = get(results[kind])
        except (KeyError, TypeError):
            return f"{'-':>23}"
        return f"{value:>23}"

    def pair(s: dict | None) -> str:
        return "-" if not s else f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f}"

    print()
    print(f"{'figure (p50 / p99 ms unless named)':<44}{'SQLite':>23}{'PostgreSQL':>23}   aim")
    rows = [
        ("scan, 1 client", lambda r: pair(r["c1"]["app"]), "p50 ≤ 5 (SQLite)"),
        ("scan, 4 clients", lambda r: pair(r["c4"]), ""),
        ("scan, 10 clients", lambda r: pair(r["c10"]), "p99 ≤ 100"),
        ("scans/s, 1 / 4 / 10 clients",
         lambda r: f"{r['c1']['scans_per_s']:g} / {r['c4']['scans_per_s']:g} / {r['c10']['scans_per_s']:g}",
         "10 ≥ 1"),
        ("raw SQL in-process (same scans)", lambda r: pair(r["c1"]["raw"]), ""),
        ("bare WSGI on waitress (same SQL)", lambda r: pair(r["c1"]["wsgi"]), ""),
        ("CPU ms/scan app / wsgi / raw", lambda r: "{app:.2f} / {wsgi:.2f} / {raw:.2f}".format(
            **r["c1"]["cpu_ms_per_scan"]), ""),
        ("CPU ratio app/wsgi, app/raw (median round)",
         lambda r: f"{r['c1']['cpu_ratio_wsgi']:g} / {r['c1']['cpu_ratio_raw']:g}", "≤ 2 / ≤ 5"),
        ("stocktake close ms / longest scan wait", lambda r: f"{r['close']['close_ms']:g} / "
                                                         f"{r['close']['close_max_scan_wait_ms']}", "- / ≤ 100"),
        ("print status bar (400k jobs)", lambda r: pair(r["print_status"]), "p50 ≤ 10"),
        ("garment page", lambda r: pair(r["garment_page"]), "p50 ≤ 15"),
        ("today board (its poll)", lambda r: pair(r["board"]), ""),
        ("loss report page", lambda r: pair(r["report"]), "p50 ≤ 300"),
        ("loss report XLSX", lambda r: pair(r["report_xlsx"]), "p50 ≤ 300"),
    ]
    for label, get, aim in rows:
        print(f"{label:<44}{cell('sqlite', get)}{cell('pg', get)}   {aim}")
    sizes = sorted({size for kind in kinds for size in reports[kind]})
    for size in sizes:
        print(f"{f'loss report at {size:,} events':<44}"
              + "".join(f"{pair(reports[k].get(size)) if k in reports else '-':>23}" for k in ("sqlite", "pg")))
    print()


if __name__ == "__main__":
    sys.exit(main())
