"""Codes people type or scan: tags, phones."""
import pytest

from kiosk.domain.codes import is_valid_phone, is_valid_tag, normalise_code, normalise_phone


@pytest.mark.parametrize("raw", ["13800138000", "138-0013-8000", "138 0013 8000", "+86 13800138000",
                                 "010-12345678", "0755-1234567", "02112345678", "010-12345678-123"])
def test_mainland_mobile_and_landline_forms_are_accepted(raw):
    assert is_valid_phone(raw)


@pytest.mark.parametrize("raw", ["", "12345", "12800138000", "1380013800", "138001380001",
                                 "12345678", "abc", "010-123"])
def test_phone_numbers_that_cannot_be_dialled_are_refused(raw):
    assert not is_valid_phone(raw)


def test_mobile_is_stored_as_plain_digits():
    assert normalise_phone("+86 138-0013-8000") == "13800138000"
    assert normalise_phone("（010）12345678".replace("（010）", "010-")) == "010-12345678"


def test_full_width_code_from_a_chinese_input_method_matches():
    assert normalise_code(" ｈｋ－ｓｕｉｔ－１００１０１ ") == "HK-SUIT-100101"


@pytest.mark.parametrize("code,ok", [("HK-SUIT-100101", True), ("A1", True), ("-A", False),
                                     ("a1", False), ("A 1", False), ("A" * 25, False), ("", False)])
def test_tags_are_what_every_scanner_reads(code, ok):
    assert is_valid_tag(code) is ok
