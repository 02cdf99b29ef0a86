"""The subcommands the workflow's rules call, one per job: stage, build-db, validate-*,
export, assemble, publish, report."""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from decimal import Decimal
from pathlib import Path

log = logging.getLogger("greenaudit")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _stage(args: argparse.Namespace) -> int:
    import pyarrow as pa

    from greenaudit.checks import log_level
    from greenaudit.formats.atomic import write_text_atomic
    from greenaudit.formats.parquet import write_arrow
    from greenaudit.stage.source import Settings, StageContext
    from greenaudit.cache import Store
    from greenaudit.cache.stage import NAMESPACE, TABLE_SCHEMAS, stage_batch

    settings = Settings(Decimal(args.approximate_band), Decimal(args.near_band),
                        args.max_quote_chars)
    context = StageContext.load(args.workspace, settings)
    parts: dict[str, list[pa.Table]] = {name: [] for name in TABLE_SCHEMAS}
    store = Store(args.cache_dir, NAMESPACE)
    for staged, cached in stage_batch(context, args.source_ids, store):
        write_text_atomic(args.normalised_dir / f"{staged.source_id}.txt", staged.normalised_text)
        failed = staged.failing_checks()
        log.info("%s%s: %d rows, %d observations, %d failing checks", staged.source_id,
                 " (cached)" if cached else "", staged.tables["transcriptions"].num_rows,
                 staged.tables["observations"].num_rows, len(failed))
        for check in failed:
            log.log(log_level(check["severity"]), "%s: %s", check["check_id"], check["message"])
        for name, table in staged.tables.items():
            parts[name].append(table)
    for name, schema in TABLE_SCHEMAS.items():
        write_arrow(pa.concat_tables(parts[name]) if parts[name] else schema.empty_table(),
                    getattr(args, name))
    return 0


def _add_stage(sub) -> None:
    p = sub.add_parser("stage", help="verify, parse and prove the transcriptions of a batch of sources")
    p.add_argument("source_ids", nargs="+", metavar="source_id")
    p.add_argument("--workspace", type=Path, default=Path("."))
    p.add_argument("--approximate-band", default="0.05")
    p.add_argument("--near-band", default="0.05")
    p.add_argument("--max-quote-chars", type=int, default=300,
                   help="longest quote, in characters after normalisation")
    for name in ("transcriptions", "observations", "checks", "findings", "coverage",
                 "normalised-dir"):
        p.add_argument(f"--{name}", type=Path, required=True)
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                   help="keep each source's products under DIR/stage/ and reuse them while "
                        "its inputs are unchanged (cache/stage.py says what is compared)")
    p.set_defaults(func=_stage, without_pandas=True)  # see cli.run()


def _build_db(args: argparse.Namespace) -> int:
    from greenaudit.workspace.catalog import load_catalog, load_discrepancies
    from greenaudit.database.build import References, RuleSet, StagedFiles, build_database
    from greenaudit.workspace.manifest import load_manifest
    from greenaudit.cache import Store, load, stage
    from greenaudit.cache import rules as rule_cache
    from greenaudit.text.units import UnitSystem
    from greenaudit.workspace.completeness import workspace_checks

    schemas = args.workspace / "schemas"
    units = UnitSystem.load(schemas)
    catalog = load_catalog(schemas, units)
    sources = load_manifest(args.workspace)
    discrepancies = load_discrepancies(schemas, catalog, set(sources))
    extra = workspace_checks(args.workspace, sources)
    # Staging entries of sources no longer listed (no staging job runs beside this one).
    for source_id in Store(args.cache_dir, stage.NAMESPACE).retain(sources):
        log.info("%s: no longer in raw/sources.csv; its staging cache entry is removed",
                 source_id)
    # Parsed while the staged tables load (a large rules file takes seconds).
    rule_store = Store(args.cache_dir, rule_cache.NAMESPACE)
    rules = functools.partial(rule_cache.load_rules_cached, schemas, catalog, units, rule_store)
    memo = (functools.partial(rule_cache.StoredRuleMemo, rule_store, schemas)
            if rule_store.enabled else None)
    staged = StagedFiles(args.transcriptions, args.observations, args.checks, args.findings,
                         args.coverage)
    checks = build_database(args.out, staged,
                            References(sources, catalog, discrepancies, extra),
                            RuleSet(rules, units, memo), threads=args.threads,
                            load_store=Store(args.cache_dir, load.NAMESPACE))
    # Every outcome is in the checks table; the log names those that did not pass
    # (thousands of passing rules would make it megabytes; -v lists them too).
    failed = [check for check in checks if check.status != "pass"]
    log.info("database: %d checks, %d not passing", len(checks), len(failed))
    for check in checks:
        log.log(logging.DEBUG if check.status == "pass" else logging.INFO, "%s: %s %s",
                check.check_id, check.status, check.message)
    return 0


def _add_build_db(sub) -> None:
    p = sub.add_parser("build-db", help="load the staged sources into DuckDB, apply the rules, "
                                        "compare sources")
    p.add_argument("--workspace", type=Path, default=Path("."))
    p.add_argument("--out", type=Path, required=True)
    for name in ("transcriptions", "observations", "checks", "findings", "coverage"):
        p.add_argument(f"--{name}", type=Path, nargs="+", required=True)
    p.add_argument("--threads", type=int, default=None,
                   help="DuckDB threads (default: all cores); the tables do not depend on it")
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                   help="the cache root: parsed rules and their outcomes are kept under "
                        "DIR/rules/, the large staged tables as loaded under DIR/load/ (a "
                        "build reloads only changed shards); staging entries of sources no "
                        "longer listed are removed from DIR/stage/")
    p.set_defaults(func=_build_db)


def _wrote_checks(checks: list, path: Path, tool: str) -> int:
    """Write a validation job's checks and log how many failed."""
    from greenaudit.formats.parquet import write_checks

    write_checks(checks, path)
    log.info("%s: %d checks, %d failing", tool, len(checks),
             sum(c.status == "fail" for c in checks))
    return 0


def _validate_pandera(args: argparse.Namespace) -> int:
    from greenaudit.cache import Store
    from greenaudit.cache.pandera import NAMESPACE
    from greenaudit.validate.pandera import validate_tables

    checks = validate_tables(args.db, args.failure_cases, Store(args.cache_dir, NAMESPACE),
                             args.workspace)
    return _wrote_checks(checks, args.checks, "pandera")


def _add_validate_pandera(sub) -> None:
    p = sub.add_parser("validate-pandera", help="validate the database tables with pandera")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--failure-cases", type=Path, required=True)
    p.add_argument("--checks", type=Path, required=True)
    p.add_argument("--workspace", type=Path, default=Path("."), help="where raw/ is")
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                   help="keep each source's verdict under DIR/pandera/ and validate only the "
                        "sources whose rows changed (cache/pandera.py says how)")
    p.set_defaults(func=_validate_pandera)


def _validate_gx(args: argparse.Namespace) -> int:
    from greenaudit.validate.gx import catalog_from_database, run_gx_validation

    out_dir = args.results.parent
    if args.data_docs.parent != out_dir or args.results.name != "gx_results.json":
        raise SystemExit("validate-gx: --results must be DIR/gx_results.json beside --data-docs")
    checks = run_gx_validation(args.db, out_dir, catalog_from_database(args.db),
                               assets=args.assets)
    return _wrote_checks(checks, args.checks, "great expectations")


def _add_validate_gx(sub) -> None:
    p = sub.add_parser("validate-gx", help="run the Great Expectations suites")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("--data-docs", type=Path, required=True)
    p.add_argument("--checks", type=Path, required=True)
    p.add_argument("--assets", type=Path, default=None, metavar="DIR",
                   help="the npm packages the Data Docs pages load (node_modules of "
                        "workflow/data_docs); without them the pages are unstyled")
    # Nothing is left open once it returns: see run().
    p.set_defaults(func=_validate_gx, quick_exit=True)


def _audit_files(command: str, tables: list[Path], out_dir: Path, names) -> None:
    """Refuse a --tables list other than `names` under `out_dir`/audit."""
    expected = sorted(out_dir / "audit" / name for name in names)
    if sorted(tables) != expected:
        raise SystemExit(f"{command}: --tables must be {' '.join(map(str, expected))}")


def _export(args: argparse.Namespace) -> int:
    from greenaudit.audit.publish import EXPORTED_FILES, export_tables
    from greenaudit.cache import Store
    from greenaudit.cache.export import NAMESPACE

    out_dir = args.tables[0].parent.parent
    _audit_files("export", args.tables, out_dir, EXPORTED_FILES)
    export_tables(args.db, out_dir / "audit", threads=args.threads,
                  store=Store(args.cache_dir, NAMESPACE))
    return 0


def _add_export(sub) -> None:
    p = sub.add_parser("export", help="write the large would-be published tables from the "
                                      "database")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--tables", type=Path, nargs="+", required=True)
    p.add_argument("--threads", type=int, default=None,
                   help="DuckDB threads (default: all cores); the files do not depend on it")
    p.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                   help="keep the observations and coverage tables under DIR/export/ and "
                        "export again only the rows of sources that changed (cache/export.py)")
    p.set_defaults(func=_export)


def _assemble(args: argparse.Namespace) -> int:
    from greenaudit.checks import read_checks
    from greenaudit.audit.publish import ASSEMBLED_FILES, assemble

    extra = [c for path in args.checks for c in read_checks(path)]
    out_dir = args.status.parent
    _audit_files("assemble", args.tables, out_dir, ASSEMBLED_FILES)
    status = assemble(args.db, extra, out_dir)
    log.info("checks: %s; publishable: %s", status["counts"], status["publishable"])
    return 0


def _add_assemble(sub) -> None:
    p = sub.add_parser("assemble", help="write the other would-be published tables, the data "
                                        "package and the status, once the checks are in")
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--checks", type=Path, nargs="*", default=[])
    p.add_argument("--status", type=Path, required=True)
    p.add_argument("--tables", type=Path, nargs="+", required=True)
    p.set_defaults(func=_assemble)


def _publish(args: argparse.Namespace) -> int:
    from greenaudit.audit.publish import gate, publish

    errors = gate(args.status)
    if errors:
        print(f"greenaudit: {len(errors)} error(s); results/audit/ is left as it was. "
              f"See {args.status.parent}/ for the full checks table.", file=sys.stderr)
        for line in errors:
            print(f"error: {line}", file=sys.stderr)
        return 1
    if [p.name for p in args.staged] != [p.name for p in args.published]:
        raise SystemExit("publish: --staged and --published must name the same files in order")
    try:
        publish(dict(zip(args.staged, args.published)), args.db, args.published_db, args.record)
    except (ValueError, OSError) as exc:  # a staged set that does not verify, a full disk
        print(f"greenaudit: error: not published ({exc}); the published set is left as it "
              f"was", file=sys.stderr)
        return 1
    log.info("published %s and %s", " ".join(map(str, args.published)), args.published_db)
    return 0


def _add_publish(sub) -> None:
    p = sub.add_parser("publish", help="unless the audit has errors (then name them and exit 1), "
                       "copy the validated tables and database into place")
    p.add_argument("--status", type=Path, required=True,
                   help="status.json of `assemble`: its errors forbid publication")
    p.add_argument("--staged", type=Path, nargs="+", required=True)
    p.add_argument("--published", type=Path, nargs="+", required=True)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--published-db", type=Path, required=True,
                   help="the database's place: greenaudit.duckdb beside the published tables")
    p.add_argument("--record", type=Path, default=None, metavar="FILE",
                   help="also write FILE: the files published with their SHA-256, and what "
                        "differed from what was last published")
    p.set_defaults(func=_publish)


def _report(args: argparse.Namespace) -> int:
    from greenaudit.report import Limits, ReportPaths, build_report

    limits = Limits(**{name: getattr(args, f"max_{name}") for name in Limits.__dataclass_fields__})
    view = build_report(ReportPaths(
        workspace=args.workspace, tables=args.tables, status=args.status,
        normalised=args.normalised, out=args.out, failure_cases=args.failure_cases,
        data_docs=args.data_docs, charts=args.charts, limits=limits, threads=args.threads))
    log.info("report: %s (%d indicator-periods, %d failing checks)", args.out,
             len(view.indicators), len(view.attention))
    return 0


def _add_report(sub) -> None:
    from greenaudit.report.limits import LIMIT_HELP, Limits

    p = sub.add_parser("report", help="write the self-contained HTML audit report")
    p.add_argument("--workspace", type=Path, default=Path("."))
    p.add_argument("--tables", type=Path, nargs="+", required=True,
                   help="the would-be published tables (checks, findings, indicators, "
                        "observations; coverage if present)")
    p.add_argument("--status", type=Path, required=True)
    p.add_argument("--normalised", type=Path, nargs="+", required=True,
                   help="the normalised source texts (each path names its source_id)")
    p.add_argument("--failure-cases", type=Path, help="pandera failure cases CSV (linked)")
    p.add_argument("--data-docs", type=Path, help="Great Expectations Data Docs directory (linked)")
    p.add_argument("--charts", type=Path, nargs="*", default=[],
                   help="also write the charts as SVG files, named matrix.svg, series.svg, "
                        "checks.svg (any directory)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--threads", type=_positive, default=None,
                   help="DuckDB threads (default: all cores)")
    for name, spec in Limits.__dataclass_fields__.items():
        p.add_argument(f"--max-{name.replace('_', '-')}", dest=f"max_{name}", type=_positive,
                       default=spec.default, metavar="N",
                       help=f"{LIMIT_HELP[name]} (default {spec.default})")
    p.set_defaults(func=_report, quick_exit=True)  # see run()


def register(sub) -> None:
    """Add this module's subcommands to the `greenaudit` parser."""
    for add in (_add_stage, _add_build_db, _add_validate_pandera, _add_validate_gx, _add_export, _add_assemble, _add_publish, _add_report):
        add(sub)
