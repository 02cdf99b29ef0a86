"""The syntax tree of a rule expression, and the error for anything outside the grammar."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


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
