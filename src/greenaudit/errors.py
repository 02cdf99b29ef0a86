"""The project's own error types: each carries a one-line, located message."""

from __future__ import annotations


class GreenauditError(Exception):
    """An input problem reported to the user as `file:line:column: message`."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: int | None = None, field: str | None = None) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.reason = message
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
