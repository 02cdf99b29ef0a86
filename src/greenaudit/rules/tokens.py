"""Tokens of a rule expression: numbers with units, references, names and operators.

The grammar is in grammar.py. Only ASCII digits start a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from greenaudit.errors import excerpt
from greenaudit.rules.syntax import ExpressionError

FUNCTIONS = ("min", "max", "abs")
KEYWORDS = ("and", "or", "not")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_PERIOD = re.compile(r"\d{4}(?:-\d{4}(?!\d)|-\d{2}(?!\d))?(?!\d)")
_BREAKDOWN = re.compile(r"\[([a-z][a-z0-9_]*=[A-Za-z0-9_.+-]+(?:;[a-z][a-z0-9_]*=[A-Za-z0-9_.+-]+)*)\]")
_UNIT = re.compile(r"\[([A-Za-z_][A-Za-z0-9_]*(?:\s*(?:\*\*\s*-?\d+|[*/]\s*[A-Za-z_][A-Za-z0-9_]*))*)\]")
_OPERATORS = ("**", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", ",")
# Characters with a meaning in Python that the language deliberately does not have.
_FORBIDDEN = {
    "'": "strings are not allowed",
    '"': "strings are not allowed",
    ".": "attribute access is not allowed",
    "[": "subscripts are not allowed (brackets only follow a reference or a number)",
    "=": "assignment is not allowed; compare with ==",
    ":": "':' is not allowed (no lambdas, slices or annotations)",
    "{": "braces are not allowed", "}": "braces are not allowed",
    ";": "';' is not allowed outside a breakdown",
    "%": "'%' is not allowed; write percentages as numbers of the indicator's unit",
    "!": "'!' is not allowed; use != or not",
}
MAX_LENGTH = 2000


@dataclass(frozen=True)
class Token:
    kind: str                        # number, reference, name, op, end
    text: str
    start: int
    end: int
    value: object = None


_DIGITS = frozenset("0123456789")


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(text)} characters long; at most "
                              f"{MAX_LENGTH}", 0)
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _DIGITS:  # ASCII only: str.isdigit() also admits ¹, ² and other digits
            tokens.append(_number(text, i))
        elif _NAME.match(text, i):
            tokens.append(_name_or_reference(text, i))
        elif ch == "." and i + 1 < len(text) and text[i + 1] in _DIGITS:
            raise ExpressionError("a number must start with a digit (write 0.5, not .5)", i)
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
            if op == "/" and text.startswith("//", i):
                raise ExpressionError("floor division '//' is not allowed", i)
            if op is None:
                reason = _FORBIDDEN.get(ch, f"unexpected character {excerpt(ch)}")
                raise ExpressionError(reason, i)
            tokens.append(Token("op", op, i, i + len(op)))
        i = tokens[-1].end
    tokens.append(Token("end", "", len(text), len(text)))
    return tokens


def _number(text: str, i: int) -> Token:
    match = _NUMBER.match(text, i)
    assert match is not None
    end = match.end()
    if end < len(text) and (text[end].isalpha() or text[end] == "_"):
        raise ExpressionError(f"unexpected name after number {excerpt(match[0])}", end)
    unit = None
    if text.startswith("[", end):
        unit_match = _UNIT.match(text, end)
        if unit_match is None:
            raise ExpressionError("a unit after a number must be a registry unit in brackets, "
                                  "e.g. 400[g/kWh]", end)
        unit = re.sub(r"\s+", "", unit_match[1])
        end = unit_match.end()
    return Token("number", text[i:end], i, end, (Decimal(match[0]), unit))


def _name_or_reference(text: str, i: int) -> Token:
    match = _NAME.match(text, i)
    assert match is not None
    name, end = match[0], match.end()
    if not text.startswith("@", end):
        if name in FUNCTIONS or name in KEYWORDS:
            return Token("name", name, i, end)
        rest = text[end:].lstrip()
        if name == "lambda":
            raise ExpressionError("lambda expressions are not allowed", i)
        if rest.startswith("("):
            raise ExpressionError(f"call of {excerpt(name)} is not allowed; the only functions are "
                                  f"{', '.join(FUNCTIONS)}", i)
        if rest.startswith(".") and not rest[1:2].isdigit():
            raise ExpressionError(f"attribute access on {excerpt(name)} is not allowed", i)
        raise ExpressionError(f"name {excerpt(name)} is not an indicator reference; expected "
                              f"indicator_id@period", i)
    period = _PERIOD.match(text, end + 1)
    if period is None:
        raise ExpressionError(f"expected a period YYYY, YYYY-MM or YYYY-YYYY after "
                              f"{name}@", end + 1)
    stop = period.end()
    breakdown = ""
    if text.startswith("[", stop):
        bd = _BREAKDOWN.match(text, stop)
        if bd is None:
            raise ExpressionError("a breakdown must be key=value pairs joined by ';' in "
                                  "brackets, e.g. [level=national]", stop)
        breakdown, stop = bd[1], bd.end()
    return Token("reference", text[i:stop], i, stop, (name, period[0], breakdown))
