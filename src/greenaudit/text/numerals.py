"""Chinese numerals: one grammar for the quantity parser and the mention finder.

A numeral is read into its value and the place of its last stated digit, which
sets its precision exactly as the last digit of an Arabic figure does:

    三万        30000, place 10^4      (3万: [25000, 35000])
    三万五      35000, place 10^3      (the 五 of an elided 千)
    一千零十    1010,  place 10^1
    六点三      6.3,   place 10^-1

The grammar is the written one (大写 forms 壹 贰 ... 拾 佰 仟 included): places go
down (十七百 is refused), a digit has at most one place (十一十二, 十七十八 are
refused), 零 stands for skipped places (一千零一百 skips none and is refused), two
digits never stand side by side (三五, 一二三: colloquial ranges and digit-by-digit
readings are not figures), and a final digit after a place without 零 takes the
next lower place (两千六 = 2600, 一百二 = 120). Anything else raises a
QuantityError naming the construct.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from greenaudit.errors import QuantityError

ZEROS = "零〇"
DIGITS: dict[str, int] = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
PLACES: dict[str, int] = {"十": 1, "百": 2, "千": 3}          # exponent of each place
BIG_PLACES: dict[str, int] = {"万": 4, "亿": 8}
# Financial (大写) and traditional forms, read as the plain ones.
VARIANTS: dict[str, str] = {"壹": "一", "贰": "二", "貳": "二", "叁": "三", "參": "三",
                            "肆": "四", "伍": "五", "陆": "六", "陸": "六", "柒": "七",
                            "捌": "八", "玖": "九", "拾": "十", "佰": "百", "仟": "千",
                            "兩": "两", "萬": "万", "億": "亿"}
POINT = "点"
DIGIT_CHARS = "".join(DIGITS) + "".join(k for k, v in VARIANTS.items() if v in DIGITS)
PLACE_CHARS = "".join([*PLACES, *BIG_PLACES]) + "".join(
    k for k, v in VARIANTS.items() if v in PLACES or v in BIG_PLACES)
NUMERAL_CHARS = DIGIT_CHARS + PLACE_CHARS
# A numeral as a regular expression (a shape only: read_numeral decides).
NUMERAL_PATTERN = f"[{NUMERAL_CHARS}]+(?:{POINT}[{DIGIT_CHARS}]+)?"
# Forms of the quantity grammar that the mention finder must find as well.
HALF = "一半"
FRACTION_MARK = "分之"           # 三分之一; 百分之十五 and 千分之三 are shares
RANGE_SEPARATORS = ("——", "--", "-", "~", "至", "到", "—", "–")
# Words that are not numerals although they start with numeral characters.
UNSUPPORTED = {"兆": "兆 means 10^6 or 10^12 depending on the writer",
               "廿": "廿 (twenty) is not read", "卅": "卅 (thirty) is not read",
               "幺": "幺 (one, in digit-by-digit readings) is not a figure"}
_TRANSLATE = str.maketrans(VARIANTS)
_SHARED_TAILS = ("万亿", "亿", "万", "千", "百")   # place words a range may share: 两到三万


@dataclass(frozen=True)
class Numeral:
    """A Chinese numeral read: 三万五 is Numeral(35000, 3, "", elided=True, big=True)."""

    value: Decimal
    exponent: int        # place of the last stated digit
    tail: str = ""       # trailing place word a range can share (万 of 三万); "" if none
    elided: bool = False  # ends in a digit whose place is implied (三万五, 两千六)
    big: bool = False    # contains 万 or 亿

    @property
    def tail_exponent(self) -> int:
        return {"万亿": 12, "亿": 8, "万": 4, "千": 3, "百": 2, "": 0}[self.tail]


def plain(text: str) -> str:
    """The numeral with financial and traditional forms replaced by the plain ones."""
    return text.translate(_TRANSLATE)


def read_numeral(text: str) -> Numeral:
    """Read a Chinese numeral (integer, or decimal with 点); raise QuantityError if malformed."""
    t = plain(text)
    for ch, why in UNSUPPORTED.items():
        if ch in t:
            raise QuantityError(f"Chinese numeral {text!r}: {why}")
    if not t or any(ch not in DIGITS and ch not in PLACES and ch not in BIG_PLACES
                    and ch != POINT for ch in t):
        raise QuantityError(f"not a Chinese numeral: {text!r}")
    if POINT not in t:
        return _integer(t, text)
    whole, _, fraction = t.partition(POINT)
    if not whole or not fraction:
        raise QuantityError(f"Chinese numeral {text!r}: 点 needs digits on both sides "
                            f"(零点五, 六点三)")
    if any(ch not in DIGITS or ch == "两" for ch in fraction):
        raise QuantityError(f"Chinese numeral {text!r}: after 点 only the digits 零 to 九 "
                            f"may follow, one per decimal place (六点三五)")
    number = _integer(whole, text)
    if number.elided:
        raise QuantityError(f"Chinese numeral {text!r}: the whole part of a decimal must "
                            f"name every place (三万五千点二, not 三万五点二)")
    digits = "".join(str(DIGITS[ch]) for ch in fraction)
    return Numeral(number.value + Decimal(f"0.{digits}"), -len(digits), big=number.big)


def parse_chinese_numeral(text: str) -> int:
    """The value of an integer Chinese numeral: 七, 十三, 一百二十, 两千, 三万五千."""
    number = read_numeral(text)
    if number.exponent < 0:
        raise QuantityError(f"Chinese numeral {text!r} is not an integer")
    return int(number.value)


def _integer(t: str, text: str) -> Numeral:
    if t in ZEROS:
        return Numeral(Decimal(0), 0)
    if t[0] in ZEROS:
        raise QuantityError(f"Chinese numeral {text!r} starts with 零; 零 stands only "
                            f"between stated places (一千零五)")
    return _level(t, text, 8, start=True, after_zero=False)


def _level(t: str, text: str, exp: int, start: bool, after_zero: bool) -> Numeral:
    """A number below 10^(exp+4) (exp 8: any; exp 4: below 10^8; exp 0: a section)."""
    if exp == 0:
        return _section(t, text, start, after_zero)
    word = "亿" if exp == 8 else "万"
    if word not in t:
        return _level(t, text, exp - 4, start, after_zero)
    head, _, rest = t.partition(word)
    if word in rest:
        raise QuantityError(f"Chinese numeral {text!r}: {word} is written twice")
    if head:
        coefficient = _level(head, text, exp - 4, start, after_zero)
    elif start and not rest:
        coefficient = Numeral(Decimal(1), 0)          # 万种, 亿元, 万亿: one 万, one 亿
    else:
        # 万三 is trade slang for 万分之三, not 一万三.
        raise QuantityError(f"Chinese numeral {text!r}: {word} has no digit before it")
    base = coefficient.value * 10 ** exp
    if not rest:
        tail = "万亿" if exp == 8 and coefficient.tail == "万" else word
        return Numeral(base, coefficient.exponent + exp, tail, big=True)
    zero = rest[0] in ZEROS
    rest = rest[1:] if zero else rest
    if not rest:
        raise QuantityError(f"Chinese numeral {text!r} ends in 零")
    if not zero and len(rest) == 1 and rest in DIGITS:
        # 三万五: the digit after 万 without 零 is of the next lower place (千).
        return Numeral(base + DIGITS[rest] * 10 ** (exp - 1), exp - 1, elided=True,
                       big=True)
    lower = _level(rest, text, exp - 4, start=False, after_zero=zero)
    return Numeral(base + lower.value, lower.exponent, "", lower.elided, True)


def _section(t: str, text: str, start: bool, after_zero: bool) -> Numeral:
    """A number below 10^4: digits with their places 十 百 千, and 零 for skipped places."""
    value, last, zero, elided = 0, None, after_zero, False
    pos = 0
    while pos < len(t):
        ch = t[pos]
        if ch in ZEROS:
            if zero:
                raise QuantityError(f"Chinese numeral {text!r}: two 零 in a row")
            zero, pos = True, pos + 1
            continue
        if ch in DIGITS:
            digit, pos = DIGITS[ch], pos + 1
            if pos < len(t) and t[pos] in PLACES:
                place, pos = PLACES[t[pos]], pos + 1
            elif pos < len(t):
                raise QuantityError(
                    f"Chinese numeral {text!r}: two digits side by side ({ch}{t[pos]}); a "
                    f"colloquial range (三五万) or a digit-by-digit reading is not a figure")
            elif last is None or zero or last == 1:
                place = 0
            else:
                place, elided = last - 1, True          # 两千六: 六 is of the 百
        else:
            digit, place, pos = 1, PLACES[ch], pos + 1
            _check_bare_place(ch, t, pos, text, start and last is None, zero, last)
        if last is not None and place >= last:
            raise QuantityError(
                f"Chinese numeral {text!r}: the {_name(place)} come after the {_name(last)}; "
                f"places must go down (十七百 and 十一十二 are not numbers)")
        if zero and last is not None and place >= last - 1:
            raise QuantityError(f"Chinese numeral {text!r}: 零 before the {_name(place)} "
                                f"skips no place")
        value, last, zero = value + digit * 10 ** place, place, False
    if zero:
        raise QuantityError(f"Chinese numeral {text!r} ends in 零")
    assert last is not None
    tail = t[-1] if t[-1] in "百千" and not elided else ""
    return Numeral(Decimal(value), last, tail, elided)


def _check_bare_place(ch: str, t: str, pos: int, text: str, first: bool, zero: bool,
                      last: int | None) -> None:
    """A place word without its digit means one of it only where that reading is certain."""
    if ch == "十" and (first or zero or last == 2):     # 十三, 一千零十, 一百十六
        return
    if ch in "百千" and first and pos == len(t):          # 百万, 千家; not 百十 ("about 100")
        return
    raise QuantityError(f"Chinese numeral {text!r}: {ch} without a digit before it")


def _name(place: int) -> str:
    return {0: "ones", 1: "tens (十)", 2: "hundreds (百)", 3: "thousands (千)"}[place]


def shared_tail(number: Numeral) -> tuple[int, Decimal] | None:
    """(exponent, coefficient) of the place word that a range's first term may share:
    (4, 3) for the 三万 of 两到三万."""
    if number.tail not in _SHARED_TAILS or number.elided:
        return None
    return number.tail_exponent, number.value / 10 ** number.tail_exponent
