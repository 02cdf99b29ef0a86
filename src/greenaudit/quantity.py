"""Parse Chinese quantities ("超过40%", "22.03万亿元", "近3万种") into exact Decimals.

The grammar is documented in raw/TRANSCRIBING.md. Arithmetic is done with
`Decimal` throughout: magnitudes such as 万 and 亿 never pass through floats.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable

from .errors import QuantityError
from .suggest import did_you_mean

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

# Qualifier words and the kind of bound they give.
PREFIXES: dict[str, str] = {
    "超过": "lower_bound", "超": "lower_bound", "逾": "lower_bound", "突破": "lower_bound",
    "多于": "lower_bound",
    "大约": "approximate", "约": "approximate",
    "将近": "near", "接近": "near", "近": "near",
    "不到": "upper_bound", "不足": "upper_bound", "少于": "upper_bound",
}
SUFFIXES: dict[str, str] = {"以上": "lower_bound", "以下": "upper_bound", "左右": "approximate"}
INFIXES: dict[str, str] = {"余": "lower_bound", "多": "lower_bound"}

QUALIFIERS = ("exact", "lower_bound", "upper_bound", "approximate", "near", "range", "two_digit")

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL = {"十": 10, "百": 100, "千": 1000}
CN_BIG = {"万": 10**4, "亿": 10**8}
CN_NUMERAL_CHARS = "".join([*CN_DIGITS, *CN_SMALL, *CN_BIG])

TWO_DIGIT = "两位数"
MAX_QUANTITY_LENGTH = 64


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

    @property
    def unit(self) -> str:
        """The written unit including its magnitude word, e.g. 万亿元."""
        return self.magnitude_text + self.unit_text

    @property
    def scaled(self) -> Decimal:
        """The number times its magnitude, in the written base unit (元 for 万亿元)."""
        return self.value * self.magnitude


def clean_text(text: str) -> str:
    """NFKC, whitespace removed, thousands separators between digits removed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if not ch.isspace())
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)


def parse_chinese_numeral(text: str) -> int:
    """Value of a Chinese numeral such as 七, 十三, 一百二十, 两千, 三万五千."""
    if not text or any(ch not in CN_NUMERAL_CHARS for ch in text):
        raise QuantityError(f"not a Chinese numeral: {text!r}")
    total = 0       # completed part above the current big unit
    section = 0     # part below the current big unit
    number = None   # pending digit
    last_big = None
    for ch in text:
        if ch in CN_DIGITS:
            if number is not None and number != 0:
                raise QuantityError(f"two digits in a row in Chinese numeral {text!r}")
            number = CN_DIGITS[ch]
        elif ch in CN_SMALL:
            section += (1 if number is None else number) * CN_SMALL[ch]
            number = None
        else:
            big = CN_BIG[ch]
            section += number or 0
            number = None
            if section == 0 and total == 0:
                section = 1
            if last_big is not None and big > last_big:
                total = (total + section) * big
            else:
                total += section * big
            section = 0
            last_big = big
    return total + section + (number or 0)


@dataclass(frozen=True)
class QuantityParser:
    """A parser for one unit vocabulary (the written units of schemas/units.yaml)."""

    written_units: tuple[str, ...]

    @classmethod
    def for_units(cls, units: Iterable[str]) -> "QuantityParser":
        # Longest first so that 个百分点 wins over 个 and 吨标准煤 over 吨.
        return cls(tuple(sorted(set(units), key=lambda u: (-len(u), u))))

    def _pattern(self) -> re.Pattern:
        cached = _PATTERN_CACHE.get(self.written_units)
        if cached is not None:
            return cached
        units = "|".join(re.escape(u) for u in self.written_units)
        mags = "|".join(re.escape(m) for m in MAGNITUDES)
        prefixes = "|".join(sorted(PREFIXES, key=len, reverse=True))
        suffixes = "|".join(SUFFIXES)
        infixes = "|".join(INFIXES)
        cn = re.escape(CN_NUMERAL_CHARS)
        single = (
            rf"(?:(?P<{{p}}arabic>\d+(?:\.\d+)?)(?P<{{p}}mag>{mags})?|(?P<{{p}}cn>[{cn}]+))"
            rf"(?P<{{p}}infix>{infixes})?(?P<{{p}}unit>{units})?"
        )
        pattern = re.compile(
            rf"(?P<prefix>{prefixes})?"
            + single.format(p="a_")
            + r"(?:(?:-|~|至|到)" + single.format(p="b_") + r")?"
            + rf"(?P<suffix>{suffixes})?"
        )
        _PATTERN_CACHE[self.written_units] = pattern
        return pattern

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
            raise QuantityError(_diagnose(cleaned, text, self.written_units))
        a = _side(match, "a_", text)
        qualifiers = [q for q in (PREFIXES.get(match["prefix"] or ""),
                                  INFIXES.get(match["a_infix"] or ""),
                                  SUFFIXES.get(match["suffix"] or "")) if q]
        if match["b_arabic"] is None and match["b_cn"] is None:
            if len(set(qualifiers)) > 1:
                raise QuantityError(f"conflicting qualifiers in quantity {text!r}")
            qualifier = qualifiers[0] if qualifiers else "exact"
            return Quantity(cleaned, a.value, a.magnitude, a.magnitude_text, a.unit_text,
                            qualifier, a.exponent)
        # A range "40%-50%" or "3-5万吨": the unit and magnitude may be written once.
        b = _side(match, "b_", text)
        if qualifiers or match["b_infix"]:
            raise QuantityError(f"a range cannot carry a qualifier: {text!r}")
        unit_text = b.unit_text or a.unit_text
        if a.unit_text and b.unit_text and a.unit_text != b.unit_text:
            raise QuantityError(f"range {text!r} mixes units {a.unit_text} and {b.unit_text}")
        magnitude, magnitude_text = b.magnitude, b.magnitude_text
        if a.magnitude_text and a.magnitude_text != b.magnitude_text:
            raise QuantityError(f"range {text!r} mixes magnitudes")
        if b.value * magnitude < a.value * magnitude:
            raise QuantityError(f"range {text!r} is reversed: expected low-high")
        return Quantity(cleaned, a.value, magnitude, magnitude_text, unit_text, "range",
                        a.exponent, b.value, b.exponent)


_PATTERN_CACHE: dict[tuple[str, ...], re.Pattern] = {}


def _diagnose(cleaned: str, text: str, units: tuple[str, ...] = ()) -> str:
    """What is wrong with a quantity the grammar does not accept, as precisely as known."""
    if cleaned[0] in "+-\u2212":
        return (f"quantity {text!r} starts with {cleaned[0]!r}; expected the figure as the "
                f"document writes it, without a sign (a decrease is an indicator of decline)")
    if re.search(r"\d[,，]\d", cleaned):
        return (f"quantity {text!r} has a comma between digits that is not a thousands "
                f"separator; expected a decimal point (15.5%) or groups of three (10,000)")
    if not any(ch.isdigit() or ch in CN_NUMERAL_CHARS for ch in cleaned):
        return f"quantity {text!r} has no number; expected a figure such as '15.5%' or '近3万种'"
    mags = "|".join(re.escape(m) for m in MAGNITUDES)
    shape = re.fullmatch(
        rf"(?:{'|'.join(sorted(PREFIXES, key=len, reverse=True))})?"
        rf"(?:\d+(?:\.\d+)?(?:{mags})?|[{re.escape(CN_NUMERAL_CHARS)}]+)"
        rf"(?:{'|'.join(INFIXES)})?(?P<unit>.+?)(?:{'|'.join(SUFFIXES)})?", cleaned)
    if shape and not any(ch.isdigit() or ch in CN_DIGITS for ch in shape["unit"]):
        return (f"unknown unit {shape['unit']!r} in quantity {text!r}"
                f"{did_you_mean(shape['unit'], units)}; expected a written unit listed in "
                f"schemas/units.yaml")
    return (f"cannot parse quantity {text!r}: expected [qualifier] number [magnitude] [余|多] "
            f"[unit] [以上|以下|左右] with a unit from schemas/units.yaml")


@dataclass(frozen=True)
class _Side:
    value: Decimal
    magnitude: Decimal
    magnitude_text: str
    unit_text: str
    exponent: int


def _side(match: re.Match, p: str, text: str) -> _Side:
    unit_text = match[p + "unit"] or ""
    if match[p + "arabic"] is not None:
        try:
            value = Decimal(match[p + "arabic"])
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only digits
            raise QuantityError(f"bad number in {text!r}") from exc
        mag_text = match[p + "mag"] or ""
        magnitude = MAGNITUDES[mag_text] if mag_text else Decimal(1)
        exponent = value.as_tuple().exponent
    else:
        value = Decimal(parse_chinese_numeral(match[p + "cn"]))
        mag_text, magnitude, exponent = "", Decimal(1), 0
    return _Side(value, magnitude, mag_text, unit_text, int(exponent))


@dataclass(frozen=True)
class Interval:
    """A closed interval; None is an open end."""

    lower: Decimal | None
    upper: Decimal | None

    def scaled(self, factor: Decimal) -> "Interval":
        return Interval(None if self.lower is None else self.lower * factor,
                        None if self.upper is None else self.upper * factor)

    def clamped(self, low: Decimal | None, high: Decimal | None) -> "Interval":
        lower, upper = self.lower, self.upper
        if low is not None:
            lower = low if lower is None else max(lower, low)
        if high is not None:
            upper = high if upper is None else min(upper, high)
        return Interval(lower, upper)


def half_unit(exponent: int) -> Decimal:
    """Half a unit of the last stated digit: 28 -> 0.5, 28.2 -> 0.05."""
    return Decimal(5).scaleb(exponent - 1)


def intervals(q: Quantity, approximate_band: Decimal, near_band: Decimal) -> tuple[Interval, Interval]:
    """The (stated, allowed) intervals of a quantity, in its written base unit.

    `stated` is what the words allow when the digits are taken as exact; `allowed`
    also covers the rounding of the last stated digit. Two sources *agree* when
    their stated intervals meet, *agree within rounding* when only the allowed ones do.
    """
    v = q.scaled
    half = half_unit(q.exponent) * q.magnitude
    # Bounds and ranges are thresholds the author chose, not rounded measurements:
    # only exact and approximate figures are widened by the rounding of their digits.
    if q.qualifier == "exact":
        return Interval(v, v), Interval(v - half, v + half)
    if q.qualifier == "approximate":
        band = abs(v) * approximate_band
        return Interval(v - band, v + band), Interval(v - max(band, half), v + max(band, half))
    if q.qualifier == "lower_bound":
        stated = Interval(v, None)
    elif q.qualifier == "upper_bound":
        stated = Interval(None, v)
    elif q.qualifier == "near":
        stated = Interval(v - abs(v) * near_band, v)
    elif q.qualifier == "range":
        assert q.value_high is not None
        stated = Interval(v, q.value_high * q.magnitude)
    elif q.qualifier == "two_digit":
        stated = Interval(Decimal(10), Decimal(100))
    else:
        raise QuantityError(f"unknown qualifier {q.qualifier!r}")  # pragma: no cover
    return stated, stated
