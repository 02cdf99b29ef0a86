"""Read what the report shows: audit tables, status, manifest, names, source texts.

Only the standard library, PyYAML and the manifest reader are imported here; the
report job is on the critical path of every rebuild.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import InputError
from ..manifest import Source, load_manifest

REQUIRED_TABLES = ("checks", "findings", "indicators", "observations")
OPTIONAL_TABLES = ("coverage",)


@dataclass
class AuditData:
    """Everything the page is made of, as read from disk (strings, as published)."""

    checks: list[dict]
    findings: list[dict]
    indicators: list[dict]
    observations: list[dict]
    status: dict
    sources: dict[str, Source]
    names: dict[str, tuple[str, str]]
    texts: dict[str, str]
    coverage: list[dict] | None = None
    failure_cases: list[dict] = field(default_factory=list)


def read_csv(path: Path) -> list[dict]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None


def read_tables(paths: list[Path]) -> dict[str, list[dict]]:
    """The audit tables by name (file stem); the four published ones must be there."""
    tables = {path.stem: read_csv(path) for path in paths}
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise InputError(f"the report needs {', '.join(f'{m}.csv' for m in missing)} among "
                         f"--tables (got {', '.join(sorted(p.name for p in paths))})")
    return tables


def indicator_names(catalog_path: Path) -> dict[str, tuple[str, str]]:
    """{indicator_id: (English name, Chinese name)} from schemas/indicators.yaml.

    Read directly rather than through `catalog.load_catalog`, which validates units
    with pint (a slow import); the catalog was validated by the stages before.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(catalog_path.read_text(encoding="utf-8"), Loader=loader)
    except FileNotFoundError:
        raise InputError("file not found", file=str(catalog_path)) from None
    entries = data.get("indicators") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise InputError("expected a top-level mapping 'indicators: {id: {...}}'",
                         file=str(catalog_path))
    return {str(key): (str(entry.get("name_en", "")), str(entry.get("name_zh", "")))
            for key, entry in entries.items() if isinstance(entry, dict)}


def source_of_path(path: Path, source_ids: list[str]) -> str:
    """The source a normalised text belongs to: a path component or file-name prefix.

    Works for results/staging/<source_id>/normalised.txt and for layouts that keep
    several sources in one directory (<dir>/<source_id>.normalised.txt).
    """
    candidates = {part for part in path.parent.parts} | {path.name.split(".")[0], path.stem}
    found = sorted(candidates & set(source_ids))
    if len(found) != 1:
        raise InputError(f"cannot tell which source this normalised text belongs to "
                         f"(expected exactly one source_id of raw/sources.csv in its path, "
                         f"found {', '.join(found) or 'none'})", file=str(path))
    return found[0]


def read_texts(paths: list[Path], source_ids: list[str]) -> dict[str, str]:
    """The normalised texts of the given files, and of the *.txt files of given directories."""
    files = [f for p in paths for f in (sorted(p.glob("*.txt")) if p.is_dir() else [p])]
    texts: dict[str, str] = {}
    for path in files:
        source_id = source_of_path(path, source_ids)
        if source_id in texts:
            raise InputError(f"a second normalised text for {source_id}", file=str(path))
        try:
            texts[source_id] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError("file not found", file=str(path)) from None
    return dict(sorted(texts.items()))


def load(workspace: Path, tables: list[Path], status: Path, normalised: list[Path],
         failure_cases: Path | None) -> AuditData:
    by_name = read_tables(tables)
    sources = load_manifest(workspace)
    try:
        status_data = json.loads(status.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=str(status)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=str(status), line=exc.lineno,
                         column=exc.colno) from None
    return AuditData(
        checks=by_name["checks"], findings=by_name["findings"],
        indicators=by_name["indicators"], observations=by_name["observations"],
        status=status_data, sources=sources,
        names=indicator_names(workspace / "schemas" / "indicators.yaml"),
        texts=read_texts(normalised, sorted(sources)),
        coverage=by_name.get("coverage"),
        failure_cases=read_csv(failure_cases) if failure_cases else [],
    )
