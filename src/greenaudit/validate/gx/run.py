"""Run the GX suites over the audit database: checks, gx_results.json and Data Docs.

`run_gx_validation` plans the suites from the database (specs.py), opens it read-only
in GX through a SQL data source (DuckDB via duckdb-engine), validates each suite
against the observations table, and

* writes `gx_results.json`: every suite's normalised result (results.py);
* builds the Data Docs, offline, into `data_docs/` (docs.py; built aside, then
  swapped into place whole);
* returns one Check per expectation, in suite order.

great_expectations is imported inside `run_gx_validation` only.
"""

from __future__ import annotations

import logging
import threading
import warnings
from pathlib import Path
from typing import Any

from greenaudit.formats.atomic import replace_directory, temp_path
from greenaudit.formats.duckdb_memory import duckdb_config
from greenaudit.checks import Check

from greenaudit.validate.gx.docs import SITE_NAME, build_data_docs, site_config
from greenaudit.validate.gx.imports import DEFERRED_GX_DEPENDENCIES, defer_imports, import_gx, quiet_gx_environment
from greenaudit.validate.gx.results import checks_from_result, failed_checks, normalise_result, write_json_atomic
from greenaudit.validate.gx.verdicts import SHOWN_ITEMS
from greenaudit.validate.gx.specs import MAX_EXPECTATIONS, SUITES, ExpectationSpec, Plan, read_plan

log = logging.getLogger(__name__)

RESULTS_FILE = "gx_results.json"
DATA_DOCS_DIR = "data_docs"
DATASOURCE_NAME = "greenaudit"
BATCH_TABLE = "observations"
RESULT_FORMAT = {"result_format": "SUMMARY"}


def _context(gx, docs_dir: Path):
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites={SITE_NAME: site_config(docs_dir)},
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _batch_definition(context, db_path: Path):
    """The whole observations table, read-only, through a SQL data source."""
    # One DuckDB thread: the job runs beside pandera and the export, which keep the
    # other core busy, and one thread's aggregation tables take less memory.
    datasource = context.data_sources.add_sql(
        DATASOURCE_NAME, connection_string=f"duckdb:///{Path(db_path).resolve()}",
        kwargs={"connect_args": {"read_only": True, "config": duckdb_config(threads=1)}})
    asset = datasource.add_table_asset(BATCH_TABLE, table_name=BATCH_TABLE)
    return datasource, asset.add_batch_definition_whole_table("whole_table")


def _validate_suite(gx, context, batch, suite: str, specs: list[ExpectationSpec]) -> dict:
    """Run one suite; its normalised result. ValidationDefinition.run stores the result
    in the (in-memory) results store, which the Data Docs are built from."""
    from greenaudit.validate.gx.expectations import EXPECTATIONS

    cls = EXPECTATIONS[suite]
    # One value for the whole suite, so that GX computes its metric once.
    detailed = {"detailed": False} if all(len(s.items) > SHOWN_ITEMS for s in specs) else {}
    expectations = [cls(first_item=s.items[0], last_item=s.items[-1], claim=s.claim,
                        meta={"check_id": s.check_id, "target": s.target}, **detailed)
                    for s in specs]
    # A suite built whole: adding expectations one by one re-saves it each time.
    gx_suite = context.suites.add(gx.ExpectationSuite(name=suite, expectations=expectations))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite, data=batch, suite=gx_suite))
    return normalise_result(validation.run(result_format=RESULT_FORMAT).to_json_dict())


def _run_suites(gx, context, db_path: Path, plan: Plan) -> tuple[dict[str, Check], dict]:
    """Every suite's checks and normalised result; what cannot run fails, never raises."""
    checks: dict[str, Check] = {}
    normalised: dict[str, Any] = {}
    datasource = batch = None
    try:
        if BATCH_TABLE not in plan.missing_tables.get(SUITES[0].name, []):
            datasource, batch = _batch_definition(context, db_path)
    except Exception as exc:  # noqa: BLE001 - reported as failing checks
        log.warning("GX could not open %s: %s", db_path, exc)
    for suite in SUITES:
        specs = plan.expectations[suite.name]
        missing = plan.missing_tables.get(suite.name)
        if missing or batch is None:
            text = (f"table(s) {', '.join(missing)} not found in the database" if missing
                    else f"GX could not open the database {Path(db_path).name}")
            checks.update(failed_checks(specs, text))
            normalised[suite.name] = {"success": False, "error": text, "results": []}
            continue
        try:
            normalised[suite.name] = _validate_suite(gx, context, batch, suite.name, specs)
        except Exception as exc:  # noqa: BLE001 - reported as failing checks
            log.warning("GX suite %s could not run: %s", suite.name, exc)
            text = f"GX could not run suite {suite.name}: {type(exc).__name__}: {exc}"[:300]
            checks.update(failed_checks(specs, text))
            normalised[suite.name] = {"success": False, "error": text, "results": []}
            continue
        checks.update(checks_from_result(specs, normalised[suite.name]))
    if datasource is not None:
        _close(context, datasource)
    return checks, normalised


def _close(context, datasource) -> None:
    """Close GX's connections to the database: DuckDB refuses a second connection in
    this process with another configuration while one is open."""
    for source in {id(d): d for d in (datasource, context.data_sources.get(DATASOURCE_NAME))
                   }.values():
        source.get_execution_engine().close()
        source.get_engine().dispose()


def run_gx_validation(db_path: Path, out_dir: Path, catalog: dict, assets: Path | None = None,
                      max_expectations: int = MAX_EXPECTATIONS) -> list[Check]:
    """Validate the audit database with GX; write gx_results.json and data_docs/ under out_dir.

    `catalog` is the database's (specs.catalog_from_database); `assets` the directory
    of the Data Docs' npm packages (node_modules). One Check per expectation, in suite
    order; a missing table or a suite GX cannot run gives failing checks (severity
    error), never an exception.
    """
    db_path, out_dir = Path(db_path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    quiet_gx_environment()
    docs_dir = out_dir / DATA_DOCS_DIR
    docs_build = temp_path(docs_dir)
    with warnings.catch_warnings():
        # GX and SQLAlchemy deprecation chatter is not ours to act on in a pipeline run.
        for category in (DeprecationWarning, FutureWarning, UserWarning):
            warnings.simplefilter("ignore", category)
        # Importing GX takes seconds of Python; the plan's queries wait on DuckDB: both
        # at once. A failed import in the thread is raised again by the import below.
        defer_imports(DEFERRED_GX_DEPENDENCIES)
        importer = threading.Thread(target=import_gx, name="import-gx", daemon=True)
        importer.start()
        plan = read_plan(db_path, catalog, max_expectations)
        importer.join()
        import great_expectations as gx

        context = _context(gx, docs_build)
        checks, normalised = _run_suites(gx, context, db_path, plan)
        write_json_atomic(out_dir / RESULTS_FILE, {
            "success": all(c.status == "pass" for c in checks.values()),
            "suites": normalised,
        })
        build_data_docs(context, docs_build, assets, plan.expectations)
    if docs_build.is_dir():
        replace_directory(docs_build, docs_dir)
    return [checks[s.check_id] for suite in SUITES for s in plan.expectations[suite.name]]
