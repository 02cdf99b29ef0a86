"""The subcommands for people: diff, summary, scaffold, explain, synth, score."""

from __future__ import annotations

import argparse
import logging
import sys
from decimal import Decimal
from pathlib import Path

log = logging.getLogger("greenaudit")


def _diff(args: argparse.Namespace) -> int:
    import json

    from greenaudit.tools import diff as datadiff

    if args.new and not args.old:
        raise SystemExit("diff: name OLD_REF before NEW_REF")
    old = datadiff.snapshot_at(args.repo, args.old or datadiff.last_published(args.repo).commit)
    new = datadiff.snapshot_at(args.repo, args.new)
    result = datadiff.diff(old, new)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        print(datadiff.to_markdown(result), end="")
    if args.append:
        changes = args.repo / datadiff.CHANGES
        if datadiff.append_changes(changes, result):
            log.info("added an entry to %s", changes)
        else:
            log.info("nothing changed; %s left as it was", changes)
    return 0


def _add_diff(sub) -> None:
    p = sub.add_parser("diff", help="what changed in the published data between two versions",
                       description="Compare the published tables and source manifest of two "
                       "versions. OLD_REF defaults to the last commit that changed "
                       "results/audit/, NEW_REF to the working tree.")
    p.add_argument("old", nargs="?", metavar="OLD_REF")
    p.add_argument("new", nargs="?", metavar="NEW_REF")
    p.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    p.add_argument("--append", action="store_true",
                   help="also put the entry first in results/audit/CHANGES.md")
    p.add_argument("--repo", type=Path, default=Path("."),
                   help="the workspace inside a git repository (default: .)")
    p.set_defaults(func=_diff)


def _summary(args: argparse.Namespace) -> int:
    from greenaudit.tools.summary import summary

    print(summary(args.repo, args.validation, args.old or None), end="")
    return 0


def _add_summary(sub) -> None:
    p = sub.add_parser("summary", help="Markdown summary of the last rebuild (CI job summary)")
    p.add_argument("--old", metavar="REF", default="",
                   help="compare with this revision (default, or when it cannot be read: "
                   "the last commit that changed results/audit/)")
    p.add_argument("--repo", type=Path, default=Path("."))
    p.add_argument("--validation", type=Path, default=Path("results/validation"))
    p.set_defaults(func=_summary)


def _scaffold(args: argparse.Namespace) -> int:
    from greenaudit.tools.scaffold.command import run

    return run(args)


def _add_scaffold(sub) -> None:
    from greenaudit.tools.scaffold.command import add_arguments

    p = sub.add_parser("scaffold", help="append proposed rows for a source's uncovered "
                                        "mentions (--evaluate: measure the proposals)")
    add_arguments(p)
    p.set_defaults(func=_scaffold)


def _explain(args: argparse.Namespace) -> int:
    from greenaudit.tools.explain import console_for, explain

    explain(args.indicator_id, args.period, args.audit_dir, console_for(args.plain, args.width))
    return 0


def _add_explain(sub) -> None:
    p = sub.add_parser("explain", help="show an indicator's quotes, values and agreement")
    p.add_argument("indicator_id")
    p.add_argument("--period")
    p.add_argument("--audit-dir", type=Path, default=Path("results/audit"))
    p.add_argument("--plain", action="store_true", help="no colours")
    p.add_argument("--width", type=int, default=None, help="width (default: terminal; a file: none)")
    p.set_defaults(func=_explain)


def _synth(args: argparse.Namespace) -> int:
    from greenaudit.synth.generate import PROJECT_ROOT, Request, generate

    request = Request(args.sources, args.rows_per_source, args.error_rate, args.seed)
    summary = generate(args.outdir, request, args.project or PROJECT_ROOT)
    planted = ", ".join(f"{name} {n}" for name, n in summary["planted"].items())
    short = [name for name, n in summary["planted"].items() if n < summary["requested"][name]]
    log.info("%s: %d sources, %d rows, %d facts, %d rules; planted: %s", args.outdir,
             args.sources, summary["rows"], summary["facts"], summary["rules"], planted)
    if short:
        log.warning("fewer errors than requested (too few eligible rows): %s", ", ".join(short))
    return 0


def _add_synth(sub) -> None:
    p = sub.add_parser("synth", help="write a synthetic workspace with planted errors and "
                                     "their answer key")
    p.add_argument("outdir", type=Path, help="new or empty directory")
    p.add_argument("--sources", type=int, required=True)
    p.add_argument("--rows-per-source", type=int, required=True)
    p.add_argument("--error-rate", type=float, default=0.0,
                   help="share of rows (of rules, for broken identities) carrying each class")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--project", type=Path, default=None,
                   help="the greenaudit repository whose config and units to copy")
    p.set_defaults(func=_synth)


def _score(args: argparse.Namespace) -> int:
    from greenaudit.synth.score import format_markdown, score_workspace, write_json

    result = score_workspace(args.outdir, args.audit)
    print(format_markdown(result), end="")
    if args.json:
        write_json(result, args.json)
    if args.fail_under is not None:
        low = [c["error_class"] for c in result["classes"] if c["status"] == "checked"
               and min(c["recall"] or 0, c["precision"] or 0) < args.fail_under]
        if low or result["unmatched_total"] and result["planted_total"] == 0:
            return 1
    return 0


def _add_score(sub) -> None:
    p = sub.add_parser("score", help="precision and recall of the audit's findings against "
                                     "a synthetic workspace's answer key")
    p.add_argument("outdir", type=Path, help="a workspace written by `greenaudit synth`")
    p.add_argument("--audit", type=Path, default=None,
                   help="directory with findings.csv and checks.csv (default "
                        "OUTDIR/results/validation/audit)")
    p.add_argument("--json", type=Path, default=None, help="also write the scores as JSON")
    p.add_argument("--fail-under", type=float, default=None,
                   help="exit 1 if a checked class scores below this (e.g. 0.99), or a clean "
                        "corpus has findings")
    p.set_defaults(func=_score)


def _quantity(args: argparse.Namespace) -> int:
    from greenaudit.tools.quantity import run_command

    return run_command(args, sys.stdin)


def _band(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}")
    return value


def _add_quantity(sub) -> None:
    p = sub.add_parser("quantity", help="read quantities as staging does: value, unit, qualifier, "
                                        "value_canonical, unit_canonical, lower and upper "
                                        "(canonical unit; null when unbounded), or the error; "
                                        "exit 1 when any was refused")
    p.add_argument("texts", nargs="*", metavar="TEXT",
                   help="quantities such as 超过40%% or 2700余家 (default: one per line of "
                        "standard input)")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.add_argument("--workspace", type=Path, default=Path("."),
                   help="directory with schemas/ (the written units)")
    p.add_argument("--approximate-band", type=_band, default=None,
                   help="band of 约/左右 (default: config/config.yaml, else 0.05)")
    p.add_argument("--near-band", type=_band, default=None,
                   help="band below 近/接近 (default: config/config.yaml, else 0.05)")
    p.add_argument("--traditional", action="store_true",
                   help="normalise as for a source in traditional script (Hant)")
    p.set_defaults(func=_quantity)


def register(sub) -> None:
    """Add this module's subcommands to the `greenaudit` parser."""
    for add in (_add_quantity, _add_diff, _add_summary, _add_scaffold, _add_explain, _add_synth,
                _add_score):
        add(sub)
