"""Great Expectations (GX 1.x) validation stage.

`run_gx_validation` loads the `observations`, `indicators` and `sources` tables of
the audit database into pandas, validates them with one expectation suite per
table (plus one suite over a per-indicator frame derived from `observations` for
unit consistency), and

* writes `gx_results.json`: every suite's validation result, normalised so that
  two runs over the same data are byte-identical (no run ids, ids, timestamps or
  GX version; results sorted by check id; keys sorted);
* builds GX Data Docs (HTML, offline) into `data_docs/` (a cache: a failure to
  build them is logged, not raised);
* returns one `Check` per expectation.

great_expectations is imported inside `run_gx_validation` only: importing it
costs seconds, and the rest of the package imports this module cheaply.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import shutil
import sys
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from greenaudit.formats.atomic import replace_directory, temp_path, write_text_atomic
from greenaudit.checks import Check
from greenaudit.database.build import AGREEMENTS, EVIDENCE_VALUES
from greenaudit.workspace.manifest import SCRIPTS

log = logging.getLogger(__name__)

RESULTS_FILE = "gx_results.json"
DATA_DOCS_DIR = "data_docs"
DATASOURCE_NAME = "greenaudit"
DATA_DOCS_SITE_NAME = "greenaudit_site"

AGREEMENT_VALUES = AGREEMENTS
SCRIPT_VALUES = SCRIPTS
SHA256_REGEX = r"^[0-9a-f]{64}$"

OBSERVATIONS_NOT_NULL = ("source_id", "indicator_id", "period", "quantity", "value",
                         "value_canonical", "unit_canonical", "quote", "evidence")
OBSERVATIONS_KEY = ("source_id", "indicator_id", "period", "breakdown")
INDICATORS_NOT_NULL = ("indicator_id", "period", "unit_canonical", "n_sources", "agreement")
INDICATORS_KEY = ("indicator_id", "period", "breakdown")

# Database tables, in report order.
TABLES = ("observations", "indicators", "sources")
# Suites, in report order: (suite name, table its checks are about, frame it validates).
UNITS_SUITE = "observations_unit_consistency"
# The per-kind range expectations filter rows by kind (a GX row condition), and GX
# copies every column of the frame for each filter it applies: they run over the
# observations narrowed to the columns they read, the same rows in the same order.
RANGES_SUITE = "observations_value_ranges"
SUITES = (
    ("observations", "observations", "observations"),
    (RANGES_SUITE, "observations", RANGES_SUITE),
    (UNITS_SUITE, "observations", UNITS_SUITE),
    ("indicators", "indicators", "indicators"),
    ("sources", "sources", "sources"),
)
# Columns that locate an unexpected row; GX reports them next to each unexpected value.
INDEX_COLUMNS = {
    "observations": ("source_id", "row_number"),
    RANGES_SUITE: ("source_id", "row_number"),
    UNITS_SUITE: ("indicator_id",),
    "indicators": ("indicator_id", "period", "breakdown"),
    "sources": ("source_id",),
}
# Per-run keys of a validation result's `meta` (the rest is stable).
_RUN_META_KEYS = ("great_expectations_version", "batch_markers", "batch_parameters",
                  "validation_id", "checkpoint_id", "run_id", "validation_time")
_MAX_SHOWN = 5


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation of a suite, described without importing GX."""

    check_id: str
    target: str
    expectation: str                     # GX 1.x expectation class name
    kwargs: dict[str, Any] = field(default_factory=dict)
    row_condition: tuple[str, str] | None = None   # (column, value): column == value
    noun: str = "row"


def _colspec(columns: tuple[str, ...] | list[str]) -> tuple[str, str]:
    """(check-id suffix, target suffix) for a column or a column list."""
    if len(columns) == 1:
        return columns[0], columns[0]
    return "+".join(columns), "(" + ",".join(columns) + ")"


def _spec(table: str, gx_type: str, expectation: str, columns: tuple[str, ...],
          suffix: str = "", **kwargs: Any) -> ExpectationSpec:
    id_cols, target_cols = _colspec(columns)
    return ExpectationSpec(
        check_id=f"gx.{table}.{gx_type}.{id_cols}{suffix}",
        target=f"{table}.{target_cols}",
        expectation=expectation,
        kwargs=kwargs,
    )


def catalog_kinds(catalog: dict) -> list[str]:
    return sorted({str(v["kind"]) for v in catalog.values() if v and v.get("kind") is not None})


def catalog_units(catalog: dict) -> list[str]:
    return sorted({str(v["unit"]) for v in catalog.values() if v and v.get("unit") is not None})


def kind_ranges(catalog: dict) -> dict[str, tuple[float | None, float | None]]:
    """Widest valid range of each kind's indicators; None is an open bound.

    A bound is open when any indicator of that kind leaves it open.
    """
    bounds: dict[str, tuple[list, list]] = {}
    for spec in catalog.values():
        if not spec or spec.get("kind") is None:
            continue
        rng = list(spec.get("valid_range") or [None, None]) + [None, None]
        los, his = bounds.setdefault(str(spec["kind"]), ([], []))
        los.append(rng[0])
        his.append(rng[1])
    out = {}
    for kind, (los, his) in sorted(bounds.items()):
        lo = None if any(x is None for x in los) else float(min(los))
        hi = None if any(x is None for x in his) else float(max(his))
        out[kind] = (lo, hi)
    return out


def suite_specs(catalog: dict) -> dict[str, list[ExpectationSpec]]:
    """The expectation suites, by suite name, as plain data."""
    obs: list[ExpectationSpec] = []
    for col in OBSERVATIONS_NOT_NULL:
        obs.append(_spec("observations", "expect_column_values_to_not_be_null",
                         "ExpectColumnValuesToNotBeNull", (col,), column=col))
    obs.append(_spec("observations", "expect_column_values_to_be_in_set",
                     "ExpectColumnValuesToBeInSet", ("evidence",), column="evidence",
                     value_set=list(EVIDENCE_VALUES)))
    obs.append(_spec("observations", "expect_column_values_to_be_in_set",
                     "ExpectColumnValuesToBeInSet", ("kind",), column="kind",
                     value_set=catalog_kinds(catalog)))
    obs.append(_spec("observations", "expect_column_values_to_be_in_set",
                     "ExpectColumnValuesToBeInSet", ("unit_canonical",),
                     column="unit_canonical", value_set=catalog_units(catalog)))
    obs.append(_spec("observations", "expect_compound_columns_to_be_unique",
                     "ExpectCompoundColumnsToBeUnique", OBSERVATIONS_KEY,
                     column_list=list(OBSERVATIONS_KEY)))
    ranges: list[ExpectationSpec] = []
    for kind, (lo, hi) in kind_ranges(catalog).items():
        if lo is None and hi is None:
            continue  # nothing to check: GX needs at least one bound
        s = _spec("observations", "expect_column_values_to_be_between",
                  "ExpectColumnValuesToBeBetween", ("value_canonical",),
                  suffix=f".kind={kind}", column="value_canonical",
                  min_value=lo, max_value=hi)
        ranges.append(ExpectationSpec(s.check_id, s.target, s.expectation, s.kwargs,
                                      row_condition=("kind", kind)))

    units_target = "observations.(indicator_id,unit_canonical)"
    units = [
        ExpectationSpec("gx.observations.expect_column_values_to_be_between.n_units_per_indicator",
                        units_target, "ExpectColumnValuesToBeBetween",
                        {"column": "n_units", "min_value": 1, "max_value": 1}, noun="indicator"),
        ExpectationSpec("gx.observations.expect_column_values_to_be_in_set.unit_matches_catalog",
                        units_target, "ExpectColumnValuesToBeInSet",
                        {"column": "unit_ok", "value_set": [True]}, noun="indicator"),
    ]

    ind: list[ExpectationSpec] = []
    for col in INDICATORS_NOT_NULL:
        ind.append(_spec("indicators", "expect_column_values_to_not_be_null",
                         "ExpectColumnValuesToNotBeNull", (col,), column=col))
    ind.append(_spec("indicators", "expect_column_values_to_be_in_set",
                     "ExpectColumnValuesToBeInSet", ("agreement",), column="agreement",
                     value_set=list(AGREEMENT_VALUES)))
    ind.append(_spec("indicators", "expect_column_values_to_be_between",
                     "ExpectColumnValuesToBeBetween", ("n_sources",), column="n_sources",
                     min_value=1))
    ind.append(_spec("indicators", "expect_compound_columns_to_be_unique",
                     "ExpectCompoundColumnsToBeUnique", INDICATORS_KEY,
                     column_list=list(INDICATORS_KEY)))

    src = [
        _spec("sources", "expect_column_values_to_match_regex",
              "ExpectColumnValuesToMatchRegex", ("sha256",), column="sha256",
              regex=SHA256_REGEX),
        _spec("sources", "expect_column_values_to_be_in_set",
              "ExpectColumnValuesToBeInSet", ("script",), column="script",
              value_set=list(SCRIPT_VALUES)),
        _spec("sources", "expect_column_values_to_be_unique",
              "ExpectColumnValuesToBeUnique", ("source_id",), column="source_id"),
    ]
    return {"observations": obs, RANGES_SUITE: ranges, UNITS_SUITE: units, "indicators": ind,
            "sources": src}


# --------------------------------------------------------------------------- loading

def needed_columns(specs: dict[str, list[ExpectationSpec]]) -> dict[str, set[str]]:
    """The columns of each table the suites read (a million observations' quotes and notes
    are most of their memory, and most suites never look at them)."""
    needed: dict[str, set[str]] = {table: set(INDEX_COLUMNS[table]) for table in TABLES}
    needed["observations"] |= {"indicator_id", "unit_canonical"}  # unit consistency frame
    for suite_name, table, frame_name in SUITES:
        if frame_name in needed:
            needed[frame_name] |= spec_columns(specs.get(suite_name, []))
        elif frame_name == RANGES_SUITE:  # a projection of its table
            needed[table] |= spec_columns(specs.get(suite_name, []))
    return needed


def catalog_from_database(db_path: Path) -> dict[str, dict]:
    """{indicator_id: {kind, unit, valid_range}} from the database's catalog table.

    The catalog build_database loaded (and checked units of) is the one the data was
    staged against; reading it here keeps pint and the YAML out of this job.
    """
    import duckdb

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        rows = con.execute("SELECT indicator_id, kind, unit, valid_low, valid_high "
                           "FROM catalog ORDER BY indicator_id").fetchall()
    except duckdb.CatalogException:
        return {}  # no catalog table: the suites report what they cannot check
    finally:
        con.close()
    return {ind: {"kind": kind, "unit": unit, "valid_range": [low, high]}
            for ind, kind, unit, low, high in rows}


def spec_columns(specs: list[ExpectationSpec]) -> set[str]:
    """The columns a list of expectations reads, row conditions included."""
    columns: set[str] = set()
    for spec in specs:
        columns |= set(spec.kwargs.get("column_list", []))
        if "column" in spec.kwargs:
            columns.add(spec.kwargs["column"])
        if spec.row_condition:
            columns.add(spec.row_condition[0])
    return columns


def projection(frame, columns: set[str], index_columns: tuple[str, ...]):
    """`frame` narrowed to its locating columns and `columns` (those it has), same rows
    and order; None for a missing table."""
    if frame is None:
        return None
    keep = set(index_columns) | columns
    return frame[[c for c in frame.columns if c in keep]]


def load_tables(db_path: Path, columns: dict[str, set[str]] | None = None) -> dict[str, Any]:
    """The audit tables as pandas frames (DECIMAL as float); None for a missing table.

    `columns` limits each table to the columns named (all when not given); a named
    column the table lacks is left out, and the suites report it missing.
    """
    import duckdb

    from greenaudit.formats.duckframe import column_types, read_frame

    con = duckdb.connect(str(db_path), read_only=True)
    try:
        types = {table: column_types(con, table) for table in TABLES}
    finally:
        con.close()
    frames: dict[str, Any] = {}
    for table in TABLES:
        if not types[table]:
            frames[table] = None
            continue
        wanted = columns.get(table) if columns else None
        names = [c for c in types[table] if wanted is None or c in wanted]
        # The locating columns (unique by construction), then the row's hash: an order
        # that does not depend on how the database stores the rows, so GX's partial
        # lists are stable.
        index = [c for c in INDEX_COLUMNS[table] if c in names]
        frame = read_frame(db_path, table, names, order_by=index or names,
                           ties_by_row_hash=True)
        # GX compares int64 and float64 columns with bounds in one vectorised step, and
        # every other dtype (int32 too) one value at a time in Python.
        narrow = [c for c in frame.columns if str(frame[c].dtype) in ("int8", "int16", "int32")]
        frames[table] = frame.astype({c: "int64" for c in narrow}) if narrow else frame
    return frames


def unit_consistency_frame(observations, catalog: dict):
    """One row per indicator_id of `observations`: its units and whether they fit the catalog.

    Columns: indicator_id, n_units (distinct non-null unit_canonical), units (sorted,
    '|'-joined), catalog_unit (None if the indicator is not in the catalog), unit_ok
    (exactly one unit and it equals the catalog unit).
    """
    import pandas as pd

    columns = ["indicator_id", "n_units", "units", "catalog_unit", "unit_ok"]
    if observations is None or not {"indicator_id", "unit_canonical"} <= set(observations.columns):
        return None
    rows = []
    # The distinct (indicator, unit) pairs are few: group those, not the million rows.
    pairs = observations[["indicator_id", "unit_canonical"]].drop_duplicates()
    pairs = pairs[pairs["indicator_id"].notna()]
    for ind, group in sorted(pairs.groupby("indicator_id", sort=False), key=lambda kv: str(kv[0])):
        units = sorted({str(u) for u in group["unit_canonical"] if not pd.isna(u)})
        cat_unit = (catalog.get(ind) or {}).get("unit")
        cat_unit = None if cat_unit is None else str(cat_unit)
        rows.append({"indicator_id": str(ind), "n_units": len(units), "units": "|".join(units),
                     "catalog_unit": cat_unit,
                     "unit_ok": bool(len(units) == 1 and units[0] == cat_unit)})
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"n_units": "int64", "unit_ok": "bool"})


# --------------------------------------------------------------------------- messages

def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return format(value, ".10g")
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if isinstance(value, dict):
        return "(" + ", ".join(_fmt(v) for v in value.values()) + ")"
    return json.dumps(str(value), ensure_ascii=False)


def _exception_messages(exception_info: Any) -> list[str]:
    """The exception messages of a result's exception_info (either GX shape)."""
    if not isinstance(exception_info, dict):
        return []
    if "raised_exception" in exception_info:
        infos = [exception_info]
    else:
        infos = [v for _, v in sorted(exception_info.items()) if isinstance(v, dict)]
    return [str(i.get("exception_message") or "unknown error")
            for i in infos if i.get("raised_exception")]


def _message(spec: ExpectationSpec, success: bool, result: dict, errors: list[str],
             units_frame=None) -> str:
    n = result.get("element_count", 0) or 0
    if errors:
        return "could not evaluate: " + "; ".join(errors)[:300]
    if success:
        return f"{_count(n, spec.noun)} checked, none unexpected"
    n_bad = result.get("unexpected_count")
    if n_bad is None:
        observed = result.get("observed_value")
        return f"failed (observed {_fmt(observed)})" if observed is not None else "failed"
    shown: list[str] = []
    if units_frame is not None and result.get("partial_unexpected_index_list"):
        detail = {r.indicator_id: r for r in units_frame.itertuples(index=False)}
        for entry in result["partial_unexpected_index_list"]:
            ind = entry.get("indicator_id")
            r = detail.get(ind)
            if r is None:
                shown.append(_fmt(ind))
                continue
            units = r.units if isinstance(r.units, str) and r.units else "none"
            cat = (f"catalog {r.catalog_unit}" if isinstance(r.catalog_unit, str)
                   else "not in catalog")
            shown.append(f"{ind} (units {units}; {cat})")
    elif spec.expectation == "ExpectColumnValuesToNotBeNull":
        # every unexpected value is null: say where instead
        column = spec.kwargs.get("column")
        for entry in result.get("partial_unexpected_index_list") or []:
            where = " ".join(f"{k}={'null' if v is None else v}"
                             for k, v in entry.items() if k != column)
            shown.append(where or "null")
        listed = "; ".join(shown[:_MAX_SHOWN])
        rest = n_bad - len(shown[:_MAX_SHOWN])
        if listed and rest > 0:
            listed += f" and {rest} more"
        return f"{n_bad} of {_count(n, spec.noun)} null" + (" at " + listed if listed else "")
    else:
        counts = result.get("partial_unexpected_counts") or []
        # the counts are of GX's partial sample: show them only when it is the whole story
        complete = sum(int(e.get("count") or 0) for e in counts) == n_bad
        for entry in counts:
            value, count = entry.get("value"), entry.get("count", 1)
            shown.append(_fmt(value) + (f" x{count}" if complete and count and count > 1 else ""))
        if not shown:
            shown = [_fmt(v) for v in result.get("partial_unexpected_list") or []]
    more = len(shown) - _MAX_SHOWN
    listed = ", ".join(shown[:_MAX_SHOWN]) + (f" and {more} more" if more > 0 else "")
    msg = f"{n_bad} of {_count(n, spec.noun)} unexpected"
    return msg + (": " + listed if listed else "")


# --------------------------------------------------------------------------- normalising

def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, tuples -> lists, keys as strings."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


def normalise_result(result: dict) -> dict:
    """A GX validation result (as JSON dict) without anything run-dependent."""
    out = _clean(result)
    out.pop("id", None)
    meta = out.get("meta") or {}
    for key in _RUN_META_KEYS:
        meta.pop(key, None)
    results = []
    for r in out.get("results") or []:
        cfg = r.get("expectation_config") or {}
        cfg.pop("id", None)
        (cfg.get("kwargs") or {}).pop("batch_id", None)
        cfg.pop("rendered_content", None)
        r.pop("rendered_content", None)
        info = r.get("exception_info")
        if isinstance(info, dict):
            r["exception_info"] = {"raised_exception": bool(_exception_messages(info)),
                                   "exception_messages": _exception_messages(info)}
        results.append(r)
    results.sort(key=lambda r: str(((r.get("expectation_config") or {}).get("meta") or {})
                                   .get("check_id", "")))
    out["results"] = results
    return out


def write_json_atomic(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    write_text_atomic(path, text)


# --------------------------------------------------------------------------- GX

def _quiet_gx_environment() -> None:
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("TQDM_DISABLE", "1")
    # GX logs a few hundred registry notes at INFO on import; the job log keeps ours.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


# Imported by GX at start-up for expectations the suites do not use (KL divergence,
# KS tests): about a second of the import. Deferred, they load on first use.
DEFERRED_GX_DEPENDENCIES = ("scipy.stats",)


def defer_imports(names: tuple[str, ...]) -> list[str]:
    """Register each module not yet imported as lazy: loaded when an attribute is used.

    Returns the names deferred. A module that is missing or already imported is
    left alone. `from package import module` binds the lazy module without loading
    it, which is how GX imports these.
    """
    deferred = []
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.loader is None:
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
        deferred.append(name)
    return deferred


def _context_config(docs_dir: Path):
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites={
            DATA_DOCS_SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(Path(docs_dir).resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        },
    )


@contextmanager
def _no_batch_fingerprint():
    """Skip GX's md5 of the whole batch while in the block.

    GX fingerprints every pandas batch below HASH_THRESHOLD bytes into the result's
    batch_markers; normalise_result drops batch_markers, and hashing a million
    observations costs more than a second.
    """
    from great_expectations.execution_engine import pandas_execution_engine as engine

    saved = engine.HASH_THRESHOLD
    engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = saved


def _build_expectation(gx, spec: ExpectationSpec):
    from great_expectations.expectations.row_conditions import Column

    kwargs = dict(spec.kwargs)
    if spec.row_condition is not None:
        col, value = spec.row_condition
        kwargs["row_condition"] = Column(col) == value
    cls = getattr(gx.expectations, spec.expectation)
    return cls(**kwargs, meta={"check_id": spec.check_id, "target": spec.target})


def _missing_table_checks(specs: list[ExpectationSpec], table: str) -> list[Check]:
    return [Check(s.check_id, "gx", "error", "fail", s.target, 0, 1,
                  f"table {table} not found in the database") for s in specs]


def _checks_from_result(specs: list[ExpectationSpec], normalised: dict,
                        units_frame=None) -> dict[str, Check]:
    """One Check per expectation of a suite, read from its normalised result."""
    by_id = {s.check_id: s for s in specs}
    checks: dict[str, Check] = {}
    for r in normalised.get("results") or []:
        cfg = r.get("expectation_config") or {}
        spec = by_id.get((cfg.get("meta") or {}).get("check_id"))
        if spec is None:
            continue
        res = r.get("result") or {}
        errors = list((r.get("exception_info") or {}).get("exception_messages") or [])
        success = bool(r.get("success")) and not errors
        if success:
            n_failed = 0
        elif res.get("unexpected_count") is not None and not errors:
            n_failed = int(res["unexpected_count"])
        else:
            n_failed = 1  # table-level failure, or the expectation could not run
        checks[spec.check_id] = Check(
            spec.check_id, "gx", "error", "pass" if success else "fail", spec.target,
            int(res.get("element_count") or 0), n_failed,
            _message(spec, success, res, errors, units_frame))
    for spec in specs:  # an expectation GX did not report at all
        if spec.check_id not in checks:
            checks[spec.check_id] = Check(spec.check_id, "gx", "error", "fail", spec.target,
                                          0, 1, "no result reported by GX")
    return checks


def _validate_suite(gx, context, datasource, suite_name: str, specs: list[ExpectationSpec],
                    frame, index_columns: tuple[str, ...]) -> dict:
    """Run one suite over one frame; the normalised result."""
    asset = datasource.add_dataframe_asset(name=suite_name)
    batch_definition = asset.add_batch_definition_whole_dataframe("whole_table")
    suite = context.suites.add(gx.ExpectationSuite(name=suite_name))
    for spec in specs:
        suite.add_expectation(_build_expectation(gx, spec))
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite))
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
    index_cols = [c for c in index_columns if c in frame.columns]
    if index_cols:
        result_format["unexpected_index_column_names"] = index_cols
    # ValidationDefinition.run stores the result in the (in-memory) results store,
    # which is what Data Docs are built from.
    with _no_batch_fingerprint():
        result = validation.run(batch_parameters={"dataframe": frame},
                                result_format=result_format)
    return normalise_result(result.to_json_dict())


def _import_gx() -> None:
    try:
        import great_expectations  # noqa: F401
        import great_expectations.execution_engine.pandas_execution_engine  # noqa: F401
    except Exception:  # noqa: BLE001 - the main thread's import raises it
        pass


def run_gx_validation(db_path: Path, out_dir: Path, catalog: dict) -> list[Check]:
    """Validate the audit database with GX; write gx_results.json and data_docs/ under out_dir.

    One Check per expectation, in suite order. A missing table, a missing column or
    a suite GX cannot run gives failing checks (severity error), never an exception.
    """
    db_path, out_dir = Path(db_path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = suite_specs(catalog)

    _quiet_gx_environment()
    docs_dir = out_dir / DATA_DOCS_DIR
    docs_build = temp_path(docs_dir)  # built aside, then swapped into place whole
    checks: dict[str, Check] = {}
    normalised: dict[str, Any] = {}
    with warnings.catch_warnings():
        # GX and pandas deprecation chatter is not ours to act on in a pipeline run.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        # Importing GX takes seconds of Python while reading the tables mostly waits on
        # DuckDB and Arrow: do both at once. The loaders' own modules are imported first,
        # so the two threads do not import the same module. A failed import in the
        # thread is raised again by the import below.
        import pyarrow.pandas_compat  # noqa: F401 - imported lazily by to_pandas otherwise

        from greenaudit.formats import duckframe  # noqa: F401

        defer_imports(DEFERRED_GX_DEPENDENCIES)
        importer = threading.Thread(target=_import_gx, name="import-gx", daemon=True)
        importer.start()
        frames = load_tables(db_path, needed_columns(specs))
        frames[RANGES_SUITE] = projection(frames["observations"], spec_columns(specs[RANGES_SUITE]),
                                          INDEX_COLUMNS[RANGES_SUITE])
        frames[UNITS_SUITE] = unit_consistency_frame(frames["observations"], catalog)
        importer.join()
        import great_expectations as gx

        context = gx.get_context(mode="ephemeral", project_config=_context_config(docs_build))
        datasource = context.data_sources.add_pandas(DATASOURCE_NAME)

        for suite_name, table, frame_name in SUITES:
            suite_specs_ = specs[suite_name]
            frame = frames[frame_name]
            if frame is None:
                checks.update({c.check_id: c for c in _missing_table_checks(suite_specs_, table)})
                normalised[suite_name] = {"success": False, "missing_table": table,
                                          "results": []}
                continue
            try:
                normalised[suite_name] = _validate_suite(
                    gx, context, datasource, suite_name, suite_specs_, frame,
                    INDEX_COLUMNS[frame_name])
            except Exception as exc:  # noqa: BLE001 - reported as failing checks
                log.warning("GX suite %s could not run: %s", suite_name, exc)
                text = f"GX could not run suite {suite_name}: {type(exc).__name__}: {exc}"[:300]
                normalised[suite_name] = {"success": False, "error": text, "results": []}
                checks.update({s.check_id: Check(s.check_id, "gx", "error", "fail", s.target,
                                                 0, 1, text) for s in suite_specs_})
                continue
            checks.update(_checks_from_result(
                suite_specs_, normalised[suite_name],
                frame if frame_name == UNITS_SUITE else None))

        write_json_atomic(out_dir / RESULTS_FILE, {
            "success": all(c.status == "pass" for c in checks.values()),
            "suites": normalised,
        })
        _build_data_docs(context, docs_build)
    if docs_build.is_dir():
        replace_directory(docs_build, docs_dir)

    order = [s.check_id for name, _, _ in SUITES for s in specs[name]]
    return [checks[cid] for cid in order]


def _build_data_docs(context, docs_dir: Path) -> None:
    """Rebuild the Data Docs site from scratch (it is a cache); warn, never raise.

    If GX cannot build the site, a one-page placeholder index.html says so, so that
    the directory a workflow declares as output still exists.
    """
    try:
        if docs_dir.exists():
            shutil.rmtree(docs_dir)
        context.build_data_docs(site_names=[DATA_DOCS_SITE_NAME])
        if (docs_dir / "index.html").is_file():
            return
        problem = "GX reported no error but wrote no index.html"
    except Exception as exc:  # noqa: BLE001 - docs are optional output
        problem = f"{type(exc).__name__}: {exc}"
    log.warning("GX Data Docs could not be built in %s: %s", docs_dir, problem)
    try:
        docs_dir.mkdir(parents=True, exist_ok=True)
        escaped = problem.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        (docs_dir / "index.html").write_text(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Data Docs</title>"
            "</head><body><h1>GX Data Docs were not built</h1>"
            f"<p>{escaped}</p><p>See gx_results.json for the validation results.</p>"
            "</body></html>\n", encoding="utf-8")
    except OSError as exc:
        log.warning("GX Data Docs placeholder could not be written in %s: %s", docs_dir, exc)
