"""One published CSV as a Frictionless tabular data resource: its fields as declared
(greenaudit.audit.datapackage.RESOURCES), checked against the file's header, with
the file's size and sha256."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # datapackage imports this module
    from greenaudit.audit.datapackage import Field, Resource


def _field_descriptor(f: Field) -> dict:
    out = {"name": f.name, "type": f.type, "description": f.description}
    if f.format:
        out["format"] = f.format
    if f.constraints:
        out["constraints"] = dict(f.constraints)
    if f.empty_is_value:
        out["missingValues"] = []
    if f.type == "boolean":
        out["trueValues"], out["falseValues"] = ["true"], ["false"]
    return out


def _header(path: Path) -> tuple[str, ...]:
    with open(path, encoding="utf-8", newline="") as handle:
        return tuple(next(csv.reader(handle), []))


def resource_descriptor(resource: Resource, csv_path: Path) -> dict:
    header = _header(csv_path)
    if header != resource.columns:
        raise ValueError(f"{csv_path}: header {', '.join(header)} differs from the fields "
                         f"declared in greenaudit.audit.datapackage ({', '.join(resource.columns)})")
    digest, size = hashlib.sha256(), 0
    with open(csv_path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    schema: dict = {"fields": [_field_descriptor(f) for f in resource.fields],
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
