"""`greenaudit scaffold --evaluate`: scaffold measured leave-one-source-out.

For each source of the workspace, its table and its rows of raw/ignored.csv are
hidden, every mention is scaffolded as a new source's would be, and the proposals
are compared with the committed rows (by the source offsets of their quantities):

- figures proposed: committed rows whose quantity a proposed row covers;
- indicator, period (and breakdown): of those rows, the share whose proposal
  names the committed indicator_id, period (breakdown);
- noise: proposed rows that cover no committed figure (a person deletes them or
  sets them aside), as a share of all proposed rows;
- set aside: mentions proposed for raw/ignored.csv, how many of them the
  committed raw/ignored.csv sets aside (ignored), and how many are committed
  figures (lost: a person would have to find them again).

Noise is counted against the committed rows only: a proposed row for a mention
that raw/ignored.csv sets aside is noise too (a person deletes it). Counted as
"matching no committed row and no raw/ignored.csv entry" it would be 0 on any
fully covered source, where every mention is one or the other.

Nothing of a hidden source informs its own proposals: the scorer reads the catalog
only, and the source's table and ignored rows are not read while it is proposed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from greenaudit.stage.coverage import CALENDAR_REASON, audit_coverage
from greenaudit.stage.source import StageContext, stage_source
from greenaudit.tools.scaffold.document import Document
from greenaudit.tools.scaffold.proposal import Proposal, SetAside, Tools, propose

TARGETS = {"proposed": 0.95, "indicator": 0.70, "period": 0.90}
NOISE_TARGET = 0.10


@dataclass
class Score:
    source_id: str
    figures: int = 0            # committed rows
    proposed: int = 0           # of which a proposal covers the quantity
    indicator: int = 0          # of those, proposal names the same indicator_id
    period: int = 0
    breakdown: int = 0
    rows: int = 0               # proposed rows
    noise: int = 0              # proposed rows covering no committed figure
    set_aside: int = 0          # mentions proposed for raw/ignored.csv
    set_aside_ignored: int = 0  # ... that raw/ignored.csv sets aside
    set_aside_figures: int = 0  # ... that are committed figures

    def add(self, other: "Score") -> None:
        for f in fields(self):
            if f.name != "source_id":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def share(self, name: str) -> float:
        base = {"proposed": self.figures, "noise": self.rows}.get(name, self.proposed)
        return getattr(self, name) / base if base else 0.0


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _best(row: dict, candidates: list[Proposal]) -> Proposal:
    def rank(p: Proposal) -> tuple:
        return (p.indicator_id == row["indicator_id"], p.period.period == row["period"],
                p.breakdown == row["breakdown"])
    return max(candidates, key=rank)


def hidden_proposals(context: StageContext, tools: Tools, source_id: str,
                     original: str) -> tuple[Document, list[Proposal], list[SetAside]]:
    """Scaffold a source as if it had no table and no rows in raw/ignored.csv: every
    mention but its calendar expressions is missing."""
    source = context.manifest[source_id]
    doc = Document.build(source, original)
    others = [r for r in context.ignored if r.source_id != source_id]
    hidden = audit_coverage(source_id, doc.original, doc.normalised, doc.mentions,
                            source.cleaning, [], [], others)
    proposals, set_aside = propose(doc, [row for row, _ in hidden.missing], tools)
    return doc, proposals, set_aside


def evaluate_source(context: StageContext, tools: Tools, source_id: str) -> Score:
    """Hide one source's table and ignored rows, scaffold it, compare."""
    staged = stage_source(context.workspace, source_id, context=context)
    score = Score(source_id)
    if staged.original is None or staged.coverage is None:
        return score
    doc, proposals, set_aside = hidden_proposals(context, tools, source_id, staged.original)
    spans = [(p, doc.normalised.span(p.start, p.end)) for p in proposals]
    committed = [(o, (o["quantity_start"], o["quantity_end"])) for o in staged.observations
                 if o["quantity_start"] is not None]
    ignored = [(r.start, r.end) for r in staged.coverage.rows
               if r.status == "ignored" and r.reason != CALENDAR_REASON]
    score.figures = len(staged.transcriptions)
    for row, span in committed:
        covering = [p for p, s in spans if _overlaps(s, span)]
        if covering:
            best = _best(row, covering)
            score.proposed += 1
            score.indicator += best.indicator_id == row["indicator_id"]
            score.period += best.period.period == row["period"]
            score.breakdown += best.breakdown == row["breakdown"]
    score.rows = len(proposals)
    score.noise = sum(not any(_overlaps(s, c) for _, c in committed) for _, s in spans)
    score.set_aside = len(set_aside)
    for item in set_aside:
        span = (item.mention.start, item.mention.end)
        score.set_aside_ignored += any(_overlaps(span, i) for i in ignored)
        score.set_aside_figures += any(_overlaps(span, c) for _, c in committed)
    return score


def evaluate(workspace: Path) -> list[Score]:
    """Scores per source of the workspace, in manifest order, and their total last."""
    context = StageContext.load(workspace)
    tools = Tools.load(context)
    scores = [evaluate_source(context, tools, sid) for sid in context.manifest]
    total = Score("total")
    for s in scores:
        total.add(s)
    return scores + [total]


def unmet(total: Score) -> list[str]:
    """The targets the total misses, as readable phrases (empty when all are met)."""
    misses = [f"{name} {total.share(name):.1%} < {goal:.0%}" for name, goal in TARGETS.items()
              if total.share(name) < goal]
    if total.share("noise") > NOISE_TARGET:
        misses.append(f"noise {total.share('noise'):.1%} > {NOISE_TARGET:.0%}")
    return misses


def report(scores: list[Score]) -> str:
    """The scores as a plain-text table, with the targets met or missed."""
    head = (f"{'source':<22}{'figures':>8}{'proposed':>10}{'indicator':>11}{'period':>8}"
            f"{'breakdown':>11}{'rows':>6}{'noise':>7}{'set aside':>11}{'ignored':>9}"
            f"{'lost':>6}")
    lines = ["leave-one-source-out: each source's table and raw/ignored.csv rows hidden", head]
    for s in scores:
        lines.append(
            f"{s.source_id:<22}{s.figures:>8}{s.share('proposed'):>10.1%}"
            f"{s.share('indicator'):>11.1%}{s.share('period'):>8.1%}"
            f"{s.share('breakdown'):>11.1%}{s.rows:>6}{s.share('noise'):>7.1%}"
            f"{s.set_aside:>11}{s.set_aside_ignored:>9}{s.set_aside_figures:>6}")
    misses = unmet(scores[-1])
    goals = ", ".join(f"{n} >= {g:.0%}" for n, g in TARGETS.items())
    lines.append(f"targets ({goals}, noise <= {NOISE_TARGET:.0%}): "
                 + ("met" if not misses else "missed: " + "; ".join(misses)))
    return "\n".join(lines)
