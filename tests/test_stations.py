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
