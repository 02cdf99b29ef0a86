"""A qualifier written apart from its number: the `context_qualifier` column.

Sources often write one qualifier for several figures (分别超过97%和95%, 均超过70%),
put a copula between the qualifier and the number (约为世界平均水平的1.5倍), or, on
a slide, set it in a caption away from the chart labels it bounds. The table then
holds the bare figure as `quantity` and the qualifier, as the source writes it, as
`context_qualifier`; the evidence check finds the qualifier in the quote.

The qualifier bounds the figure exactly as the same words written next to the
number would: the quantity parser itself reads it in front of the number (超过95%)
or after it (95%以上), so whatever the parser knows as a qualifier can be written
apart, with the parser's interval. Words that only link the qualifier to several
figures or to the sentence (分别, 均, 都, 各 before it; 为, 是 after it) are set
aside first; they do not change what it means.
"""

from __future__ import annotations

from dataclasses import replace

from greenaudit.errors import QuantityError
from greenaudit.text.quantity import Quantity, QuantityParser

DISTRIBUTIVE = ("分别", "均", "都", "各")
COPULAS = ("为", "是")
MAX_QUALIFIER_CHARS = 12


def _cores(qualifier: str) -> list[str]:
    """The qualifier as written, then without its linking words (longest first)."""
    core = qualifier
    for word in DISTRIBUTIVE:
        if core.startswith(word) and len(core) > len(word):
            core = core[len(word):]
            break
    for word in COPULAS:
        if core.endswith(word) and len(core) > len(word):
            core = core[:-len(word)]
            break
    return list(dict.fromkeys((qualifier, core)))


def _same_figure(a: Quantity, b: Quantity) -> bool:
    return (a.value, a.magnitude, a.unit_text, a.exponent) == \
        (b.value, b.magnitude, b.unit_text, b.exponent)


def apply_qualifier(parser: QuantityParser, quantity: Quantity, qualifier: str) -> Quantity:
    """`quantity` bounded by `qualifier` (both in the source's normal form).

    The result keeps the quantity's own text (the figure as written); its qualifier
    and bounds are those the parser gives the qualifier written next to the number.
    """
    shown = qualifier[:MAX_QUALIFIER_CHARS] + ("…" if len(qualifier) > MAX_QUALIFIER_CHARS else "")
    if len(qualifier) > MAX_QUALIFIER_CHARS:
        raise QuantityError(f"context_qualifier {shown!r} is {len(qualifier)} characters long; "
                            f"expected the qualifier words alone (at most "
                            f"{MAX_QUALIFIER_CHARS}), e.g. 分别超过 or 约为")
    if quantity.qualifier != "exact":
        raise QuantityError(f"quantity {quantity.text!r} already has a qualifier "
                            f"({quantity.qualifier}); context_qualifier is for a qualifier "
                            f"written apart from the number, with the bare figure as quantity")
    tried: list[str] = []
    for core in _cores(qualifier):
        for text in (core + quantity.text, quantity.text + core):
            tried.append(text)
            try:
                read = parser.parse(text)
            except QuantityError:
                continue
            if read.qualifier != "exact" and _same_figure(read, quantity):
                return replace(read, text=quantity.text)
    raise QuantityError(f"context_qualifier {shown!r} does not bound {quantity.text!r}: the "
                        f"parser reads none of {', '.join(map(repr, tried))} as a qualified "
                        f"figure; expected a qualifier of raw/TRANSCRIBING.md (超过, 约, 以上, "
                        f"左右 ...), with 分别/均/都/各 before it or 为/是 after it if the "
                        f"source writes them")
