"""Normalise source text for matching, keeping a map back to the original offsets.

The same normalisation is applied to a document and to the quotes transcribed
from it, so that a quote can be written as a reader sees it (no line breaks, no
injected advertising, no pinyin annotations) and still be proven verbatim.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache


@dataclass(frozen=True)
class Cleaning:
    """The cleaning a source declares in raw/sources.csv."""

    drop_strings: tuple[str, ...] = ()
    strip_patterns: tuple[str, ...] = ()
    to_simplified: bool = False

    @property
    def compiled(self) -> tuple[re.Pattern, ...]:
        return _compile(self.strip_patterns)


@lru_cache(maxsize=None)
def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # the official OpenCC binding; imported only for Hant sources

    return opencc.OpenCC("t2s")


@dataclass
class NormalisedText:
    """Normalised text and, for each of its characters, the offset in the original."""

    text: str
    origin: list[int] = field(repr=False)
    original_length: int = 0

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) offsets of normalised text[start:end]."""
        if start >= end:
            point = self.origin[start] if start < len(self.origin) else self.original_length
            return point, point
        return self.origin[start], self.origin[end - 1] + 1

    def drop_matches(self, pattern: re.Pattern) -> None:
        spans = [m.span() for m in pattern.finditer(self.text) if m.end() > m.start()]
        if not spans:
            return
        pieces, origins, position = [], [], 0
        for start, end in spans:
            pieces.append(self.text[position:start])
            origins.append(self.origin[position:start])
            position = end
        pieces.append(self.text[position:])
        origins.append(self.origin[position:])
        self.text = "".join(pieces)
        self.origin = [o for chunk in origins for o in chunk]


_NON_SPACE = re.compile(r"\S+")  # \s is str.isspace() for str patterns


def _compatibility_chars(raw: str) -> tuple[str, list[int]]:
    """NFKC applied per character, whitespace removed, with original offsets."""
    if unicodedata.is_normalized("NFKC", raw):
        # Fast path: a normalised string is left unchanged character by character.
        chars, origin = [], []
        for match in _NON_SPACE.finditer(raw):
            chars.append(match.group())
            origin.extend(range(match.start(), match.end()))
        return "".join(chars), origin
    chars, origin = [], []
    for i, ch in enumerate(raw):
        # Per character so that each output character keeps its original offset.
        for out in unicodedata.normalize("NFKC", ch):
            if not out.isspace():
                chars.append(out)
                origin.append(i)
    return "".join(chars), origin


def _simplified(text: str) -> str:
    converted = _t2s().convert(text)
    if len(converted) != len(text):
        # Phrase conversions that change length would break the offset map.
        converted = "".join(_t2s().convert(ch) for ch in text)
    return converted


def normalise(raw: str, cleaning: Cleaning = Cleaning()) -> NormalisedText:
    """NFKC, whitespace removed, declared strings and patterns dropped, t2s if asked."""
    text, origin = _compatibility_chars(raw)
    result = NormalisedText(text, origin, len(raw))
    for dropped in cleaning.drop_strings:
        target = normalise_text(dropped)
        if target:
            result.drop_matches(re.compile(re.escape(target)))
    for pattern in cleaning.compiled:
        result.drop_matches(pattern)
    if cleaning.to_simplified and result.text:
        result.text = _simplified(result.text)
    return result


@lru_cache(maxsize=65536)
def normalise_text(raw: str, cleaning: Cleaning = Cleaning()) -> str:
    """The text `normalise` gives, without the offset map (quotes, quantities)."""
    text, _ = _compatibility_chars(raw)
    for dropped in cleaning.drop_strings:
        target = normalise_text(dropped)
        if target:
            text = text.replace(target, "")
    for pattern in cleaning.compiled:
        text = pattern.sub("", text)
    if cleaning.to_simplified and text:
        text = _simplified(text)
    return text
