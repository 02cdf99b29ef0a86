"""Pandera models of the transcription, observation, indicator, coverage and source tables.

Pandera owns the row-level schema of each table: types, formats, vocabularies, keys,
and what must hold within a row. What holds across rows and tables (each indicator's
range and unit, cross-source agreement, derived identities) is GX's
(greenaudit.validate.gx); no check is run by both.

The models are made from the table registry (greenaudit.tables): each column
with its dtype, nullability, accepted values, pattern and bounds, and each table's
uniqueness. The classes here add only the checks across columns. Validation is lazy, so every failure case is kept, published as an audit table
under results/validation/pandera/, and summarised as checks.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from greenaudit import tables
from greenaudit.cache.pandera import (BY_SOURCE, CheckKey, SourceVerdict, VerdictStore,
                                      columns_with_nulls, entry_key)
from greenaudit.cache.rows import summaries
from greenaudit.cache.store import Store
from greenaudit.checks import Check
from greenaudit.formats.duckframe import column_types, read_frame
from greenaudit.formats.duckdb_memory import connect
from greenaudit.tables.vocabulary import DERIVED, DERIVED_SOURCE_PREFIX
from greenaudit.validate.locate import first_of, location, row_keys

log = logging.getLogger("greenaudit")

# NULL in an integer column is read as NaN: pandas' int32 holds no NULL.
_DTYPES = {tables.STRING: str, tables.INT32: np.int32, tables.INT64: np.int64,
           tables.DECIMAL: float, tables.BOOLEAN: bool}


def _dtype(column: tables.Column):
    kind = _DTYPES[column.type]
    return float if column.nullable and kind in (np.int32, np.int64) else kind


def _field(column: tables.Column):
    """The pandera field of a registry column: its nullability, values, pattern and bounds."""
    checks: dict = {"nullable": column.nullable, "description": column.description or None}
    if column.values is not None:
        checks["isin"] = list(column.values)
    if column.pattern or column.matches:
        checks["str_matches"] = column.pattern or column.matches
    if column.minimum is not None:
        checks["ge"] = column.minimum
    if column.length is not None:
        low, high = column.length
        checks["str_length"] = {k: v for k, v in (("min_value", low), ("max_value", high))
                                if v is not None}
    return pa.Field(**checks)


def model(name: str, table: tables.Table, checks: type = pa.DataFrameModel) -> type:
    """The pandera model of a registry table: each column Pandera validates, with its
    dtype and row checks, the table's uniqueness, and no other column (strict).

    `checks` is a model of the checks across columns and declares no column of its
    own, so every column of the model is one of the registry's.
    """
    if checks.to_schema().columns:
        raise TypeError(f"{checks.__name__}: declares columns; they belong in greenaudit.tables")
    columns = [c for c in table.columns if c.validated]
    config = type("Config", (), {"unique": list(table.unique_columns), "strict": True})
    namespace = {"__annotations__": {c.name: Series[_dtype(c)] for c in columns},
                 **{c.name: _field(c) for c in columns},
                 "Config": config, "__doc__": table.description, "__module__": __name__}
    return type(name, (checks,), namespace)


class ObservationChecks(pa.DataFrameModel):
    """What must hold across the columns of an observation."""

    @pa.dataframe_check(name="value_within_interval")
    @classmethod
    def value_within_interval(cls, df: pd.DataFrame) -> pd.Series:
        above = df["lower"].isna() | (df["value_canonical"] >= df["lower"])
        below = df["upper"].isna() | (df["value_canonical"] <= df["upper"])
        # Qualified figures (超过40%) may sit on the edge of their own interval, never outside.
        return above & below | ~df["qualifier"].isin(["exact", "approximate", DERIVED])

    @pa.dataframe_check(name="derived_rows_are_marked")
    @classmethod
    def derived_rows_are_marked(cls, df: pd.DataFrame) -> pd.Series:
        """A derived row says so everywhere: source id, evidence, qualifier and flag."""
        derived = df["source_id"].str.startswith(DERIVED_SOURCE_PREFIX)
        flagged = (";" + df["flags"] + ";").str.contains(f";{DERIVED};", regex=False)
        marks = [df["evidence"] == DERIVED, df["qualifier"] == DERIVED, flagged]
        return pd.concat([m == derived for m in marks], axis=1).all(axis=1)

    @pa.dataframe_check(name="quantity_inside_quote_span")
    @classmethod
    def quantity_inside_quote_span(cls, df: pd.DataFrame) -> pd.Series:
        located = df["quantity_start"].notna()
        inside = (df["quantity_start"] >= df["quote_start"]) & (df["quantity_end"] <= df["quote_end"])
        return ~located | inside

    @pa.dataframe_check(name="qualifier_inside_quote_span")
    @classmethod
    def qualifier_inside_quote_span(cls, df: pd.DataFrame) -> pd.Series:
        start, end = df["qualifier_start"], df["qualifier_end"]
        return start.isna() | ((start >= df["quote_start"]) & (end <= df["quote_end"]))


class IndicatorChecks(pa.DataFrameModel):
    """What must hold across the columns of an (indicator, period, breakdown)."""

    @pa.dataframe_check(name="single_source_iff_one_source")
    @classmethod
    def single_source_iff_one_source(cls, df: pd.DataFrame) -> pd.Series:
        # One statement is single_source, or derived when a rule made it.
        return df["agreement"].isin(["single_source", DERIVED]) == (df["n_sources"] == 1)

    @pa.dataframe_check(name="derived_verdict_iff_only_derived")
    @classmethod
    def derived_verdict_iff_only_derived(cls, df: pd.DataFrame) -> pd.Series:
        # Every ';'-separated source starts with the prefix: no ';' is followed by another.
        not_derived = (";" + df["sources"]).str.contains(
            ";(?!" + re.escape(DERIVED_SOURCE_PREFIX) + ")", regex=True)
        only_derived = df["sources"].notna() & ~not_derived.fillna(True).astype(bool)
        return (df["agreement"] == DERIVED) == (only_derived & (df["n_sources"] == 1))

    @pa.dataframe_check(name="n_sources_matches_sources")
    @classmethod
    def n_sources_matches_sources(cls, df: pd.DataFrame) -> pd.Series:
        return df["sources"].str.count(";") + 1 == df["n_sources"]


class CoverageChecks(pa.DataFrameModel):
    """What must hold across the columns of a numeric mention."""

    @pa.dataframe_check(name="span_not_empty")
    @classmethod
    def span_not_empty(cls, df: pd.DataFrame) -> pd.Series:
        return df["end"] > df["start"]

    @pa.dataframe_check(name="reason_unless_missing")
    @classmethod
    def reason_unless_missing(cls, df: pd.DataFrame) -> pd.Series:
        return (df["reason"].str.strip() != "") == (df["status"] != "missing")


# A transcription row as transcribed; an observation: it parsed, converted and proven
# against its source; an indicator: one (indicator, period, breakdown) with the
# sources' verdict; a source: a document of raw/sources.csv; a numeric mention of a
# source and how it is accounted for.
Transcription = model("Transcription", tables.TRANSCRIPTIONS)
Observation = model("Observation", tables.OBSERVATIONS, ObservationChecks)
IndicatorRow = model("IndicatorRow", tables.INDICATORS, IndicatorChecks)
CoverageRow = model("CoverageRow", tables.COVERAGE, CoverageChecks)
SourceRow = model("SourceRow", tables.SOURCES)

MODELS = {"transcriptions": Transcription, "observations": Observation,
          "indicators": IndicatorRow, "coverage": CoverageRow, "sources": SourceRow}
# What names a row of each table in the failure cases.
ROW_KEYS = {name: tables.table(name).row_key_columns for name in MODELS}
# The columns of results/validation/pandera/failure_cases.csv.
CASE_COLUMNS = ["table", "column", "check", "failure_case", "row", "location"]
# Read as float64 (DECIMAL, and integers that may be NULL).
FLOAT_COLUMNS = {c.name for t in tables.VALIDATED for c in t.columns
                 if c.validated and _dtype(c) is float}


def _frame(db_path: Path, table: str, model, where: tuple[str, list] | None = None,
           with_nulls: set[str] | None = None) -> pd.DataFrame:
    columns = list(model.to_schema().columns)
    frame = read_frame(db_path, table, columns, where=where, with_nulls=with_nulls)
    if frame is None:
        raise duckdb.CatalogException(f"Table with name {table} does not exist in {db_path}")
    for column in columns:
        if column in FLOAT_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def _check_names(schema) -> list[tuple[str, str]]:
    """(column, check) pairs the schema runs, named as pandera names failure cases."""
    names: list[tuple[str, str]] = []
    for column_name, column in schema.columns.items():
        names.append((column_name, f"dtype('{column.dtype}')"))
        if not column.nullable:
            names.append((column_name, "not_nullable"))
        names += [(column_name, check.error or check.name) for check in column.checks]
    names += [("dataframe", check.name) for check in schema.checks]
    if schema.unique:
        names.append(("dataframe", "multiple_fields_uniqueness"))
    return names


def _short(check_name: str) -> str:
    """A stable id part: "isin(['a', 'b'])" -> "isin", "dtype('int32')" -> "dtype"."""
    return re.sub(r"\(.*\)$", "", check_name, flags=re.S)


@dataclass
class _Validated:
    """A table's verdict: its rows, its failure cases and, per check, the rows failing it."""

    n_rows: int
    cases: list[tuple[str, str, str, str]]  # column, check, failure_case, row
    failed_rows: dict[CheckKey, int]


def _failure_cases(frame: pd.DataFrame, name: str, model) -> pd.DataFrame:
    """pandera's failure cases of `frame` (lazy): column, check, failure_case, index, row."""
    try:
        model.validate(frame, lazy=True, inplace=True)  # nothing is coerced: no copy needed
        failures = pd.DataFrame(columns=["column", "check", "failure_case", "index"])
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases.copy()
    # Uniqueness and dataframe checks name one column per failing cell; count them
    # once per row, under the dataframe.
    frame_level = failures["check"].isin(["multiple_fields_uniqueness"]) | (
        failures.get("schema_context", pd.Series(dtype=str)) == "DataFrameSchema")
    failures["column"] = failures["column"].where(~frame_level, "dataframe").fillna("dataframe")
    failures["row"] = row_keys(frame, failures["index"], ROW_KEYS[name])
    return failures


def _validate(db_path: Path, name: str, model, store: VerdictStore | None) -> _Validated:
    """Validate a table; with a `store`, only the sources whose rows changed (cache/pandera.py)."""
    by_source = store is not None and name in BY_SOURCE
    where, with_nulls, current, earlier, key = None, None, {}, {}, ""
    if by_source:
        assert store is not None
        con = connect(db_path, read_only=True)
        try:
            types = column_types(con, name)
            if not types:
                raise duckdb.CatalogException(f"Table with name {name} does not exist in {db_path}")
            key = entry_key(con, name)
            current = summaries(con, name)
            # A part of the table gets the whole table's dtypes (Int32 where it holds NULLs).
            with_nulls = columns_with_nulls(con, name, [c for c in model.to_schema().columns
                                                        if c in types])
        finally:
            con.close()
        earlier = store.load(name, key)
        changed = [s for s, summary in current.items()
                   if s not in earlier or earlier[s].summary != summary]
        ids = [s for s in changed if s is not None]
        condition = "t.source_id IN (SELECT unnest(?::VARCHAR[]))"
        where = (f"{condition} OR t.source_id IS NULL" if None in changed else condition, [ids])
    frame = _frame(db_path, name, model, where, with_nulls)
    failures = _failure_cases(frame, name, model)
    # Each failing row is charged to its source (one group for a table without sources);
    # what no row carries (a dtype, a missing column) is the table's.
    groups = (frame["source_id"].astype(object).where(frame["source_id"].notna(), None).tolist()
              if by_source else [None] * len(frame))
    verdicts: dict = {s: earlier[s] for s in current if s in earlier
                      and earlier[s].summary == current[s]}
    fresh = {s: SourceVerdict(current.get(s, (0, 0))) for s in dict.fromkeys(groups)}
    table_cases: list[tuple[str, str, str, str]] = []
    table_failed: dict[CheckKey, int] = {}
    positions: dict[tuple, set[int]] = {}
    at_rows = pd.to_numeric(failures["index"], errors="coerce")
    located = (at_rows.notna() & at_rows.between(0, len(frame) - 1)).tolist()
    for column, check, case, at, is_row, row in zip(failures["column"], failures["check"],
                                                    failures["failure_case"], at_rows, located,
                                                    failures["row"]):
        if is_row:
            group = groups[int(at)]
            fresh[group].cases.append((str(column), str(check), str(case), str(row)))
            positions.setdefault((group, str(column), str(check)), set()).add(int(at))
        else:
            table_cases.append((str(column), str(check), str(case), str(row)))
            table_failed[(str(column), str(check))] = table_failed.get(
                (str(column), str(check)), 0) + 1
    for (group, column, check), rows in positions.items():
        fresh[group].failed_rows[(column, check)] = len(rows)
    verdicts.update(fresh)
    if by_source:
        assert store is not None
        store.save(name, key, {s: v for s, v in verdicts.items() if s in current})
        log.info("pandera: %s: %d of %d sources validated (the rest unchanged)", name,
                 len(fresh), len(current))
    n_rows = sum(n for n, _ in current.values()) if by_source else len(frame)
    cases = [case for verdict in verdicts.values() for case in verdict.cases] + table_cases
    return _Validated(n_rows, cases, _failed_rows(verdicts, table_failed))


def _failed_rows(verdicts: dict, table_failed: dict[CheckKey, int]) -> dict[CheckKey, int]:
    """Rows failing each check: the sources' together, else the table's own count."""
    failed_rows: dict[CheckKey, int] = {}
    for verdict in verdicts.values():
        for check_key, n in verdict.failed_rows.items():
            failed_rows[check_key] = failed_rows.get(check_key, 0) + n
    for check_key, n in table_failed.items():
        failed_rows[check_key] = failed_rows.get(check_key) or n
    return failed_rows


def validate_tables(db_path: Path, failure_cases_path: Path,
                    cache: Store | None = None, workspace: Path = Path(".")) -> list[Check]:
    """Validate the database tables; write failure cases; return one check per rule.

    Each failing row is named where a person would fix it (validate.locate), in the
    checks' messages and in the failure cases' `location` column. With a `cache`
    store, the rows of sources unchanged since the last run are not validated again
    (cache/pandera.py).
    """
    store = VerdictStore(cache) if cache is not None and cache.enabled else None
    checks: list[Check] = []
    cases: list[tuple[str, ...]] = []
    for name, model in MODELS.items():
        # One table in memory at a time (a million observations are hundreds of MB as Arrow strings).
        validated = _validate(db_path, name, model, store)
        by_check: dict[CheckKey, list[str]] = {}
        for column, check_name, case, row in validated.cases:
            where = location(workspace, name, column, row)
            by_check.setdefault((column, check_name), []).append(
                f"{where}: {case!r}" if where else repr(case))
            cases.append((name, column, check_name, case, row, where))
        names = _check_names(model.to_schema())
        names += sorted(set(by_check) - set(names))  # e.g. column_in_dataframe
        for column, check_name in dict.fromkeys(names):
            n_failed = validated.failed_rows.get((column, check_name), 0)
            shown = first_of(by_check.get((column, check_name), []))
            message = (f"{n_failed} row(s) of {name} fail {check_name} on {column}: {shown}"
                       if n_failed else f"{name}.{column} passes {check_name}")
            checks.append(Check(f"pandera.{name}.{column}.{_short(check_name)}", "pandera", "error",
                                "fail" if n_failed else "pass", f"{name}.{column}",
                                validated.n_rows, n_failed, message))
    all_cases = pd.DataFrame(sorted(cases), columns=CASE_COLUMNS, dtype=object)
    from greenaudit.formats.atomic import write_text_atomic as write_atomic

    write_atomic(failure_cases_path, all_cases.to_csv(index=False, lineterminator="\n"))
    return checks
