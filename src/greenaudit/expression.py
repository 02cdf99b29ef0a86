"""The rule expression language: a whitelist grammar, parsed by hand, never evaluated by Python.

    expression := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)*     a < b < c chains
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom ("**" unary)?        the exponent must be a constant number
    atom       := NUMBER ["[" unit "]"] | REFERENCE | ("min" | "max" | "abs") "(" args ")"
                | "(" expression ")"
    REFERENCE  := indicator_id "@" period ["[" key=value(;key=value)* "]"]

A period is YYYY, YYYY-MM or YYYY-YYYY, read greedily: `x@2012-2022` is the span;
write `x@2012 - 2022` (with spaces) to subtract a number. A number may carry a unit
of the project's registry in brackets, e.g. `8760[kWh/kW/year]` or `400[g/kWh]`.

Anything else (names that are not references, attribute access, calls other than
min/max/abs, strings, subscripts, lambdas, assignments) is an `ExpressionError`
naming the offending text and its offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from .errors import excerpt
from .interval_arithmetic import NEAREST

FUNCTIONS = ("min", "max", "abs")
KEYWORDS = ("and", "or", "not")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")

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
MAX_DEPTH = 50


class ExpressionError(ValueError):
    """A construct outside the grammar, at `offset` in the expression text."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


# ---------------------------------------------------------------- syntax tree

@dataclass(frozen=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True)
class Number(Node):
    value: Decimal
    unit: str | None = None          # a registry unit written as 400[g/kWh]


@dataclass(frozen=True)
class Reference(Node):
    indicator_id: str
    period: str
    breakdown: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return self.indicator_id, self.period, self.breakdown

    @property
    def text(self) -> str:
        return format_reference(*self.key)


@dataclass(frozen=True)
class Negative(Node):
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: str                          # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Power(Node):
    base: Node
    exponent: Decimal


@dataclass(frozen=True)
class Call(Node):
    function: str                    # min max abs
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Comparison(Node):
    operands: tuple[Node, ...]       # a < b <= c: three operands, two operators
    ops: tuple[str, ...]


@dataclass(frozen=True)
class Logical(Node):
    op: str                          # and or
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


BOOLEAN_NODES = (Comparison, Logical, Not)


def format_reference(indicator_id: str, period: str, breakdown: str = "") -> str:
    return f"{indicator_id}@{period}" + (f"[{breakdown}]" if breakdown else "")


def references(node: Node) -> list[Reference]:
    """Every reference in `node`, in order of appearance (repeats included)."""
    found: list[Reference] = []

    def walk(n: Node) -> None:
        if isinstance(n, Reference):
            found.append(n)
        for child in children(n):
            walk(child)
    walk(node)
    return found


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (Negative, Not)):
        return (node.operand,)
    if isinstance(node, Binary):
        return node.left, node.right
    if isinstance(node, Power):
        return (node.base,)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, (Comparison, Logical)):
        return node.operands
    return ()


# ---------------------------------------------------------------- tokens

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


# ---------------------------------------------------------------- parser

@dataclass
class _Parser:
    tokens: list[Token]
    pos: int = 0
    depth: int = field(default=0)

    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at(self, kind: str, *texts: str) -> bool:
        token = self.current
        return token.kind == kind and (not texts or token.text in texts)

    def expect(self, text: str, what: str) -> Token:
        if not self.at("op", text):
            raise ExpressionError(f"expected {what}, found {_describe(self.current)}",
                                  self.current.start)
        return self.take()

    def nested(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels",
                                  self.current.start)
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.depth -= 1

    # grammar, loosest binding first

    def expression(self) -> Node:
        with self.nested():
            return self.logical("or", self.conjunction)

    def conjunction(self) -> Node:
        return self.logical("and", self.negation)

    def logical(self, word: str, operand) -> Node:
        first = operand()
        items = [first]
        while self.at("name", word):
            self.take()
            items.append(operand())
        if len(items) == 1:
            return first
        return Logical(first.start, items[-1].end, word, tuple(items))

    def negation(self) -> Node:
        if self.at("name", "not"):
            token = self.take()
            with self.nested():
                operand = self.negation()
            return Not(token.start, operand.end, operand)
        return self.comparison()

    def comparison(self) -> Node:
        first = self.sum()
        operands, ops = [first], []
        while self.at("op", *COMPARISONS):
            ops.append(self.take().text)
            operands.append(self.sum())
        if not ops:
            return first
        return Comparison(first.start, operands[-1].end, tuple(operands), tuple(ops))

    def sum(self) -> Node:
        node = self.product()
        while self.at("op", "+", "-"):
            op = self.take().text
            right = self.product()
            node = Binary(node.start, right.end, op, node, right)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("op", "*", "/"):
            op = self.take().text
            right = self.unary()
            node = Binary(node.start, right.end, op, node, right)
        return node

    def unary(self) -> Node:
        if self.at("op", "-", "+"):
            token = self.take()
            with self.nested():
                operand = self.unary()
            if token.text == "+":
                return operand
            return Negative(token.start, operand.end, operand)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if not self.at("op", "**"):
            return base
        self.take()
        with self.nested():
            exponent = self.unary()
        return Power(base.start, exponent.end, base, constant_value(exponent))

    def atom(self) -> Node:
        token = self.current
        if token.kind == "number":
            self.take()
            value, unit = token.value
            return Number(token.start, token.end, value, unit)
        if token.kind == "reference":
            self.take()
            if self.at("op", "("):
                raise ExpressionError(f"a reference cannot be called; the only functions are "
                                      f"{', '.join(FUNCTIONS)}", self.current.start)
            return Reference(token.start, token.end, *token.value)
        if token.kind == "name" and token.text in FUNCTIONS:
            self.take()
            self.expect("(", f"'(' after {token.text}")
            with self.nested():
                args = [self.sum()]
                while self.at("op", ","):
                    self.take()
                    args.append(self.sum())
            close = self.expect(")", f"',' or ')' in the arguments of {token.text}")
            if token.text == "abs" and len(args) != 1:
                raise ExpressionError(f"abs takes one argument, got {len(args)}", token.start)
            if token.text in ("min", "max") and len(args) < 2:
                raise ExpressionError(f"{token.text} takes two or more arguments", token.start)
            return Call(token.start, close.end, token.text, tuple(args))
        if self.at("op", "("):
            opening = self.take()
            inner = self.expression()
            closing = self.expect(")", "')'")
            # The span includes the parentheses, so a message can quote the operand.
            return replace(inner, start=opening.start, end=closing.end)
        raise ExpressionError(f"expected a number, a reference indicator_id@period, "
                              f"{', '.join(FUNCTIONS)} or '(', found {_describe(token)}",
                              token.start)


def _describe(token: Token) -> str:
    return "the end of the expression" if token.kind == "end" else repr(token.text)


def constant_value(node: Node) -> Decimal:
    """The value of a constant sub-expression (an exponent): numbers and + - * / only."""
    if isinstance(node, Number) and node.unit is None:
        return node.value
    if isinstance(node, Negative):
        return -constant_value(node.operand)
    if isinstance(node, Binary):
        left, right = constant_value(node.left), constant_value(node.right)
        try:
            return {"+": NEAREST.add, "-": NEAREST.subtract, "*": NEAREST.multiply,
                    "/": NEAREST.divide}[node.op](left, right)
        except (ArithmeticError, InvalidOperation):
            raise ExpressionError("the exponent cannot be computed", node.start) from None
    raise ExpressionError("the exponent of ** must be a constant number without a unit "
                          "(no references, functions or comparisons)", node.start)


def parse(text: str) -> Node:
    """The syntax tree of an expression; ExpressionError for anything outside the grammar."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("empty expression", 0)
    parser = _Parser(tokenize(text))
    node = parser.expression()
    if not parser.at("end"):
        raise ExpressionError(f"unexpected {_describe(parser.current)} after a complete "
                              f"expression", parser.current.start)
    return node


def parse_reference(text: str) -> Reference:
    """A single reference such as `green_factories@2023-04[level=national]`."""
    node = parse(text)
    if not isinstance(node, Reference):
        raise ExpressionError("expected a single reference indicator_id@period[breakdown]",
                              node.start)
    return node
