"""Parse Chinese quantities ("超过40%", "22.03万亿元", "近3万种") into exact Decimals.

The grammar is documented in raw/TRANSCRIBING.md; Chinese numerals are read by
numerals.py. Arithmetic is done with `Decimal` throughout: magnitudes such as 万
and 亿 never pass through floats. What the grammar does not understand is refused
with a QuantityError naming the construct, never read some other way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from typing import Iterable

from greenaudit.errors import QuantityError
from greenaudit.suggest import did_you_mean
from greenaudit.text.digits import nfkc
from greenaudit.text.numerals import (BIG_PLACES, DIGIT_CHARS, DIGITS, FRACTION_MARK, HALF, NUMERAL_CHARS,
                       NUMERAL_PATTERN, PLACE_CHARS, PLACES, RANGE_SEPARATORS, UNSUPPORTED, Numeral,
                       plain, read_numeral, shared_tail)
from greenaudit.text.numerals import parse_chinese_numeral  # noqa: F401  (re-exported)
from greenaudit.text.quantity_intervals import Interval, half_unit, intervals  # noqa: F401  (re-exported)

MAGNITUDES: dict[str, Decimal] = {
    "万亿": Decimal("1e12"),
    "千万": Decimal("1e7"),
    "百万": Decimal("1e6"),
    "十万": Decimal("1e5"),
    "亿": Decimal("1e8"),
    "万": Decimal("1e4"),
    "千": Decimal("1e3"),
    "百": Decimal("1e2"),
    "十": Decimal("1e1"),
}
_MAGNITUDE_EXPONENT = {text: int(value.log10()) for text, value in MAGNITUDES.items()}

# Qualifier words and the kind of bound they give ("exact": the word adds nothing).
PREFIXES: dict[str, str] = {
    "超过": "lower_bound", "超": "lower_bound", "逾": "lower_bound", "突破": "lower_bound",
    "多于": "lower_bound", "高于": "lower_bound", "不低于": "lower_bound", "至少": "lower_bound",
    "不少于": "lower_bound", "大于": "lower_bound", "不多于": "upper_bound", "小于": "upper_bound",
    "大约": "approximate", "约": "approximate",
    "将近": "near", "接近": "near", "近": "near",
    "不到": "upper_bound", "不足": "upper_bound", "少于": "upper_bound",
    "不超过": "upper_bound", "不高于": "upper_bound", "低于": "upper_bound",
    "达到": "exact", "达": "exact", "高达": "exact",
}
SUFFIXES: dict[str, str] = {"以上": "lower_bound", "以下": "upper_bound", "以内": "upper_bound",
                            "左右": "approximate", "上下": "approximate"}
# 余/多 after the number: more than it, by less than one unit of its last nonzero digit.
INFIXES: dict[str, str] = {"余": "odd", "多": "odd"}

QUALIFIERS = ("exact", "lower_bound", "upper_bound", "approximate", "near", "range",
              "two_digit", "odd")

# The plain numeral characters (the 大写 forms 壹 陆... are also words: 登陆, 大陆).
CN_NUMERAL_CHARS = "".join([*DIGITS, *PLACES, *BIG_PLACES])
TWO_DIGIT = "两位数"
# Written units ending in 分之 (百分之, 千分之) stand before their number: 百分之十五.
PRE_UNIT_MARK = FRACTION_MARK
MAX_QUANTITY_LENGTH = 64
# The database keeps 10 decimal places (DECIMAL(38,10)): non-terminating ratios
# (三分之一) are kept to them, and intervals are rounded outwards to them.
DB_QUANTUM = Decimal("1e-10")


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity. `value` and `unit` are as written: 22.03 and 万亿元."""

    text: str
    value: Decimal
    magnitude: Decimal
    magnitude_text: str
    unit_text: str
    qualifier: str
    exponent: int            # exponent of the last stated digit (28.2 -> -1)
    value_high: Decimal | None = None   # upper end of a range "40%-50%"
    exponent_high: int = 0
    step: Decimal | None = None        # 余/多: how far above `value` the figure may be
    rounding: Decimal | None = None    # a named ratio's own half-width (一半: 0) instead of
    #                                    half a unit of the last digit

    @property
    def unit(self) -> str:
        """The written unit including its magnitude word, e.g. 万亿元."""
        return self.magnitude_text + self.unit_text

    @property
    def scaled(self) -> Decimal:
        """The number times its magnitude, in the written base unit (元 for 万亿元)."""
        return self.value * self.magnitude


_THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")


def clean_text(text: str) -> str:
    """NFKC, whitespace removed, thousands separators between digits removed."""
    # str.split() splits at exactly the characters str.isspace() is true of.
    text = "".join(nfkc(text).split())
    return _THOUSANDS.sub("", text) if "," in text else text


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


@dataclass(frozen=True)
class QuantityParser:
    """A parser for one unit vocabulary (the written units of schemas/units.yaml)."""

    written_units: tuple[str, ...]

    @classmethod
    def for_units(cls, units: Iterable[str]) -> "QuantityParser":
        # Longest first so that 个百分点 wins over 个 and 吨标准煤 over 吨.
        return cls(tuple(sorted(set(units), key=lambda u: (-len(u), u))))

    @property
    def pre_units(self) -> tuple[str, ...]:
        return tuple(u for u in self.written_units if u.endswith(PRE_UNIT_MARK))

    def _pattern(self) -> re.Pattern:
        cached = _PATTERN_CACHE.get(self.written_units)
        if cached is None:
            cached = _PATTERN_CACHE[self.written_units] = re.compile(_grammar(self))
        return cached

    def parse(self, text: str) -> Quantity:
        if not isinstance(text, str):
            raise QuantityError(f"quantity must be text, got {type(text).__name__}")
        if len(text) > MAX_QUANTITY_LENGTH:
            raise QuantityError(
                f"quantity is {len(text)} characters long; expected a short figure "
                f"such as '超过40%' (at most {MAX_QUANTITY_LENGTH})")
        cleaned = clean_text(text)
        if not cleaned:
            raise QuantityError("empty quantity; expected a figure such as '15.5%' or '近3万种'")
        if cleaned == TWO_DIGIT:
            return Quantity(cleaned, Decimal(10), Decimal(1), "", "", "two_digit", 0,
                            Decimal(100), 0)
        match = self._pattern().fullmatch(cleaned)
        if match is None:
            raise QuantityError(_diagnose(cleaned, text, self))
        qualifier = _qualifier(match, text)
        if match["half"] or match["fan"] or match["den"]:
            return _named_ratio(match, cleaned, qualifier, self, text)
        a = _side(match, "a_", text)
        if match["b_num"] is None:
            return _single(a, cleaned, qualifier)
        if qualifier != "exact" or a.step is not None:
            raise QuantityError(f"a range cannot carry a qualifier: {text!r}")
        return _range(a, _side(match, "b_", text), cleaned, text)


_PATTERN_CACHE: dict[tuple[str, ...], re.Pattern] = {}


def _grammar(parser: QuantityParser) -> str:
    """The shape of a quantity as a regular expression; the meaning is checked after."""
    units = _alternatives(u for u in parser.written_units if u not in parser.pre_units)
    pre = _alternatives(parser.pre_units) or "(?!)"
    mags, odd = _alternatives(MAGNITUDES), _alternatives(INFIXES)
    number = rf"[0-9]+(?:\.[0-9]+)?|{NUMERAL_PATTERN}"
    side = (rf"(?P<{{p}}pre>{pre})?(?P<{{p}}num>{number})(?P<{{p}}odd1>{odd})?"
            rf"(?P<{{p}}mag>{mags})?(?P<{{p}}odd2>{odd})?(?P<{{p}}unit>{units or '(?!)'})?"
            rf"(?P<{{p}}odd3>多)?")
    named = (rf"(?P<half>{HALF})|(?P<fan>翻了?[{NUMERAL_CHARS}]*番)"
             rf"|(?P<den>[0-9]+|[{NUMERAL_CHARS}]+){FRACTION_MARK}(?P<nom>[0-9]+|[{NUMERAL_CHARS}]+)")
    return (rf"(?P<prefix>{_alternatives(PREFIXES)})?"
            rf"(?:{side.format(p='a_')}(?:(?:{_alternatives(RANGE_SEPARATORS)})"
            rf"{side.format(p='b_')})?|{named})"
            rf"(?P<suffix>{_alternatives(SUFFIXES)})?")


def _qualifier(match: re.Match, text: str) -> str:
    """The one qualifier the words give ("exact" when none); two different ones conflict."""
    words = [match["prefix"], match["suffix"], match["a_odd1"], match["a_odd2"], match["a_odd3"]]
    found = [w for w in words if w]
    if sum(1 for w in words[2:] if w) > 1:
        raise QuantityError(f"余/多 written twice in quantity {text!r}")
    kinds = {PREFIXES.get(w) or SUFFIXES.get(w) or INFIXES.get(w) or "odd" for w in found}
    kinds.discard("exact")
    if len(kinds) > 1:
        raise QuantityError(f"conflicting qualifiers in quantity {text!r}: "
                            f"{', '.join(found)}")
    return kinds.pop() if kinds else "exact"


@dataclass(frozen=True)
class _Side:
    value: Decimal
    magnitude: Decimal
    magnitude_text: str
    unit_text: str
    exponent: int
    step: Decimal | None = None      # 余/多
    numeral: Numeral | None = None   # a Chinese numeral without magnitude word


def _side(match: re.Match, p: str, text: str) -> _Side:
    """One figure: its number, magnitude, 余/多 and unit."""
    num, mag_text, unit_text = match[p + "num"], match[p + "mag"] or "", match[p + "unit"] or ""
    odd = match[p + "odd1"] or match[p + "odd2"] or match[p + "odd3"]
    numeral = None
    if num[0].isdigit():
        value = Decimal(num)
        exponent = int(value.as_tuple().exponent)
    else:
        if mag_text and not match[p + "odd1"] and "点" not in num:
            num, mag_text = num + mag_text, ""     # 三 + 万: the numeral 三万
        numeral = read_numeral(num)
        value, exponent = numeral.value, numeral.exponent
        if numeral.big and mag_text and ("亿" in plain(num) or mag_text != "亿"):
            raise QuantityError(f"quantity {text!r} has a magnitude after a numeral that "
                                f"already holds 万 or 亿 ({num}{mag_text})")
        if match[p + "pre"] and num in ("百", "一百"):
            exponent = 0          # 百分之百: all of it, not "about a hundred"
        if numeral.elided and unit_text and unit_text[0] in PLACE_CHARS:
            raise QuantityError(
                f"quantity {text!r} is ambiguous: {num}{unit_text[0]}... may be one numeral "
                f"or {num} followed by {unit_text}; expected a figure that reads one way")
    if match[p + "pre"]:
        if unit_text or mag_text:
            raise QuantityError(f"quantity {text!r} has {match[p + 'pre']} and a unit or "
                                f"magnitude after the number; expected one of them")
        unit_text = match[p + "pre"]
    magnitude = MAGNITUDES[mag_text] if mag_text else Decimal(1)
    step = _odd_step(value, text) if odd else None
    return _Side(value, magnitude, mag_text, unit_text, exponent, step,
                 numeral if not mag_text else None)


def _odd_step(value: Decimal, text: str) -> Decimal:
    """One unit of the last nonzero digit: 2700 -> 100, 180 -> 10, 1.2 -> 0.1, 十 -> 10."""
    if value == 0:
        raise QuantityError(f"余/多 after zero in quantity {text!r}")
    return Decimal(1).scaleb(value.normalize().as_tuple().exponent)


def _single(a: _Side, cleaned: str, qualifier: str) -> Quantity:
    return Quantity(cleaned, a.value, a.magnitude, a.magnitude_text, a.unit_text, qualifier,
                    a.exponent, step=a.step)


def _range(a: _Side, b: _Side, cleaned: str, text: str) -> Quantity:
    """A range "40%-50%", "3-5万吨", "两到三万吨": unit and magnitude may be written once."""
    if b.step is not None:
        raise QuantityError(f"a range cannot carry a qualifier: {text!r}")
    if a.unit_text and b.unit_text and a.unit_text != b.unit_text:
        raise QuantityError(f"range {text!r} mixes units {a.unit_text} and {b.unit_text}")
    if a.magnitude_text and not b.magnitude_text and not (b.numeral and b.numeral.big):
        raise QuantityError(f"range {text!r} mixes magnitudes: {a.magnitude_text} on the "
                            f"first figure only")
    a = _share_magnitude(a, b, text)
    if b.value * b.magnitude < a.value * a.magnitude:
        raise QuantityError(f"range {text!r} is reversed: expected low-high")
    unit_text = b.unit_text or a.unit_text
    if a.magnitude == b.magnitude:
        return Quantity(cleaned, a.value, b.magnitude, b.magnitude_text, unit_text, "range",
                        a.exponent, b.value, b.exponent)
    # 9000万-1.2亿元: both ends in the base unit.
    return Quantity(cleaned, a.value * a.magnitude, Decimal(1), "", unit_text, "range",
                    a.exponent + _exp(a.magnitude), b.value * b.magnitude,
                    b.exponent + _exp(b.magnitude))


def _exp(magnitude: Decimal) -> int:
    return int(magnitude.log10())


def _share_magnitude(a: _Side, b: _Side, text: str) -> _Side:
    """The first term takes the place word written only after the second (两到三万 = 2万-3万)
    when it has none of its own and reads below the second's coefficient; otherwise it
    stands alone (五千到一万 = 5000-10000). Where it could stand for several places
    (八到九百亿: 8亿, 80亿 or 800亿) the range is refused."""
    if a.magnitude_text or (a.numeral is not None and a.numeral.big):
        return a
    if b.magnitude_text:
        shared: tuple[int, Decimal] | None = (_exp(b.magnitude), b.value)
    else:
        shared = shared_tail(b.numeral) if b.numeral is not None else None
    if shared is None or a.value > shared[1]:
        return a
    exponent, coefficient = shared
    if a.value * 10 < coefficient:
        raise QuantityError(f"range {text!r} is ambiguous: its first figure may be "
                            f"{format(a.value, 'f')}, {format(a.value * 10, 'f')}... times "
                            f"the magnitude of the second; expected both written in full")
    if b.magnitude_text:
        return replace(a, magnitude=b.magnitude, magnitude_text=b.magnitude_text)
    return replace(a, value=a.value * 10 ** exponent, exponent=a.exponent + exponent)


def _named_ratio(match: re.Match, cleaned: str, qualifier: str, parser: QuantityParser,
                 text: str) -> Quantity:
    """一半 (50%), 三分之一 (33.33...%), 翻一番 (2倍): a ratio named in words, exact."""
    if match["fan"]:
        count = match["fan"].strip("翻了番")
        doublings = _whole(count, text) if count else 1       # 翻番: doubled
        if not 1 <= doublings <= 10:
            raise QuantityError(f"quantity {text!r}: 翻N番 with N from 1 to 10 expected")
        return _ratio_quantity(cleaned, Fraction(2 ** doublings), "倍", qualifier, parser, text)
    if match["half"]:
        return _ratio_quantity(cleaned, Fraction(50), "%", qualifier, parser, text)
    den, nom = _whole(match["den"], text), _whole(match["nom"], text)
    if den == 0 or match["den"] in ("百", "千"):
        raise QuantityError(f"quantity {text!r}: expected N分之M with N above zero "
                            f"(百分之 and 千分之 are written units)")
    return _ratio_quantity(cleaned, Fraction(100 * nom, den), "%", qualifier, parser, text)


def _whole(number: str, text: str) -> int:
    if number.isdigit():
        return int(number)
    numeral = read_numeral(number)
    if numeral.exponent < 0:
        raise QuantityError(f"quantity {text!r}: {number} must be a whole number here")
    return int(numeral.value)


def _ratio_quantity(cleaned: str, ratio: Fraction, unit: str, qualifier: str,
                    parser: QuantityParser, text: str) -> Quantity:
    if unit not in parser.written_units:
        raise QuantityError(f"quantity {text!r} is stated in {unit}, a unit not listed in "
                            f"schemas/units.yaml")
    value = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    rounding = Decimal(0)
    if value.quantize(DB_QUANTUM) * ratio.denominator != ratio.numerator:
        value, rounding = value.quantize(DB_QUANTUM), DB_QUANTUM
    if value == value.to_integral_value():
        value = Decimal(int(value))
    return Quantity(cleaned, value, Decimal(1), "", unit, qualifier, 0, rounding=rounding)


def _diagnose(cleaned: str, text: str, parser: QuantityParser) -> str:
    """What is wrong with a quantity the grammar does not accept, as precisely as known."""
    if cleaned[0] in "+-\u2212负":
        return (f"quantity {text!r} starts with {cleaned[0]!r}; expected the figure as the "
                f"document writes it, without a sign (a decrease is an indicator of decline)")
    if re.search(r"[0-9][,，][0-9]", cleaned):
        return (f"quantity {text!r} has a comma between digits that is not a thousands "
                f"separator; expected a decimal point (15.5%) or groups of three (10,000)")
    if not any(ch.isdigit() or ch in NUMERAL_CHARS for ch in cleaned):
        return f"quantity {text!r} has no number; expected a figure such as '15.5%' or '近3万种'"
    for ch, why in UNSUPPORTED.items():
        if ch in cleaned:
            return f"quantity {text!r}: {why}"
    if re.search(rf"(?:^|[{NUMERAL_CHARS}])点(?![{DIGIT_CHARS}])|^点", cleaned):
        return (f"quantity {text!r}: 点 needs digits on both sides (零点五, 六点三)")
    mixed = re.search(rf"[0-9][{DIGIT_CHARS}点]|[{NUMERAL_CHARS}点][0-9]", cleaned)
    if mixed:
        return (f"quantity {text!r} mixes Arabic digits and Chinese numerals "
                f"({mixed[0]}); expected one or the other")
    shape = re.fullmatch(
        rf"(?:{_alternatives(PREFIXES)})?(?:{_alternatives(parser.pre_units) or '(?!)'})?"
        rf"(?:[0-9]+(?:\.[0-9]+)?|{NUMERAL_PATTERN})(?:{_alternatives(INFIXES)})?"
        rf"(?:{_alternatives(MAGNITUDES)})?(?:{_alternatives(INFIXES)})?"
        rf"(?P<unit>.+?)(?:{_alternatives(SUFFIXES)})?", cleaned)
    late = [u for u in parser.pre_units if u in cleaned[1:] and not _starts_with_pre(cleaned, u)]
    if late:
        return (f"quantity {text!r}: {late[0]} is written before its number "
                f"({late[0]}三); expected it first")
    if shape and not any(ch.isdigit() or ch in NUMERAL_CHARS for ch in shape["unit"]) \
            and not any(sep in shape["unit"] for sep in RANGE_SEPARATORS):
        return (f"unknown unit {shape['unit']!r} in quantity {text!r}"
                f"{did_you_mean(shape['unit'], parser.written_units)}; expected a written unit "
                f"listed in schemas/units.yaml")
    return (f"cannot parse quantity {text!r}: expected [qualifier] number [magnitude] [余|多] "
            f"[unit] [以上|以下|左右...], a range a-b, 百分之N, N分之M, 一半 or 翻N番, with a "
            f"unit from schemas/units.yaml")



def _starts_with_pre(cleaned: str, pre: str) -> bool:
    """Whether `pre` stands first, after a prefix if any (超过百分之十)."""
    return any(cleaned.startswith(p + pre) for p in ("", *PREFIXES))
