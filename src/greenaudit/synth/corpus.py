"""The synthetic universe: indicators, true values, derived identities, and who states what.

A *fact* is one (indicator, period, breakdown) with its true value. Regional facts
come from series (an indicator in a province, optionally a sector) that grow every
year; national shares and their changes in percentage points form derived
identities (share@y0 == share@y1 - change@y0-y1), checked by schemas/rules.yaml.
Each fact is stated by 1 to 5 sources. Facts are shuffled and laid out on the
N x M *slots* (source, row) so that the copies of a fact fall on distinct sources.
"""

from __future__ import annotations

import math
import random
from array import array
from dataclasses import dataclass, field
from decimal import Decimal

from .forms import EXACT, FORM_WEIGHTS, Style, render
from .vocabulary import IDENTITY_DENOMINATORS, MEASURES, PROVINCES, SECTORS, TOPICS, Measure

REGULAR_YEARS = tuple(range(2015, 2024))
IDENTITY_YEARS = tuple(range(2000, 2024))
DERIVED_ONLY_YEAR = 1999          # a share no source states, implied by a rule's derive:
ROWS_PER_RULE = 50                # one checkable identity rule per this many rows
DERIVE_EVERY = 10                 # every 10th identity pair has a derive-only start year
MULTIPLICITY = (1, 2, 3, 4, 5)    # how many sources state a fact...
MULTIPLICITY_WEIGHTS = (30, 25, 25, 12, 8)   # ...and how often
COMBOS = len(PROVINCES) * (1 + len(SECTORS))  # breakdowns per regional indicator
REGULAR, SHARE, CHANGE = "regular", "share", "change"


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    name_zh: str
    name_en: str
    kind: str
    unit: str
    valid: tuple[Decimal | None, Decimal | None]
    plausible: tuple[Decimal, Decimal]
    plausible_reason: str
    description: str
    style: Style
    topic_zh: str
    measure: Measure | None = None


@dataclass(frozen=True)
class Rule:
    rule_id: str
    share: str               # indicator ids
    change: str
    start: int
    end: int
    derive: bool             # the start-year share is stated by no source

    @property
    def expression(self) -> str:
        return (f"{self.share}@{self.start} == {self.share}@{self.end} - "
                f"{self.change}@{self.start}-{self.end}")

    @property
    def terms(self) -> tuple[tuple[str, str], ...]:
        return ((self.share, str(self.start)), (self.share, str(self.end)),
                (self.change, f"{self.start}-{self.end}"))


@dataclass(slots=True)
class Fact:
    indicator: int           # index into Universe.indicators
    period: str
    breakdown: str
    place: str               # where, as the sentence says it: 安徽钢铁行业, 全国
    units: int               # the true value in units of the style's last digit
    role: str                # REGULAR, SHARE or CHANGE
    year: int                # the year a sentence names (the end year of a change)
    start_year: int = 0      # the start year of a change
    series: int = -1         # regional series, for the neighbouring year
    n: int = 1               # sources stating it
    start: int = 0           # its first slot


@dataclass
class Universe:
    n_sources: int
    rows_per_source: int
    indicators: list[Indicator]
    facts: list[Fact]
    rules: list[Rule]
    slot_fact: array         # slot -> fact index; slot = row * n_sources + source
    slot_form: array         # slot -> form (forms.EXACT, ...)
    series_year: dict[tuple[int, int], int] = field(default_factory=dict)  # -> fact index
    approximate_band: Decimal = Decimal("0.05")
    near_band: Decimal = Decimal("0.05")

    @property
    def n_slots(self) -> int:
        return self.n_sources * self.rows_per_source

    def slot(self, source: int, row: int) -> int:
        return row * self.n_sources + source

    def source_of(self, slot: int) -> int:
        return slot % self.n_sources

    def row_of(self, slot: int) -> int:
        return slot // self.n_sources

    def quantity(self, slot: int, units: int | None = None) -> str:
        """The figure as the slot's statement form writes the fact's value (or `units`)."""
        fact = self.facts[self.slot_fact[slot]]
        style = self.indicators[fact.indicator].style
        value = fact.units if units is None else units
        return (render(value, style, self.slot_form[slot], self.approximate_band,
                       self.near_band) or render(value, style, EXACT, self.approximate_band,
                                                 self.near_band))

    def sources_of(self, fact: Fact) -> list[int]:
        return [(fact.start + j) % self.n_sources for j in range(fact.n)]

    def slots_of(self, fact: Fact) -> range:
        """The fact's slots. Layout position p is source p % N, row p // N: slot p itself."""
        return range(fact.start, fact.start + fact.n)


def _regular_indicators(rng: random.Random) -> tuple[list[Indicator], list[int]]:
    """All topic x measure indicators (ids ind_001...) and each one's base value."""
    indicators, bases = [], []
    for t, (topic_zh, topic_en) in enumerate(TOPICS):
        for m, measure in enumerate(MEASURES):
            base = rng.randint(*measure.base)
            bases.append(base)
            scale = Decimal(10) ** {"": 0, "万": 4, "亿": 8}[measure.magnitude]
            low = (Decimal(base) * Decimal("0.2") * scale).normalize()
            high = (Decimal(base) * 5 * scale).normalize()
            if measure.valid[1] is not None:
                high = min(high, Decimal(measure.valid[1]))
            number = len(indicators) + 1
            style = Style(measure.written_unit, measure.magnitude, measure.decimals,
                          measure.big_magnitude)
            indicators.append(Indicator(
                f"ind_{number:03d}", topic_zh + measure.phrase + ("增速" if measure.kind ==
                                                                 "growth_rate" else ""),
                f"{topic_en}: {measure.name_en}", measure.kind, measure.unit,
                tuple(None if v is None else Decimal(v) for v in measure.valid),
                (low, high),
                "Synthetic regional series of this indicator lie well inside this range; a "
                "figure outside it is a misprint or a misreading (a slipped magnitude, a "
                "dropped decimal point).",
                f"Synthetic indicator: {measure.name_en} of {topic_en}, by province and "
                f"optionally by sector.", style, topic_zh, measure))
    return indicators, bases


def _identity_indicators(n_pairs: int) -> list[Indicator]:
    if n_pairs > len(TOPICS) * len(IDENTITY_DENOMINATORS):
        raise ValueError(f"{n_pairs} identity indicator pairs needed; the vocabulary has "
                         f"{len(TOPICS) * len(IDENTITY_DENOMINATORS)}: use fewer rows")
    indicators = []
    for a in range(n_pairs):
        topic_zh, topic_en = TOPICS[a % len(TOPICS)]
        denominator_zh, denominator_en = IDENTITY_DENOMINATORS[a // len(TOPICS)]
        name_zh = f"{topic_zh}占{denominator_zh}比重"
        name_en = f"share of {topic_en} in {denominator_en}"
        share_id, change_id = f"idt_{a + 1:03d}", f"idt_{a + 1:03d}_change"
        indicators.append(Indicator(
            share_id, name_zh, f"National {name_en}", "share", "percent",
            (Decimal(0), Decimal(100)), (Decimal(1), Decimal(80)),
            "Synthetic national shares rise from about 5% to at most 56%.",
            f"Synthetic indicator: national {name_en}, in percent.",
            Style("%", "", 1), topic_zh))
        indicators.append(Indicator(
            change_id, name_zh + "提高（百分点）", f"Change in the national {name_en}",
            "change_pp", "percentage_point", (Decimal(-100), Decimal(100)),
            (Decimal(0), Decimal(60)),
            "Synthetic national shares rise by at most 1.5 percentage points a year.",
            f"Synthetic indicator: change of {share_id} between the start and end year of "
            f"the period, in percentage points.", Style("个百分点", "", 1), topic_zh))
    return indicators


def _table(values, weights) -> tuple:
    """A lookup table: table[int(rng.random() * len(table))] draws by integer weights."""
    return tuple(v for v, w in zip(values, weights) for _ in range(w))


MULTIPLICITY_TABLE = _table(MULTIPLICITY, MULTIPLICITY_WEIGHTS)
FORM_TABLE = _table(range(len(FORM_WEIGHTS)), FORM_WEIGHTS)
PERIODS = {year: str(year) for year in (DERIVED_ONLY_YEAR, *IDENTITY_YEARS, *REGULAR_YEARS)}


def _multiplicity(rng: random.Random, n_sources: int) -> int:
    return min(MULTIPLICITY_TABLE[int(rng.random() * len(MULTIPLICITY_TABLE))], n_sources)


def build_universe(n_sources: int, rows_per_source: int, rng: random.Random,
                   approximate_band: Decimal = Decimal("0.05"),
                   near_band: Decimal = Decimal("0.05")) -> Universe:
    """Indicators, facts and their layout on slots, deterministic for `rng`'s seed."""
    n_slots = n_sources * rows_per_source
    regular, bases = _regular_indicators(rng)
    n_rules = n_slots // ROWS_PER_RULE
    year_pairs = [(a, b) for a in IDENTITY_YEARS for b in IDENTITY_YEARS if a < b]
    identity = _identity_indicators(math.ceil(n_rules / len(year_pairs)))
    indicators = identity + regular
    index = {ind.indicator_id: i for i, ind in enumerate(indicators)}
    facts, rules = _identity_facts(rng, identity, index, n_rules, year_pairs)
    used_slots = 0
    for fact in facts:
        fact.n = _multiplicity(rng, n_sources)
        used_slots += fact.n
    if used_slots > n_slots:
        raise ValueError("corpus too small for its identity rules")  # pragma: no cover
    series_year = _regular_facts(rng, _Fill(regular, bases, index, n_sources, n_slots, used_slots),
                                 facts)
    facts, series_year, slot_fact, slot_form = _layout(rng, facts, series_year, n_slots)
    return Universe(n_sources, rows_per_source, indicators, facts, rules, slot_fact, slot_form,
                    series_year, approximate_band, near_band)


def _identity_facts(rng: random.Random, identity: list, index: dict[str, int], n_rules: int,
                    year_pairs: list[tuple[int, int]]) -> tuple[list[Fact], list[Rule]]:
    """The share/change pairs bound by identity rules, and those rules."""
    facts: list[Fact] = []
    rules: list[Rule] = []
    left = n_rules
    for a in range(len(identity) // 2):
        share_id, change_id = identity[2 * a].indicator_id, identity[2 * a + 1].indicator_id
        derive = a % DERIVE_EVERY == 0
        years = ((DERIVED_ONLY_YEAR,) if derive else ()) + IDENTITY_YEARS
        shares, level = {}, rng.randint(50, 200)
        for year in years:
            shares[year] = level
            level += rng.randint(2, 15)
        pairs = list(year_pairs)
        rng.shuffle(pairs)
        chosen = sorted(pairs[:min(left, len(pairs))])
        left -= len(chosen)
        spans = [(DERIVED_ONLY_YEAR, IDENTITY_YEARS[0], True)] if derive else []
        spans += [(y0, y1, False) for y0, y1 in chosen]
        stated_years = sorted({y for y0, y1, _ in spans for y in (y0, y1)} - {DERIVED_ONLY_YEAR})
        for year in stated_years:
            facts.append(Fact(index[share_id], str(year), "", "全国", shares[year], SHARE, year))
        for y0, y1, derived in spans:
            rules.append(Rule(f"synth_identity_{len(rules) + 1:05d}", share_id, change_id,
                              y0, y1, derived))
            facts.append(Fact(index[change_id], f"{y0}-{y1}", "", "全国",
                              shares[y1] - shares[y0], CHANGE, y1, y0))
    return facts, rules


@dataclass
class _Fill:
    """What the regional series fill: the slots left after the identity facts."""

    regular: list
    bases: list
    index: dict[str, int]
    n_sources: int
    n_slots: int
    used_slots: int


def _regular_facts(rng: random.Random, fill: _Fill, facts: list[Fact]) -> dict[tuple[int, int], int]:
    """Append regional series until every slot is used; (series, year) -> fact number."""
    regular, n_slots = fill.regular, fill.n_slots
    used_slots = fill.used_slots
    series_year: dict[tuple[int, int], int] = {}
    series = 0
    max_series = len(regular) * COMBOS
    while used_slots < n_slots:
        if series >= max_series:
            raise ValueError(f"{n_slots} rows exceed what the vocabulary can state "
                             f"({max_series} regional series); use fewer rows")
        template, combo = series % len(regular), series // len(regular)
        indicator = regular[template]
        province_code, province = PROVINCES[combo % len(PROVINCES)]
        sector = combo // len(PROVINCES) - 1
        breakdown, place = f"province={province_code}", province
        if sector >= 0:
            breakdown += f";sector={SECTORS[sector][0]}"
            place += SECTORS[sector][1] + "行业"
        scale_permille = rng.randint(600, 1200)
        growth_permille = rng.randint(30, 80)
        base_units = fill.bases[template] * scale_permille * 10 ** indicator.style.decimals // 1000
        for k, year in enumerate(REGULAR_YEARS):
            if used_slots >= n_slots:
                break
            units = base_units * (1000 + growth_permille) ** k // 1000 ** k
            fact = Fact(fill.index[indicator.indicator_id], PERIODS[year], breakdown, place, units,
                        REGULAR, year, series=series)
            fact.n = min(_multiplicity(rng, fill.n_sources), n_slots - used_slots)
            used_slots += fact.n
            series_year[(series, year)] = len(facts)
            facts.append(fact)
        series += 1
    return series_year


def _layout(rng: random.Random, facts: list[Fact], series_year: dict[tuple[int, int], int],
            n_slots: int) -> tuple[list[Fact], dict[tuple[int, int], int], array, array]:
    """Shuffle the facts and lay them out on slots, each slot with the form it is stated in."""
    order = list(range(len(facts)))
    rng.shuffle(order)
    facts = [facts[i] for i in order]
    position = {old: new for new, old in enumerate(order)}
    series_year = {key: position[old] for key, old in series_year.items()}
    draw, n_forms = rng.random, len(FORM_TABLE)
    slot_form = array("b", [FORM_TABLE[int(draw() * n_forms)] for _ in range(n_slots)])
    slot_fact = array("i")
    cursor = 0
    for f, fact in enumerate(facts):
        fact.start = cursor
        slot_fact.extend([f] * fact.n)
        if fact.role != REGULAR:
            slot_form[cursor:cursor + fact.n] = array("b", [EXACT] * fact.n)
        cursor += fact.n
    return facts, series_year, slot_fact, slot_form
