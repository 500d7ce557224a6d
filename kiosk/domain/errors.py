"""Domain errors that carry a translatable message.

The domain has no Flask in it, so a message is kept as its msgid and
parameters; the web layer translates it with :func:`flask_babel.gettext`.
"""
from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a string for extraction without translating it here."""
    return message


class Label(str):
    """A message parameter that is itself a msgid (a status, an action):
    translated together with the message it goes into."""


class DomainError(Exception):
    """A refused command: nothing was changed, and the user gets ``message``."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params

    def translated(self, gettext) -> str:
        """The message in the user's language, via the given gettext."""
        if not self.params:
            return gettext(self.message)
        params = {k: gettext(v) if isinstance(v, Label) else v for k, v in self.params.items()}
        return gettext(self.message, **params)
