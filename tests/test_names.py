"""A garment type's name in the reader's language: one rule (kiosk.domain.names) on every
screen, slip and export. Each kind of copy it replaced is shown once: a template macro
(the garment list), an inline choice (a station's scan answer) and Python (a printed tag,
the loss report's CSV, a form's choices)."""
import datetime as dt
from types import SimpleNamespace

import pytest

from kiosk.domain.names import local_name
from kiosk.extensions import db
from kiosk.printing import services as printing
from kiosk.reports import exports, services as reports


@pytest.mark.parametrize(("language", "name_en", "shown"), [
    ("en", "Shirt", "Shirt"),
    ("zh_CN", "Shirt", "衬衫"),
    ("en", "", "衬衫"),  # no English name on record: the room's own word, never a blank
])
def test_the_name_is_the_readers_language_or_else_the_chinese_one(language, name_en, shown):
    assert local_name(SimpleNamespace(name_zh="衬衫", name_en=name_en), language) == shown


@pytest.fixture
def shirt(app, make):
    """One shirt (衬衫 / Shirt) in the spare pool, in stock."""
    garment_type = make.garment_type("SH", name_zh="衬衫", name_en="Shirt")
    garment = make.garment("SH-000001", garment_type=garment_type, size="M",
                           purchased_on=dt.date.today() - dt.timedelta(days=30))
    db.session.commit()
    return garment


def _in(client, language: str) -> None:
    client.post("/language", data={"lang": language})


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("role", "url", "named"), [
    ("clerk", "/writeoffs/new?code=SH-000001", "SH-000001 · {} M"),  # the write-off form
    ("supervisor", "/purchases/new", "SH · {}</option>"),  # the purchase form
], ids=["write-off", "purchase"])
@pytest.mark.parametrize(("language", "shown", "not_shown"), [("en", "Shirt", "衬衫"), ("zh_CN", "衬衫", "Shirt")])
def test_the_write_off_and_purchase_forms_name_the_type_in_the_readers_language(
        client, login_as, shirt, role, url, named, language, shown, not_shown):
    login_as(role)
    _in(client, language)
    page = _page(client, url)
    assert named.format(shown) in page
    assert not_shown not in page


@pytest.mark.parametrize(("language", "shown"), [("en", "Shirt"), ("zh_CN", "衬衫")])
def test_the_garment_list_and_the_scan_answer_name_the_type_alike(client, login_as, shirt, language, shown):
    login_as("clerk")
    _in(client, language)
    garments = _page(client, "/registry/garments")  # was a template macro
    assert f"<td>{shown}</td>" in garments
    answer = client.post("/checkin/scan", data={"code": "SH-000001"}, headers={"HX-Request": "true"})
    assert f"<span>{shown}</span>" in answer.get_data(as_text=True)  # was an inline choice


@pytest.mark.parametrize(("language", "shown"), [("en", "Shirt"), ("zh_CN", "衬衫")])
def test_a_printed_tag_and_the_report_export_name_the_type_in_the_readers_language(app, shirt, language, shown):
    tag = printing.tag_document(shirt, language)
    assert f"{shown} M" in [getattr(element, "text", "") for element in tag.elements]
    report = reports.loss_report(db.session, dt.date.today().strftime("%Y-%m"), zone="Asia/Shanghai")
    by_type = exports.tables(report, lambda text, **params: text % params if params else text, language)[1]
    assert [row[0] for row in by_type.rows] == [shown]


@pytest.mark.parametrize(("language", "shown"), [("en", "Shirt"), ("zh_CN", "衬衫")])
def test_the_garment_forms_offer_the_types_in_the_readers_language(client, login_as, shirt, language, shown):
    login_as("supervisor")
    _in(client, language)
    assert f"SH · {shown}</option>" in _page(client, "/registry/garments/new")
