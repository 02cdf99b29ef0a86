"""Exact verdicts for comparisons whose two sides are affine in the rule's inputs.

Interval arithmetic treats every occurrence of an input as a different value, so
`a != a` or `a < a`, which no value satisfies, evaluate as "possible" (the dependency
problem). When left - right is affine in the inputs (sums, differences, and products
or quotients by constants), gathering each input's coefficients first gives the
exact range of left - right over the inputs' intervals, and so the exact verdict.
Other comparisons keep the interval verdict. O(size of the expression).
"""

from __future__ import annotations

from decimal import Decimal

from greenaudit.rules.syntax import Binary, Negative, Node, Number, Reference
from greenaudit.text.intervals import NEAREST, Interval

Affine = tuple[dict[tuple[str, str, str], Decimal], Decimal]   # coefficients, constant
_ZERO = Interval.point(Decimal(0))
_MARGIN = Decimal("1e-30")


def affine(node: Node, factor) -> Affine | None:
    """node as {input key: coefficient} + constant (in root units), or None if not affine.

    `factor(leaf)` is the factor that brings a reference or number into root units.
    """
    if isinstance(node, Number):
        return {}, NEAREST.multiply(node.value, factor(node))
    if isinstance(node, Reference):
        return {node.key: factor(node)}, Decimal(0)
    if isinstance(node, Negative):
        inner = affine(node.operand, factor)
        return None if inner is None else _scale(inner, Decimal(-1))
    if not isinstance(node, Binary):
        return None
    left, right = affine(node.left, factor), affine(node.right, factor)
    if left is None or right is None:
        return None
    if node.op in "+-":
        sign = Decimal(1) if node.op == "+" else Decimal(-1)
        return _add(left, _scale(right, sign))
    if node.op == "*":
        if not left[0]:
            return _scale(right, left[1])
        return _scale(left, right[1]) if not right[0] else None
    if node.op == "/" and not right[0] and not right[1].is_zero():
        return _scale(left, NEAREST.divide(Decimal(1), right[1]))
    return None


def _scale(form: Affine, by: Decimal) -> Affine:
    return {k: NEAREST.multiply(c, by) for k, c in form[0].items()}, NEAREST.multiply(form[1], by)


def _add(a: Affine, b: Affine) -> Affine:
    coefficients = dict(a[0])
    for key, c in b[0].items():
        coefficients[key] = NEAREST.add(coefficients.get(key, Decimal(0)), c)
    return coefficients, NEAREST.add(a[1], b[1])


def exact_verdict(left: Node, right: Node, compare: str, factor, allowed) -> bool | None:
    """The verdict of `left <compare> right` from the exact range of left - right, or
    None when it is not affine or the range allows both outcomes.

    `allowed(key)` is an input's interval in its catalog unit; `compare` names the
    Interval method (lt, le, eq, ...).
    """
    form = affine(Binary(0, 0, "-", left, right), factor)
    if form is None:
        return None
    total = Interval.point(form[1])
    scale = abs(form[1])
    for key, coefficient in form[0].items():
        if not coefficient.is_zero():     # a cancelled input spans no range at all
            interval = allowed(key)
            total = total + interval.scaled(coefficient)
            scale += abs(coefficient) * max((abs(b) for b in (interval.lower, interval.upper)
                                             if b is not None), default=Decimal(0))
    # Coefficients are rounded to 40 digits (3 * x / 3): keep a margin far above that
    # rounding, so only a true cancellation gives a point.
    if scale:
        margin = NEAREST.multiply(scale, _MARGIN)
        total = total + Interval(-margin, margin)
    return getattr(total, compare)(_ZERO)
