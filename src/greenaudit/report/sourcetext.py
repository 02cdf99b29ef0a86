"""Quotes in the normalised source texts: where they are, and the texts as HTML.

The normalised text is what the evidence check searched (NFKC, whitespace and
declared strings removed, traditional script converted), so a quote is found in it
the same way: normalise the quote with the source's cleaning and look it up.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from ..normalise import Cleaning, normalise

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


def find_quantity(text: str, quantity: str) -> tuple[int, int] | None:
    """Offsets of `quantity` in `text`, preferring an occurrence that stands alone."""
    if not quantity:
        return None
    found = []
    position = text.find(quantity)
    while position >= 0:
        found.append((position, position + len(quantity)))
        position = text.find(quantity, position + 1)
    for start, end in found:
        if _standalone(text, start, end):
            return start, end
    return found[0] if found else None


def locate(text: str, anchor: str, quote: str, quantity: str, cleaning: Cleaning) -> Located | None:
    """Where `quote` (and `quantity` inside it) is in the normalised source `text`."""
    quote_norm = normalise(quote, cleaning).text
    start = text.find(quote_norm) if quote_norm else -1
    if start < 0:
        return None
    inside = find_quantity(quote_norm, normalise(quantity, cleaning).text)
    if inside is None:
        return Located(anchor, start, start + len(quote_norm))
    return Located(anchor, start, start + len(quote_norm), start + inside[0], start + inside[1])


def highlight(quote: str, quantity: str, cleaning: Cleaning) -> list[tuple[str, bool]]:
    """The quote as transcribed, split into (text, is_the_quantity) pieces.

    The quantity is looked up in the normalised quote and mapped back, so it is
    found in traditional script, across line breaks or injected strings too.
    """
    quote_norm = normalise(quote, cleaning)
    inside = find_quantity(quote_norm.text, normalise(quantity, cleaning).text)
    if inside is None:
        return [(quote, False)]
    start, end = quote_norm.span(*inside)
    return [(piece, marked) for piece, marked in
            ((quote[:start], False), (quote[start:end], True), (quote[end:], False)) if piece]


def _escaped(text: str) -> str:
    html = str(escape(text))
    for end in SENTENCE_ENDS:
        # A visual break after each sentence: the normalised text has no line breaks.
        html = html.replace(end, f"{end}<br>")
    return html


def render_text(text: str, located: list[Located]) -> Markup:
    """The normalised text as HTML: every quote a <mark> naming its anchors, the
    quantity emphasised, and an empty element carrying each quote's anchor id."""
    cuts = {0, len(text)}
    for loc in located:
        cuts.update((loc.start, loc.end))
        if loc.quantity_start is not None:
            cuts.update((loc.quantity_start, loc.quantity_end))
    starts: dict[int, list[str]] = {}
    for loc in sorted(located, key=lambda item: item.anchor):
        starts.setdefault(loc.start, []).append(loc.anchor)
    points = sorted(cuts)
    parts: list[str] = []
    for a, b in zip(points, points[1:]):
        for anchor in starts.get(a, ()):
            parts.append(f'<span class="anchor" id="{escape(anchor)}"></span>')
        covering = sorted(loc.anchor for loc in located if loc.start <= a and b <= loc.end)
        piece = _escaped(text[a:b])
        if not covering:
            parts.append(piece)
            continue
        quantity = any(loc.quantity_start is not None and loc.quantity_start <= a
                       and b <= loc.quantity_end for loc in located)
        css = "q qty" if quantity else "q"
        parts.append(f'<mark class="{css}" data-q="{escape(" ".join(covering))}">{piece}</mark>')
    return Markup("".join(parts))
