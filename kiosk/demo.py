"""Demo data: a believable hotel, loaded by ``flask --app app kiosk demo``.

Five departments, about sixty staff, eight garment types and about three
hundred numbered garments whose every status was reached through the ledger
(:func:`kiosk.ledger.register_garment` and :func:`kiosk.ledger.move`), with
event times spread over the past weeks inside the uniform room's opening
hours. Every position has its kit (配发标准: garment types, shoes, socks, 头花),
and the history keeps the kiosk's own rules at every moment: nobody is ever
given more than their kit (spares go only to someone the counter would serve,
else the garment is lent to a visitor, with its loan), new hires got their
kit's shoes and socks in their sizes, and every stock quantity is its ledger's
(tests/test_demo_rules.py replays it). Everything comes from one
``random.Random(seed)``: the same seed gives the same staff, garments and final
statuses; the histories are anchored to the moment of loading (pass ``now`` to
:func:`load_demo` to fix that too).
"""
from __future__ import annotations

import datetime as dt
import math
import random
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .domain.garment_states import TRANSITIONS, Action, Status
from .extensions import db
from .ledger import move, register_garment, slot
from .kits.models import KitLine
from .loans.models import Loan, LoanItem
from .models import Department, Employee, Event, Garment, GarmentType, User, utcnow


class DemoUser(NamedTuple):
    name: str
    role: str
    pin: str
    badge: str


#: Operators of the demo hotel and their PINs (``make run`` prints these).
DEMO_USERS: list[DemoUser] = [
    DemoUser("王收发", "clerk", "1111", "BADGE-0001"),
    DemoUser("陈收发", "clerk", "4444", "BADGE-0002"),
    DemoUser("李熨烫", "ironer", "2222", "BADGE-0003"),
    DemoUser("周熨烫", "ironer", "5555", "BADGE-0004"),
    DemoUser("赵领班", "supervisor", "3333", "BADGE-0005"),
    DemoUser("管理员", "admin", "9999", "BADGE-0006"),
]

DEFAULT_SEED = 20240501


class _Type(NamedTuple):
    code: str
    name_zh: str
    name_en: str
    unit_cost: Decimal
    entitlement: int
    expected_washes: int


GARMENT_TYPES: tuple[_Type, ...] = (
    _Type("HK-SUIT", "客房服务员套装", "Housekeeping suit", Decimal("268.00"), 3, 150),
    _Type("FB-VEST", "餐厅马甲", "Restaurant vest", Decimal("158.00"), 2, 120),
    _Type("CHEF", "厨师服", "Chef jacket", Decimal("135.50"), 3, 150),
    _Type("FO-SUIT", "前台西装", "Front office suit", Decimal("680.00"), 2, 60),
    _Type("SHIRT", "衬衫", "Shirt", Decimal("98.50"), 3, 100),
    _Type("ENG", "工程工装", "Engineering workwear", Decimal("188.00"), 3, 120),
    _Type("SEC", "保安制服", "Security uniform", Decimal("320.00"), 2, 100),
    _Type("APRON", "围裙", "Apron", Decimal("45.00"), 2, 80),
)

# Per department: (position, headcount, kit as {type code: pieces}).
_SUIT = {"FO-SUIT": 2, "SHIRT": 3}
ROSTER: dict[str, list[tuple[str, int, dict[str, int]]]] = {
    "客房部": [
        ("客房部经理", 1, _SUIT),
        ("楼层领班", 3, {"HK-SUIT": 3, "APRON": 1}),
        ("客房服务员", 11, {"HK-SUIT": 3, "APRON": 2}),
        ("公区保洁员", 3, {"HK-SUIT": 3}),
    ],
    "餐饮部": [
        ("餐厅经理", 1, _SUIT),
        ("餐厅领班", 2, {"FB-VEST": 2, "SHIRT": 3}),
        ("餐厅服务员", 7, {"FB-VEST": 2, "SHIRT": 3, "APRON": 2}),
        ("传菜员", 3, {"FB-VEST": 2, "SHIRT": 3}),
        ("厨师长", 1, {"CHEF": 3, "APRON": 2}),
        ("厨师", 4, {"CHEF": 3, "APRON": 2}),
    ],
    "前厅部": [
        ("大堂副理", 1, _SUIT),
        ("前台接待", 5, _SUIT),
        ("礼宾员", 2, _SUIT),
        ("行李员", 2, _SUIT),
    ],
    "工程部": [
        ("工程主管", 1, {"ENG": 3}),
        ("工程师", 2, {"ENG": 3}),
        ("电工", 2, {"ENG": 3}),
        ("水暖工", 2, {"ENG": 3}),
    ],
    "保安部": [
        ("保安主管", 1, {"SEC": 2, "SHIRT": 3}),
        ("保安领班", 1, {"SEC": 2, "SHIRT": 3}),
        ("保安员", 5, {"SEC": 2, "SHIRT": 3}),
    ],
}

# The stock items of every position's kit (配发标准), by stock item code; 头花 for those who wear
# their hair up at work.
_STOCK_KIT = {"SHOE": 1, "SOCK": 2}
_HAIR_POSITIONS = ("楼层领班", "客房服务员", "餐厅领班", "餐厅服务员", "前台接待")
_SHOE_SIZES = tuple(str(s) for s in range(36, 45))
_SHOE_WEIGHTS = (4, 8, 12, 14, 14, 14, 13, 11, 10)


def _stock_kit(position: str) -> dict[str, int]:
    return dict(_STOCK_KIT, **({"HAIR": 1} if position in _HAIR_POSITIONS else {}))


def sock_size_for(shoe_size: str) -> str:
    """Work socks come in two sizes by shoe size (the stock room's SOCK rows)."""
    return "35-39" if int(shoe_size) <= 39 else "40-44"

# Who may be hourly (小时工): the positions hotels really fill by the hour.
_HOURLY_POSITIONS = ("公区保洁员", "传菜员", "餐厅服务员", "客房服务员")

# Names with characters a form or a font may trip over; they must survive.
_RARE_NAMES = ("张堃", "李喆", "王玥", "陈赟", "欧阳晓堃", "赵祎", "孙珺", "周翀")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万覃武戴"
)
_GIVEN = (
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建华", "文静", "子涵", "浩然", "雨萱",
    "梓轩", "欣怡", "宇航", "思远", "婷婷", "海燕", "春梅", "志刚", "晓东", "丽娟", "红梅", "建国",
    "玉兰", "嘉怡", "俊杰", "慧敏", "国强", "淑华", "晓燕", "志明", "佳琪", "凤英", "雪梅", "永红",
    "立新", "金凤", "晨曦", "一鸣", "海波", "美玲", "少华", "文博",
)
_MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                    "152", "153", "155", "156", "158", "159", "166", "177", "180", "181", "185",
                    "186", "187", "188", "189", "191", "198", "199")
_SIZES = ("S", "M", "L", "XL", "XXL")
_SIZE_WEIGHTS = (12, 30, 32, 18, 8)

# Defect codes of kiosk.domain.defects, as the stations record them.
_TAILOR_DEFECTS = ("missing_button", "torn_seam", "damage", "broken_zipper", "missing_ornament")
_REWASH_DEFECTS = ("hair", "stain", "not_clean")
_REIRON_DEFECTS = ("creased",)
_BORROWERS = ("宴会外包服务员", "婚宴临时帮工", "实习生（酒店管理学院）", "会展活动礼仪", "兄弟酒店借调人员")

# The uniform room is staffed 07:00-22:00 hotel time; every event falls inside.
HOTEL_TZ = dt.timezone(dt.timedelta(hours=8))
DAY_OPEN = 7
WORK_HOURS = 15
GO_LIVE_DAYS_AGO = 28

# Working hours (07:00-22:00) that pass before each action.
_GAPS: dict[Action, tuple[float, float]] = {
    Action.ISSUE: (2, 40),
    Action.ISSUE_SPARE: (15, 160),
    Action.LOAN: (30, 220),
    Action.CHECK_IN: (10, 45),
    Action.WASH: (0.5, 4),
    Action.IRON: (1, 8),
    Action.PASS: (0.3, 3),
    Action.REWASH: (0.1, 1),
    Action.REIRON: (0.1, 1),
    Action.TO_TAILOR: (0.2, 2),
    Action.FROM_TAILOR: (20, 70),
    Action.MARK_MISSING: (5, 90),
    Action.FOUND: (10, 90),
    Action.WRITE_OFF: (5, 60),
}

# How long before "now" (working hours) a garment reached its final status.
_SLACK: dict[str, tuple[float, float]] = {
    Status.IN_STOCK: (0.5, 30),
    Status.ISSUED: (0.5, 40),
    Status.SPARE_ISSUED: (1, 60),
    Status.LOANED: (2, 90),
    Status.DIRTY: (0.1, 5),
    Status.IRONING: (0.1, 5),
    Status.INSPECTION: (0.1, 4),
    Status.AT_TAILOR: (5, 60),
    Status.MISSING: (15, 120),
    Status.WRITTEN_OFF: (5, 150),
}

# Station codes as the kiosk's stations write them (labels in kiosk.garments.services).
_STATIONS: dict[Action, str] = {
    Action.ISSUE: "issue", Action.ISSUE_SPARE: "issue", Action.LOAN: "issue",
    Action.CHECK_IN: "checkin", Action.FROM_TAILOR: "tailor",
    Action.WASH: "laundry", Action.IRON: "ironing",
    Action.PASS: "inspection", Action.REWASH: "inspection", Action.REIRON: "inspection",
    Action.TO_TAILOR: "inspection",
    Action.MARK_MISSING: "stocktake", Action.FOUND: "stocktake",
    Action.WRITE_OFF: "office",
}
_ROLE_FOR: dict[Action, str] = {
    Action.WASH: "ironer", Action.IRON: "ironer", Action.WRITE_OFF: "supervisor",
}


class _Clock:
    """Maps "working hours" (07:00-22:00 hotel time, laid end to end) to UTC.

    Planning in working hours keeps every event inside opening hours and the
    times of one garment strictly increasing.
    """

    def __init__(self, now: dt.datetime) -> None:
        local_now = now.astimezone(HOTEL_TZ)
        self.origin = dt.datetime.combine(local_now.date() - dt.timedelta(days=400),
                                          dt.time(DAY_OPEN), HOTEL_TZ)
        self.now = self.to_w(now)

    def to_w(self, moment: dt.datetime) -> float:
        local = moment.astimezone(HOTEL_TZ)
        day = (local.date() - self.origin.date()).days
        hour = local.hour + local.minute / 60 + local.second / 3600 - DAY_OPEN
        if hour < 0:
            return day * WORK_HOURS - 0.01  # before opening: the evening before
        return day * WORK_HOURS + min(hour, WORK_HOURS - 0.01)

    def to_utc(self, w: float) -> dt.datetime:
        day = math.floor(w / WORK_HOURS)
        moment = self.origin + dt.timedelta(days=day, hours=w - day * WORK_HOURS)
        return moment.astimezone(dt.timezone.utc).replace(microsecond=0)

    def day_w(self, date: dt.date, hour: float) -> float:
        return (date - self.origin.date()).days * WORK_HOURS + hour - DAY_OPEN


@dataclass
class _Person:
    employee: Employee
    kit: dict[str, int]  # the pieces registered to them (hourly staff: one of each)
    joined_w: float
    end_w: float  # the last moment they could hand a garment in
    #: What their position's kit lets them hold at once (kiosk.kits.services.hold counts against it).
    entitled: dict[str, int] = field(default_factory=dict)


@dataclass
class _Piece:
    tag: str
    gtype: GarmentType
    size: str
    owner: _Person | None
    start_w: float
    end_w: float
    purchased_on: dt.date
    cost: Decimal
    note: str
    target: str = Status.IN_STOCK.value
    variant: str = ""
    #: Who may wear it as a spare: the active staff whose kit has its type.
    wearers: list[_Person] = field(default_factory=list)


class _Step(NamedTuple):
    action: Action
    w: float
    extra: dict[str, Any]


SPARE_NOTE = "本人制服在洗，发备用制服"

#: Working hours kept clear around a give: event times are whole seconds, and a move lands at
#: least a second after the garment's previous one, so a plan's moments may shift a little.
_MARGIN = 0.05


def _most_at_once(spans: list[tuple[float, float]]) -> int:
    """The most of ``spans`` (start, end) that overlap at any one moment."""
    # At one moment an end comes before a start: one handed in, then one given out.
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    most = now = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


class _Spares:
    """Chooses, once every garment's history has its times, who wears each spare when it goes out.

    The counter would refuse a spare to anyone past their kit (kiosk.kits.services.hold),
    anyone whose own garment of the type is in stock, anyone of another size, or
    someone who has not joined yet; so each spare goes to a wearer who passes all
    of that for as long as it is out with them. When nobody does, the garment is
    lent to a visitor instead (with its loan record, kiosk.demo._Builder._loan), or,
    when it was to be out today, it stays in its slot.
    """

    _OUT = {Status.ISSUED, Status.SPARE_ISSUED, Status.LOANED}

    def __init__(self, rng: random.Random, plans: list[tuple[_Piece, list[_Step]]]) -> None:
        self.rng = rng
        self.plans = plans
        #: (person, type code) → the stretches a garment of the type was out with them.
        self.out: dict[tuple[int, str], list[tuple[float, float]]] = {}
        #: (person, type code) → the stretches one of their own garments of the type was in stock.
        self.in_stock: dict[tuple[int, str], list[tuple[float, float]]] = {}

    @staticmethod
    def stretches(piece: _Piece, steps: list[_Step]):
        """(status, from, until, index of the step that began it) over the garment's life."""
        status, since, began = Status.IN_STOCK, piece.start_w, None
        for i, step in enumerate(steps):
            yield status, since, step.w, began
            status, since, began = TRANSITIONS[step.action][1], step.w, i
        yield status, since, math.inf, began

    def give(self) -> None:
        for piece, steps in self.plans:
            if piece.owner is None:
                continue
            key = (id(piece.owner), piece.gtype.code)
            for status, since, until, _ in self.stretches(piece, steps):
                if status in self._OUT:
                    self.out.setdefault(key, []).append((since, until))
                elif status is Status.IN_STOCK:
                    self.in_stock.setdefault(key, []).append((since, until))
        for piece, steps in self.plans:
            if piece.owner is None:
                for status, since, until, began in list(self.stretches(piece, steps)):
                    if status is Status.SPARE_ISSUED:
                        self._wearer(piece, steps, began, since, until)

    def _fits(self, person: _Person, piece: _Piece, start: float, end: float) -> bool:
        code = piece.gtype.code
        key = (id(person), code)
        if start < person.joined_w + _MARGIN or person.employee.size != piece.size:
            return False
        if any(s - _MARGIN <= start <= e + _MARGIN for s, e in self.in_stock.get(key, [])):
            return False  # their own is in its slot: the counter issues that one, not a spare
        around = [(max(s, start - _MARGIN), min(e, end + _MARGIN)) for s, e in self.out.get(key, [])
                  if s < end + _MARGIN and e > start - _MARGIN]
        return _most_at_once(around) + 1 <= person.entitled.get(code, 0)

    def _wearer(self, piece: _Piece, steps: list[_Step], began: int, start: float, end: float) -> None:
        back = steps[began + 1] if began + 1 < len(steps) else None
        fits = [p for p in piece.wearers if self._fits(p, piece, start, end)]
        if fits:
            wearer = self.rng.choice(fits)
            self.out.setdefault((id(wearer), piece.gtype.code), []).append((start, end))
            steps[began].extra["employee"] = wearer.employee
            if back is not None and back.action is Action.CHECK_IN:
                back.extra["employee"] = wearer.employee
            return
        if back is None:  # the spare it was to be today stays in its slot
            del steps[began]
            piece.target = Status.IN_STOCK.value
            return
        days = self.rng.randint(1, 5)
        steps[began] = _Step(Action.LOAN, steps[began].w,
                             {"note": f"借衣：{self.rng.choice(_BORROWERS)}，{days} 天内归还"})


def database_is_empty(session: Session) -> bool:
    """No operators, staff, types or garments yet: a fresh install."""
    return all(
        session.scalar(select(func.count()).select_from(model)) == 0
        for model in (User, Garment, Employee, GarmentType, Department)
    )


class _Builder:
    def __init__(self, session: Session, rng: random.Random, now: dt.datetime, hash_method: str):
        self.session = session
        self.rng = rng
        self.clock = _Clock(now)
        self.hash_method = hash_method
        self.go_live_w = self.clock.day_w(
            (now.astimezone(HOTEL_TZ) - dt.timedelta(days=GO_LIVE_DAYS_AGO)).date(), 9.0)
        self.today = now.astimezone(HOTEL_TZ).date()
        self.loan_phones: set[str] = set()

    # -- reference data -------------------------------------------------
    def users(self) -> dict[str, list[User]]:
        from .auth.services import create_user

        by_role: dict[str, list[User]] = {}
        for demo in DEMO_USERS:
            user = create_user(self.session, demo.name, demo.role, demo.pin,
                               badge_code=demo.badge, hash_method=self.hash_method,
                               check_policy=False)  # the demo hotel's PINs are published
            user.created_at = self.clock.to_utc(self.go_live_w - WORK_HOURS * 3)
            by_role.setdefault(demo.role, []).append(user)
        return by_role

    def types(self) -> dict[str, GarmentType]:
        types = {}
        for spec in GARMENT_TYPES:
            types[spec.code] = GarmentType(
                code=spec.code, name_zh=spec.name_zh, name_en=spec.name_en,
                unit_cost=spec.unit_cost, entitlement=spec.entitlement,
                expected_washes=spec.expected_washes,
            )
            self.session.add(types[spec.code])
        return types

    def _names(self, count: int) -> list[str]:
        names = list(_RARE_NAMES)
        taken = set(names)
        while len(names) < count:
            name = self.rng.choice(_SURNAMES) + self.rng.choice(_GIVEN)
            if name not in taken:
                taken.add(name)
                names.append(name)
        self.rng.shuffle(names)
        return names

    def _phone(self, taken: set[str]) -> str:
        while True:
            phone = self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in taken:
                taken.add(phone)
                return phone

    def people(self) -> list[_Person]:
        slots = [(dept, position, kit) for dept, rows in ROSTER.items()
                 for position, count, kit in rows for _ in range(count)]
        names = self._names(len(slots))
        # Managers and supervisors are regular staff; the rest get a kind below.
        ordinary = [i for i, (_, position, _) in enumerate(slots)
                    if not position.endswith(("经理", "主管", "长", "副理"))]
        hourly_pool = [i for i in ordinary if slots[i][1] in _HOURLY_POSITIONS]
        hourly = set(self.rng.sample(hourly_pool, 7))
        new_hires = set(self.rng.sample([i for i in ordinary if i not in hourly], 6))
        leavers = set(self.rng.sample([i for i in ordinary if i not in new_hires], 4))

        departments: dict[str, Department] = {}
        phones: set[str] = set()
        people = []
        for i, (dept_name, position, position_kit) in enumerate(slots):
            dept = departments.get(dept_name)
            if dept is None:
                dept = departments[dept_name] = Department(name=dept_name)
                dept.created_at = self.clock.to_utc(self.go_live_w - WORK_HOURS * 3)
                self.session.add(dept)
            kind = "hourly" if i in hourly else "new_hire" if i in new_hires else "regular"
            if kind == "new_hire":
                joined = self.today - dt.timedelta(days=self.rng.randint(3, 20))
                joined_w = self.clock.day_w(joined, self.rng.uniform(8.5, 10.5))
            else:
                joined_w = self.go_live_w - WORK_HOURS * 3
            end_w = self.clock.now
            shoe_size = self.rng.choices(_SHOE_SIZES, _SHOE_WEIGHTS)[0]
            employee = Employee(
                staff_no=f"{10001 + i}",
                name=names[i],
                department=dept,
                position=position,
                phone=self._phone(phones),
                kind=kind,
                uniform_no=f"{1001 + i}",
                size=self.rng.choices(_SIZES, _SIZE_WEIGHTS)[0],
                shoe_size=shoe_size,
                sock_size=sock_size_for(shoe_size),
                created_at=self.clock.to_utc(joined_w),
            )
            if i in leavers:
                left = self.today - dt.timedelta(days=self.rng.randint(2, 18))
                employee.active = False
                employee.left_on = left
                end_w = self.clock.day_w(left, 17.0)
                employee.updated_at = self.clock.to_utc(end_w)
            else:
                employee.updated_at = employee.created_at
            self.session.add(employee)
            # Hourly staff get one of each piece, not the full kit.
            kit = {code: 1 for code in position_kit} if kind == "hourly" else dict(position_kit)
            people.append(_Person(employee, kit, joined_w, end_w, entitled=dict(position_kit)))
        return people

    def kits(self, types: dict[str, GarmentType]) -> int:
        """The 配发标准 of every position on the roster: its garments and its stock items."""
        rows = 0
        for rows_of_department in ROSTER.values():
            for position, _count, kit in rows_of_department:
                stock = _stock_kit(position)
                for code, quantity in kit.items():
                    self.session.add(KitLine(position=position, type_id=types[code].id, quantity=quantity))
                for code, quantity in stock.items():
                    self.session.add(KitLine(position=position, stock_code=code, quantity=quantity))
                rows += len(kit) + len(stock)
        return rows

    def kit_stock(self, people: list[_Person]) -> list[tuple[Employee, str, int, dt.datetime]]:
        """The stock items of each new hire's kit, handed out on their first day; the newest
        hire is still waiting for shoes (the new-hire kit shows what is missing)."""
        new_hires = sorted((p for p in people if p.employee.kind == "new_hire" and p.employee.active),
                           key=lambda p: p.joined_w)
        given = []
        for n, person in enumerate(new_hires):
            stock = _stock_kit(person.employee.position)
            if n == len(new_hires) - 1:
                stock.pop("SHOE")
            at = self.clock.to_utc(person.joined_w + self.rng.uniform(0.2, 0.5))
            given += [(person.employee, code, quantity, at) for code, quantity in stock.items()]
        return given

    # -- garments and their history --------------------------------------
    def _purchase(self, gtype: GarmentType, start_w: float, new: bool) -> tuple[dt.date, Decimal]:
        if new:
            bought = self.clock.to_utc(start_w).astimezone(HOTEL_TZ).date() - dt.timedelta(
                days=self.rng.randint(1, 10))
        else:
            bought = self.today - dt.timedelta(days=self.rng.randint(GO_LIVE_DAYS_AGO + 20, 3 * 365))
        cost = gtype.unit_cost
        if (self.today - bought).days > 540:  # bought before the last price rise
            cost = (cost * Decimal("0.92")).quantize(Decimal("1")).quantize(Decimal("0.01"))
        return bought, cost

    def pieces(self, people: list[_Person], types: dict[str, GarmentType],
               total: int) -> list[_Piece]:
        pieces: list[_Piece] = []
        wearers: dict[str, list[_Person]] = {}
        for person in people:
            emp = person.employee
            new = emp.kind == "new_hire"
            for code, count in person.kit.items():
                if emp.active:
                    wearers.setdefault(code, []).append(person)
                for n in range(1, count + 1):
                    # Existing kit is taken on when the kiosk goes live; a new hire's on joining.
                    start_w = (person.joined_w + self.rng.uniform(0.5, 3) if new
                               else self.go_live_w + self.rng.uniform(0, 12))
                    bought, cost = self._purchase(types[code], start_w, new)
                    pieces.append(_Piece(
                        tag=f"{code}-{emp.uniform_no}{n:02d}", gtype=types[code], size=emp.size,
                        owner=person, start_w=start_w, end_w=person.end_w, purchased_on=bought,
                        cost=cost, note="新员工配发" if new else "期初建账",
                    ))
        spare_codes = [code for code in types for _ in range(len(wearers.get(code, [])))]
        for n in range(1, max(total - len(pieces), 20) + 1):
            code = self.rng.choice(spare_codes)
            start_w = self.go_live_w + self.rng.uniform(0, 12)
            bought, cost = self._purchase(types[code], start_w, False)
            pieces.append(_Piece(
                tag=f"{code}-9{n:05d}", gtype=types[code],
                size=self.rng.choices(_SIZES, _SIZE_WEIGHTS)[0], owner=None, start_w=start_w,
                end_w=self.clock.now, purchased_on=bought, cost=cost, note="期初建账（备用）",
                wearers=wearers[code],
            ))
        self._choose_targets(pieces)
        return pieces

    def _choose_targets(self, pieces: list[_Piece]) -> None:
        """Decide where each garment is today: mostly worn or in its slot."""
        rng = self.rng
        S = Status
        owned = [p for p in pieces if p.owner and p.owner.employee.active]
        spares = [p for p in pieces if p.owner is None]
        leavers = [p for p in pieces if p.owner and not p.owner.employee.active]

        by_person: dict[int, list[_Piece]] = {}
        for piece in owned:
            by_person.setdefault(id(piece.owner), []).append(piece)
        for kit in by_person.values():
            worn: set[str] = set()
            for piece in kit:
                code = piece.gtype.code
                if code not in worn:  # one of each type is on the person
                    worn.add(code)
                    piece.target = S.ISSUED
                else:
                    piece.target = rng.choices(
                        (S.IN_STOCK, S.DIRTY, S.IRONING, S.INSPECTION, S.ISSUED), (50, 14, 8, 10, 18))[0]
        # The rare ones, on garments picked at random across the hotel.
        for status, count in ((S.AT_TAILOR, 5), (S.MISSING, 3), (S.WRITTEN_OFF, 4)):
            for piece in rng.sample([p for p in owned if p.target in (S.IN_STOCK, S.ISSUED)], count):
                piece.target = status
                if status is S.WRITTEN_OFF:
                    piece.variant = rng.choice(("worn_out", "lost"))

        # Who wears a spare is chosen once every garment's history has its times (_Spares);
        # a spare nobody may wear at that moment stays in stock, so more are meant to be out than
        # will be: at some hours of the day half of them find nobody (the ledger is built back from now).
        spare_targets = ([S.SPARE_ISSUED] * 20 + [S.LOANED] * 5 + [S.DIRTY] * 2 + [S.INSPECTION] * 2
                         + [S.AT_TAILOR] + [S.MISSING] + [S.WRITTEN_OFF] * 2)
        spare_targets += [S.IN_STOCK] * max(0, len(spares) - len(spare_targets))
        rng.shuffle(spare_targets)
        for piece, status in zip(spares, spare_targets):
            piece.target = status
            if status is S.WRITTEN_OFF:
                piece.variant = "worn_out"

        for piece in leavers:  # handed back on the last day, or never
            if rng.random() < 0.7:
                piece.target, piece.variant = S.IN_STOCK, "returned"
            else:
                piece.target, piece.variant = S.WRITTEN_OFF, "not_returned"

    def _gap(self, action: Action) -> float:
        return self.rng.uniform(*_GAPS[action])

    def _handout(self, piece: _Piece) -> list[tuple[Action, dict[str, Any]]]:
        """Out to its owner, as a spare (the wearer is chosen by _Spares), or lent to a visitor."""
        if piece.owner:
            return [(Action.ISSUE, {})]
        if self.rng.random() < 0.7:
            return [(Action.ISSUE_SPARE, {"note": SPARE_NOTE})]
        return [(Action.LOAN, {"note": f"借衣：{self.rng.choice(_BORROWERS)}"})]

    def _cycle(self, piece: _Piece) -> list[tuple[Action, dict[str, Any]]]:
        """One round: out, back dirty, laundered, inspected, slotted by number."""
        rng = self.rng
        steps = self._handout(piece)
        steps.append((Action.CHECK_IN, {}))
        if rng.random() < 0.4:
            steps.append((Action.WASH, {}))
        steps.append((Action.IRON, {}))
        roll = rng.random()
        if roll < 0.05:
            steps += [(Action.REWASH, {"defects": rng.choice(_REWASH_DEFECTS)}),
                      (Action.WASH, {}), (Action.IRON, {})]
        elif roll < 0.09:
            steps += [(Action.REIRON, {"defects": rng.choice(_REIRON_DEFECTS)}), (Action.IRON, {})]
        elif roll < 0.12:
            defect = rng.choice(_TAILOR_DEFECTS)
            steps[-1] = (Action.IRON, {"defects": defect, "note": "熨烫时发现，已报告"})
            steps += [(Action.TO_TAILOR, {"defects": defect}),
                      (Action.FROM_TAILOR, {"note": "裁缝间修补完成"})]
        steps.append((Action.PASS, {"note": "按编号配入"} if piece.owner else {}))
        if roll > 0.995:  # not found at a stocktake, turned up a few days later
            steps += [(Action.MARK_MISSING, {"note": "盘点未找到"}),
                      (Action.FOUND, {"note": "在洗衣房找到"}), (Action.PASS, {})]
        return steps

    def _tail(self, piece: _Piece) -> list[tuple[Action, dict[str, Any]]]:
        """From a clean garment in its slot to where it is today."""
        S = Status
        target = piece.target
        if target == S.IN_STOCK:
            if piece.variant == "returned":
                return [(Action.ISSUE, {}), (Action.CHECK_IN, {"note": "离职交回"}),
                        (Action.IRON, {}), (Action.PASS, {"note": "离职交回，待重新配发"})]
            return []
        if target == S.ISSUED:
            return [(Action.ISSUE, {})]
        if target == S.SPARE_ISSUED:
            return [(Action.ISSUE_SPARE, {"note": SPARE_NOTE})]
        if target == S.LOANED:
            due = self.rng.randint(1, 5)
            return [(Action.LOAN, {"note": f"借衣：{self.rng.choice(_BORROWERS)}，{due} 天内归还"})]
        out = [(Action.ISSUE, {})] if piece.owner else [(Action.ISSUE_SPARE, {"note": SPARE_NOTE})]
        back = (Action.CHECK_IN, {})
        if target == S.DIRTY:
            return out + [back]
        if target == S.IRONING:
            return out + [back, (Action.WASH, {})]
        if target == S.INSPECTION:
            return out + [back, (Action.IRON, {})]
        if target == S.AT_TAILOR:
            defect = self.rng.choice(_TAILOR_DEFECTS)
            return out + [back, (Action.IRON, {"defects": defect, "note": "熨烫时发现，已报告"}),
                          (Action.TO_TAILOR, {"defects": defect})]
        if target == S.MISSING:
            return [(Action.MARK_MISSING, {"note": "月盘点未找到"})]
        if target == S.WRITTEN_OFF:
            if piece.variant == "not_returned":
                return [(Action.ISSUE, {}),
                        (Action.WRITE_OFF, {"note": "离职未交回，按赔偿制度扣款"})]
            if piece.variant == "lost":
                return [(Action.MARK_MISSING, {"note": "月盘点未找到"}),
                        (Action.WRITE_OFF, {"note": "盘点缺失，确认报损"})]
            return out + [back, (Action.IRON, {"defects": "damage", "note": "熨烫时发现，已报告"}),
                          (Action.TO_TAILOR, {"defects": "damage"}),
                          (Action.WRITE_OFF, {"defects": "damage", "note": "破损无法修补，报损"})]
        raise AssertionError(target)

    def plan(self, piece: _Piece) -> list[_Step]:
        """Times for a garment's history: whole cycles, then the way to today."""
        rng = self.rng
        tail = self._tail(piece)
        tail_gaps = [self._gap(action) for action, _ in tail]
        end_w = piece.end_w - 0.05
        tail_end = end_w - rng.uniform(*_SLACK[piece.target])
        tail_start = tail_end - sum(tail_gaps)
        steps: list[_Step] = []
        t = piece.start_w
        while True:
            cycle = self._cycle(piece)
            gaps = [self._gap(action) for action, _ in cycle]
            if t + sum(gaps) + 1 > tail_start:
                break
            for (action, extra), gap in zip(cycle, gaps):
                t += gap
                steps.append(_Step(action, t, extra))
        # Not enough room for the tail (a new hire's first days): squeeze it in.
        scale = 1.0
        if tail_start < t + 0.1:
            tail_start = t
            room = end_w - t - 0.05
            if sum(tail_gaps) > room:
                scale = room / sum(tail_gaps)
        t = tail_start
        for (action, extra), gap in zip(tail, tail_gaps):
            t += gap * scale
            steps.append(_Step(action, t, extra))
        return steps

    def _user(self, users: dict[str, list[User]], action: Action, w: float) -> User:
        staff = users[_ROLE_FOR.get(action, "clerk")]
        # Two shifts: the early one until 14:30, the late one after.
        return staff[0] if (w % WORK_HOURS) < 7.5 or len(staff) == 1 else staff[1]

    def garments(self, pieces: list[_Piece], users: dict[str, list[User]]) -> None:
        session = self.session
        last_moment = self.clock.to_utc(self.clock.now)
        plans = [(piece, self.plan(piece)) for piece in pieces]
        _Spares(self.rng, plans).give()
        for piece, steps in plans:
            registered_at = self.clock.to_utc(piece.start_w)
            garment = register_garment(
                session, tag=piece.tag, garment_type=piece.gtype, size=piece.size,
                owner=piece.owner.employee if piece.owner else None,
                purchased_on=piece.purchased_on, cost=piece.cost,
                user=users["clerk"][0], note=piece.note, at=registered_at,
            )
            previous = registered_at
            lent: LoanItem | None = None
            for step in steps:
                moment = max(self.clock.to_utc(step.w), previous + dt.timedelta(seconds=1))
                event = move(session, garment, step.action,
                             user=self._user(users, step.action, step.w),
                             station=_STATIONS[step.action], at=min(moment, last_moment), **step.extra)
                if step.action is Action.LOAN:
                    lent = self._loan(garment, event, users)
                elif lent is not None and step.action is Action.CHECK_IN:
                    lent.returned_at = lent.loan.closed_at = event.created_at
                    lent.return_event = event
                    lent = None
                previous = garment.status_since
                slotted_at = previous + dt.timedelta(minutes=1)
                if (garment.awaiting_slot and slotted_at < last_moment
                        and slotted_at.astimezone(HOTEL_TZ).hour < 22
                        and self.rng.random() < 0.95):
                    # Most passed garments were put in their slot right away.
                    slot(session, garment, user=users["clerk"][0], station="slotting", at=slotted_at)
                    previous = slotted_at
            garment.updated_at = previous

    def _loan(self, garment: Garment, event: Event, users: dict[str, list[User]]) -> LoanItem:
        """The loan record behind a garment lent out (借衣登记): a visitor with their contact."""
        borrower = event.note.removeprefix("借衣：").split("，")[0]
        days = int(m.group(1)) if (m := re.search(r"(\d+) 天内归还", event.note)) else 1
        loan = Loan(borrower_name=f"{self.rng.choice(_SURNAMES)}{self.rng.choice(_GIVEN)}",
                    borrower_phone=self._phone(self.loan_phones), borrower_org=borrower, reason="event",
                    due_at=event.created_at + dt.timedelta(days=days), signed_on_paper=True,
                    created_by=event.user, created_at=event.created_at)
        item = LoanItem(loan=loan, garment=garment, loan_event=event)
        self.session.add_all([loan, item])
        return item


@dataclass
class Summary:
    departments: int
    employees: int
    garment_types: int
    garments: int
    events: int
    users: int


def load_demo(session: Session, *, seed: int = DEFAULT_SEED, hash_method: str = "scrypt",
              garments: int = 300, now: dt.datetime | None = None) -> Summary:
    """Add the demo hotel to an empty database (the caller commits).

    The hotel row marks the database as the demo, with the highest id of each
    table the demo filled (:func:`kiosk.hotel.services.record_demo`), so that
    ``kiosk demo --remove`` can take the demo out and leave what came later.
    """
    from .hotel.services import highest_ids, record_demo

    from .checklists.services import seed_defaults
    seed_defaults(session)  # the shift checklists belong to the hotel, not the demo: before the marks
    before = highest_ids(session)
    events_before = session.scalar(select(func.count()).select_from(Event))
    builder = _Builder(session, random.Random(seed), now or utcnow(), hash_method)
    users = builder.users()
    types = builder.types()
    people = builder.people()
    # Events copy the owner's department id, so staff need their ids first.
    session.flush()
    builder.kits(types)
    pieces = builder.pieces(people, types, garments)
    builder.garments(pieces, users)
    from .stock.services import load_stock_demo  # the stock room (shoes by size, socks, supplies)
    load_stock_demo(session, received_at=builder.clock.to_utc(builder.go_live_w - WORK_HOURS * 3),
                    given=builder.kit_stock(people), by=users["clerk"][0])
    session.flush()
    record_demo(session, before=before)
    return Summary(
        departments=len(ROSTER), employees=len(people), garment_types=len(types),
        garments=len(pieces), users=len(DEMO_USERS),
        events=session.scalar(select(func.count()).select_from(Event)) - events_before,
    )


@click.command("demo")
@with_appcontext
@click.option("--if-empty", is_flag=True,
              help="Load only into an empty database, otherwise do nothing (for `make run`).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Same seed, same hotel.")
@click.option("--remove", is_flag=True,
              help="Take every demo record out of the demo database (to go live in it).")
@click.option("--yes", is_flag=True, help="With --remove: do not ask for confirmation.")
def demo_command(if_empty: bool, seed: int, remove: bool, yes: bool) -> None:
    """Load a demo hotel: staff, garment types, garments with their history, operators."""
    from .hotel import forget
    from .hotel.services import the_hotel

    session = db.session
    if remove:
        _remove(session, yes)
        return
    hotel = the_hotel(session)
    if hotel is not None and not hotel.is_demo:
        if if_empty:
            click.echo(gettext("This database belongs to a real hotel; demo not loaded."))
            return
        raise click.ClickException(gettext("This database belongs to a real hotel; the demo is not loaded into it."))
    if not database_is_empty(session):
        if if_empty:
            click.echo(gettext("Database already has data; demo not loaded."))
            return
        raise click.ClickException(
            gettext("The database already has data; the demo loads only into an empty database."))
    try:
        summary = load_demo(session, seed=seed,
                            hash_method=current_app.config["KIOSK_PIN_HASH_METHOD"])
        session.commit()
    except Exception:
        session.rollback()
        raise
    forget(current_app)
    click.echo(gettext(
        "Demo hotel loaded: %(departments)s departments, %(employees)s employees, %(types)s garment types, "
        "%(garments)s garments, %(events)s events, %(users)s users.", departments=summary.departments,
        employees=summary.employees, types=summary.garment_types, garments=summary.garments,
        events=summary.events, users=summary.users))
    from .domain.roles import LABELS

    for user in DEMO_USERS:
        click.echo("  " + gettext("%(name)s  %(role)s  PIN %(pin)s  badge %(badge)s", name=user.name,
                                  role=gettext(LABELS[user.role]), pin=user.pin, badge=user.badge))


def _remove(session: Session, yes: bool) -> None:
    """``kiosk demo --remove``: confirmed on a terminal, ``--yes`` for a script."""
    from .domain.errors import DomainError
    from .hotel import forget
    from .hotel.cli import interactive
    from .hotel.services import remove_demo, the_hotel

    hotel = the_hotel(session)
    if hotel is None or not hotel.is_demo:
        raise click.ClickException(gettext("This database is not the demo hotel; nothing was removed."))
    if not yes:
        if not interactive():
            raise click.ClickException(gettext("Add --yes to take the demo out (no terminal to ask on)."))
        click.confirm(gettext("Take every demo record (staff, garments, history, the demo operators) out of "
                              "this database?"), abort=True)
    try:
        removal = remove_demo(session)
        session.commit()
    except DomainError as error:
        session.rollback()
        raise click.ClickException(error.translated(gettext)) from None
    except Exception:
        session.rollback()
        raise
    forget(current_app)
    click.echo(gettext("Demo removed: %(total)s records from %(tables)s tables.", total=removal.total,
                       tables=len(removal.removed)))
    for table, count in sorted(removal.detached.items()):
        click.echo("  " + gettext("kept %(count)s later rows of %(table)s, without the demo records they mentioned",
                                  count=count, table=table))
    click.echo(gettext("No demo operator is left. Set up the hotel: flask --app app kiosk init, or restart the "
                       "kiosk (flask --app app kiosk serve) and use the first-run screen with the setup code it "
                       "prints."))
