"""Sentences of the synthetic sources: one per transcribed row, one figure each.

The only numbers in a sentence are its figure and the years it names (2022年), so
a clean source has nothing a coverage audit could find untranscribed.
"""

from __future__ import annotations

from .corpus import CHANGE, REGULAR, Fact, Universe
from .forms import PREFIX
from .vocabulary import PARAPHRASE

CHANGE_SUFFIX = "提高（百分点）"


def sentence_parts(universe: Universe, fact: Fact, slot: int, quantity: str,
                   paraphrase: bool = False) -> tuple[str, str, str]:
    """(words before the figure, the figure, words after) of the sentence stating it."""
    indicator = universe.indicators[fact.indicator]
    opening = f"{fact.year}年，" + (PARAPHRASE if paraphrase else "")
    if fact.role == REGULAR:
        measure = indicator.measure
        qualified = quantity.startswith(tuple(PREFIX.values()))
        if measure.kind == "growth_rate" or not qualified:
            verb = measure.verbs[slot % len(measure.verbs)]
        else:
            verb = ""  # 企业数量超过2700家, not 企业数量达到超过2700家
        before = f"{opening}{fact.place}{indicator.topic_zh}{measure.phrase}{verb}"
    elif fact.role == CHANGE:
        share = indicator.name_zh.removesuffix(CHANGE_SUFFIX)
        before = f"{opening}{fact.place}{share}较{fact.start_year}年提高"
    else:
        before = f"{opening}{fact.place}{indicator.name_zh}为"
    return before, quantity, "。"
