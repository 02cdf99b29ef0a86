"""The project's own error types: each carries a one-line, located message."""

from __future__ import annotations

import reprlib

# How much of a value from an input an error message echoes, and the longest message
# one error line may have: an input of a megabyte must not make a line of a megabyte.
EXCERPT_CHARS = 100
MAX_MESSAGE_CHARS = 1000
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = EXCERPT_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxlevel = 2


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """`repr(value)` when short; otherwise its start and how long it is.

    Every value an error message echoes from an input goes through here. A string of
    at most `limit` characters gives exactly its repr; a container is cut at a few
    items and levels (reprlib), so even a deeply nested YAML value stays short.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}... ({len(value)} characters)"
    text = _REPR.repr(value)
    return text if len(text) <= 2 * limit else f"{text[:2 * limit]}..."


def shorten(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A message cut to `limit` characters, saying how much was left out."""
    if len(message) <= limit:
        return message
    return f"{message[:limit]}... ({len(message) - limit} more characters)"


class GreenauditError(Exception):
    """An input problem reported to the user as `file:line:column: message`."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, field: str | None = None) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.reason = shorten(message)
        super().__init__(self.located())

    def located(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        field = f"({self.field}) " if self.field else ""
        return f"{where}{field}{self.reason}"


class QuantityError(GreenauditError):
    """A quantity string that the grammar in raw/TRANSCRIBING.md does not accept."""


class UnitError(GreenauditError):
    """An unknown unit, or a unit whose dimension does not fit the indicator."""


class InputError(GreenauditError):
    """A malformed input file: CSV, YAML, manifest or configuration."""


class RuleError(GreenauditError):
    """A rule of schemas/rules.yaml that cannot be read, parsed or type-checked."""
