"""The PIN policy: the one place that says which PINs may be set. No Flask in here.

Every PIN set from now on goes through :func:`check` (adding an operator, a
reset, the change-PIN screen, the command line, ``kiosk init``); the marked
demo hotel keeps its published PINs (1111, 4444, ...) because its loader
skips the check. A PIN is 4 to 8 digits, and the guesses an onlooker or an
attacker tries first are refused, each with its reason: one digit repeated
(1111), four or more consecutive digits up or down anywhere in it (1234,
2345, 9876, 01234, 5123456), two digits alternating (1212, 3434).

:func:`one_time` makes the random PIN of a reset: it passes the policy too.
"""
from __future__ import annotations

import re
import secrets

from .errors import DomainError, N_

MIN_LENGTH, MAX_LENGTH = 4, 8
#: ASCII digits only (``\\d`` would let other scripts' digits through)
_DIGITS = re.compile(r"^[0-9]{%d,%d}$" % (MIN_LENGTH, MAX_LENGTH))
#: a run this long of digits going up or down by one is refused
RUN = 4

NOT_DIGITS = N_("A PIN is 4 to 8 digits.")
REPEATED = N_("A PIN of one digit repeated (like 1111) is guessed first. Choose another.")
SEQUENCE = N_("A PIN with four digits in a row, up or down (like 1234 or 9876), is guessed first. Choose another.")
ALTERNATING = N_("A PIN of two digits taking turns (like 1212) is guessed first. Choose another.")


def _has_run(pin: str) -> bool:
    """Four or more consecutive digits ascending or descending, anywhere in ``pin``."""
    for step in (1, -1):
        length = 1
        for before, after in zip(pin, pin[1:]):
            length = length + 1 if int(after) - int(before) == step else 1
            if length >= RUN:
                return True
    return False


def _alternates(pin: str) -> bool:
    """Two different digits taking turns over the whole PIN (1212, 34343)."""
    return len(set(pin)) == 2 and all(digit == pin[i % 2] for i, digit in enumerate(pin))


def could_be(text: str | None) -> bool:
    """Does ``text`` have a PIN's shape (4 to 8 ASCII digits)? Anything else can never be
    a right PIN: the sign-in takes it as a badge scanned into the wrong field."""
    return bool(_DIGITS.match(text or ""))


def refusal(pin: str | None) -> str | None:
    """Why ``pin`` may not be set (a msgid), or None when the policy accepts it."""
    pin = pin or ""
    if not _DIGITS.match(pin):
        return NOT_DIGITS
    if len(set(pin)) == 1:
        return REPEATED
    if _has_run(pin):
        return SEQUENCE
    if _alternates(pin):
        return ALTERNATING
    return None


def check(pin: str | None) -> str:
    """``pin`` when the policy accepts it; otherwise :class:`DomainError` with the reason."""
    reason = refusal(pin)
    if reason is not None:
        raise DomainError(reason)
    return pin  # type: ignore[return-value]


def one_time(length: int = 6) -> str:
    """A random PIN for a reset (shown once, replaced at the next sign-in) that passes the policy."""
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(length))
        if refusal(pin) is None:
            return pin
