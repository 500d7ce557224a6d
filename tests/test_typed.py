"""Typed values (kiosk.domain.typed, kiosk.forms.TypedField): one reading of text and whole numbers."""
from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, Field, FileField, HiddenField, PasswordField, SelectField, SubmitField

from kiosk.domain import typed
from kiosk.forms import MoneyField, TextField, TypedField, WholeNumberField

# --- text ------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, meant", [
    ("  王芳  ", "王芳"), ("\u3000王芳\u3000", "王芳"),   # spaces, the ideographic space too
    ("ＡＢＣ１２３", "ABC123"),                          # full-width from a Chinese IME
    ("\u200b王芳\ufeff", "王芳"),                         # invisible marks a web page leaves around it
    ("王\u200d芳", "王\u200d芳"),                         # a joiner inside a word is part of it
    ("12\t", "12"), (None, ""), ("", ""),
])
def test_text_is_read_as_meant(raw, meant):
    assert typed.text(raw) == meant


@pytest.mark.parametrize("raw", ["王\x00芳", "a\x07b", "a\x1bb", "a\tb", "a\nb", "a\u200bb", "a\u202eb", "\x00"])
def test_text_with_a_control_or_invisible_character_inside_is_refused(raw):
    with pytest.raises(typed.BadText):
        typed.text(raw)
    assert not typed.is_clean(raw)


def test_multiline_text_keeps_its_line_breaks_and_refuses_the_rest():
    assert typed.text("第一行\r\n第二行\r第三行 ", multiline=True) == "第一行\n第二行\n第三行"
    with pytest.raises(typed.BadText):
        typed.text("第一行\n第\x00二行", multiline=True)


# --- whole numbers -------------------------------------------------------------------------


@pytest.mark.parametrize("raw, number", [
    ("5", 5), (" 12 ", 12), ("+3", 3), ("-2", -2), ("１２", 12), ("－２", -2),
    ("1,200", 1200), ("5.0", 5), ("5.", 5), (7, 7), (7.0, 7),
])
def test_whole_numbers_as_typed_or_as_excel_writes_them(raw, number):
    assert typed.whole_number(raw, minimum=-10_000, maximum=10_000) == number


@pytest.mark.parametrize("raw", [
    "", " ", "abc", "1.5", "1E+30", "1e3", "9" * 30, "NaN", "inf", "1,20", "1 200", "1\x002", "٣", True, 1.5,
    "99999", "-10001",
])
def test_anything_else_is_refused_with_the_bounds(raw):
    with pytest.raises(typed.BadNumber) as refused:
        typed.whole_number(raw, minimum=-10_000, maximum=10_000)
    assert refused.value.params == {"min": "-10,000", "max": "10,000"}


@pytest.mark.parametrize("raw, expected", [("12", 12), (12, 12), (str(typed.MAX_INTEGER), typed.MAX_INTEGER)])
def test_a_record_id_is_a_positive_number_the_database_holds(raw, expected):
    assert typed.record_id(raw) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "", None, "1.5", "abc", str(typed.MAX_INTEGER + 1), "9" * 30, "1\x00"])
def test_anything_else_is_no_record_id(raw):
    with pytest.raises(ValueError):
        typed.record_id(raw)


def test_a_field_refusal_names_the_field():
    refused = typed.FieldRefused("Quantity", typed.BadNumber(1, 500))
    assert refused.translated(lambda msg, **kw: msg % kw if kw else msg) == \
        "Quantity: Enter a whole number from 1 to 500."


# --- the form fields ------------------------------------------------------------------------


class _Form(FlaskForm):
    class Meta:
        csrf = False

    name = TextField("Name")
    count = WholeNumberField("Count", minimum=1, maximum=500)
    price = MoneyField("Price")


@pytest.mark.parametrize("field, value, message", [
    ("name", "王\x00芳", "Name: This holds a control character"),
    ("count", "1E+30", "Count: Enter a whole number from 1 to 500."),
    ("count", "9" * 30, "Count: Enter a whole number from 1 to 500."),
    ("count", "王\x1b", "Count: This holds a control character"),
    ("price", "1E+30", "Price: Enter an amount in yuan"),
])
def test_a_form_field_refuses_with_one_message_naming_it(app, field, value, message):
    with app.test_request_context():
        form = _Form(MultiDict({"name": "王芳", "count": "2", "price": "80", field: value}))
        assert not form.validate()
        assert list(form.errors) == [field] and len(form.errors[field]) == 1
        assert form.errors[field][0].startswith(message)
        assert "\x00" not in form[field]._value() and "\x1b" not in form[field]._value()  # shown back, cleaned


def test_a_form_reads_full_width_typing_as_meant(app):
    with app.test_request_context():
        form = _Form(MultiDict({"name": " ＡＢＣ ", "count": "１２", "price": "１２０．５"}))
        assert form.validate(), form.errors
        assert (form.name.data, form.count.data, str(form.price.data)) == ("ABC", 12, "120.50")


# Fields that are no typed text or number: choices, ticks, dates, files, PINs, the page's own hidden values.
_NOT_TYPED = (SelectField, BooleanField, DateField, FileField, HiddenField, PasswordField, SubmitField)


def _all_forms(cls=FlaskForm):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_forms(sub)


def test_every_text_and_number_field_of_every_form_is_read_by_the_one_reader(app):
    from kiosk.checklists.forms import TickedField  # the ticked boxes: record ids (typed.record_id)

    untyped = []
    for form in _all_forms():
        if form.__module__.startswith("tests."):
            continue
        for name in dir(form):
            unbound = getattr(form, name, None)
            field_class = getattr(unbound, "field_class", None)
            if field_class is None or not issubclass(field_class, Field):
                continue
            if not issubclass(field_class, (TypedField, TickedField, *_NOT_TYPED)):
                untyped.append(f"{form.__module__}.{form.__name__}.{name}: {field_class.__name__}")
    assert not untyped, untyped
