"""kiosk.domain.cells: a text that a spreadsheet would run stays text; a number stays a number."""
import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kiosk.domain import cells

ATTACKS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "\n=1+1",
           "＝HYPERLINK(1)", "＋1", "－1", "＠SUM(A1)", " =1+1", "\u3000=1+1"]
HARMLESS = ["张三", "E777", "00777", "a=b", "1-2", "", "李 四"]


@pytest.mark.parametrize("text", ATTACKS)
def test_a_formula_looking_text_gets_an_apostrophe_in_a_csv(text):
    body = cells.csv_text([[text, "after"]], bom=False)
    assert next(csv.reader(io.StringIO(body, newline=""))) == ["'" + text, "after"]


@pytest.mark.parametrize("text", HARMLESS)
def test_ordinary_text_is_written_as_it_is(text):
    assert cells.csv_value(text) == text and not cells.looks_like_formula(text)


def test_numbers_stay_plain_numbers_in_a_csv_a_negative_amount_too():
    body = cells.csv_text([[Decimal("-12.50"), -3, Decimal("0.0125"), Decimal("96.00"), None]], bom=False)
    assert body == "-12.50,-3,0.0125,96.00,\r\n"  # not quoted, no apostrophe
    assert cells.csv_text([["x"]]).startswith("\ufeff")


def _book(rows):
    return load_workbook(io.BytesIO(cells.xlsx_bytes([cells.Sheet("s", ["h"], rows)])))["s"]


def test_an_xlsx_keeps_a_formula_looking_text_as_a_text_cell_never_a_formula():
    sheet = _book([ATTACKS])
    for cell, text in zip(sheet[2], ATTACKS):
        # the text itself, no apostrophe in the value (XML reads a CR back as LF)
        assert cell.data_type == "s" and cell.value == text.replace("\r", "\n")
        assert cell.quotePrefix  # and editing it in Excel keeps it text
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]


def test_an_xlsx_writes_numbers_as_numbers_and_staff_numbers_as_text():
    sheet = _book([["00777", Decimal("-12.50"), 4, Decimal("0.0125")]])
    staff_no, amount, count, rate = sheet[2]
    assert staff_no.value == "00777" and staff_no.data_type == "s" and staff_no.number_format == "@"
    assert amount.value == -12.5 and amount.data_type == "n" and amount.number_format == "0.00"
    assert count.value == 4 and count.data_type == "n"
    assert rate.value == 0.0125 and rate.data_type == "n"
    assert sheet["A1"].font.bold


def test_characters_xml_cannot_hold_are_dropped_rather_than_failing_the_export():
    assert _book([["a\x01b"]])["A2"].value == "ab"


def test_something_that_is_not_a_cell_is_refused():
    with pytest.raises(TypeError):
        cells.csv_value(object())
    with pytest.raises(TypeError):
        cells.csv_value(True)


def test_a_rate_reads_as_on_screen_in_both_files():
    from kiosk.domain.cells import Percent, csv_text, percent_text, xlsx_bytes, Sheet
    from openpyxl import load_workbook

    assert percent_text(Decimal("0.0123")) == "1.23%" and percent_text(None) == "—"
    assert csv_text([["损耗率", Percent(Decimal("0.0123"))]], bom=False) == "损耗率,1.23%\r\n"
    cell = load_workbook(io.BytesIO(xlsx_bytes([Sheet("s", ["rate"], [[Percent(Decimal("0.0123"))]])]))).active["A2"]
    assert cell.value == 0.0123 and cell.number_format == "0.00%"


def test_dates_and_times_are_real_dates_in_an_xlsx_and_plain_in_a_csv():
    from kiosk.domain.cells import csv_text, xlsx_bytes, Sheet
    from openpyxl import load_workbook

    day, moment = dt.date(2026, 3, 20), dt.datetime(2026, 3, 20, 10, 0)
    assert csv_text([[day, moment]], bom=False) == "2026-03-20,2026-03-20 10:00\r\n"
    sheet = load_workbook(io.BytesIO(xlsx_bytes([Sheet("s", ["day", "time"], [[day, moment]])]))).active
    assert sheet["A2"].is_date and sheet["A2"].number_format == "yyyy-mm-dd"
    assert sheet["B2"].is_date and sheet["B2"].value == moment and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"


def test_a_utc_time_never_reaches_a_file():
    from kiosk.domain.cells import csv_text, xlsx_bytes, Sheet

    utc = dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.timezone.utc)
    with pytest.raises(ValueError, match="hotel"):
        csv_text([[utc]])
    with pytest.raises(ValueError, match="hotel"):
        xlsx_bytes([Sheet("s", ["time"], [[utc]])])
