"""The table registry is the one declaration of every table's shape, and each consumer follows it."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import fields, replace
from pathlib import Path

import pandera.pandas as pa
import pytest
from pandera.typing import Series
from workflow_support import REPO, SEED_AUDIT

from greenaudit import tables
from greenaudit.audit import datapackage, publish
from greenaudit.cache.stage import TABLE_SCHEMAS
from greenaudit.checks import CHECK_COLUMNS, Check
from greenaudit.formats.parquet import ARROW_TYPES, arrow_schema
from greenaudit.tables import STRING, Column, ForeignKey, Publish, Table
from greenaudit.validate import pandera as models
from greenaudit.workspace.catalog import Indicator
from greenaudit.workspace.manifest import Source

SMK = REPO / "workflow" / "rules"


def _header(path: Path) -> tuple[str, ...]:
    with open(path, encoding="utf-8", newline="") as handle:
        return tuple(next(csv.reader(handle)))


# ----------------------------------------------------------------- published tables

def test_each_published_csv_header_is_the_registry_s_published_columns():
    published = sorted(p.name for p in SEED_AUDIT.glob("*.csv"))
    assert published == sorted(t.path for t in tables.PUBLISHED)
    for table in tables.PUBLISHED:
        assert _header(SEED_AUDIT / table.path) == table.published_names, table.name


def test_the_published_files_are_the_published_tables_then_the_data_package():
    assert tables.AUDIT_FILES == (*(t.path for t in tables.PUBLISHED), "datapackage.json")
    assert set(tables.EXPORTED_FILES) | set(tables.ASSEMBLED_FILES) == set(tables.AUDIT_FILES)
    assert not set(tables.EXPORTED_FILES) & set(tables.ASSEMBLED_FILES)
    assert tables.ASSEMBLED_FILES[-1] == tables.DESCRIPTOR_NAME
    assert (publish.AUDIT_FILES, publish.EXPORTED_FILES, publish.ASSEMBLED_FILES) == (
        tables.AUDIT_FILES, tables.EXPORTED_FILES, tables.ASSEMBLED_FILES)


def test_the_exports_are_the_registry_s_columns_order_and_renames():
    exported = [t for t in tables.PUBLISHED if t.published == "exported"]
    assert list(publish.EXPORTS) == [t.name for t in exported]
    for table in exported:
        spec = publish.EXPORTS[table.name]
        columns, order_by, renamed = spec.columns, spec.order_by, spec.renamed
        assert columns == table.published_names
        assert order_by == table.sort and order_by
        # Each renamed column is published from a stored column of the table.
        assert set(renamed.values()) <= set(table.column_names)
    assert publish.EXPORTS["observations"].renamed == {"value": "value_text"}


def test_every_published_table_has_an_order_and_the_derived_sources_fill_every_column():
    for table in tables.PUBLISHED:
        assert table.sort, table.name
    select = publish.DERIVED_SOURCES_SQL.split(" FROM observations")[0]
    named = re.findall(r' AS "([a-z0-9_]+)"', select)
    assert tuple(named) == tables.SOURCES.published_names


# ----------------------------------------------------------------- the data package

def test_the_data_package_fields_and_keys_are_derived_from_the_registry():
    package = json.loads((SEED_AUDIT / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in package["resources"]}
    assert list(resources) == [t.name for t in tables.PUBLISHED]
    for table in tables.PUBLISHED:
        schema = resources[table.name]["schema"]
        assert schema["fields"] == [datapackage.field_descriptor(c)
                                    for c in table.published_columns], table.name
        assert schema.get("primaryKey", []) == list(table.primary_key)
        assert [(fk["fields"], fk["reference"]["resource"], fk["reference"]["fields"])
                for fk in schema.get("foreignKeys", [])] == [
            (list(fk.fields), fk.resource, list(fk.reference)) for fk in table.foreign_keys]
        assert resources[table.name]["description"] == table.description


def test_constraints_follow_the_column_and_its_publish_overrides():
    assert datapackage.constraints(Column("a", STRING)) == {"required": True}
    assert datapackage.constraints(Column("a", STRING, nullable=True)) == {}
    assert datapackage.constraints(Column("a", STRING, empty_is_value=True)) == {}
    assert datapackage.constraints(Column("a", STRING, values=("x", "y"), pattern="^[xy]$")) == {
        "required": True, "enum": ["x", "y"], "pattern": "[xy]"}
    # A Pandera-only pattern and length are not stated.
    assert datapackage.constraints(Column("a", STRING, matches="^x", length=(1, 3))) == {
        "required": True}
    overridden = Column("a", tables.INT32, minimum=1, values=None,
                        publish=Publish(required=False, minimum=0))
    assert datapackage.constraints(overridden) == {"minimum": 0}
    field = datapackage.field_descriptor(Column("a_text", STRING, "d", empty_is_value=True,
                                                publish=Publish(name="a", type="number")))
    assert field == {"name": "a", "type": "number", "description": "d", "missingValues": []}


def test_foreign_keys_name_published_tables_and_their_columns():
    published = {t.name: t for t in tables.PUBLISHED}
    for table in tables.PUBLISHED:
        for fk in table.foreign_keys:
            target = published[fk.resource]
            assert set(fk.reference) <= set(target.published_names), (table.name, fk)
            assert set(fk.fields) <= set(table.published_names), (table.name, fk)


# ----------------------------------------------------------------- staged Parquet

def test_the_staged_arrow_schemas_are_the_registry_s_columns_and_types():
    assert list(TABLE_SCHEMAS) == [t.name for t in tables.STAGED]
    for table in tables.STAGED:
        schema = TABLE_SCHEMAS[table.name]
        assert schema.equals(arrow_schema(table))
        assert tuple(schema.names) == table.column_names
        assert [schema.field(c.name).type for c in table.columns] == [
            ARROW_TYPES[c.type] for c in table.columns]
    assert set(ARROW_TYPES) == set(tables.TYPES)


def test_the_stage_command_writes_one_file_per_staged_table():
    from greenaudit.cli import build_parser

    parser = build_parser()
    [stage] = [a.choices["stage"] for a in parser._actions  # noqa: SLF001
               if isinstance(a.choices, dict) and "stage" in a.choices]
    options = {a.dest for a in stage._actions if a.required}  # noqa: SLF001
    assert {t.name for t in tables.STAGED} <= options


# ----------------------------------------------------------------- Pandera

def test_the_pandera_models_are_the_validated_tables_with_their_columns():
    assert list(models.MODELS) == [t.name for t in tables.VALIDATED]
    for name, model in models.MODELS.items():
        table = tables.table(name)
        schema = model.to_schema()
        validated = [c for c in table.columns if c.validated]
        assert list(schema.columns) == [c.name for c in validated], name
        assert schema.unique == list(table.unique_columns) and schema.strict is True
        assert models.ROW_KEYS[name] == table.row_key_columns
        for column in validated:
            found = schema.columns[column.name]
            assert found.nullable == column.nullable, (name, column.name)
            checks = {check.name: check.error for check in found.checks}
            if column.values is not None:
                assert checks["isin"] == f"isin({list(column.values)!r})"
            if column.pattern or column.matches:
                assert checks["str_matches"] == f"str_matches('{column.pattern or column.matches}')"
            if column.minimum is not None:
                assert checks["greater_than_or_equal_to"] == (
                    f"greater_than_or_equal_to({column.minimum})")
            assert ("str_length" in checks) == (column.length is not None)


def test_pandera_dtypes_follow_the_registry_types():
    expected = {"string": "string[pyarrow]", "int32": "int32", "int64": "int64",
                "decimal": "float64"}
    for name, model in models.MODELS.items():
        schema = model.to_schema()
        for column in tables.table(name).columns:
            if not column.validated:
                continue
            dtype = str(schema.columns[column.name].dtype)
            # NULL in an integer column is read as NaN.
            want = ("float64" if column.nullable and column.type.name.startswith("int")
                    else expected[column.type.name])
            assert dtype == want, (name, column.name)
            assert (column.name in models.FLOAT_COLUMNS) == (want == "float64")


def test_only_the_text_of_a_value_is_left_to_other_checks():
    unvalidated = {(t.name, c.name) for t in tables.VALIDATED for c in t.columns
                   if not c.validated}
    assert unvalidated == {("observations", "value_text")}


def test_a_model_of_checks_cannot_declare_a_column_of_its_own():
    class Stray(pa.DataFrameModel):
        extra: Series[str]

    with pytest.raises(TypeError, match="belong in greenaudit.tables"):
        models.model("Stray", tables.SOURCES, Stray)


# ----------------------------------------------------------------- records and Snakemake

def test_the_records_that_fill_the_tables_have_the_registry_s_columns():
    assert CHECK_COLUMNS == tables.CHECKS.column_names == tuple(f.name for f in fields(Check))
    source = Source("s", "raw/sources/s.txt", "0" * 64, "t", "p", "2024", "Hans", "news_report",
                    (), (), 2)
    assert tuple(source.record()) == tables.SOURCES.column_names
    indicator_fields = {f.name for f in fields(Indicator)}
    assert set(tables.CATALOG.column_names) <= indicator_fields


def test_the_snakemake_file_lists_come_from_the_registry():
    text = (SMK / "common.smk").read_text(encoding="utf-8")
    assert "from greenaudit import tables" in text
    for name in ("AUDIT_TABLES", "AUDIT_FILES", "EXPORTED_FILES", "ASSEMBLED_FILES"):
        [assignment] = re.findall(rf"^{name} = (.*)$", text, re.M)
        assert assignment == f"list(tables.{name})", name
    # No rule file names a published table itself (raw/sources.csv is the manifest).
    names = "|".join(t.name for t in tables.PUBLISHED)
    for path in sorted(SMK.glob("*.smk")):
        source = re.sub(r"#.*", "", path.read_text(encoding="utf-8"))
        assert not re.search(rf"(?<!raw)/({names})\.csv|[\"']({names})\.csv", source), path.name
        assert "datapackage.json" not in source, path.name


# ----------------------------------------------------------------- declarations

def test_a_table_refuses_keys_it_does_not_have_and_columns_declared_twice():
    column = Column("a", STRING)
    with pytest.raises(ValueError, match="unknown column"):
        Table("t", (column,), primary_key=("b",))
    with pytest.raises(ValueError, match="unknown column"):
        Table("t", (column,), foreign_keys=(ForeignKey(("b",), "x", ("b",)),))
    with pytest.raises(ValueError, match="declared twice"):
        Table("t", (column, column))
    with pytest.raises(ValueError, match="published under one name"):
        Table("t", (column, Column("b", STRING, publish=Publish(name="a"))))
    with pytest.raises(ValueError, match="not anchored"):
        Column("a", STRING, pattern="[a-z]+")


def test_a_column_added_to_the_registry_reaches_every_consumer():
    column = Column("archive_url", STRING, "Where an archived copy of the document is.", empty_is_value=True)
    sources = replace(tables.SOURCES, columns=(*tables.SOURCES.columns, column))
    assert arrow_schema(sources).names[-1] == "archive_url"
    assert tables.sql_columns(sources).endswith('"archive_url" VARCHAR')
    assert sources.published_names[-1] == "archive_url"
    assert datapackage.field_descriptor(column)["name"] == "archive_url"
    schema = models.model("SourceRow", sources).to_schema()
    assert list(schema.columns)[-1] == "archive_url"
    assert str(schema.columns["archive_url"].dtype) == "string[pyarrow]"


def test_the_staging_rule_writes_and_the_database_rule_reads_every_staged_table():
    staged = {t.name for t in tables.STAGED}
    stage = (SMK / "stage.smk").read_text(encoding="utf-8")
    outputs = re.findall(r'^\s+(\w+)=f"\{STAGING\}/\{\{shard\}\}/(\w+)\.parquet"', stage, re.M)
    assert {name for name, _ in outputs} == staged
    assert all(name == product for name, product in outputs)
    database = (SMK / "database.smk").read_text(encoding="utf-8")
    assert set(re.findall(r'staged\("(\w+)"\)', database)) == staged
