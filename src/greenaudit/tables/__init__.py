"""The table registry: every table of greenaudit declared once.

Each table (schema.Table) declares its columns with type, nullability, accepted
values, pattern and bounds, description with the unit, and how it is published;
its primary and foreign keys, its published order, and where it lives (staged
Parquet, the database, results/audit/). Everything else is derived from it:

- the Arrow schemas of the staged products (formats/parquet.py);
- the DuckDB DDL of the tables created empty (database/build.py);
- the published CSVs' columns, order, renames and sort keys (audit/publish.py);
- the data package's fields, constraints and keys (audit/datapackage.py);
- the Pandera models' columns, dtypes, nullability and checks (validate/pandera.py);
- the Snakemake file lists (workflow/rules/common.smk imports them from here).

Adding a column is one `Column(...)` in the table's module (and the code that
fills it); tests/tables/ check that every consumer follows.
"""

from __future__ import annotations

from .audit import CHECKS, COVERAGE, FINDINGS, INDICATORS
from .observations import OBSERVATIONS, TRANSCRIPTIONS
from .reference import CATALOG, DISCREPANCIES, SOURCES
from .schema import BOOLEAN, DECIMAL, INT32, INT64, STRING, TYPES, Column, ForeignKey, Publish, Table, Type

# In this order: the staged products, the published files and the data package's resources.
TABLES: dict[str, Table] = {t.name: t for t in (
    TRANSCRIPTIONS, OBSERVATIONS, INDICATORS, CHECKS, FINDINGS, COVERAGE, SOURCES, CATALOG,
    DISCREPANCIES)}
STAGED = tuple(t for t in TABLES.values() if t.staged)
PUBLISHED = tuple(t for t in TABLES.values() if t.published)
VALIDATED = tuple(t for t in TABLES.values() if t.validated)

# The data package, written last: it describes (and hashes) the published tables.
DESCRIPTOR_NAME = "datapackage.json"
AUDIT_TABLES = tuple(t.name for t in PUBLISHED)
AUDIT_FILES = tuple(t.path for t in PUBLISHED) + (DESCRIPTOR_NAME,)
# The large tables depend on the database only, so `export_tables` writes them while
# the database is validated; `assemble` writes the rest once the checks are in.
EXPORTED_FILES = tuple(t.path for t in PUBLISHED if t.published == "exported")
ASSEMBLED_FILES = tuple(name for name in AUDIT_FILES if name not in EXPORTED_FILES)


def table(name: str) -> Table:
    return TABLES[name]


def sql_columns(table: Table) -> str:
    """The column definitions of `table` for a DuckDB CREATE TABLE."""
    return ", ".join(f'"{c.name}" {c.type.sql}' for c in table.columns)


__all__ = ["ASSEMBLED_FILES", "AUDIT_FILES", "AUDIT_TABLES", "BOOLEAN", "CATALOG", "CHECKS",
           "COVERAGE", "DECIMAL", "DESCRIPTOR_NAME", "DISCREPANCIES", "EXPORTED_FILES",
           "FINDINGS", "INDICATORS", "INT32", "INT64", "OBSERVATIONS", "PUBLISHED", "SOURCES",
           "STAGED", "STRING", "TABLES", "TRANSCRIPTIONS", "TYPES", "VALIDATED", "Column",
           "ForeignKey", "Publish", "Table", "Type", "sql_columns", "table"]
