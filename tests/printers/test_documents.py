"""printers.documents: what each tag and slip says, and its JSON form."""
from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from PIL import Image as PILImage

from printers import documents as d

WHEN = datetime(2024, 5, 1, 9, 30)
SHIRTS = [d.GarmentLine(f"T-{i:06d}", "衬衫", "L", str(1000 + i)) for i in range(3)]


def texts(doc: d.Document) -> list[str]:
    return [el.text for el in doc.elements if isinstance(el, d.Text)]


def all_text(doc: d.Document) -> str:
    return "\n".join(texts(doc))


def receipts() -> list[d.Document]:
    return [
        d.checkin_slip("制服室 收衣单", employee="张堃 (S1001)", garments=SHIRTS, clerk="李玥",
                       when=WHEN, slip_no="CI-0001"),
        d.issue_slip("制服室 发衣单", employee="王喆", garments=SHIRTS, clerk="李玥", when=WHEN,
                     returned=SHIRTS[:1]),
        d.loan_slip("制服室 借用单", borrower="陈赟", garments=SHIRTS, clerk="李玥", when=WHEN,
                    due=datetime(2024, 5, 3).date()),
        d.compensation_slip("制服室 赔偿单", employee="张堃", garment=SHIRTS[0], reason="遗失",
                            amount="¥120.00", approver="赵主管", when=WHEN),
        d.daily_summary("制服室 日报", day=WHEN.date(), rows=[("收衣", "35"), ("发衣", "33")]),
    ]


def test_garment_tag_has_qr_of_the_code_the_number_large_and_type_size_owner():
    doc = d.garment_tag("T-000123", "1024", "西装外套", "M", "张堃")
    assert doc.kind == "tag"
    qrs = [el for el in doc.elements if isinstance(el, d.QR)]
    assert [q.data for q in qrs] == ["T-000123"]
    number = next(el for el in doc.elements if isinstance(el, d.Text) and el.text == "1024")
    assert number.size == 4 and number.bold
    assert "西装外套 M" in texts(doc)
    assert "张堃" in texts(doc)
    assert isinstance(doc.elements[-1], d.Cut)


def test_spare_pool_tag_leaves_the_owner_out():
    doc = d.garment_tag("T-000124", "", "衬衫", "L", "")
    assert texts(doc) == ["衬衫 L", "T-000124"]


@pytest.mark.parametrize("doc", receipts(), ids=lambda doc: doc.kind)
def test_every_receipt_starts_with_its_title_and_ends_with_a_cut(doc):
    first = doc.elements[0]
    assert isinstance(first, d.Text) and first.text == doc.title and first.text.startswith("制服室")
    assert first.size == 2 and first.bold
    assert isinstance(doc.elements[-1], d.Cut)
    assert sum(isinstance(el, d.Cut) for el in doc.elements) == 1


def test_issue_slip_lists_garments_employee_clerk_time_and_a_signature_line():
    doc = d.issue_slip("制服室 换衣单", employee="王喆 (S1002)", garments=SHIRTS, clerk="李玥",
                       when=WHEN, returned=SHIRTS[:2], labels=d.labels(lambda s: {"Signature": "签名"}.get(s, s)))
    text = all_text(doc)
    for g in SHIRTS:
        assert f"{g.number} 衬衫 L  {g.tag}" in text
    assert "Employee：王喆 (S1002)" in text
    assert "Clerk：李玥" in text and "Time：2024-05-01 09:30" in text
    assert "Issued（Count 3）" in text and "Taken back（Count 2）" in text
    assert "签名：________________" in text


def test_loan_slip_shows_the_due_date_and_a_signature_line():
    doc = d.loan_slip("制服室 借用单", borrower="陈赟", garments=SHIRTS[:1], clerk="李玥", when=WHEN,
                      due=datetime(2024, 5, 3).date(), labels={"due": "归还日期", "signature": "签名"})
    text = all_text(doc)
    assert "归还日期：2024-05-03" in text and "签名：" in text and "陈赟" in text


def test_compensation_slip_shows_the_amount_large():
    doc = receipts()[3]
    amount = next(el for el in doc.elements if isinstance(el, d.Text) and "¥120.00" in el.text)
    assert amount.size == 2 and "遗失" in all_text(doc)


def test_checkin_slip_carries_its_number_as_a_barcode():
    doc = receipts()[0]
    assert [el.data for el in doc.elements if isinstance(el, d.Barcode)] == ["CI-0001"]


def test_labels_translates_every_label_with_the_given_gettext():
    translated = d.labels(lambda msgid: "<" + msgid + ">")
    assert set(translated) == set(d.LABELS)
    assert translated["clerk"] == "<Clerk>"


@pytest.mark.parametrize("doc", receipts() + [d.garment_tag("T-1", "7", "衬衫", "M", "张堃")],
                         ids=lambda doc: doc.kind)
def test_document_round_trips_through_json(doc):
    assert d.Document.from_dict(json.loads(json.dumps(doc.to_dict()))) == doc


def test_image_element_is_stored_as_base64_and_comes_back_byte_for_byte():
    buf = io.BytesIO()
    PILImage.new("1", (40, 10), 0).save(buf, "PNG")
    doc = d.Document("signature", [d.Image(buf.getvalue()), d.Cut()], title="签名")
    raw = doc.to_dict()
    assert isinstance(raw["elements"][0]["png_bytes"], str)
    assert d.Document.from_dict(json.loads(json.dumps(raw))).elements[0].png_bytes == buf.getvalue()


def test_from_dict_refuses_an_unknown_element():
    with pytest.raises(ValueError, match="unknown document element"):
        d.Document.from_dict({"kind": "x", "elements": [{"type": "hologram"}]})


def test_text_refuses_a_size_or_alignment_it_cannot_print():
    with pytest.raises(ValueError):
        d.Text("x", size=5)
    with pytest.raises(ValueError):
        d.Text("x", align="justify")


def test_a_tag_stored_before_qr_levels_comes_back_at_level_h_and_a_bad_level_is_refused():
    stored = d.garment_tag("T-000123", "1024", "西装外套", "M").to_dict()
    for element in stored["elements"]:
        element.pop("level", None)  # a job queued by an older kiosk
    qr = next(el for el in d.Document.from_dict(stored).elements if isinstance(el, d.QR))
    assert qr.level == "H"
    assert d.QR("T-1", level="L").level == "L"
    with pytest.raises(ValueError):
        d.QR("T-1", level="X")
