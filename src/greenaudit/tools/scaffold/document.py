"""A source as scaffold reads it: normalised text, mentions, sentences and clauses.

All positions are positions of the normalised text (whitespace removed, declared
injections and annotations dropped, traditional script converted), which is what
quotes and quantities are proven against. The original's layout survives as two
sets of positions: `breaks` (whitespace stood before the character) and
`paragraphs` (a blank line stood before it; slides and charts lay out one label
per paragraph). A blank line between two characters that stand together elsewhere
in the document (全|国, 技|术) wraps a word of a slide's text box rather than ending
a phrase: `stops` are the paragraph breaks that are not such wraps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from greenaudit.workspace.manifest import Source
from greenaudit.text.mentions import Mention, breaks_of
from greenaudit.text.normalise import NormalisedText
from greenaudit.stage.observe import FORMULA_PREFIXES
from greenaudit.stage.source import prepare_source

SENTENCE_ENDS = "。!?;"            # after NFKC: ！？； are ! ? ;
BULLETS = "•◼✓⚫●■▪◆►▶"
CLAUSE_MARKS = ",:"                # ，： after NFKC
HAN = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Published:
    """The publication date of raw/sources.csv (`2023-06` or `2023`)."""

    year: int | None
    month: int | None

    @classmethod
    def parse(cls, text: str) -> "Published":
        match = re.match(r"^\s*(\d{4})(?:-(\d{1,2}))?", text or "")
        if not match:
            return cls(None, None)
        return cls(int(match[1]), int(match[2]) if match[2] else None)


@dataclass
class Document:
    source: Source
    original: str
    normalised: NormalisedText
    mentions: tuple[Mention, ...]

    @classmethod
    def build(cls, source: Source, original: str) -> "Document":
        normalised, mentions = prepare_source(original, source.cleaning)
        return cls(source, original, normalised, mentions)

    @property
    def text(self) -> str:
        return self.normalised.text

    @cached_property
    def breaks(self) -> frozenset[int]:
        return frozenset(breaks_of(self.normalised, self.original))

    @cached_property
    def paragraphs(self) -> frozenset[int]:
        n = self.normalised
        return frozenset(i for i in self.breaks
                         if self.original.count("\n", n.origin_end[i - 1], n.origin[i]) >= 2)

    @cached_property
    def stops(self) -> frozenset[int]:
        """Paragraph breaks that end a phrase (not a word wrapped over a blank line)."""
        text = self.text
        together = {text[i - 1:i + 1] for i in range(1, len(text)) if i not in self.breaks}
        return frozenset(i for i in self.paragraphs
                         if not (HAN.match(text[i - 1]) and HAN.match(text[i])
                                 and text[i - 1:i + 1] in together))

    @cached_property
    def published(self) -> Published:
        return Published.parse(self.source.published)

    def hard_stop(self, i: int) -> bool:
        """Whether text[i] ends a sentence or starts a bullet item."""
        return self.text[i] in SENTENCE_ENDS or self.text[i] in BULLETS

    def sentence(self, start: int, end: int) -> tuple[int, int]:
        """The sentence around text[start:end]: up to 。!?; a bullet or a blank line
        (one that does not wrap a word)."""
        a = start
        while a > 0 and not self.hard_stop(a - 1) and a not in self.stops:
            a -= 1
        b = end
        while b < len(self.text) and not self.hard_stop(b) and b not in self.stops:
            b += 1
        return a, b

    def item(self, start: int, end: int, width: int) -> tuple[int, int]:
        """The bullet item or sentence around text[start:end], across blank lines (a
        slide breaks its sentences over lines), up to `width` characters each side."""
        a = start
        while a > 0 and start - a < width and not self.hard_stop(a - 1):
            a -= 1
        b = end
        while b < len(self.text) and b - end < width and not self.hard_stop(b):
            b += 1
        return a, b

    def passage(self, start: int, end: int, width: int) -> tuple[int, int]:
        """Up to `width` characters each side, not across 。!?; (slides run on over lines)."""
        a = start
        while a > 0 and start - a < width and self.text[a - 1] not in SENTENCE_ENDS:
            a -= 1
        b = end
        while b < len(self.text) and b - end < width and self.text[b] not in SENTENCE_ENDS:
            b += 1
        return a, b

    def clauses(self, start: int, end: int, marks: str = CLAUSE_MARKS,
                lines: bool = True) -> list[tuple[int, int]]:
        """text[start:end] cut at `marks` (，：) and, if `lines`, at blank lines (each
        piece without its mark)."""
        pieces, a = [], start
        for i in range(start, end + 1):
            if i == end or self.text[i] in marks or (lines and i > a and i in self.stops):
                if i > a:
                    pieces.append((a, i))
                a = i + 1 if i < end and self.text[i] in marks else i
        return pieces

    def words(self, start: int, end: int) -> int:
        """Han characters in text[start:end] (how much a clause says besides figures)."""
        return len(HAN.findall(self.text[start:end]))

    def readable(self, start: int, end: int) -> str:
        """Original characters of text[start:end], one space where the original had whitespace."""
        pieces = []
        for i in range(start, end):
            if i > start and i in self.breaks:
                pieces.append(" ")
            pieces.append(self.normalised.original_characters(self.original, i, i + 1))
        return "".join(pieces)

    def quote_start(self, start: int, limit: int) -> int:
        """`start` moved right past marks a quote cannot begin with (up to `limit`)."""
        while start < limit and (self.text[start] in ",、:" + BULLETS
                                 or self.text[start].startswith(FORMULA_PREFIXES)):
            start += 1
        return start
