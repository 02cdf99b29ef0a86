"""`greenaudit explain`: one indicator across its sources, from the published audit tables.

For each (period, breakdown) of the indicator it shows the published value, its
interval and the agreement verdict, then every source's quote with the quantity
highlighted, the value as written, the interval that source allows, the
evidence status and the offsets of the quote in the original file.
"""

from __future__ import annotations

import csv
from pathlib import Path

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from greenaudit.errors import InputError
from greenaudit.text.normalise import normalise
from greenaudit.suggest import did_you_mean

AGREEMENT_STYLES = {"agree": "bold green", "agree_within_rounding": "bold yellow",
                    "conflict": "bold red", "single_source": "bold cyan"}
HIGHLIGHT = "bold black on yellow"
QUALIFIER = "bold black on green"
_NUMBER_CHARS = set("0123456789.")
# Output that is not a terminal (a file, a pipe) is not wrapped: a quote stays on one
# line of its cell instead of being cut into narrow pieces ("15." / "5%").
UNWRAPPED_WIDTH = 20_000


def console_for(plain: bool = False, width: int | None = None, file=None) -> Console:
    """The console to print on: the terminal's width, `width`, or unwrapped for a file."""
    console = Console(no_color=plain, width=width, highlight=False, file=file)
    if width is None and not console.is_terminal:
        console = Console(no_color=plain, width=UNWRAPPED_WIDTH, highlight=False, file=file)
    return console


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError("file not found; expected a published audit table "
                         "(run snakemake, or pass --audit-dir)", file=str(path))
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def interval_text(lower: str, upper: str) -> str:
    """[lower, upper] with open ends shown as such."""
    left = f"[{lower}" if lower else "(-∞"
    right = f"{upper}]" if upper else "∞)"
    return f"{left}, {right}"


def quantity_span(quote: str, quantity: str,
                  occurrence: int | None = None) -> tuple[int, int] | None:
    """Where `quantity` is written in `quote` (ignoring whitespace and width), or None.

    An occurrence that is not part of a longer number is preferred (28 in "28%",
    not in "28.2%"); of those, the `occurrence`-th when the row names one.
    """
    q = normalise(quote)
    needle = normalise(quantity).text
    if not needle:
        return None
    found = []
    position = q.text.find(needle)
    while position >= 0:
        end = position + len(needle)
        before = q.text[position - 1] if position else ""
        after = q.text[end] if end < len(q.text) else ""
        clean = not (needle[0] in _NUMBER_CHARS and before in _NUMBER_CHARS) and \
            not (needle[-1] in _NUMBER_CHARS and after in _NUMBER_CHARS)
        found.append((not clean, position, end))
        position = q.text.find(needle, position + 1)
    if not found:
        return None
    clean = [f for f in found if not f[0]]
    if occurrence is not None and occurrence <= len(clean):
        return q.span(*clean[occurrence - 1][1:])
    _, start, end = min(found)
    return q.span(start, end)


def highlighted(quote: str, quantity: str, occurrence: str = "", qualifier: str = "") -> Text:
    """The quote with its quantity (the occurrence the row names) and any qualifier
    written apart from it highlighted."""
    text = Text(quote)
    span = quantity_span(quote, quantity, int(occurrence) if occurrence.isdigit() else None)
    if span is not None:
        text.stylize(HIGHLIGHT, *span)
        found = quantity_span(quote, qualifier) if qualifier else None
        if found is not None and (found[1] <= span[0] or found[0] >= span[1]):
            text.stylize(QUALIFIER, *found)
    return text


def _not_published(indicator_id: str, period: str | None, published: list[dict[str, str]],
                   path: Path) -> InputError:
    """Why nothing can be shown: an unknown id (and the closest ones), or the periods
    the indicator is published for."""
    periods = sorted({r["period"] for r in published if r["indicator_id"] == indicator_id})
    if periods:
        return InputError(f"no published figure of {indicator_id} for period {period}; it is "
                          f"published for {', '.join(periods)}", file=str(path))
    which = f"{indicator_id} for period {period}" if period else indicator_id
    hint = did_you_mean(indicator_id, {r["indicator_id"] for r in published}, n=3)
    return InputError(f"no published figure of {which}{hint}; see the indicator_id column",
                      file=str(path))


def explanation(indicator_id: str, period: str | None, audit_dir: Path) -> list:
    """The renderables explaining an indicator (one group per period and breakdown)."""
    published = _read(audit_dir / "indicators.csv")
    indicators = [r for r in published if r["indicator_id"] == indicator_id
                  and (period is None or r["period"] == period)]
    if not indicators:
        raise _not_published(indicator_id, period, published, audit_dir / "indicators.csv")
    observations = _read(audit_dir / "observations.csv")
    groups = []
    for ind in sorted(indicators, key=lambda r: (r["period"], r["breakdown"])):
        title = Text.assemble(
            (ind["indicator_id"], "bold"), " ", ind["period"],
            *((" ", ind["breakdown"]) if ind["breakdown"] else ()), "  ",
            (ind["agreement"], AGREEMENT_STYLES.get(ind["agreement"], "bold")),
            f"  value {ind['value']} {ind['unit_canonical']}",
            f"  interval {interval_text(ind['lower'], ind['upper'])}",
            f"  {ind['n_sources']} source(s)")
        table = Table(show_lines=True, expand=False)
        for column in ("source", "quote", "value", "interval", "evidence"):
            table.add_column(column, overflow="fold")
        rows = [o for o in observations if (o["indicator_id"], o["period"], o["breakdown"]) ==
                (ind["indicator_id"], ind["period"], ind["breakdown"])]
        for obs in sorted(rows, key=lambda o: (o["source_id"], int(o["row_number"]))):
            table.add_row(
                f"{obs['source_id']}\nrow {obs['row_number']}",
                highlighted(obs["quote"], obs["quantity"], obs.get("quantity_occurrence") or "",
                            obs.get("context_qualifier") or ""),
                f"{obs['quantity']}\n= {obs['value_canonical']} {obs['unit_canonical']}",
                interval_text(obs["lower"], obs["upper"]),
                f"{obs['evidence']}\nchars {obs['quote_start']}-{obs['quote_end']}")
        groups.append(Group(title, table))
    return groups


def explain(indicator_id: str, period: str | None, audit_dir: Path, console: Console) -> int:
    """Print the explanation; return how many (period, breakdown) figures were shown."""
    groups = explanation(indicator_id, period, audit_dir)
    for group in groups:
        console.print(group)
        console.print()
    return len(groups)
