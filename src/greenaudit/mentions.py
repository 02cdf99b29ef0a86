"""Find every numeric mention in a normalised source text.

A mention is what a reader would take for a number: Arabic digits (full-width
forms are half-width after normalisation) with their decimals and a following
percent sign or magnitude (15.5%, 1.5亿); a Chinese numeral that carries a
magnitude (十三五, 二十大, 千家) or is followed by a measure word (七部门, 两位数,
四个); and calendar expressions (2023年, 6月1日, 2012-2022年, 2023年4月底), the only
kind the coverage audit sets aside on its own. The rules are general: nothing
here knows a particular source.

Normalisation removes whitespace, so "3616 267 403" (a slide table) becomes
"3616267403". Digits separated by whitespace in the original are therefore kept
apart: a number never runs across a place where the original had whitespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .digits import DIGIT
from .normalise import NormalisedText

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

ARABIC = re.compile(rf"(?<!{DIGIT}){DIGIT}+(?:\.{DIGIT}+)*")
PERCENT = ("%", "‰")
MAGNITUDES = ("万亿", "千万", "百万", "十万", "亿", "万", "千", "百", "十")

CN_DIGITS = "〇零一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
CN_MAGNITUDES = "十百千万亿拾佰仟"
CN_NUMERAL = re.compile(f"[{CN_DIGITS}{CN_MAGNITUDES}]+")
CN_ZERO = "〇零"

# Measure words (longest first) after which a bare Chinese numeral counts something.
MEASURE_WORDS = tuple(sorted(
    "个 位数 位 项 家 种 倍 部门 部 次 批 大 方面 类 条 级 层 名 件 台 座 所 款 份 成 轮 只 处 组 "
    "套 期 届 代 年 月 日 天 周 季 元 吨 辆 人 张 场 段 点 亩 度".split(), key=len, reverse=True))

# Where a numeral character begins a word instead of a number: the SI prefix kilo-
# (千瓦 kilowatt, 千克, 千米), 百分 (percent: 百分点, 百分比) and 十分 (very).
NOT_NUMERAL_BEFORE = {"千": ("瓦", "克", "米"), "百": ("分",), "十": ("分",)}


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
        chars: list[str] = []
        self.index: list[int] = []   # scan position -> normalised position
        for i, ch in enumerate(text):
            if i in breaks:
                chars.append(BREAK)
                self.index.append(i)
            chars.append(ch)
            self.index.append(i)
        self.index.append(len(text))
        self.text = "".join(chars)

    def to_text(self, start: int, end: int) -> tuple[int, int]:
        # A span never starts on a BREAK, and one ending on it ends before the next character.
        return self.index[start], self.index[end - 1] + 1


def _skip_break(scan: str, pos: int) -> int:
    return pos + 1 if scan.startswith(BREAK, pos) else pos


def _word_follows(scan: str, ch: str, pos: int) -> bool:
    return scan.startswith(NOT_NUMERAL_BEFORE.get(ch, ()), _skip_break(scan, pos))


def _arabic_end(scan: str, end: int) -> int:
    """Extend an Arabic number over a following percent sign or magnitude word."""
    pos = _skip_break(scan, end)
    if scan.startswith(PERCENT, pos):
        return pos + 1
    for magnitude in MAGNITUDES:
        if scan.startswith(magnitude, pos):
            last = pos + len(magnitude) - 1
            if _word_follows(scan, scan[last], last + 1):   # 96.9亿千瓦时: 千 is kilo-
                return last if len(magnitude) > 1 else end
            return pos + len(magnitude)
    return end


def breaks_of(normalised: NormalisedText, original: str) -> set[int]:
    """Positions i of the normalised text with whitespace in the original just before i."""
    breaks = set()
    for i in range(1, len(normalised.text)):
        gap = original[normalised.origin_end[i - 1]:normalised.origin[i]]
        if any(ch.isspace() for ch in gap):
            breaks.add(i)
    return breaks


def find_mentions(text: str, breaks: set[int] = frozenset()) -> list[Mention]:
    """Every numeric mention in normalised `text`, in order, without overlaps."""
    scan = _Scan(text, set(breaks))
    taken = [False] * len(scan.text)
    mentions: list[Mention] = []

    def take(start: int, end: int, kind: str) -> None:
        for i in range(start, end):
            taken[i] = True
        a, b = scan.to_text(start, end)
        mentions.append(Mention(a, b, text[a:b], kind))

    for match in CALENDAR.finditer(scan.text):
        take(match.start(), match.end(), "calendar")
    for match in ARABIC.finditer(scan.text):
        if not any(taken[match.start():match.end()]):
            take(match.start(), _arabic_end(scan.text, match.end()), "arabic")
    for match in CN_NUMERAL.finditer(scan.text):
        i = match.start()
        while i < match.end():
            if taken[i]:
                i += 1
                continue
            j = i
            while j < match.end() and not taken[j]:
                j += 1
            end = j
            while end > i and _word_follows(scan.text, scan.text[end - 1], end):
                end -= 1
            run = scan.text[i:end]
            if run and run.strip(CN_ZERO):   # 零件 (parts), 零碳 are words, not numbers
                after = _skip_break(scan.text, end)
                measure = next((m for m in MEASURE_WORDS if scan.text.startswith(m, after)), "")
                if measure or any(ch in CN_MAGNITUDES for ch in run):
                    take(i, after + len(measure) if measure else end, "chinese")
            i = j
    return sorted(mentions, key=lambda m: (m.start, m.end))


def mentions_in(normalised: NormalisedText, original: str) -> list[Mention]:
    """The mentions of a normalised source, kept apart where the original had whitespace."""
    return find_mentions(normalised.text, breaks_of(normalised, original))
