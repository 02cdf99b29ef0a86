"""The period that governs a figure: the nearest year or month expression.

Time expressions are read from the normalised text: years (2022年, 截至2022年底),
spans (2012-2022年), months (2023年4月底, 2023年1-9月, 前三季度, 上半年), five-year
plans (“十四五”, 2021-2025), and words relative to the publication date (今年, 日前,
3月1日). Each
has a role: a base (较2012年, 比2012年, 与2012年相比, 从2012年, 2019年以来) starts a
change; an axis (2012年 2022年 under a chart) belongs to chart labels.

A figure takes, in order: the expression of its own sentence (the nearest before
it, else after it); for a change, base and end year as a span; else the nearest
expression within a window of neighbouring lines (slides put the year in a
heading or caption); else the year before publication, marked inferred (the
sources report the last full year before they appear).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from greenaudit.text.quantity import parse_chinese_numeral
from greenaudit.tools.scaffold.document import Document, Published

CHANGE_KINDS = ("change_pp", "change_percent", "growth_rate")
POINT_KINDS = ("share", "intensity", "ratio", "duration", "multiple")   # a span gives its end
WINDOW = 80          # characters a slide's caption or heading may stand from its figure

_Y = r"(?:19|20)\d{2}"
_PARTS = {"前三季度": 9, "前3季度": 9, "第一季度": 3, "一季度": 3, "第二季度": 6, "二季度": 6,
          "第三季度": 9, "三季度": 9, "上半年": 6, "前两季度": 6}
_EXPRESSIONS = re.compile(
    rf"(?P<part>(?:(?P<py>{_Y})年|(?P<prel>今年|去年))?(?P<pp>{'|'.join(_PARTS)}))"
    rf"|(?P<span>(?P<s1>{_Y})年?[-–—~～至到](?P<s2>{_Y})年)"
    rf"|(?P<mrange>(?P<m0>{_Y})年(?:1|01)?[-–~～至](?P<m2>1[0-2]|0?[1-9])月)"
    rf"|(?P<month>(?P<my>{_Y})年(?P<mm>1[0-2]|0?[1-9])月(?:底|末|份)?)"
    rf"|(?P<year>(?P<yy>{_Y})年(?P<ye>底|末|初)?)"
    r"|(?P<plan>[“\"]?(?P<pn>[一二三四五六七八九十]+)五[”\"]?(?P<pe>末|期末)?)"
    r"|(?P<rel>今年|去年|上年|日前|近日)"
    r"|(?P<md>(?<![年\d])(?P<dm>1[0-2]|0?[1-9])月(?:[1-9]|[12]\d|3[01])日)"
    r"|(?P<rm>(?<![年\d\-–~～])(?:(?:1|01)[-–~～至])?(?P<rmm>1[0-2]|0?[1-9])月(?:底|末|份)?(?![\d日]))")
_BASE_BEFORE = ("较", "比", "与", "相较于", "相对于")


@dataclass(frozen=True)
class TimeExpr:
    start: int
    end: int
    text: str
    first: int          # first year
    last: int           # last year (== first for a year or a month)
    month: int | None = None
    base: bool = False
    plan: bool = False

    def period(self, point: bool) -> str:
        """The period it states: a span, or its end year when `point` (a level reached)."""
        if self.month:
            return f"{self.last}-{self.month:02d}"
        if self.first != self.last and not point:
            return f"{self.first}-{self.last}"
        return str(self.last)


@dataclass(frozen=True)
class Period:
    period: str
    stated: bool        # False: inferred from the publication date
    evidence: str       # the expression, or why it was inferred
    position: int | None = None     # where the (first) expression starts in the text


def _plan_years(numeral: str) -> tuple[int, int] | None:
    try:
        n = parse_chinese_numeral(numeral)
    except Exception:   # pragma: no cover - the pattern admits only numerals
        return None
    if n < 3:
        return None      # the first two plans preceded the five-year rhythm (1953-1962)
    first = 1966 + 5 * (n - 3)
    return first, first + 4


def _expression(match: re.Match, published: Published) -> TimeExpr | None:
    g, text = match.group, match.group(0)
    if g("part"):
        return _part(match, published)
    if g("span"):
        first, last = int(g("s1")), int(g("s2"))
        return TimeExpr(match.start(), match.end(), text, first, last) if first < last else None
    if g("mrange"):
        return TimeExpr(match.start(), match.end(), text, int(g("m0")), int(g("m0")), int(g("m2")))
    if g("month"):
        return TimeExpr(match.start(), match.end(), text, int(g("my")), int(g("my")), int(g("mm")))
    if g("year"):
        return TimeExpr(match.start(), match.end(), text, int(g("yy")), int(g("yy")))
    if g("plan"):
        years = _plan_years(g("pn"))
        if years is None:
            return None
        first = years[1] if g("pe") else years[0]
        return TimeExpr(match.start(), match.end(), text, first, years[1], plan=True)
    if published.year is None:
        return None
    year = published.year
    month = int(g("dm") or g("rmm") or 0)
    if g("rel") in ("去年", "上年"):
        year -= 1
    elif month and published.month and month > published.month:
        year -= 1       # a month after publication: of the year before
    month_of = int(g("rmm")) if g("rm") else None
    return TimeExpr(match.start(), match.end(), text, year, year, month_of)


def _part(match: re.Match, published: Published) -> TimeExpr | None:
    """前三季度, 2023年上半年: the year to the end of a quarter or half (a YYYY-MM period)."""
    g, month = match.group, _PARTS[match.group("pp")]
    if g("py"):
        year = int(g("py"))
    elif published.year is None:
        return None
    else:
        year = published.year - (g("prel") == "去年")
        if not g("prel") and published.month and month > published.month:
            year -= 1
    return TimeExpr(match.start(), match.end(), match.group(0), year, year, month)


def _is_base(doc: Document, e: TimeExpr) -> bool:
    before = doc.text[max(0, e.start - 4):e.start]
    after = doc.text[e.end:e.end + 6]
    if after.startswith("的"):      # 2012年的9.4%: the year of the figure that follows
        return False
    return before.endswith(_BASE_BEFORE) or after.startswith(("以来", "相比")) \
        or (before.endswith("与") and "相比" in after)


class PeriodFinder:
    """The time expressions of one document, and the period each figure takes."""

    def __init__(self, doc: Document, labels: frozenset[int] = frozenset()) -> None:
        self.doc = doc
        self.labels = labels          # starts of figures that stand alone as chart labels

    @cached_property
    def expressions(self) -> list[TimeExpr]:
        found = []
        for match in _EXPRESSIONS.finditer(self.doc.text):
            e = _expression(match, self.doc.published)
            if e is not None:
                found.append(TimeExpr(e.start, e.end, e.text, e.first, e.last, e.month,
                                      _is_base(self.doc, e), e.plan))
        return found

    @cached_property
    def runs(self) -> list[list[TimeExpr]]:
        """Axis runs: two or more bare years in a row (2012年 2022年 under a chart)."""
        runs: list[list[TimeExpr]] = []
        for e in self.expressions:
            if e.first != e.last or e.month or e.plan or not re.fullmatch(r"\d{4}年", e.text):
                continue
            if runs and runs[-1][-1].end == e.start:
                runs[-1].append(e)
            else:
                runs.append([e])
        return [r for r in runs if len(r) >= 2]

    @cached_property
    def _axis(self) -> set[int]:
        return {e.start for run in self.runs for e in run}

    @property
    def default_year(self) -> int | None:
        year = self.doc.published.year
        return None if year is None else year - 1

    def find(self, start: int, end: int, kind: str, target: bool = False) -> Period:
        """The period of the figure at text[start:end] for an indicator of `kind`."""
        found = self._in_scope(self.doc.sentence(start, end), start, kind, target, False)
        if found is None and start in self.labels:
            found = self._chart_axis(start, end, kind in CHANGE_KINDS)
        if found is None:
            found = self._in_scope(self.doc.item(start, end, WINDOW), start, kind, target, True)
        if found is None:
            found = self._nearby(start, end, kind)
        if found is not None:
            return found
        if self.default_year is None:
            return Period("", False, "no year in the sentence and no publication date")
        return Period(str(self.default_year), False, f"no year stated; the year before "
                      f"publication ({self.doc.source.published})")

    def _in_scope(self, scope: tuple[int, int], start: int, kind: str, target: bool,
                  nearest: bool) -> Period | None:
        """The expression of the scope that governs the figure at `start` (None if none).

        In the figure's own sentence the expression before it governs, else the one
        after it; in a wider scope (a bullet item over several lines) the nearest."""
        a, b = scope
        inside = [e for e in self.expressions if a <= e.start and e.end <= b
                  and e.start not in self._axis]
        bases = [e for e in inside if e.base]
        change = kind in CHANGE_KINDS or bool(bases) and (
            kind == "multiple" or "累计" in self.doc.text[a:start])
        plain = [e for e in inside if not e.base]
        if target:
            future = [e for e in plain
                      if self.default_year is None or e.last > self.default_year + 1]
            if future:
                e = min(future, key=lambda e: abs(e.start - start))
                return Period(str(e.last), True, e.text, e.start)
        before = [e for e in plain if e.end <= start]
        after = [e for e in plain if e.start >= start]
        if nearest and plain:
            governing = min(plain, key=lambda e: start - e.end if e.end <= start
                            else e.start - start)
        else:
            governing = before[-1] if before else (after[0] if after else None)
        if change and bases:
            base = min(bases, key=lambda e: abs(e.start - start))
            last = governing.last if governing else self.default_year
            if last is not None and base.first < last:
                how = governing.text if governing else "end year inferred"
                first = min([base.start] + ([governing.start] if governing else []))
                return Period(f"{base.first}-{last}", governing is not None,
                              f"{base.text} … {how}", first)
        if governing is None:
            return None
        # A span in the figure's own sentence: a change or a flow (count, amount) over
        # it; a level reached (share, intensity...) belongs to its end year.
        point = not change and kind in POINT_KINDS
        return Period(governing.period(point), True, governing.text, governing.start)

    def _chart_axis(self, start: int, end: int, change: bool) -> Period | None:
        a, b = self.doc.passage(start, end, WINDOW)
        ahead = [r for r in self.runs if r[0].start >= end and r[-1].end <= b]
        behind = [r for r in self.runs if r[-1].end <= start and r[0].start >= a]
        if ahead:
            run = ahead[0]
            floor = max([e.end for e in self.expressions if e.end <= start] + [a])
            block = sorted(s for s in self.labels if floor <= s < run[0].start)
            index = block.index(start) if start in block else 0
            if change:
                return Period(f"{run[0].first}-{run[-1].last}", True, _run_text(run))
            if index < len(run):
                return Period(str(run[index].first), True, f"{_run_text(run)} (label {index + 1})")
        if behind:
            run = behind[-1]
            if change:
                return Period(f"{run[0].first}-{run[-1].last}", True, _run_text(run))
            return Period(str(run[-1].last), True, _run_text(run))
        return None

    def _nearby(self, start: int, end: int, kind: str) -> Period | None:
        """The nearest expression within WINDOW characters (a slide's heading or caption).

        A span found there is a heading over several items: a change or a plan's
        flow takes the span, any other figure its end year."""
        a, b = self.doc.passage(start, end, WINDOW)
        near = [e for e in self.expressions if a <= e.start and e.end <= b and not e.base
                and e.start not in self._axis]
        if not near:
            return None
        e = min(near, key=lambda e: start - e.end if e.end <= start else e.start - end)
        span = kind in CHANGE_KINDS or (e.plan and kind not in POINT_KINDS)
        return Period(e.period(point=not span), True, f"{e.text} (nearby)", e.start)


def _run_text(run: list[TimeExpr]) -> str:
    return " ".join(e.text for e in run)
