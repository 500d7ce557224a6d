"""The kiosk's own notes (kiosk.domain.notes) read in words, in Chinese, never as codes."""
from __future__ import annotations

import pytest
from flask_babel import force_locale, gettext

from kiosk.domain.notes import describe


@pytest.mark.parametrize("note, said", [
    ("loan #49", "借衣单 L000049"),
    ("clearance #3", "离职退还单 C000003"),
    ("stocktake #1 2026-11", "2026-11 月盘点"),
    ("stocktake #2", "第 2 次盘点"),
    ("lost", "丢失"),
    ("damaged", "损坏无法修补"),
    ("demo", "演示数据"),
    ("distribution undone 2026-05", "2026-05 月鞋袜分发：已撤销领取"),
    ("not returned by borrower (loan #7)", "借衣人未归还（借衣单 L000007）"),
    ("size: M -> L; cost: 10.00 -> 12.00", "尺码：M → L · 单价：10.00 → 12.00"),
    ("标签写错 (size: M -> L)", "标签写错（尺码：M → L）"),
])
def test_the_kiosks_own_notes_read_in_chinese(app, note, said):
    with app.test_request_context(), force_locale("zh_CN"):
        assert describe(note, gettext) == said


@pytest.mark.parametrize("typed", ["借衣：会展活动礼仪", "loan me a shirt", "新员工配发", ""])
def test_a_note_a_person_typed_is_shown_as_typed(app, typed):
    with app.test_request_context(), force_locale("zh_CN"):
        assert describe(typed, gettext) == typed
