"""The `greenaudit` command: the entry point every workflow rule calls.

Each subcommand is one stage of the workflow. Input problems are reported as one
located line (`file:line:column: what was expected`), never as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from decimal import Decimal
from pathlib import Path

from .errors import GreenauditError

log = logging.getLogger("greenaudit")


def _stage(args: argparse.Namespace) -> int:
    from .parquet import (COVERAGE, FINDINGS, OBSERVATIONS, TRANSCRIPTIONS, write_checks,
                          write_table)
    from .publish import write_atomic
    from .stage import Settings, all_findings, stage_source

    settings = Settings(Decimal(args.approximate_band), Decimal(args.near_band))
    staged = stage_source(args.workspace, args.source_id, settings)
    write_table(staged.transcriptions, TRANSCRIPTIONS, args.transcriptions)
    write_table(staged.observations, OBSERVATIONS, args.observations)
    write_checks(staged.checks, args.checks)
    write_table(all_findings(staged), FINDINGS, args.findings)
    write_table(staged.coverage_rows, COVERAGE, args.coverage)
    write_atomic(args.normalised, staged.normalised_text)
    failed = [c for c in staged.checks if c.status == "fail"]
    log.info("%s: %d rows, %d observations, %d failing checks", args.source_id,
             len(staged.transcriptions), len(staged.observations), len(failed))
    for check in failed:
        log.info("%s (%s): %s", check.check_id, check.severity, check.message)
    return 0


def _build_db(args: argparse.Namespace) -> int:
    from .catalog import load_catalog, load_discrepancies
    from .database import build_database
    from .manifest import load_manifest
    from .units import UnitSystem
    from .workspace import workspace_checks

    schemas = args.workspace / "schemas"
    catalog = load_catalog(schemas, UnitSystem.load(schemas))
    sources = load_manifest(args.workspace)
    discrepancies = load_discrepancies(schemas, catalog)
    extra = workspace_checks(args.workspace, sources)
    checks = build_database(args.out, sources, catalog, discrepancies, args.transcriptions,
                            args.observations, args.checks, args.findings, extra,
                            args.coverage)
    for check in checks:
        log.info("%s: %s %s", check.check_id, check.status, check.message)
    return 0


def _validate_pandera(args: argparse.Namespace) -> int:
    from .pandera_schemas import validate_tables
    from .parquet import write_checks

    checks = validate_tables(args.db, args.failure_cases)
    write_checks(checks, args.checks)
    log.info("pandera: %d checks, %d failing", len(checks),
             sum(c.status == "fail" for c in checks))
    return 0


def _validate_gx(args: argparse.Namespace) -> int:
    from .catalog import load_catalog
    from .gx_validation import run_gx_validation
    from .parquet import write_checks
    from .units import UnitSystem

    schemas = args.workspace / "schemas"
    catalog = load_catalog(schemas, UnitSystem.load(schemas))
    entries = {i.indicator_id: {"kind": i.kind, "unit": i.unit,
                                "valid_range": [i.valid_low, i.valid_high]}
               for i in catalog.values()}
    out_dir = args.results.parent
    if args.data_docs.parent != out_dir or args.results.name != "gx_results.json":
        raise SystemExit("validate-gx: --results must be DIR/gx_results.json beside --data-docs")
    checks = run_gx_validation(args.db, out_dir, entries)
    write_checks(checks, args.checks)
    log.info("great expectations: %d checks, %d failing", len(checks),
             sum(c.status == "fail" for c in checks))
    return 0


def _assemble(args: argparse.Namespace) -> int:
    from .parquet import read_checks
    from .publish import AUDIT_FILES, assemble

    extra = [c for path in args.checks for c in read_checks(path)]
    out_dir = args.status.parent
    expected = sorted(out_dir / "audit" / name for name in AUDIT_FILES)
    if sorted(args.tables) != expected:
        raise SystemExit(f"assemble: --tables must be {' '.join(map(str, expected))}")
    status = assemble(args.db, extra, out_dir)
    log.info("checks: %s; publishable: %s", status["counts"], status["publishable"])
    return 0


def _gate(args: argparse.Namespace) -> int:
    from .publish import gate, write_atomic

    errors = gate(args.status)
    if errors:
        print(f"greenaudit: {len(errors)} error(s); results/audit/ is left as it was. "
              f"See {args.status.parent}/ for the full checks table.", file=sys.stderr)
        for line in errors:
            print(f"error: {line}", file=sys.stderr)
        return 1
    write_atomic(args.out, "publishable\n")
    return 0


def _publish(args: argparse.Namespace) -> int:
    from .publish import publish

    if [p.name for p in args.staged] != [p.name for p in args.published]:
        raise SystemExit("publish: --staged and --published must name the same files in order")
    publish(dict(zip(args.staged, args.published)), args.db, args.published_db)
    log.info("published %s and %s", " ".join(map(str, args.published)), args.published_db)
    return 0


def _scaffold(args: argparse.Namespace) -> int:
    from .scaffold import scaffold

    rows = scaffold(args.workspace, args.source_id, dry_run=args.dry_run)
    table = args.workspace / "raw" / "tables" / f"{args.source_id}.csv"
    for row in rows:
        print(f"{row['quantity']}\t{row['quote']}\t{row['note']}")
    verb = "would append" if args.dry_run else "appended"
    print(f"{verb} {len(rows)} candidate row(s) to {table}; fill in indicator_id and period, "
          f"or move a mention to raw/ignored.csv with its reason", file=sys.stderr)
    return 0


def _explain(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .explain import explain

    console = Console(no_color=args.plain, width=args.width, highlight=False)
    explain(args.indicator_id, args.period, args.audit_dir, console)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="greenaudit", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("stage", help="verify, parse and prove one source's transcription")
    p.add_argument("source_id")
    p.add_argument("--workspace", type=Path, default=Path("."))
    p.add_argument("--approximate-band", default="0.05")
    p.add_argument("--near-band", default="0.05")
    for name in ("transcriptions", "observations", "checks", "findings", "coverage",
                 "normalised"):
        p.add_argument(f"--{name}", type=Path, required=True)
    p.set_defaults(func=_stage)

    p = sub.add_parser("build-db", help="load the staged sources into DuckDB, compare sources")
    p.add_argument("--workspace", type=Path, default=Path("."))
    p.add_argument("--out", type=Path, required=True)
    for name in ("transcriptions", "observations", "checks", "findings", "coverage"):
        p.add_argument(f"--{name}", type=Path, nargs="+", required=True)
    p.set_defaults(func=_build_db)

    p = sub.add_parser("validate-pandera", help="validate the database tables with pandera")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--failure-cases", type=Path, required=True)
    p.add_argument("--checks", type=Path, required=True)
    p.set_defaults(func=_validate_pandera)

    p = sub.add_parser("validate-gx", help="run the Great Expectations suites")
    p.add_argument("--workspace", type=Path, default=Path("."))
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("--data-docs", type=Path, required=True)
    p.add_argument("--checks", type=Path, required=True)
    p.set_defaults(func=_validate_gx)

    p = sub.add_parser("assemble", help="write the would-be published tables and status")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--checks", type=Path, nargs="*", default=[])
    p.add_argument("--status", type=Path, required=True)
    p.add_argument("--tables", type=Path, nargs="+", required=True)
    p.set_defaults(func=_assemble)

    p = sub.add_parser("gate", help="fail, naming every error, unless the audit may publish")
    p.add_argument("--status", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_gate)

    p = sub.add_parser("publish", help="copy the validated tables and database into place")
    p.add_argument("--staged", type=Path, nargs="+", required=True)
    p.add_argument("--published", type=Path, nargs="+", required=True)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--published-db", type=Path, required=True)
    p.set_defaults(func=_publish)

    p = sub.add_parser("scaffold", help="append candidate rows for a source's uncovered mentions")
    p.add_argument("source_id")
    p.add_argument("--workspace", type=Path, default=Path("."))
    p.add_argument("--dry-run", action="store_true", help="print the rows, change nothing")
    p.set_defaults(func=_scaffold)

    p = sub.add_parser("explain", help="show an indicator's quotes, values and agreement")
    p.add_argument("indicator_id")
    p.add_argument("--period")
    p.add_argument("--audit-dir", type=Path, default=Path("results/audit"))
    p.add_argument("--plain", action="store_true", help="no colours")
    p.add_argument("--width", type=int, default=None, help="output width (default: terminal)")
    p.set_defaults(func=_explain)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return args.func(args)
    except GreenauditError as exc:
        print(f"greenaudit: error: {exc.located()}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
