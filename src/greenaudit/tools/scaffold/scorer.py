"""Rank the catalog's indicators for one figure: a transparent lexical scorer.

The score of an indicator is the product of four factors, each from the catalog
and general rules only (no committed row is consulted):

- words: the character bigrams of its Chinese names (name_zh and aliases; Latin
  acronyms of either name, such as PUE or LNG, count as one token), weighted by
  how rare each bigram is among the catalog's names (idf), and matched against
  the words around the figure, each weighted by its nearness to the figure
  (`context` gives every bigram its weight; see proposal.context_weights);
- unit: the figure's written (or implied) unit must have the dimension of the
  indicator's canonical unit; a figure without unit fits some kinds better than
  others (a ratio is written bare, a share never is);
- kind: for percentages, the verb before the figure (下降, 增长, 达到) tells a
  decline or a growth rate from a level;
- target: a figure governed by a future year (到2030年) or the word 目标 fits a
  target indicator, any other figure a statistic; a value outside the
  indicator's valid range is all but excluded, one outside its plausible range
  is marked down.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal

from greenaudit.workspace.catalog import Indicator
from greenaudit.errors import UnitError
from greenaudit.text.normalise import normalise_text
from greenaudit.text.units import UnitSystem

_ACRONYM = re.compile(r"(?<![A-Za-z0-9])(?=[A-Z0-9]*[A-Z])[A-Z0-9]{2,}(?![A-Za-z0-9])")
_SEGMENT = re.compile(r"[\u3400-\u9fff]+")
_COUNT_TAIL = re.compile(r"(?:的)?(?:数量|年数|倍数|部门数|总数|数)$")
_UNIT_NOTE = re.compile(r"\((?:百分点|倍)\)")

# A figure written without a unit: how likely each kind is (a share keeps its %).
BARE = {"ratio": 1.0, "intensity": 0.9, "count": 0.9, "change_pp": 0.8, "multiple": 0.6,
        "amount": 0.6, "duration": 0.5, "share": 0.4, "change_percent": 0.4,
        "growth_rate": 0.4}
# Percent figures: the kind each verb before the figure points to.
CUES = {"decline": {"change_percent": 1.0, "share": 0.5, "growth_rate": 0.5},
        "growth": {"growth_rate": 1.0, "change_percent": 0.6, "share": 0.5},
        "level": {"share": 1.0, "change_percent": 0.55, "growth_rate": 0.55}}


@dataclass(frozen=True)
class Figure:
    """What the scorer knows of one figure besides the words around it."""

    unit: str | None            # project unit written or implied; None: a bare number
    value: Decimal | None       # the number times its magnitude, in `unit`
    cue: str = "level"          # decline, growth or level (see CUES)
    target: bool = False        # governed by a future year or 目标
    two_digit: bool = False     # 两位数: a two-digit growth rate


@dataclass(frozen=True)
class Ranked:
    indicator_id: str
    score: float


def bigrams(text: str) -> list[str]:
    """Bigrams of each run of Han characters, and Latin acronyms as whole tokens."""
    grams = [seg[i:i + 2] for seg in _SEGMENT.findall(text) for i in range(len(seg) - 1)]
    return grams + _ACRONYM.findall(text)


def name_variants(indicator: Indicator) -> list[str]:
    """The names the scorer matches: without the unit notes （百分点）（倍）, a trailing
    数量/数 (a count is in the unit) or 目标 (a target is weighed by the target factor)."""
    names = [indicator.name_zh, *indicator.aliases]
    variants = []
    for name in names:
        name = _UNIT_NOTE.sub("", normalise_text(name))
        name = _COUNT_TAIL.sub("", name) or name
        if indicator.target:
            name = re.sub(r"目标$", "", name) or name
        variants.append(name)
    acronyms = " ".join(_ACRONYM.findall(indicator.name_en))
    return [v + (" " + acronyms if acronyms else "") for v in variants]


class Scorer:
    def __init__(self, catalog: dict[str, Indicator], units: UnitSystem) -> None:
        self.catalog = catalog
        self.units = units
        self.variants: dict[str, list[set[str]]] = {
            i: [set(bigrams(v)) for v in name_variants(ind)] for i, ind in catalog.items()}
        df: dict[str, int] = {}
        for grams in self.variants.values():
            for g in set().union(*grams):
                df[g] = df.get(g, 0) + 1
        n = len(catalog)
        self.idf = {g: math.log(1 + n / c) for g, c in df.items()}

    def words(self, indicator_id: str, context: dict[str, float]) -> float:
        best = 0.0
        for grams in self.variants[indicator_id]:
            total = sum(self.idf[g] for g in grams)
            if total:
                best = max(best, sum(self.idf[g] * context.get(g, 0.0) for g in grams) / total)
        return best

    def fit(self, indicator: Indicator, figure: Figure) -> float:
        """Unit, kind, target and range factors of one indicator for one figure."""
        factor = 1.0
        value = None
        if figure.unit is None:
            factor *= BARE.get(indicator.kind, 0.5)
        else:
            try:
                conversion = self.units.factor(figure.unit, indicator.unit)
            except UnitError:
                return 0.0
            value = None if figure.value is None else figure.value * conversion
        if indicator.unit == "percent" and (figure.unit == "percent" or figure.two_digit):
            cue = "growth" if figure.two_digit else figure.cue
            factor *= CUES.get(cue, CUES["level"]).get(indicator.kind, 0.5)
        if figure.target != indicator.target:
            factor *= 0.5 if figure.target else 0.45
        if value is not None:
            factor *= _range_factor(indicator, value)
        return factor

    def rank(self, context: dict[str, float], figure: Figure) -> list[Ranked]:
        ranked = []
        for indicator_id, indicator in self.catalog.items():
            fit = self.fit(indicator, figure)
            if fit:
                ranked.append(Ranked(indicator_id, self.words(indicator_id, context) * fit))
        return sorted(ranked, key=lambda r: (-r.score, r.indicator_id))


def _range_factor(indicator: Indicator, value: Decimal) -> float:
    def inside(low: Decimal | None, high: Decimal | None) -> bool:
        return (low is None or value >= low) and (high is None or value <= high)

    if not inside(indicator.valid_low, indicator.valid_high):
        return 0.2
    if not inside(indicator.plausible_low, indicator.plausible_high):
        return 0.75
    return 1.0


def confidence(ranked: list[Ranked]) -> float:
    """The top score, discounted by how little it leads the second: 0 (a guess) to 1."""
    if not ranked or ranked[0].score <= 0:
        return 0.0
    top = ranked[0].score
    second = ranked[1].score if len(ranked) > 1 else 0.0
    return round(min(1.0, top) * math.sqrt(1 - second / top), 2)
