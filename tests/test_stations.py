"""The scan stations share one page layout (stations/station.html): one answer area,
the station's hint before the first scan, and the answer in its place when a scan is
posted without htmx (a kiosk whose JavaScript failed still shows what happened)."""
import re

import pytest

from kiosk.extensions import db
from kiosk.stocktake import services as stocktake
from tests.scans import scan_result, text_of

STATIONS = [  # (page, where its scan form posts, the station's own hint before the first scan)
    ("/checkin/", "/checkin/scan", "Personal clothes are refused."),
    ("/ironing/", "/ironing/scan", "Scan each garment as it is ironed."),
    ("/inspection/", "/inspection/scan", "check it, then pass it or send it back."),
    ("/inspection/slot", "/inspection/slot/scan", None),
    ("/tailor/", "/tailor/scan", "Send out: scan each garment that goes to the tailor."),
    ("/issue/", "/issue/scan", None),
    ("/issue/kit", "/issue/kit/scan", None),
    ("/loans/", "/loans/return", "Scan a lent garment to take it back."),
    ("/stocktake/{id}", "/stocktake/{id}/scan", "Scan a tag."),
]


@pytest.fixture
def open_count(app, make):
    boss = make.user(role="supervisor")
    count = stocktake.open_stocktake(db.session, "2026-03", user=boss)
    db.session.commit()
    return count.id


@pytest.mark.parametrize(("page", "scan", "hint"), STATIONS, ids=[s[0] for s in STATIONS])
def test_every_station_has_one_answer_area_idle_then_showing_the_answer(client, login_as, open_count,
                                                                        page, scan, hint):
    login_as("supervisor")
    page, scan = page.format(id=open_count), scan.format(id=open_count)
    idle = text_of(client.get(page))
    assert idle.count('id="scan-result"') == 1 and scan_result(idle) == "idle"
    assert f'action="{scan}"' in idle
    if hint:
        assert re.search(r'class="result-hint">[^<]*' + re.escape(hint), idle)

    answered = client.post(scan, data={"code": "NOT-OURS-1"})  # no HX-Request: the whole page
    body = text_of(answered)
    assert answered.status_code == 200
    assert body.count('id="scan-result"') == 1 and scan_result(body) == "error"
    assert 'data-scan-result="idle"' not in body and f'action="{scan}"' in body


def _log_rows(html: str) -> dict[str, str]:
    """The shift list's rows by tag, each its opening <tr> tag."""
    body = html.split('id="scan-log-rows"')[1].split("</tbody>")[0]
    return {tag: row for row, tag in re.findall(r'(<tr [^>]*>)\s*<td>[^<]*</td>\s*<td class="tag-code">([^<]+)<', body,
                                                re.S)}


def test_an_undone_scan_is_struck_through_in_the_shift_list_live_and_after_a_reload(client, login_as, make):
    kept, undone = (make.garment(owner=make.employee(), status="issued") for _ in range(2))
    db.session.commit()
    login_as("clerk")
    client.post("/checkin/scan", data={"code": kept.tag}, headers={"HX-Request": "true"})
    client.post("/checkin/scan", data={"code": undone.tag}, headers={"HX-Request": "true"})
    answer = text_of(client.post("/checkin/undo", headers={"HX-Request": "true"}))
    # Live: the undo's answer replaces the undone scan's row in place (out of band), struck through.
    struck = re.search(r'<template>\s*(<tr [^>]*>)(.*?)</tr>', answer, re.S)
    assert struck and 'hx-swap-oob="true"' in struck.group(1) and 'class="undone"' in struck.group(1)
    assert undone.tag in struck.group(2) and "Undone" in struck.group(2)
    assert answer.count('data-undone="1"') == 1  # its row, once
    assert 'afterbegin:#scan-log-rows' not in answer  # no new row for the undo itself
    # After a reload: the same two rows, the undone one struck, no row for the undo.
    rows = _log_rows(text_of(client.get("/checkin/")))
    assert set(rows) == {kept.tag, undone.tag}
    assert 'class="undone"' in rows[undone.tag] and 'class="undone"' not in rows[kept.tag]


def test_an_undo_without_javascript_answers_the_page_with_the_scan_struck_through(client, login_as, make):
    garment = make.garment(owner=make.employee(), status="issued")
    db.session.commit()
    login_as("clerk")
    client.post("/checkin/scan", data={"code": garment.tag})
    page = text_of(client.post("/checkin/undo"))  # no HX-Request: the whole page
    assert scan_result(page) == "ok"
    rows = _log_rows(page)
    assert list(rows) == [garment.tag] and 'class="undone"' in rows[garment.tag]
