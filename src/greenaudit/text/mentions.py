"""Find every numeric mention in a normalised source text.

A mention is what a reader would take for a number: Arabic digits (full-width
forms are half-width after normalisation) with their decimals and a following
percent sign or magnitude (15.5%, 1.5亿); a Chinese numeral that carries a
magnitude (十三五, 二十大, 千家), has decimals (六点三), is followed by a measure
word or unit (七部门, 两位数, 四个, 五千瓦) or is the first term of a range whose
second term is a mention (the 两 of 两到三万吨); the shares and ratios the quantity
grammar reads (百分之二, 千分之三, 三分之一, 一半); and calendar expressions (2023年,
6月1日, 2012-2022年, 2023年4月底), the only kind the coverage audit sets aside on its
own. The numeral characters and forms are those of numerals.py, which the quantity
parser reads. The rules are general: nothing here knows a particular source.

Normalisation removes whitespace, so "3616 267 403" (a slide table) becomes
"3616267403". Digits separated by whitespace in the original are therefore kept
apart: a number never runs across a place where the original had whitespace."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from greenaudit.text.digits import DIGIT
from greenaudit.text.normalise import NormalisedText
from greenaudit.text.numerals import DIGIT_CHARS, FRACTION_MARK, HALF, PLACE_CHARS, POINT, RANGE_SEPARATORS

KINDS = ("calendar", "arabic", "chinese")
BREAK = "\x00"   # marks, in the scanned text, where the original had whitespace
_B = f"{BREAK}?"

_YEAR = rf"(?:19|20){DIGIT}{{2}}"
_MONTH = r"(?:1[0-2]|0?[1-9])"
_DAY = rf"(?:3[01]|[12]{DIGIT}|0?[1-9])"
# Unambiguous calendar expressions only: a four-digit year written with 年 (alone,
# as a span, or with its month and day), or a month written with its day.
CALENDAR = re.compile(
    rf"(?<![0-9.])(?:{_YEAR}(?:{_B}[-–—~～至到]{_B}{_YEAR})?{_B}年"
    rf"(?:{_B}{_MONTH}{_B}月(?:{_B}{_DAY}{_B}日)?)?(?:{_B}[底末初])?"
    rf"|{_MONTH}{_B}月{_B}{_DAY}{_B}日)")

ARABIC = re.compile(r"(?<![0-9])[0-9]+(?:\.[0-9]+)*")
PERCENT = ("%", "‰")
MAGNITUDES = ("万亿", "千万", "百万", "十万", "亿", "万", "千", "百", "十")

CN_DIGITS = DIGIT_CHARS
CN_MAGNITUDES = PLACE_CHARS
# A numeral, with 余/多 before a magnitude (十余万) and decimals (六点三, 二十点一万).
CN_NUMERAL = re.compile(f"[{CN_DIGITS}{CN_MAGNITUDES}]+(?:[余多][万亿]+)?"
                        f"(?:{POINT}[{CN_DIGITS}]+(?:万亿|亿|万)?)?")
CN_ZERO = "〇零"
_CN_NUMBER = f"[{CN_DIGITS}{CN_MAGNITUDES}]+"
# Shares and ratios in words, found before the plain numerals they contain.
CN_RATIO = re.compile(f"{_CN_NUMBER}{FRACTION_MARK}{_CN_NUMBER}(?:{POINT}[{CN_DIGITS}]+)?"
                      f"|{HALF}|(?<=翻){_CN_NUMBER}番|(?<=翻了){_CN_NUMBER}番")
# Words ending in 一 (统一, 之一, 第一...): their 一 does not begin a range (统一到三个方面).
WORDS_BEFORE_ONE = "统唯之第同逐单专划归合"
# Idioms shaped like a decimal ("一点一滴", bit by bit).
DECIMAL_IDIOMS = ("一点一滴", "一点一点", "两点一线", "三点一线")

# Measure words and units (longest first) after which a bare Chinese numeral counts
# something: every written unit of schemas/units.yaml starts with one of them. 千瓦
# and the like are units even though 千 is a numeral character.
MEASURE_WORDS = tuple(sorted(
    "个 位数 位 项 家 种 倍 部门 部 次 批 大 方面 类 条 级 层 名 件 台 座 所 款 份 成 轮 只 处 组 "
    "套 期 届 代 年 月 日 天 周 季 元 吨 辆 人 张 场 段 点 亩 度 千瓦时 千瓦 千克 千米 兆瓦 % ‰ "
    "百分点 美元 克".split(),
    key=len, reverse=True))

# Where a numeral character begins a word instead of a number: the SI prefix kilo-
# (千瓦 kilowatt, 千克, 千米), 百分 (percent: 百分点, 百分比) and, at the start of a
# numeral only, 十分 (very; the 十 of 六十分 is sixty's).
NOT_NUMERAL_BEFORE = {"千": ("瓦", "克", "米"), "百": ("分",), "十": ("分",)}
_ONLY_FIRST = "十"


@dataclass(frozen=True)
class Mention:
    """A numeric mention at text[start:end] of a normalised text."""

    start: int
    end: int
    text: str
    kind: str


class _Scan:
    """The normalised text with BREAK where the original had whitespace."""

    def __init__(self, text: str, breaks: set[int]) -> None:
        pieces: list[str] = []
        self.index: list[int] = []   # scan position -> normalised position
        previous = 0
        # Piece by piece between the breaks (few: about one per line), not per character.
        for i in sorted(b for b in breaks if 0 <= b < len(text)):
            pieces.append(text[previous:i])
            pieces.append(BREAK)
            self.index.extend(range(previous, i + 1))   # ... and BREAK maps to i
            previous = i
        pieces.append(text[previous:])
        self.index.extend(range(previous, len(text) + 1))
        self.text = "".join(pieces)

    def to_text(self, start: int, end: int) -> tuple[int, int]:
        # A span never starts on a BREAK, and one ending on it ends before the next character.
        return self.index[start], self.index[end - 1] + 1


def _skip_break(scan: str, pos: int) -> int:
    return pos + 1 if scan.startswith(BREAK, pos) else pos


def _word_follows(scan: str, ch: str, pos: int) -> bool:
    return scan.startswith(NOT_NUMERAL_BEFORE.get(ch, ()), _skip_break(scan, pos))


def _arabic_end(scan: str, end: int) -> int:
    """Extend an Arabic number over a following percent sign or magnitude word
    (with 余/多 before it: 200多万)."""
    pos = _skip_break(scan, end)
    if scan.startswith(PERCENT, pos):
        return pos + 1
    if scan.startswith(("余", "多"), pos) and scan.startswith(("万", "亿"), pos + 1):
        pos += 1
    for magnitude in MAGNITUDES:
        if scan.startswith(magnitude, pos):
            last = pos + len(magnitude) - 1
            if _word_follows(scan, scan[last], last + 1):   # 96.9亿千瓦时: 千 is kilo-
                return last if len(magnitude) > 1 else end
            return pos + len(magnitude)
    return end


def _chinese(scan: str, i: int, j: int) -> tuple[int, int] | None:
    """The mention that the numeral characters scan[i:j] make, or None for a bare
    numeral (which is a mention only as the first term of a range)."""
    end = j
    while end > i and _word_follows(scan, scan[end - 1], end) \
            and (scan[end - 1] not in _ONLY_FIRST or end - 1 == i):
        end -= 1
    run = scan[i:end]
    if not run.strip(CN_ZERO):   # 零件 (parts), 零碳 are words, not numbers
        return None
    if POINT in run and scan.startswith(DECIMAL_IDIOMS, i):
        return None
    after = _skip_break(scan, end)
    measure = _measure(scan, after)
    if not measure and scan.startswith(("余", "多"), after) and _measure(scan, after + 1):
        after += 1                                # 三百余家: the measure word after 余
        measure = _measure(scan, after)
    if measure:
        return i, after + len(measure)
    if POINT in run or any(ch in CN_MAGNITUDES for ch in run):
        return i, end
    return None


def _measure(scan: str, pos: int) -> str:
    return next((m for m in MEASURE_WORDS if scan.startswith(m, pos)), "")


def _untaken(taken: bytearray, start: int, end: int) -> list[tuple[int, int]]:
    """The maximal stretches of [start, end) not yet part of a mention (taken[i] == 1)."""
    parts, i = [], start
    while i < end:
        i = taken.find(0, i, end)
        if i < 0:
            break
        j = taken.find(1, i, end)
        j = end if j < 0 else j
        parts.append((i, j))
        i = j
    return parts


def _range_follows(scan: str, end: int, starts: set[int]) -> bool:
    """Whether scan[end:] is a range separator and then a Chinese mention (两到三万)."""
    pos = _skip_break(scan, end)
    for separator in RANGE_SEPARATORS:
        if scan.startswith(separator, pos):
            return _skip_break(scan, pos + len(separator)) in starts
    return False


_SPACE = re.compile(r"\s")   # str.isspace(), as for str patterns \s is


def breaks_of(normalised: NormalisedText, original: str) -> set[int]:
    """Positions i of the normalised text with whitespace in the original just before i:
    between the original ranges of characters i - 1 and i.

    From the original's whitespace (about one character a line), not from every
    character: the offsets map is sorted, so the only i whose gap can hold an original
    offset w is the first with origin[i] > w.
    """
    origin, origin_end, n = normalised.origin, normalised.origin_end, len(normalised.text)
    breaks = set()
    for space in _SPACE.finditer(original):
        w = space.start()
        i = bisect_right(origin, w)
        if 1 <= i < n and origin_end[i - 1] <= w:
            breaks.add(i)
    return breaks


def find_mentions(text: str, breaks: set[int] = frozenset()) -> list[Mention]:
    """Every numeric mention in normalised `text`, in order, without overlaps."""
    scan = _Scan(text, set(breaks))
    taken = bytearray(len(scan.text))   # 1 where a mention is: C-level slices and finds
    mentions: list[Mention] = []
    chinese_starts: set[int] = set()

    def take(start: int, end: int, kind: str) -> None:
        taken[start:end] = b"\x01" * (end - start)
        if kind == "chinese":
            chinese_starts.add(start)
        a, b = scan.to_text(start, end)
        mentions.append(Mention(a, b, text[a:b], kind))

    for match in CALENDAR.finditer(scan.text):
        take(match.start(), match.end(), "calendar")
    for match in ARABIC.finditer(scan.text):
        if taken.find(1, match.start(), match.end()) < 0:
            take(match.start(), _arabic_end(scan.text, match.end()), "arabic")
    for match in CN_RATIO.finditer(scan.text):
        if taken.find(1, match.start(), match.end()) < 0:
            take(match.start(), match.end(), "chinese")
    bare: list[tuple[int, int]] = []
    for match in CN_NUMERAL.finditer(scan.text):
        for i, j in _untaken(taken, match.start(), match.end()):
            span = _chinese(scan.text, i, j)
            if span is not None:
                take(*span, "chinese")
            elif scan.text[i:j].strip(CN_ZERO) and not _word_follows(scan.text, scan.text[j - 1], j):
                bare.append((i, j))
    for i, j in bare:
        if scan.text[i:j] == "一" and i > 0 and scan.text[i - 1] in WORDS_BEFORE_ONE:
            continue
        if _range_follows(scan.text, j, chinese_starts):
            take(i, j, "chinese")
    return sorted(mentions, key=lambda m: (m.start, m.end))


def mentions_in(normalised: NormalisedText, original: str) -> list[Mention]:
    """The mentions of a normalised source, kept apart where the original had whitespace."""
    return find_mentions(normalised.text, breaks_of(normalised, original))
