"""The rule expression language: what the grammar accepts, and everything it refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from greenaudit.rules.grammar import parse, parse_reference
from greenaudit.rules.syntax import (Binary, Call, Comparison, ExpressionError, Logical, Negative, Not,
                                     Number, Power, Reference, references)
from greenaudit.rules.tokens import tokenize

D = Decimal


def test_reference_with_period_span_and_breakdown():
    node = parse("green_factories@2023-04[level=national] >= x@2012-2022")
    assert isinstance(node, Comparison) and node.ops == (">=",)
    left, right = node.operands
    assert left == Reference(0, 39, "green_factories", "2023-04", "level=national")
    assert left.text == "green_factories@2023-04[level=national]"
    assert (right.indicator_id, right.period, right.breakdown) == ("x", "2012-2022", "")


def test_period_is_read_greedily_and_spaces_make_a_subtraction():
    span = parse("a@2012-2022 == 1")
    assert span.operands[0].period == "2012-2022"
    minus = parse("a@2012 - 2022 == 1").operands[0]
    assert isinstance(minus, Binary) and minus.op == "-"
    assert minus.left.period == "2012" and minus.right == Number(9, 13, D(2022))


def test_precedence_follows_arithmetic():
    node = parse("a@2012 + b@2012 * c@2012 ** 2 == -d@2012").operands
    total, negative = node
    assert isinstance(total, Binary) and total.op == "+"
    assert isinstance(total.right, Binary) and total.right.op == "*"
    assert isinstance(total.right.right, Power) and total.right.right.exponent == 2
    assert isinstance(negative, Negative)


def test_minus_binds_looser_than_power():
    node = parse("-a@2012 ** 2 < 0").operands[0]
    assert isinstance(node, Negative) and isinstance(node.operand, Power)


def test_subtraction_is_left_associative():
    node = parse("a@2012 - b@2012 - c@2012 == 0").operands[0]
    assert node.op == "-" and isinstance(node.left, Binary) and node.right.indicator_id == "c"


def test_chained_comparison_keeps_every_operand():
    node = parse("a@2012 < a@2022 <= a@2023")
    assert node.ops == ("<", "<=")
    assert [r.period for r in node.operands] == ["2012", "2022", "2023"]


def test_logic_and_functions():
    node = parse("not a@2012 > 1 or min(a@2012, b@2012, 3) <= abs(c@2012) and max(a@2012, 1) > 0")
    assert isinstance(node, Logical) and node.op == "or"
    assert isinstance(node.operands[0], Not)
    conjunction = node.operands[1]
    assert isinstance(conjunction, Logical) and conjunction.op == "and"
    minimum = conjunction.operands[0].operands[0]
    assert isinstance(minimum, Call) and minimum.function == "min" and len(minimum.args) == 3


def test_number_with_unit_and_exponent_forms():
    node = parse("400[g/kWh] <= x@2023 ** (1/10) * 1.5e3")
    assert node.operands[0] == Number(0, 10, D(400), "g/kWh")
    product = node.operands[1]
    assert product.left.exponent == D("0.1") and product.right.value == D("1.5e3")


def test_parenthesised_operand_spans_its_parentheses():
    text = "(a@2022 - b@2012) / 2 == 1"
    inner = parse(text).operands[0].left
    assert text[inner.start:inner.end] == "(a@2022 - b@2012)"


def test_references_lists_every_occurrence():
    refs = references(parse("a@2012 == b@2012 + a@2012"))
    assert [r.indicator_id for r in refs] == ["a", "b", "a"]


def test_parse_reference_accepts_only_a_reference():
    assert parse_reference("x@2012[level=total]").breakdown == "level=total"
    with pytest.raises(ExpressionError, match="single reference"):
        parse_reference("x@2012 + 1")


# ---------------------------------------------------------------- refused


FORBIDDEN = [
    # (expression, fragment of the message, offset of the error)
    ("__import__('os').system('ls') == 0", "call of '__import__' is not allowed", 0),
    ("os.system == 1", "attribute access on 'os'", 0),
    ("x@2012.real == 1", "attribute access is not allowed", 6),
    ("(x@2012).real == 1", "attribute access is not allowed", 8),
    ("abs.__class__ == 1", "attribute access is not allowed", 3),
    ("eval(x@2012) == 1", "call of 'eval' is not allowed; the only functions are min, max, abs", 0),
    ("round(x@2012) == 1", "call of 'round' is not allowed", 0),
    ("x@2012(1) == 1", "a reference cannot be called", 6),
    ("hi_tech_mfg_share == 1", "name 'hi_tech_mfg_share' is not an indicator reference", 0),
    ("x@2012 == True", "name 'True' is not an indicator reference", 10),
    ("x@2012 if y@2012 else 0", "name 'if' is not an indicator reference", 7),
    ("lambda: 1", "lambda expressions are not allowed", 0),
    ("'text' == 'text'", "strings are not allowed", 0),
    ('x@2012 == "1"', "strings are not allowed", 10),
    ("x@2012 = 1", "assignment is not allowed", 7),
    ("x@2012[0] == 1", "a breakdown must be key=value pairs", 6),
    ("[x@2012] == 1", "subscripts are not allowed", 0),
    ("x@2012 // 2 == 1", "floor division", 7),
    ("x@2012 % 2 == 1", "'%' is not allowed", 7),
    ("x@2012 ** y@2012 == 1", "the exponent of ** must be a constant number", 10),
    ("x@2012 ** 2[percent] == 1", "the exponent of ** must be a constant number", 10),
    ("x@12 == 1", "expected a period YYYY, YYYY-MM or YYYY-YYYY", 2),
    ("x@2012 == {1}", "braces are not allowed", 10),
    ("x@2012 == 1 ; y@2012 == 2", "';' is not allowed", 12),
    ("x@2012 == .5", "a number must start with a digit", 10),
    ("x@2012 == 1_000", "unexpected name after number", 11),
    ("x@2012 == 1[]", "a unit after a number must be a registry unit in brackets", 11),
    ("abs(x@2012, 1) == 1", "abs takes one argument", 0),
    ("min(x@2012) == 1", "min takes two or more arguments", 0),
    ("x@2012 == 1 2", "unexpected '2' after a complete expression", 12),
    ("x@2012 == ", "found the end of the expression", 10),
    ("(x@2012 == 1", "expected ')'", 12),
    ("x@2012 == 1 !", "'!' is not allowed", 12),
    ("x@2012 == 1 & y@2012", "unexpected character '&'", 12),
    ("", "empty expression", 0),
]


@pytest.mark.parametrize("text, message, offset", FORBIDDEN, ids=[f[0] or "empty" for f in FORBIDDEN])
def test_forbidden_construct_is_refused_with_its_position(text, message, offset):
    with pytest.raises(ExpressionError) as info:
        parse(text)
    assert message in info.value.message
    assert info.value.offset == offset


def test_nesting_and_length_are_bounded():
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("(" * 60 + "x@2012" + ")" * 60 + " == 1")
    with pytest.raises(ExpressionError, match="characters long"):
        tokenize("x@2012 + " * 300 + "1")


def test_tokens_carry_offsets():
    tokens = tokenize("a@2012 <= 3[t]")
    assert [(t.kind, t.start, t.end) for t in tokens] == [
        ("reference", 0, 6), ("op", 7, 9), ("number", 10, 14), ("end", 14, 14)]
