"""What a table of the registry declares: its columns, keys, order and where it lives.

A `Column` is declared once, with everything any consumer needs: its type, whether
the database may hold NULL, the values, pattern and bounds it must keep (the row
checks Pandera runs), its description with the unit, and how it is published.
The consumers derive their own form from it: the Arrow schema of a staged table
(formats/parquet.py), the DuckDB DDL of a table created empty (database/build.py),
the published columns, order and renames (audit/publish.py), the data package's
fields, keys and constraints (audit/datapackage.py) and the Pandera models
(validate/pandera.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Type:
    """A column type, as DuckDB and the data package name it (Arrow: formats/parquet.py)."""

    name: str
    sql: str
    frictionless: str


STRING = Type("string", "VARCHAR", "string")
INT32 = Type("int32", "INTEGER", "integer")
INT64 = Type("int64", "BIGINT", "integer")
DECIMAL = Type("decimal", "DECIMAL(38,10)", "number")
BOOLEAN = Type("boolean", "BOOLEAN", "boolean")
TYPES = (STRING, INT32, INT64, DECIMAL, BOOLEAN)


@dataclass(frozen=True)
class Publish:
    """How a column is published, where that differs from what the column declares.

    The published table can differ from the database one: the published sources add
    a row per rule that derived a value (with no checksum, date or script), and a
    published table holds only rows that passed every error-severity check.
    """

    name: str | None = None          # published under this name
    type: str | None = None          # the data package's type of the published text
    required: bool | None = None     # the data package's `required` (default: see Column)
    values: tuple[str, ...] | None = None  # the accepted values of the published rows
    minimum: int | None = None       # the data package's minimum, when not the column's
    format: str | None = None        # the data package's format (e.g. uri)


@dataclass(frozen=True)
class Column:
    """One column: its type, nullability, row checks, description and publication.

    `pattern` is a full-match regular expression (anchored, ^...$) that both Pandera
    checks and the data package states (without the anchors: its patterns match whole
    cells); `matches` is one Pandera checks but the data package does not state.
    `length` bounds the text in characters (Pandera; the data package states only
    `required`). `empty_is_value`: an empty published cell is a value (breakdown ""
    is the whole), not a missing one. `validated`: Pandera checks the column (False:
    a column another check covers, such as the text a value is parsed from).
    `publish`: False keeps it out of the published table of a published table.
    """

    name: str
    type: Type
    description: str = ""
    nullable: bool = False
    values: tuple[str, ...] | None = None
    pattern: str | None = None
    matches: str | None = None
    minimum: int | None = None
    length: tuple[int | None, int | None] | None = None
    empty_is_value: bool = False
    validated: bool = True
    publish: Publish | bool = True

    def __post_init__(self) -> None:
        if self.pattern is not None and not (self.pattern.startswith("^")
                                             and self.pattern.endswith("$")):
            raise ValueError(f"column {self.name}: pattern {self.pattern!r} is not anchored (^...$)")
        if self.pattern is not None and self.matches is not None:
            raise ValueError(f"column {self.name}: both a pattern and a Pandera-only pattern")

    @property
    def published(self) -> bool:
        return self.publish is not False

    @property
    def published_name(self) -> str:
        return (self.publish.name if isinstance(self.publish, Publish) and self.publish.name
                else self.name)

    def override(self, attribute: str):
        """The `Publish` value of `attribute`, or None when the column's own applies."""
        return getattr(self.publish, attribute) if isinstance(self.publish, Publish) else None


@dataclass(frozen=True)
class ForeignKey:
    """Columns of a table that name a row of another (published) table."""

    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


# Where a published table is written: `exported` while the database is validated (it
# depends on the database only), `assembled` once the checks are in.
Publication = Literal["exported", "assembled"]


@dataclass(frozen=True)
class Table:
    """A table: its columns in their stored order, keys, published order and places.

    `staged`: a Parquet product of staging (one file per shard). `published`: written
    to results/audit/ (`exported` or `assembled`). `sort`: the order of the published
    rows. `unique`: the columns Pandera checks for uniqueness (default: the primary
    key). `row_key`: what names a row in Pandera's failure cases (default: the
    primary key). `validated`: Pandera validates the database table.
    """

    name: str
    columns: tuple[Column, ...]
    title: str = ""
    description: str = ""
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    sort: tuple[str, ...] = ()
    unique: tuple[str, ...] | None = None
    row_key: tuple[str, ...] | None = None
    staged: bool = False
    published: Publication | None = None
    validated: bool = False

    def __post_init__(self) -> None:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: a column is declared twice")
        if len(set(self.published_names)) != len(self.published_names):
            raise ValueError(f"table {self.name}: two columns are published under one name")
        keys = (self.primary_key, self.sort, self.unique or (), self.row_key or (),
                *(fk.fields for fk in self.foreign_keys))
        unknown = sorted({k for key in keys for k in key} - set(names))
        if unknown:
            raise ValueError(f"table {self.name}: keys name unknown column(s) {', '.join(unknown)}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name} has no column {name}")

    @property
    def path(self) -> str:
        """The published file's name."""
        return f"{self.name}.csv"

    @property
    def published_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.published)

    @property
    def published_names(self) -> tuple[str, ...]:
        """The header of the published CSV."""
        return tuple(c.published_name for c in self.published_columns)

    @property
    def renamed(self) -> dict[str, str]:
        """{published name: stored name} of the columns published under another name."""
        return {c.published_name: c.name for c in self.published_columns
                if c.published_name != c.name}

    @property
    def unique_columns(self) -> tuple[str, ...]:
        return self.primary_key if self.unique is None else self.unique

    @property
    def row_key_columns(self) -> tuple[str, ...]:
        return self.primary_key if self.row_key is None else self.row_key
