"""No English on a Chinese screen: every page each role can open, and every slip the kiosk prints.

The demo hotel (loaded once per run) in zh_CN, after a day's work through the
screens that the demo itself does not do (a loan lent, printed and returned, a
write-off approved with its compensation slip, a check-in and an issue with
their receipts, a tag printed, the month's summary printed): each role signs in
once and crawls every GET page it may open, following the links it is shown
(a few of each kind), and the garment page of a garment of every kind of
event. Only visible text counts (tags, attributes, scripts and styles
stripped). A word in Latin letters fails unless it is a code (capitals,
digits: ``SH-0001``, ``PIN``, ``CSV``), a unit or a name on the allowlist.
"""
from __future__ import annotations

import html
import re
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import func, select

from kiosk.extensions import db
from kiosk.models import Employee, Event, Garment, PrintJob, User
from kiosk.request_keys import new_key

#: Words in Latin letters a Chinese screen may show: product and file names, units,
#: the language toggle's own name for English, a month's and a time zone's names.
ALLOWED = {
    "Excel", "English", "WeCom", "DingTalk", "Feishu", "kiosk", "flask", "app",  # names (a command line)
    "Webhook",  # the group robots' own word for their URL (Webhook 地址 on their settings pages)
    "mm", "px", "kg", "cm", "ms", "MB", "KB", "GB",  # units
    "Asia", "Shanghai",  # the hotel's time zone, by its name
    "xlsx", "csv", "json", "png",  # file kinds, as in a file name
}

#: A run of Latin letters, digits and the marks a code is written with.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-./:@#]*")
_LETTERS = re.compile(r"[A-Za-z]+")

#: Roles and their demo operators' PINs (kiosk/demo.py DEMO_USERS).
ROLES = {"clerk": ("王收发", "1111"), "ironer": ("李熨烫", "2222"),
         "supervisor": ("赵领班", "3333"), "admin": ("管理员", "9999")}

#: Pages of one endpoint crawled at most (a link to each garment would be thousands).
PER_ENDPOINT = 4
#: Never followed: signing out, downloads (files, not screens), the print preview image.
_SKIPPED = ("/logout", "/static/", ".csv", ".xlsx", ".png", ".json", "/healthz")


class _Visible(HTMLParser):
    """The text a person sees as the kiosk's own words, and the links they may follow.

    Left out: scripts and styles, and what the page marks as not its words: a code
    (``<code>``, ``class="code"``: tag codes, column keys, a printer's address) and
    text in English on purpose (``lang="en"``: a type's English name).
    """

    _INVISIBLE = {"script", "style", "template", "noscript", "code", "kbd", "samp"}
    _VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, left out)

    def _left_out(self) -> bool:
        return bool(self._open) and self._open[-1][1]

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("href", "hx-get"):
            if values.get(name):
                self.links.append(values[name])
        if tag in self._VOID:
            return
        skip = (self._left_out() or tag in self._INVISIBLE or (values.get("lang") or "").startswith("en")
                or "code" in (values.get("class") or "").split())
        self._open.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self._VOID and self._open:
            self._open.pop()

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data):
        if not self._left_out():
            self.text.append(data)


def english_words(text: str) -> list[str]:
    """The words of ``text`` in Latin letters that are neither codes nor on the allowlist."""
    found = []
    for token in _TOKEN.findall(text):
        if any(ch.isdigit() for ch in token) or token.isupper():
            continue  # a code: SH-0001, BADGE-0003, PIN, HK-SUIT, loan no. 12
        for word in _LETTERS.findall(token):
            if len(word) > 1 and not word.isupper() and word not in ALLOWED:
                found.append(word)
    return found


def test_the_checker_catches_english_and_lets_codes_pass():
    assert english_words("借衣 loan #1 · 在库 damaged · stocktake #1") == ["loan", "damaged", "stocktake"]
    assert english_words("SH-0001 HK-SUIT BADGE-0003 PIN 10 mm Asia/Shanghai 2026-12-03 08:00") == []
    assert english_words("Open 已结清") == ["Open"]


def _visible(body: str) -> tuple[str, list[str]]:
    parser = _Visible()
    parser.feed(body)
    return html.unescape(" ".join(parser.text)), parser.links


def _login(app, role: str):
    name, pin = ROLES[role]
    client = app.test_client()
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.name == name))
    response = client.post("/login", data={"user_id": user_id, "pin": pin})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _post(client, url: str, answers: list | None = None, **data):
    """A form sent as the tablet sends it (htmx), its answer followed to the page it leads to
    (a flashed notice included); the answer's English words go to ``answers``."""
    response = client.post(url, data={"request_key": new_key(), **data}, headers={"HX-Request": "true"})
    assert response.status_code < 500, (url, response.status_code)
    bodies = [response.get_data(as_text=True)]
    location = response.headers.get("HX-Redirect") or response.headers.get("Location")
    if location:
        followed = client.get(location)
        assert followed.status_code < 500, (location, followed.status_code)
        bodies.append(followed.get_data(as_text=True))
    if answers is not None:
        for body in bodies:
            words = english_words(_visible(body)[0])
            if words:
                answers.append(f"POST {url}: {' '.join(sorted(set(words)))}")
    return response


def _a_days_work(app) -> list[str]:
    """What the demo does not do itself, done as the clerks and the supervisor do it, in Chinese."""
    from kiosk.checklists import services as checklists
    from kiosk.checklists.models import ChecklistItem
    from kiosk.i18n import hotel_month
    from kiosk.stocktake.services import open_stocktake

    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.role == "admin"))
        open_stocktake(db.session, hotel_month(), user=admin)
        checklists.seed_defaults(db.session)
        for item in db.session.scalars(select(ChecklistItem).where(
                ChecklistItem.checklist.in_((checklists.IRONING_OPEN, checklists.COUNTER_OPEN)))):
            item.active = False
        db.session.commit()
        in_stock = list(db.session.scalars(select(Garment.tag).where(
            Garment.status == "in_stock", Garment.owner_id.is_(None)).order_by(Garment.id).limit(3)))
        lost = db.session.scalar(select(Garment).where(Garment.status == "issued", Garment.owner_id.is_not(None))
                                 .order_by(Garment.id).limit(1))
        lost_tag, lost_owner = lost.tag, lost.owner.staff_no
        # Someone with a garment on them and a clean one of their own in its slot: an exchange.
        clean = select(Garment.owner_id).where(Garment.status == "in_stock")
        issued = db.session.scalars(select(Garment).where(Garment.status == "issued", Garment.owner_id.in_(clean))
                                    .order_by(Garment.id.desc()).limit(1)).one()
        issued_tag, issued_owner_id, issued_staff_no = issued.tag, issued.owner_id, issued.owner.staff_no
        own_clean = db.session.scalar(select(Garment.tag).where(Garment.status == "in_stock",
                                                                Garment.owner_id == issued_owner_id).limit(1))
        supervisor_id = db.session.scalar(select(User.id).where(User.role == "supervisor"))
        # A leaver who still holds garments: their clearance and its slip.
        leaver_id = db.session.scalar(select(Garment.owner_id).where(
            Garment.status == "issued", Garment.owner_id.not_in([lost.owner_id, issued_owner_id]))
            .order_by(Garment.owner_id).limit(1))

    answers: list[str] = []
    clerk = _login(app, "clerk")
    # A visitor's loan: lent, its slip printed, handed back.
    _post(clerk, answers=answers, url="/loans/open", name="外包服务员", phone="13800001234", organisation="宴会外包",
          reason="event", due="", signed_on_paper="y")
    with app.app_context():
        from kiosk.loans.models import Loan

        loan_id = db.session.scalar(select(func.max(Loan.id)))
    _post(clerk, answers=answers, url=f"/loans/{loan_id}/scan", code=in_stock[0])
    _post(clerk, answers=answers, url=f"/loans/{loan_id}/slip")
    _post(clerk, answers=answers, url="/loans/return", code=in_stock[0])
    # A lost shirt charged to its owner, approved by the supervisor: the compensation slip.
    _post(clerk, answers=answers, url="/writeoffs/new", code=lost_tag, reason="lost", responsible="employee", staff_no=lost_owner)
    with app.app_context():
        from kiosk.writeoffs.models import WriteOff

        write_off_id = db.session.scalar(select(func.max(WriteOff.id)))
    _post(clerk, answers=answers, url=f"/writeoffs/{write_off_id}/approve", approver_id=supervisor_id, pin="3333")
    # A check-in and an exchange, each with its receipt; a tag printed from the garment page.
    for station in ("checkin", "issue"):
        _post(clerk, answers=answers, url=f"/print/receipts/{station}", on="1")
    _post(clerk, answers=answers, url="/checkin/who", who=issued_staff_no)
    _post(clerk, answers=answers, url="/checkin/scan", code=issued_tag)
    _post(clerk, answers=answers, url="/print/receipt/checkin", employee_id=issued_owner_id)
    _post(clerk, answers=answers, url="/issue/employee", who=issued_staff_no)
    _post(clerk, answers=answers, url="/issue/scan", code=own_clean, employee_id=issued_owner_id)
    _post(clerk, answers=answers, url="/print/receipt/issue", employee_id=issued_owner_id)
    _post(clerk, answers=answers, url=f"/print/garment/{in_stock[2]}/tag")
    supervisor = _login(app, "supervisor")
    _post(supervisor, answers=answers, url="/reports/print")
    _post(supervisor, answers=answers, url=f"/registry/employees/{leaver_id}/deactivate")
    with app.app_context():
        from kiosk.clearance.models import Clearance

        clearance_id = db.session.scalar(select(Clearance.id).where(Clearance.employee_id == leaver_id))
    _post(supervisor, answers=answers, url=f"/clearance/{clearance_id}/print")
    return answers


@pytest.fixture
def worked_day(app, demo_data):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    app.config["TEST_ANSWERS"] = _a_days_work(app)
    return app


def _garment_pages(app) -> list[str]:
    """One garment of every kind of event and every station in the history."""
    with app.app_context():
        tags = set()
        for column in (Event.action, Event.station):
            for value in db.session.scalars(select(column).distinct()):
                garment_id = db.session.scalar(select(func.max(Event.garment_id)).where(column == value))
                tags.add(db.session.get(Garment, garment_id).tag)
    return [f"/garment/{tag}" for tag in sorted(tags)]


def _endpoint(app, url: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(urlsplit(url).path, method="GET")
    except Exception:
        return None
    return endpoint


def _crawl(app, client, start: list[str]) -> dict[str, list[str]]:
    """url -> its English words, for every page reached from ``start`` (PER_ENDPOINT of each)."""
    seen, per_endpoint, found = set(), defaultdict(int), {}
    todo = list(start)
    while todo:
        url = todo.pop(0)
        if url in seen or any(skip in url for skip in _SKIPPED):
            continue
        seen.add(url)
        endpoint = _endpoint(app, url)
        if endpoint is None or (per_endpoint[endpoint] >= PER_ENDPOINT and url not in start):
            continue
        per_endpoint[endpoint] += 1
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        text, links = _visible(response.get_data(as_text=True))
        words = english_words(text)
        if words:
            found[url] = sorted(set(words))
        for link in links:
            absolute = urljoin(url, link)
            parts = urlsplit(absolute)
            if parts.netloc in ("", "localhost") and parts.scheme in ("", "http"):
                todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _get_pages(app) -> list[str]:
    """Every GET rule without arguments."""
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and not rule.arguments)


@pytest.mark.parametrize("role", list(ROLES))
def test_no_english_on_any_page_a_role_opens_in_chinese(worked_day, role):
    app = worked_day
    client = _login(app, role)
    found = _crawl(app, client, _get_pages(app) + _garment_pages(app))
    assert not found, "\n".join(f"{url}: {' '.join(words)}" for url, words in sorted(found.items()))


def test_no_english_in_any_answer_to_the_days_work(worked_day):
    """Each form's answer and the page it leads to (a printed slip's notice: no raw %(num)d)."""
    assert worked_day.config["TEST_ANSWERS"] == []


def test_no_english_on_any_slip_printed_in_chinese(worked_day):
    from kiosk.printing.services import document_of

    app = worked_day
    problems, kinds = [], set()
    with app.app_context():
        for job in db.session.scalars(select(PrintJob).order_by(PrintJob.id)):
            kinds.add(job.kind)
            document = document_of(job)
            text = " ".join([document.title] + [getattr(el, "text", "") for el in document.elements])
            words = english_words(text)
            if words:
                problems.append(f"{job.kind} #{job.id}: {' '.join(sorted(set(words)))}\n    {text[:300]}")
    assert {"tag", "loan", "compensation", "checkin", "issue", "loss_report", "clearance"} <= kinds, kinds
    assert not problems, "\n".join(problems)


def test_the_garment_history_names_loans_and_write_offs_in_chinese(worked_day):
    """The history of a garment lent and returned, and of one written off, in the room's words."""
    app = worked_day
    client = _login(app, "clerk")
    with app.app_context():
        from kiosk.loans.models import Loan, LoanItem

        loan_id = db.session.scalar(select(func.max(Loan.id)))
        lent = db.session.scalar(select(Garment.tag).join(LoanItem, LoanItem.garment_id == Garment.id)
                                 .where(LoanItem.loan_id == loan_id))
        written_off = db.session.scalar(select(Garment.tag).join(Event, Event.garment_id == Garment.id)
                                        .where(Event.station == "writeoffs"))
    lent_text, _links = _visible(client.get(f"/garment/{lent}").get_data(as_text=True))
    assert "借衣登记" in lent_text and "借衣归还" in lent_text
    assert f"借衣单 L{loan_id:06d}" in lent_text
    assert "loan" not in lent_text
    off_text, _links = _visible(client.get(f"/garment/{written_off}").get_data(as_text=True))
    assert "报损和赔偿" in off_text and "丢失" in off_text
    assert "writeoffs" not in off_text and "lost" not in off_text


def _row(body: str, marker: str) -> str:
    start = body.rindex("<", 0, body.index(marker))
    return _visible(body[start:body.index("</tr>", start)])[0]


def test_a_word_with_two_meanings_reads_as_each_place_means_it(worked_day):
    """Purchased: the report's count (购入), a garment's date (购入日期); Open and Closed: a
    stocktake's state (进行中); Collected: money (已收), not shoes (已领取); Yes: 是 or 有."""
    app = worked_day
    supervisor = _login(app, "supervisor")
    report = supervisor.get("/reports/").get_data(as_text=True)
    assert _row(report, 'data-figure="purchased"').split()[0] == "购入"
    assert "购入日期" not in _visible(report)[0]
    garment = _garment_pages(app)[0]
    assert "购入日期" in _visible(supervisor.get(garment).get_data(as_text=True))[0]
    stocktakes = _visible(supervisor.get("/stocktake/").get_data(as_text=True))[0]
    assert "进行中" in stocktakes and "继续盘点" in stocktakes and "打开" not in stocktakes
    statement = _visible(supervisor.get("/writeoffs/statement").get_data(as_text=True))[0]
    assert "已收" in statement and "已领取" not in statement
    # Yes: an operator has a badge (有), a stock item goes back on leaving (是)
    returned = re.findall(r'data-testid="stock-return">([^<]*)<', supervisor.get("/stock/").get_data(as_text=True))
    assert "是" in returned and "有" not in returned


def test_one_word_for_one_thing_in_the_catalogue():
    """Money collected is 已收 (never 已付 or 已领取), mending is 修补 (never 修复 or 缝补), the
    borrower 借衣人 (never 借用人), the counter 收发台 (never 柜台), inspection 质检 (never 检验)."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    path = Path(__file__).parent.parent / "kiosk/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
    with path.open("rb") as po:
        catalogue = read_po(po)
    said = [str(m.string) for m in catalogue if m.id]
    for word in ("已付", "待付", "修复", "缝补", "已免", "借用人", "柜台", "检验"):
        assert not [s for s in said if word in s], word
