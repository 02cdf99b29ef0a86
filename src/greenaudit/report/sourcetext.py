"""Quotes in the normalised source texts: where they are, and the texts as HTML.

The normalised text is what the evidence check searched (NFKC, whitespace and
declared strings removed, traditional script converted), so a quote is found in it
the same way: normalise the quote with the source's cleaning and look it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from greenaudit.stage.evidence import closest, find_all
from greenaudit.text.normalise import Cleaning, normalise

NUMBER_CHARS = frozenset("0123456789.")
SENTENCE_ENDS = "。！？"


@dataclass(frozen=True)
class Located:
    """A quote in a normalised text, with its quantity if found inside it."""

    anchor: str
    start: int
    end: int
    quantity_start: int | None = None
    quantity_end: int | None = None


def _standalone(text: str, start: int, end: int) -> bool:
    """The match does not continue a longer number (28 inside 28.2, 6.29 inside 6.296.10)."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return not ((text[start] in NUMBER_CHARS and before in NUMBER_CHARS and before)
                or (text[end - 1] in NUMBER_CHARS and after in NUMBER_CHARS and after))


def occurrence_number(text: str) -> int | None:
    """The occurrence a row names (1-based), None when it names none."""
    return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else None


def find_quantity(text: str, quantity: str,
                  occurrence: int | None = None) -> tuple[int, int] | None:
    """Offsets of `quantity` in `text`: its `occurrence`-th standalone occurrence
    (1-based) when the row names one, else the first standalone one, else the first."""
    found = [(p, p + len(quantity)) for p in find_all(text, quantity)]
    standalone = [(start, end) for start, end in found if _standalone(text, start, end)]
    if occurrence is not None and occurrence <= len(standalone):
        return standalone[occurrence - 1]
    if standalone:
        return standalone[0]
    return found[0] if found else None


def locate(text: str, anchor: str, quote: str, quantity: str, cleaning: Cleaning,
           occurrence: int | None = None,
           quantity_occurrence: int | None = None) -> Located | None:
    """Where `quote` (and `quantity` inside it) is in the normalised source `text`: the
    quote's `occurrence`-th position when the row names one, as the evidence check
    took it."""
    quote_norm = normalise(quote, cleaning).text
    found = find_all(text, quote_norm)
    if not found:
        return None
    start = found[occurrence - 1] if occurrence and occurrence <= len(found) else found[0]
    inside = find_quantity(quote_norm, normalise(quantity, cleaning).text, quantity_occurrence)
    if inside is None:
        return Located(anchor, start, start + len(quote_norm))
    return Located(anchor, start, start + len(quote_norm), start + inside[0], start + inside[1])


def highlight(quote: str, quantity: str, cleaning: Cleaning,
              quantity_occurrence: int | None = None,
              qualifier: str = "") -> list[tuple[str, str]]:
    """The quote as transcribed, split into (text, mark) pieces: mark "qty" for the
    quantity, "qual" for a qualifier written apart from it, "" for the rest.

    Both are looked up in the normalised quote and mapped back, so they are found in
    traditional script, across line breaks or injected strings too.
    """
    quote_norm = normalise(quote, cleaning)
    inside = find_quantity(quote_norm.text, normalise(quantity, cleaning).text,
                           quantity_occurrence)
    if inside is None:
        return [(quote, "")]
    marks = [(*quote_norm.span(*inside), "qty")]
    wanted = normalise(qualifier, cleaning).text if qualifier else ""
    near = closest(find_all(quote_norm.text, wanted), len(wanted), *inside) if wanted else None
    if near is not None:
        marks.append((*quote_norm.span(near, near + len(wanted)), "qual"))
    pieces, at = [], 0
    for start, end, mark in sorted(marks):
        pieces += [(quote[at:start], ""), (quote[start:end], mark)]
        at = end
    pieces.append((quote[at:], ""))
    return [(piece, mark) for piece, mark in pieces if piece]


def _escaped(text: str) -> str:
    html = str(escape(text))
    for end in SENTENCE_ENDS:
        # A visual break after each sentence: the normalised text has no line breaks.
        html = html.replace(end, f"{end}<br>")
    return html


def render_text(text: str, located: list[Located]) -> Markup:
    """The normalised text as HTML: every quote a <mark> naming its anchors, the
    quantity emphasised, and an empty element carrying each quote's anchor id.

    One sweep over the sorted boundaries: quotes open and close as it passes their
    ends, so the cost is the text's length plus (quotes x log quotes), whatever the
    number of quotes and however they overlap.
    """
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    quantity_depth: dict[int, int] = {}
    cuts = {0, len(text)}
    for loc in sorted(located, key=lambda item: item.anchor):
        cuts.update((loc.start, loc.end))
        opens.setdefault(loc.start, []).append(loc.anchor)
        closes.setdefault(loc.end, []).append(loc.anchor)
        if loc.quantity_start is not None and loc.quantity_end is not None:
            cuts.update((loc.quantity_start, loc.quantity_end))
            quantity_depth[loc.quantity_start] = quantity_depth.get(loc.quantity_start, 0) + 1
            quantity_depth[loc.quantity_end] = quantity_depth.get(loc.quantity_end, 0) - 1
    points = sorted(cuts)
    active: dict[str, int] = {}  # anchor -> how many of its quotes cover the piece
    in_quantity = 0
    covering = ""
    parts: list[str] = []
    for a, b in zip(points, points[1:]):
        changed = a in closes or a in opens
        for anchor in closes.get(a, ()):
            active[anchor] -= 1
            if not active[anchor]:
                del active[anchor]
        for anchor in opens.get(a, ()):
            active[anchor] = active.get(anchor, 0) + 1
            parts.append(f'<span class="anchor" id="{escape(anchor)}"></span>')
        in_quantity += quantity_depth.get(a, 0)
        if changed:
            covering = str(escape(" ".join(sorted(
                anchor for anchor, n in active.items() for _ in range(n)))))
        piece = _escaped(text[a:b])
        if not active:
            parts.append(piece)
            continue
        css = "q qty" if in_quantity > 0 else "q"
        parts.append(f'<mark class="{css}" data-q="{covering}">{piece}</mark>')
    return Markup("".join(parts))


EXCERPT_CONTEXT = 120
ELISION = '<span class="muted"> […] </span>'


def render_excerpts(text: str, located: list[Located], budget: int,
                    context: int = EXCERPT_CONTEXT) -> tuple[Markup, set[str], int]:
    """A long text as excerpts around its quotes, about `budget` characters in all.

    Quotes are taken in the given order (most important first) while their excerpts
    fit (the first always does); returns the HTML, the anchors of the quotes shown
    (those taken and any others that lie inside the excerpts) and how many
    characters of the text it shows.
    """
    windows: list[tuple[int, int]] = []
    kept: list[Located] = []
    used = 0
    for loc in located:
        start, end = max(0, loc.start - context), min(len(text), loc.end + context)
        if kept and used + (end - start) > budget:
            continue
        windows.append((start, end))
        kept.append(loc)
        used += end - start
    merged: list[list[int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        merged = [[0, min(len(text), budget)]]
    parts: list[str] = []
    shown: set[str] = set()
    for start, end in merged:
        if start > 0 or parts:
            parts.append(ELISION)
        inside = [Located(loc.anchor, loc.start - start, loc.end - start,
                          None if loc.quantity_start is None else loc.quantity_start - start,
                          None if loc.quantity_end is None else loc.quantity_end - start)
                  for loc in located if start <= loc.start and loc.end <= end]
        shown.update(loc.anchor for loc in inside)
        parts.append(str(render_text(text[start:end], inside)))
    if merged[-1][1] < len(text):
        parts.append(ELISION)
    return Markup("".join(parts)), shown, sum(end - start for start, end in merged)
