"""The `greenaudit scaffold` subcommand: arguments and what each mode prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source_id", nargs="?")
    parser.add_argument("--workspace", type=Path, default=Path("."))
    parser.add_argument("--dry-run", action="store_true", help="print the rows, change nothing")
    parser.add_argument("--confirm", type=int, nargs="+", metavar="LINE",
                        help="copy the proposal in the note of these table lines into "
                             "indicator_id, period and breakdown")
    parser.add_argument("--evaluate", action="store_true",
                        help="leave-one-source-out: hide each source's table and ignored "
                             "rows, scaffold it and compare with the committed rows")


def run(args: argparse.Namespace) -> int:
    from greenaudit.errors import InputError
    from greenaudit.tools.scaffold.table import confirm, scaffold

    if args.evaluate:
        from greenaudit.tools.scaffold.evaluate import evaluate, report

        print(report(evaluate(args.workspace)))
        return 0
    if not args.source_id:
        raise InputError("scaffold needs a source_id (or --evaluate)")
    table = args.workspace / "raw" / "tables" / f"{args.source_id}.csv"
    if args.confirm:
        lines = confirm(args.workspace, args.source_id, args.confirm)
        print(f"confirmed line(s) {', '.join(map(str, lines))} of {table}: indicator_id, "
              f"period and breakdown copied from the note", file=sys.stderr)
        return 0
    result = scaffold(args.workspace, args.source_id, dry_run=args.dry_run)
    for row, p in zip(result.rows, result.proposals):
        period = p.period.period + ("" if p.period.stated else " (inferred)")
        print(f"{row['quantity']}\t{p.indicator_id}\t{period}\t{p.breakdown}\t"
              f"{p.confidence:.2f}\t{row['quote']}")
    if result.set_aside:
        print("# proposed for raw/ignored.csv (not written; paste the rows you agree with):")
        print("\n".join(result.ignored_lines()))
    verb = "would append" if args.dry_run else "appended"
    print(f"{verb} {len(result.rows)} candidate row(s) to {table} with indicator_id, period "
          f"and breakdown blank and proposed in the note: confirm each (greenaudit scaffold "
          f"{args.source_id} --confirm LINE...) or move its mention to raw/ignored.csv; "
          f"{len(result.set_aside)} mention(s) proposed for raw/ignored.csv", file=sys.stderr)
    return 0
