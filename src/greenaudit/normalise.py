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

    def _keep(self, keep: list[bool]) -> None:
        self.text = "".join(ch for ch, k in zip(self.text, keep) if k)
        self.origin = [o for o, k in zip(self.origin, keep) if k]

    def drop_matches(self, pattern: re.Pattern) -> None:
        keep = [True] * len(self.text)
        for match in pattern.finditer(self.text):
            for i in range(match.start(), match.end()):
                keep[i] = False
        self._keep(keep)


def normalise(raw: str, cleaning: Cleaning = Cleaning()) -> NormalisedText:
    """NFKC, whitespace removed, declared strings and patterns dropped, t2s if asked."""
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(raw):
        # Per character so that each output character keeps its original offset.
        for out in unicodedata.normalize("NFKC", ch):
            if not out.isspace():
                chars.append(out)
                origin.append(i)
    result = NormalisedText("".join(chars), origin, len(raw))
    for dropped in cleaning.drop_strings:
        target = normalise(dropped).text
        if target:
            result.drop_matches(re.compile(re.escape(target)))
    for pattern in cleaning.compiled:
        result.drop_matches(pattern)
    if cleaning.to_simplified and result.text:
        converted = _t2s().convert(result.text)
        if len(converted) != len(result.text):
            # Phrase conversions that change length would break the offset map.
            converted = "".join(_t2s().convert(ch) for ch in result.text)
        result.text = converted
    return result
