"""The Frictionless data package descriptor of the published tables (datapackage.json).

Every published CSV is a table of the registry (greenaudit.tables): its fields
(type, description with the unit, constraints), primary key and foreign keys are
derived from the table's declaration. `descriptor()` refuses a CSV without a
published table, a published table without its CSV, and a header that differs
from the declared columns.

The descriptor is deterministic: sorted keys, no timestamps, and the only content
hashes are those of the published CSVs themselves.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from greenaudit import tables
from greenaudit.tables import DESCRIPTOR_NAME, Column, Table  # noqa: F401 - DESCRIPTOR_NAME re-exported

PACKAGE = {
    "name": "greenaudit",
    "title": "Audited figures on China's industrial green development",
    "description": (
        "Figures quoted in documents on China's industrial green development, each "
        "transcribed with its verbatim quote, checked for type, unit, range and "
        "plausibility, and compared with every other source that states it. "
        "Published only when no check of severity `error` fails."),
    "licenses": [{
        "name": "CC-BY-4.0",
        "title": "Creative Commons Attribution 4.0",
        "path": "https://creativecommons.org/licenses/by/4.0/",
    }],
}


# The published tables, in their order.
RESOURCES: tuple[Table, ...] = tables.PUBLISHED
RESOURCE_FILES = tuple(r.path for r in RESOURCES)


def _anchorless(pattern: str) -> str:
    """A full-match pattern as the data package states it (its patterns match whole cells)."""
    return pattern.removeprefix("^").removesuffix("$")


def constraints(column: Column) -> dict:
    """The constraints of a published column, from what it declares and its `Publish`
    overrides: required unless NULL or an empty cell is a value, its accepted values,
    its pattern and its minimum."""
    required = column.override("required")
    if required is None:
        required = not column.nullable and not column.empty_is_value
    values = column.override("values") or column.values
    minimum = column.override("minimum")
    minimum = column.minimum if minimum is None else minimum
    out: dict = {"required": True} if required else {}
    if values:
        out["enum"] = list(values)
    if column.pattern:
        out["pattern"] = _anchorless(column.pattern)
    if minimum is not None:
        out["minimum"] = minimum
    return out


def field_descriptor(column: Column) -> dict:
    """The field of a published column."""
    kind = column.override("type") or column.type.frictionless
    out = {"name": column.published_name, "type": kind, "description": column.description}
    if fmt := column.override("format"):
        out["format"] = fmt
    if found := constraints(column):
        out["constraints"] = found
    if column.empty_is_value:
        out["missingValues"] = []
    if kind == "boolean":
        out["trueValues"], out["falseValues"] = ["true"], ["false"]
    return out


def _header(path: Path) -> tuple[str, ...]:
    with open(path, encoding="utf-8", newline="") as handle:
        return tuple(next(csv.reader(handle), []))


def resource_descriptor(resource: Table, csv_path: Path) -> dict:
    header = _header(csv_path)
    if header != resource.published_names:
        raise ValueError(f"{csv_path}: header {', '.join(header)} differs from the columns "
                         f"declared in greenaudit.tables ({', '.join(resource.published_names)})")
    digest, size = hashlib.sha256(), 0
    with open(csv_path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    schema: dict = {"fields": [field_descriptor(c) for c in resource.published_columns],
                    "missingValues": [""]}
    if resource.primary_key:
        schema["primaryKey"] = list(resource.primary_key)
    if resource.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(fk.fields),
             "reference": {"resource": fk.resource, "fields": list(fk.reference)}}
            for fk in resource.foreign_keys]
    return {
        "name": resource.name, "path": resource.path, "title": resource.title,
        "description": resource.description, "profile": "tabular-data-resource",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
        "hash": f"sha256:{digest.hexdigest()}", "bytes": size,
        "schema": schema,
    }


def _package_source(source: dict) -> dict:
    """A source of the package: its title, and its URL (`path`) when known."""
    entry = {"title": f"{source['source_id']}: {source['title']} ({source['publisher']}, "
                      f"{source['published']})"}
    if source.get("url"):
        entry["path"] = source["url"]
        if source.get("retrieved"):
            entry["title"] += f", retrieved {source['retrieved']}"
    return entry


def descriptor(directory: Path, csv_names: list[str], sources: list[dict]) -> dict:
    """The package descriptor of the CSVs `csv_names` in `directory`.

    `sources` are the manifest records (source_id, title, publisher, published).
    """
    unknown = sorted(set(csv_names) - set(RESOURCE_FILES))
    if unknown:
        raise ValueError(f"published table(s) {', '.join(unknown)} have no resource in "
                         f"greenaudit.tables")
    missing = sorted(set(RESOURCE_FILES) - set(csv_names))
    if missing:
        raise ValueError(f"resource(s) {', '.join(missing)} of greenaudit.tables are not "
                         f"among the published tables")
    package = {key: value for key, value in PACKAGE.items() if value}
    package["profile"] = "tabular-data-package"
    package["sources"] = [_package_source(s) for s in sorted(sources, key=lambda s: s["source_id"])]
    package["resources"] = [resource_descriptor(r, directory / r.path) for r in RESOURCES]
    return package


def to_json(package: dict) -> str:
    return json.dumps(package, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
