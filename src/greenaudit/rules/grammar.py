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

from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

from greenaudit.rules.syntax import (Binary, Call, Comparison, ExpressionError, Logical, Negative, Node,
                                     Not, Number, Power, Reference)
from greenaudit.rules.tokens import FUNCTIONS, Token, tokenize
from greenaudit.text.intervals import NEAREST

COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
MAX_DEPTH = 50


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
