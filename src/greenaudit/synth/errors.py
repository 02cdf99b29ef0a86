"""Plant errors of every class at a rate, each one proven detectable in principle.

An error is planted on a randomly drawn slot (or, for a broken identity, a rule)
only if the project's own reading of the changed figure (synth.oracle) shows that
a check can see it: a slipped magnitude or dropped decimal point leaves the
plausible or valid range; a conflicting value or a period-shifted figure misses
the interval of every other statement of its group, so attribution singles it
out; a transposed figure or a paraphrased quote cannot be found in the document.
At most one error touches a fact (and the facts a shifted row moves between), so
every finding can be attributed to one planted error.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from .answer_key import CLASSES, PlantedError
from .corpus import CHANGE, REGULAR, Fact, Universe
from .forms import EXACT, render
from .oracle import Oracle, Reading
from .text import sentence_parts

NUMBER = re.compile(r"\d+(?:\.\d+)?")
LOCATION = {c.name: c.location for c in CLASSES}
DECLARED_PER_ROW = 0.001    # known, declared conflicts in a clean corpus (not errors)


@dataclass
class Plan:
    """What the writer changes relative to the truth, and the answer key."""

    text_quantity: dict[int, str] = field(default_factory=dict)   # slot -> the document says
    table_quantity: dict[int, str] = field(default_factory=dict)  # slot -> the table says
    table_period: dict[int, str] = field(default_factory=dict)
    paraphrased: set[int] = field(default_factory=set)
    fact_units: dict[int, int] = field(default_factory=dict)      # fact -> every source says
    errors: list[PlantedError] = field(default_factory=list)
    declared: list[dict] = field(default_factory=list)
    requested: dict[str, int] = field(default_factory=dict)
    locked: set[int] = field(default_factory=set)                 # facts already used


class Planter:
    def __init__(self, universe: Universe, oracle: Oracle, rng: random.Random,
                 source_ids: list[str]):
        self.u, self.oracle, self.rng, self.source_ids = universe, oracle, rng, source_ids
        self.plan = Plan()
        self.checkable = [r for r in universe.rules if not r.derive]
        self.change_fact = {(universe.indicators[fact.indicator].indicator_id, fact.period): f
                            for f, fact in enumerate(universe.facts) if fact.role == CHANGE}

    # ------------------------------------------------------------------ helpers

    def _fact(self, slot: int) -> tuple[int, Fact]:
        f = self.u.slot_fact[slot]
        return f, self.u.facts[f]

    def _indicator_id(self, fact: Fact) -> str:
        return self.u.indicators[fact.indicator].indicator_id

    def _open(self, slot: int) -> tuple[int, Fact] | None:
        """The slot's fact if it is regional and no error or declaration touches it yet."""
        f, fact = self._fact(slot)
        if fact.role != REGULAR or f in self.plan.locked:
            return None
        return f, fact

    def _read(self, fact: Fact, quantity: str) -> Reading:
        return self.oracle.read(self._indicator_id(fact), quantity)

    def _row(self, slot: int) -> tuple[str, int]:
        return self.source_ids[self.u.source_of(slot)], self.u.row_of(slot) + 2

    def _record(self, name: str, slots: list[int], fact: Fact, truth: str, source_says: str,
                table_says: str, period: str | None = None, **extra) -> None:
        group = (self._indicator_id(fact), period or fact.period, fact.breakdown)
        self.plan.errors.append(PlantedError(
            f"E{len(self.plan.errors) + 1:06d}", name, LOCATION[name],
            [self._row(s) for s in slots], [group], truth, source_says, table_says, **extra))

    def _sample(self, name: str, count: int, attempt, population: int) -> None:
        self.plan.requested[name] = count
        planted, tries = 0, 0
        while planted < count and tries < 50 * count + 2000 and population:
            tries += 1
            if attempt(self.rng.randrange(population)):
                planted += 1

    def _outlier_value(self, slot: int, fact: Fact) -> str | None:
        """An exact, plausible figure outside every other statement of the fact."""
        others = [self._read(fact, self.u.quantity(s)) for s in self.u.slots_of(fact)
                  if s != slot]
        style = self.u.indicators[fact.indicator].style
        for _ in range(4):
            permille = self.rng.randint(150, 350) * self.rng.choice((-1, 1))
            units = fact.units * (1000 + permille) // 1000
            quantity = render(units, style, EXACT, self.u.approximate_band, self.u.near_band)
            reading = self._read(fact, quantity)
            if reading.credible and all(reading.disjoint(o) for o in others):
                return quantity
        return None

    # ------------------------------------------------------------------ declared conflicts

    def declare_conflicts(self) -> None:
        """Known conflicts, declared with a reason: part of a clean corpus, not errors."""
        count = max(1, round(DECLARED_PER_ROW * self.u.n_slots))
        done = 0
        for _ in range(50 * count):
            if done == count:
                break
            slot = self.rng.randrange(self.u.n_slots)
            opened = self._open(slot)
            if opened is None or opened[1].n < 3:
                continue
            f, fact = opened
            quantity = self._outlier_value(slot, fact)
            if quantity is None:
                continue
            self.plan.text_quantity[slot] = quantity
            self.plan.locked.add(f)
            self.plan.declared.append({
                "indicator_id": self._indicator_id(fact), "period": fact.period,
                "breakdown": fact.breakdown,
                "sources": sorted(self.source_ids[s] for s in self.u.sources_of(fact)),
                "reason": f"{self.source_ids[self.u.source_of(slot)]} states {quantity}, "
                          f"an estimate made before the final figures; cite the others."})
            done += 1

    # ------------------------------------------------------------------ the classes

    def undeclared_conflict(self, slot: int) -> bool:
        opened = self._open(slot)
        if opened is None or opened[1].n < 3:
            return False
        f, fact = opened
        quantity = self._outlier_value(slot, fact)
        if quantity is None:
            return False
        truth = self.u.quantity(slot)
        self.plan.text_quantity[slot] = quantity
        self.plan.locked.add(f)
        self._record("undeclared_conflict", [slot], fact, truth, quantity, quantity)
        return True

    def period_shift(self, slot: int) -> bool:
        opened = self._open(slot)
        if opened is None:
            return False
        f, fact = opened
        target_index = self.u.series_year.get((fact.series, fact.year - 1))
        if target_index is None or target_index in self.plan.locked:
            return False
        target = self.u.facts[target_index]
        if target.n < 2 or self.u.source_of(slot) in self.u.sources_of(target):
            return False
        quantity = self.u.quantity(slot)
        moved = self._read(fact, quantity)
        others = [self._read(target, self.u.quantity(s)) for s in self.u.slots_of(target)]
        if not moved.credible or not all(moved.disjoint(o) for o in others):
            return False
        earlier = str(fact.year - 1)
        self.plan.table_period[slot] = earlier
        self.plan.locked.update((f, target_index))
        self._record("period_shift", [slot], fact, fact.period, f"{fact.period}年 {quantity}",
                     f"{earlier} {quantity}", period=earlier)
        return True

    def out_of_range(self, slot: int) -> bool:
        opened = self._open(slot)
        if opened is None or self.u.indicators[opened[1].indicator].kind != "share":
            return False
        f, fact = opened
        style = self.u.indicators[fact.indicator].style
        units = 10 ** (style.decimals + 2) + self.rng.randint(5, 60) * 10 ** style.decimals + \
            self.rng.randint(0, 9)
        quantity = render(units, style, EXACT, self.u.approximate_band, self.u.near_band)
        if not self._read(fact, quantity).outside_valid:
            return False  # pragma: no cover - a share above 100% is always invalid
        return self._source_error("out_of_range", slot, f, fact, quantity)

    def magnitude_slip(self, slot: int) -> bool:
        opened = self._open(slot)
        if opened is None:
            return False
        f, fact = opened
        truth = self.u.quantity(slot)
        if "万亿" in truth or truth.count("万") + truth.count("亿") != 1:
            return False
        slipped = truth.replace("万", "\0").replace("亿", "万").replace("\0", "亿")
        if not self._read(fact, slipped).flagged:
            return False
        return self._source_error("magnitude_slip", slot, f, fact, slipped)

    def dropped_decimal(self, slot: int) -> bool:
        opened = self._open(slot)
        if opened is None:
            return False
        f, fact = opened
        truth = self.u.quantity(slot)
        match = NUMBER.search(truth)
        if "." not in match.group() or match.group().startswith("0"):
            return False
        dropped = truth[:match.start()] + match.group().replace(".", "") + truth[match.end():]
        if not self._read(fact, dropped).flagged:
            return False
        return self._source_error("dropped_decimal", slot, f, fact, dropped)

    def wrong_unit(self, slot: int) -> bool:
        opened = self._open(slot)
        if opened is None:
            return False
        f, fact = opened
        indicator = self.u.indicators[fact.indicator]
        truth = self.u.quantity(slot)
        unit = indicator.style.written_unit
        at = truth.rfind(unit)
        wrong = truth[:at] + indicator.measure.wrong_unit + truth[at + len(unit):]
        reading = self._read(fact, wrong)
        if not reading.parsed or reading.unit_ok:
            return False
        return self._source_error("wrong_unit", slot, f, fact, wrong)

    def digit_transposition(self, slot: int) -> bool:
        opened = self._open(slot)
        if opened is None:
            return False
        f, fact = opened
        truth = self.u.quantity(slot)
        match = NUMBER.search(truth)
        digits = match.group()
        pairs = [i for i in range(len(digits) - 1)
                 if digits[i] != digits[i + 1] and "." not in digits[i:i + 2]
                 and not (i == 0 and digits[1] == "0")]
        if not pairs:
            return False
        i = self.rng.choice(pairs)
        swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
        typed = truth[:match.start()] + swapped + truth[match.end():]
        sentence = "".join(sentence_parts(self.u, fact, slot, truth))
        if typed in sentence or not self._read(fact, typed).parsed:
            return False
        self.plan.table_quantity[slot] = typed
        self.plan.locked.add(f)
        self._record("digit_transposition", [slot], fact, truth, truth, typed)
        return True

    def quote_mismatch(self, slot: int) -> bool:
        opened = self._open(slot)
        if opened is None:
            return False
        f, fact = opened
        truth = self.u.quantity(slot)
        self.plan.paraphrased.add(slot)
        self.plan.locked.add(f)
        quote = "".join(sentence_parts(self.u, fact, slot, truth, paraphrase=True)[:2])
        self._record("quote_mismatch", [slot], fact, truth, truth, quote)
        return True

    def _source_error(self, name: str, slot: int, f: int, fact: Fact, wrong: str) -> bool:
        truth = self.u.quantity(slot)
        self.plan.text_quantity[slot] = wrong
        self.plan.locked.add(f)
        self._record(name, [slot], fact, truth, wrong, wrong)
        return True

    def broken_identity(self, index: int) -> bool:
        rule = self.checkable[index]
        f = self.change_fact[(rule.change, f"{rule.start}-{rule.end}")]
        if f in self.plan.locked:
            return False
        fact = self.u.facts[f]
        off = fact.units + self.rng.randint(10, 30)
        style = self.u.indicators[fact.indicator].style
        truth = render(fact.units, style, EXACT, self.u.approximate_band, self.u.near_band)
        stated = render(off, style, EXACT, self.u.approximate_band, self.u.near_band)
        if not self._read(fact, stated).credible:
            return False  # pragma: no cover - changes stay far inside their ranges
        self.plan.fact_units[f] = off
        self.plan.locked.add(f)
        self._record("broken_identity", list(self.u.slots_of(fact)), fact, truth, stated,
                     stated, rule_id=rule.rule_id, rule_terms=list(rule.terms))
        return True

    # ------------------------------------------------------------------ all of it

    def plant(self, rate: float) -> Plan:
        self.declare_conflicts()

        def count(population: int) -> int:
            return max(1, round(rate * population)) if rate > 0 and population else 0

        self._sample("broken_identity", count(len(self.checkable)), self.broken_identity,
                     len(self.checkable))
        # Group-dependent classes first, while most groups are still untouched.
        for name in ("undeclared_conflict", "period_shift", "out_of_range", "magnitude_slip",
                     "dropped_decimal", "wrong_unit", "digit_transposition", "quote_mismatch"):
            self._sample(name, count(self.u.n_slots), getattr(self, name), self.u.n_slots)
        self.plan.errors.sort(key=lambda e: (e.error_class, e.rows))
        for number, error in enumerate(self.plan.errors, start=1):
            error.error_id = f"E{number:06d}"
        return self.plan
