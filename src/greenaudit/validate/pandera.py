"""Pandera models of the transcription, observation, indicator, coverage and source tables.

Pandera owns the row-level schema of each table: types, formats, vocabularies, keys,
and what must hold within a row. What holds across rows and tables (each indicator's
range and unit, cross-source agreement, derived identities) is GX's
(greenaudit.validate.gx); no check is run by both.

The models build on each other: a transcription row is keyed like an
observation, and an observation carries the values an indicator summarises.
Validation is lazy, so every failure case is kept, published as an audit table
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

from greenaudit.workspace.catalog import INDICATOR_ID, KINDS
from greenaudit.checks import Check
from greenaudit.stage.coverage import STATUSES as COVERAGE_STATUSES
from greenaudit.database.build import AGREEMENTS, EVIDENCE_VALUES
from greenaudit.formats.duckframe import column_types, read_frame
from greenaudit.workspace.manifest import SCRIPTS
from greenaudit.workspace.manifest import SOURCE_ID as DOCUMENT_ID
from greenaudit.validate.locate import first_of, location, row_keys
from greenaudit.pandera_cache import (BY_SOURCE, CheckKey, SourceVerdict, VerdictStore, columns_with_nulls,
                            entry_key)
from greenaudit.stage.period_basis import PERIOD_BASES
from greenaudit.stage.qualifier import MAX_QUALIFIER_CHARS
from greenaudit.text.quantity import QUALIFIERS
from greenaudit.row_summary import summaries
from greenaudit.rules.load import DERIVED, DERIVED_SOURCE_PREFIX

PERIOD_PATTERN = r"^\d{4}(-\d{2}|-\d{4})?$"
BREAKDOWN_PATTERN = r"^$|^[a-z][a-z0-9_]*=[^;=]+(;[a-z][a-z0-9_]*=[^;=]+)*$"
# A document's id, or derived:<rule_id> for a value a rule of schemas/rules.yaml derived.
SOURCE_ID_PATTERN = rf"^(?:[A-Za-z0-9][A-Za-z0-9_.-]*|{DERIVED_SOURCE_PREFIX}[a-z][a-z0-9_]*)$"
NO_FORMULA = r"^[^=+\-@]"
OCCURRENCE = r"^(?:[1-9][0-9]*)?$"

log = logging.getLogger("greenaudit")
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class KeyedRow(pa.DataFrameModel):
    """What identifies a statement: an indicator in a period, for a breakdown."""

    indicator_id: Series[str] = pa.Field(str_matches=INDICATOR_ID.pattern,
                                         description="id in schemas/indicators.yaml")
    period: Series[str] = pa.Field(str_matches=PERIOD_PATTERN,
                                   description="YYYY, YYYY-MM or YYYY-YYYY")
    breakdown: Series[str] = pa.Field(str_matches=BREAKDOWN_PATTERN,
                                      description="'' or sorted key=value pairs")


class Transcription(KeyedRow):
    """A row of raw/tables/<source_id>.csv as transcribed."""

    source_id: Series[str] = pa.Field(str_matches=SOURCE_ID_PATTERN)
    row_number: Series[np.int32] = pa.Field(ge=2, description="line in the CSV file")
    quantity: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 64})
    quote: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": 10_000},
                                  str_matches=NO_FORMULA,
                                  description="verbatim, never starting a formula")
    note: Series[str] = pa.Field(nullable=True)
    context_qualifier: Series[str] = pa.Field(nullable=True,
                                              str_length={"max_value": MAX_QUALIFIER_CHARS})
    period_basis: Series[str] = pa.Field(nullable=True, isin=["", *PERIOD_BASES])
    occurrence: Series[str] = pa.Field(nullable=True, str_matches=OCCURRENCE)
    quantity_occurrence: Series[str] = pa.Field(nullable=True, str_matches=OCCURRENCE)

    class Config:
        unique = ["source_id", "indicator_id", "period", "breakdown"]
        strict = True


class Observation(Transcription):
    """A transcription parsed, converted and proven against its source."""

    value: Series[float] = pa.Field(description="the number as written")
    unit: Series[str] = pa.Field(description="the unit as written, '' if implied")
    qualifier: Series[str] = pa.Field(isin=[*QUALIFIERS, DERIVED])
    value_canonical: Series[float] = pa.Field(description="in unit_canonical")
    unit_canonical: Series[str]
    lower: Series[float] = pa.Field(nullable=True, description="NULL: unbounded below")
    upper: Series[float] = pa.Field(nullable=True, description="NULL: unbounded above")
    stated_lower: Series[float] = pa.Field(nullable=True)
    stated_upper: Series[float] = pa.Field(nullable=True)
    kind: Series[str] = pa.Field(isin=list(KINDS))
    evidence: Series[str] = pa.Field(isin=list(EVIDENCE_VALUES))
    quote_start: Series[float] = pa.Field(nullable=True, ge=0)
    quote_end: Series[float] = pa.Field(nullable=True, ge=0)
    quantity_start: Series[float] = pa.Field(nullable=True, ge=0)
    quantity_end: Series[float] = pa.Field(nullable=True, ge=0)
    qualifier_start: Series[float] = pa.Field(nullable=True, ge=0)
    qualifier_end: Series[float] = pa.Field(nullable=True, ge=0)
    flags: Series[str]

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


class IndicatorRow(KeyedRow):
    """One (indicator, period, breakdown) with the sources' verdict."""

    value: Series[float]
    unit_canonical: Series[str]
    lower: Series[float] = pa.Field(nullable=True)
    upper: Series[float] = pa.Field(nullable=True)
    n_sources: Series[np.int32] = pa.Field(ge=1)
    sources: Series[str] = pa.Field(str_matches=r"^[^;]+(;[^;]+)*$")
    agreement: Series[str] = pa.Field(isin=list(AGREEMENTS))
    flags: Series[str]
    value_source: Series[str]

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

    class Config:
        unique = ["indicator_id", "period", "breakdown"]
        strict = True


class SourceRow(pa.DataFrameModel):
    """A document of raw/sources.csv as the database holds it."""

    source_id: Series[str] = pa.Field(str_matches=DOCUMENT_ID.pattern, description="a document's")
    file: Series[str] = pa.Field(str_length={"min_value": 1})
    sha256: Series[str] = pa.Field(str_matches=SHA256_PATTERN, description="lower-case hex")
    title: Series[str]
    publisher: Series[str]
    published: Series[str]
    script: Series[str] = pa.Field(isin=list(SCRIPTS))
    kind: Series[str]
    drop_strings: Series[str]
    strip_patterns: Series[str]

    class Config:
        unique = ["source_id"]
        strict = True


class CoverageRow(pa.DataFrameModel):
    """One numeric mention of a source and how it is accounted for."""

    source_id: Series[str] = pa.Field(str_matches=SOURCE_ID_PATTERN)
    start: Series[np.int32] = pa.Field(ge=0, description="offset in the original file")
    end: Series[np.int32] = pa.Field(ge=1)
    mention: Series[str] = pa.Field(str_length={"min_value": 1})
    status: Series[str] = pa.Field(isin=list(COVERAGE_STATUSES))
    reason: Series[str]

    @pa.dataframe_check(name="span_not_empty")
    @classmethod
    def span_not_empty(cls, df: pd.DataFrame) -> pd.Series:
        return df["end"] > df["start"]

    @pa.dataframe_check(name="reason_unless_missing")
    @classmethod
    def reason_unless_missing(cls, df: pd.DataFrame) -> pd.Series:
        return (df["reason"].str.strip() != "") == (df["status"] != "missing")

    class Config:
        unique = ["source_id", "start"]
        strict = True


MODELS = {"transcriptions": Transcription, "observations": Observation,
          "indicators": IndicatorRow, "coverage": CoverageRow, "sources": SourceRow}
# What names a row of each table in the failure cases.
ROW_KEYS = {"transcriptions": ("source_id", "row_number"),
            "observations": ("source_id", "row_number"),
            "indicators": ("indicator_id", "period", "breakdown"),
            "coverage": ("source_id", "start", "end"),
            "sources": ("source_id",)}
# The columns of results/validation/pandera/failure_cases.csv.
CASE_COLUMNS = ["table", "column", "check", "failure_case", "row", "location"]
FLOAT_COLUMNS = {"value", "value_canonical", "lower", "upper", "stated_lower", "stated_upper",
                 "quote_start", "quote_end", "quantity_start", "quantity_end",
                 "qualifier_start", "qualifier_end"}


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
    """Validate a table; with a `store`, only the sources whose rows changed (pandera_cache)."""
    by_source = store is not None and name in BY_SOURCE
    where, with_nulls, current, earlier, key = None, None, {}, {}, ""
    if by_source:
        assert store is not None
        con = duckdb.connect(str(db_path), read_only=True)
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
                    cache_dir: Path | None = None, workspace: Path = Path(".")) -> list[Check]:
    """Validate the database tables; write failure cases; return one check per rule.

    Each failing row is named where a person would fix it (validate.locate), in the
    checks' messages and in the failure cases' `location` column. With a
    `cache_dir`, the rows of sources unchanged since the last run are not validated
    again (pandera_cache).
    """
    store = VerdictStore(cache_dir) if cache_dir is not None else None
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
    from greenaudit.audit.publish import write_atomic

    write_atomic(failure_cases_path, all_cases.to_csv(index=False, lineterminator="\n"))
    return checks
