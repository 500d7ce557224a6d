"""The PIN policy (kiosk.domain.pins): which PINs may be set, each refusal with its reason."""
import pytest
from sqlalchemy import select

from kiosk.auth.services import create_user
from kiosk.domain import pins
from kiosk.domain.errors import DomainError
from kiosk.extensions import db
from kiosk.models import User
from tests.conftest import FAST_HASH


@pytest.mark.parametrize("pin", ["2580", "1357", "2468", "7412", "1235", "48213", "90817263", "0192", "1221"])
def test_the_policy_accepts_pins_that_are_no_easy_guess(pin):
    assert pins.refusal(pin) is None
    assert pins.check(pin) == pin


@pytest.mark.parametrize("pin, reason", [
    ("", pins.NOT_DIGITS), ("123", pins.NOT_DIGITS), ("123456789", pins.NOT_DIGITS), ("12a4", pins.NOT_DIGITS),
    (" 2580", pins.NOT_DIGITS), ("２５８０", pins.NOT_DIGITS), ("٢٥٨٠", pins.NOT_DIGITS),
    ("1111", pins.REPEATED), ("00000000", pins.REPEATED),
    ("1234", pins.SEQUENCE), ("2345", pins.SEQUENCE), ("9876", pins.SEQUENCE), ("01234", pins.SEQUENCE),
    ("5123456", pins.SEQUENCE), ("80654321", pins.SEQUENCE), ("93210", pins.SEQUENCE),
    ("1212", pins.ALTERNATING), ("3434", pins.ALTERNATING), ("90909", pins.ALTERNATING),
])
def test_the_policy_refuses_easy_guesses_with_their_reason(pin, reason):
    assert pins.refusal(pin) == reason
    with pytest.raises(DomainError) as refused:
        pins.check(pin)
    assert refused.value.message == reason


def test_three_in_a_row_is_not_yet_a_run():
    # 9 and 0 are not neighbours: 8901 has no run of four, 1239 a run of three only.
    assert pins.refusal("1239") is None and pins.refusal("8901") is None and pins.refusal("3217") is None


def test_a_one_time_pin_passes_the_policy_and_differs_each_time():
    made = {pins.one_time() for _ in range(50)}
    assert all(len(pin) == 6 and pins.refusal(pin) is None for pin in made)
    assert len(made) > 40


def test_every_operator_added_goes_through_the_policy_but_the_demo_loader(ctx):
    with pytest.raises(DomainError, match="one digit repeated"):
        create_user(db.session, "甲", "clerk", "1111", hash_method=FAST_HASH)
    assert db.session.scalar(select(User)) is None
    demo = create_user(db.session, "乙", "clerk", "1111", hash_method=FAST_HASH, check_policy=False)
    assert demo.id is not None
    with pytest.raises(DomainError, match="4 to 8 digits"):
        create_user(db.session, "丙", "clerk", "12", hash_method=FAST_HASH, check_policy=False)


def test_the_reasons_are_translated(app):
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("zh_CN"):
        for reason in (pins.NOT_DIGITS, pins.REPEATED, pins.SEQUENCE, pins.ALTERNATING):
            assert gettext(reason) != reason
