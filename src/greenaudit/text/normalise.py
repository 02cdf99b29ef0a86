"""Normalise source text for matching, keeping a map back to the original offsets.

The same normalisation is applied to a document and to the quotes transcribed
from it, so that a quote can be written as a reader sees it (no line breaks, no
injected advertising, no pinyin annotations) and still be proven verbatim.

Every step is context-free per character (or per base character with its
combining marks), so normalising a piece of a document gives the matching piece
of the normalised document: a quote copied from the document is always found.
Only what a source declares in raw/sources.csv is dropped or converted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .digits import nfkc


@dataclass(frozen=True)
class Cleaning:
    """The cleaning a source declares in raw/sources.csv."""

    drop_strings: tuple[str, ...] = ()
    strip_patterns: tuple[str, ...] = ()
    to_simplified: bool = False

    @property
    def compiled(self) -> tuple:
        return _compile(self.strip_patterns)


def compile_strip_pattern(pattern: str):
    """A declared strip pattern, compiled by RE2 (PyPI `google-re2`): matching takes time
    linear in the text whatever the pattern, so a pattern such as (a+)+$ cannot stall
    staging. RE2 refuses what it cannot run in linear time (backreferences,
    lookaround); `re2.error` says why."""
    import re2

    options = re2.Options()
    options.log_errors = False   # the caller reports the error, located in the manifest
    return re2.compile(pattern, options=options)


@lru_cache(maxsize=None)
def _compile(patterns: tuple[str, ...]) -> tuple:
    return tuple(compile_strip_pattern(p) for p in patterns)


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # the official OpenCC binding (PyPI `opencc`); only Hant sources need it

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=None)
def to_simplified(ch: str) -> str:
    """One character in simplified script (OpenCC t2s, without phrase context).

    Phrase conversion depends on the neighbouring characters, so a quote converted
    on its own could differ from the same words converted inside the document.
    """
    return _t2s().convert(ch)


@dataclass
class NormalisedText:
    """Normalised text and, for each of its characters, the original range it came from."""

    text: str
    origin: list[int] = field(repr=False)
    original_length: int = 0
    origin_end: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if not self.origin_end:
            self.origin_end = [o + 1 for o in self.origin]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) offsets of normalised text[start:end]."""
        if start >= end:
            point = self.origin[start] if start < len(self.origin) else self.original_length
            return point, point
        return self.origin[start], self.origin_end[end - 1]

    def original_characters(self, original: str, start: int, end: int) -> str:
        """The original characters behind text[start:end], without what was removed.

        Whitespace, dropped strings and stripped annotations are left out; full-width
        forms and traditional characters are kept. The result normalises back to
        text[start:end] (given the same cleaning), so it can serve as a quote.
        """
        pieces: list[str] = []
        last = None
        for i in range(start, end):
            piece = (self.origin[i], self.origin_end[i])
            if piece != last:
                pieces.append(original[piece[0]:piece[1]])
                last = piece
        return "".join(pieces)

    def drop_matches(self, pattern) -> None:
        spans = [m.span() for m in pattern.finditer(self.text) if m.end() > m.start()]
        if not spans:
            return
        kept = []
        position = 0
        for start, end in spans:
            kept.append((position, start))
            position = end
        kept.append((position, len(self.text)))
        self.text = "".join(self.text[a:b] for a, b in kept)
        self.origin = [o for a, b in kept for o in self.origin[a:b]]
        self.origin_end = [o for a, b in kept for o in self.origin_end[a:b]]


_NON_SPACE = re.compile(r"\S+")  # \s is str.isspace() for str patterns


def _clusters(raw: str):
    """(start, end) of each base character with the combining marks that follow it."""
    start = 0
    for i in range(1, len(raw) + 1):
        if i == len(raw) or not unicodedata.combining(raw[i]):
            yield start, i
            start = i


class _NotOneToOne(Exception):
    """A character with combining marks, or whose NFKC form is not one character."""


class _OneToOneTable(dict):
    """str.translate table of NFKC per character, filled on first sight of a character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        form = nfkc(ch)
        if unicodedata.combining(ch) or len(form) != 1:
            raise _NotOneToOne
        self[code] = form
        return form


_ONE_TO_ONE = _OneToOneTable()


def _one_to_one(raw: str) -> str | None:
    """`raw` with each character replaced by its NFKC form, if every form is one character.

    Without combining marks every character is its own cluster; when, in addition, no
    character expands or vanishes (full-width punctuation and digits only change),
    positions are unchanged, so the offset map is the identity. None otherwise.
    """
    try:
        return raw.translate(_ONE_TO_ONE)
    except _NotOneToOne:
        return None


def _compatibility_chars(raw: str) -> tuple[str, list[int], list[int]]:
    """NFKC per cluster, whitespace removed, with each character's original range."""
    mapped = _one_to_one(raw)
    if mapped is not None:
        # Fast path: every output character stands where its original did.
        pieces: list[str] = []
        origin: list[int] = []
        for match in _NON_SPACE.finditer(mapped):
            pieces.append(match.group())
            origin.extend(range(match.start(), match.end()))
        return "".join(pieces), origin, [o + 1 for o in origin]
    chars: list[str] = []
    origin, origin_end = [], []
    for start, end in _clusters(raw):
        # Per cluster so that each output character keeps its original range.
        for out in nfkc(raw[start:end]):
            if not out.isspace():
                chars.append(out)
                origin.append(start)
                origin_end.append(end)
    return "".join(chars), origin, origin_end


def normalise(raw: str, cleaning: Cleaning = Cleaning()) -> NormalisedText:
    """NFKC with digits in ASCII (digits.nfkc), whitespace removed, declared strings and
    patterns dropped, t2s if asked. Linear in the text's length (RE2 patterns)."""
    text, origin, origin_end = _compatibility_chars(raw)
    result = NormalisedText(text, origin, len(raw), origin_end)
    for dropped in cleaning.drop_strings:
        target = normalise_text(dropped)
        if target:
            result.drop_matches(re.compile(re.escape(target)))
    for pattern in cleaning.compiled:
        result.drop_matches(pattern)
    if cleaning.to_simplified and result.text:
        converted: list[str] = []
        new_origin: list[int] = []
        new_end: list[int] = []
        for ch, o, e in zip(result.text, result.origin, result.origin_end):
            for out in to_simplified(ch):
                converted.append(out)
                new_origin.append(o)
                new_end.append(e)
        result.text = "".join(converted)
        result.origin, result.origin_end = new_origin, new_end
    return result


def _without(text: str, pattern) -> str:
    """`text` without the non-empty matches of `pattern` (drop_matches on text alone)."""
    spans = [m.span() for m in pattern.finditer(text) if m.end() > m.start()]
    if not spans:
        return text
    ends = [0] + [end for _, end in spans]
    starts = [start for start, _ in spans] + [len(text)]
    return "".join(text[a:b] for a, b in zip(ends, starts))


@lru_cache(maxsize=65536)
def normalise_text(raw: str, cleaning: Cleaning = Cleaning()) -> str:
    """The text `normalise` gives, without the offset map (quotes, quantities; cached).

    The same steps on the text alone: a quote or quantity is normalised once per row,
    and building an offset map for it would cost more than the rest of the row's checks.
    """
    mapped = _one_to_one(raw)
    if mapped is None:
        text = _compatibility_chars(raw)[0]
    else:
        text = "".join(mapped.split())   # str.split() splits where str.isspace() holds
    for dropped in cleaning.drop_strings:
        target = normalise_text(dropped)
        if target:
            # Non-overlapping, left to right: what drop_matches removes for a literal.
            text = text.replace(target, "")
    for pattern in cleaning.compiled:
        text = _without(text, pattern)
    if cleaning.to_simplified and text:
        text = "".join([to_simplified(ch) for ch in text])
    return text
