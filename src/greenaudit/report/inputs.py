"""Where the report's inputs are and what they hold: tables, status, manifest, names, texts.

Only paths and small files are read here; the audit tables are queried through
`data.AuditTables` and each normalised text is read when the page embeds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from greenaudit.formats import yamlfile
from greenaudit.errors import InputError
from greenaudit.workspace.manifest import Source, load_manifest
from greenaudit.report.data import OPTIONAL_TABLES, REQUIRED_TABLES, AuditTables


@dataclass
class AuditData:
    """What the page is made of: the tables (queried, never read whole), the status,
    the manifest, the indicator names and where each source's normalised text is."""

    tables: AuditTables
    status: dict
    sources: dict[str, Source]
    names: dict[str, tuple[str, str]]
    text_files: dict[str, Path]

    def text(self, source_id: str) -> str | None:
        path = self.text_files.get(source_id)
        if path is None:
            return None
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError("file not found", file=str(path)) from None


def read_tables(paths: list[Path]) -> dict[str, Path]:
    """The audit tables by name (file stem); the four published ones must be there."""
    tables = {path.stem: path for path in paths}
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise InputError(f"the report needs {', '.join(f'{m}.csv' for m in missing)} among "
                         f"--tables (got {', '.join(sorted(p.name for p in paths))})")
    return {name: path for name, path in tables.items()
            if name in REQUIRED_TABLES or name in OPTIONAL_TABLES}


def indicator_names(catalog_path: Path) -> dict[str, tuple[str, str]]:
    """{indicator_id: (English name, Chinese name)} from schemas/indicators.yaml.

    Read directly rather than through `catalog.load_catalog`, which validates units
    with pint (a slow import); the catalog was validated by the stages before.
    """
    data = yamlfile.load(catalog_path)
    entries = data.get("indicators") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise InputError("expected a top-level mapping 'indicators: {id: {...}}'",
                         file=str(catalog_path))
    return {str(key): (_text(entry.get("name_en")), _text(entry.get("name_zh")))
            for key, entry in entries.items() if isinstance(entry, dict)}


def _text(value) -> str:
    """A name as the report shows it: only a YAML string is one (load_catalog refuses others)."""
    return value if isinstance(value, str) else ""


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


def text_files(paths: list[Path], source_ids: list[str]) -> dict[str, Path]:
    """{source_id: its normalised text} for the given files and the *.txt files of the
    given directories (nothing is read yet)."""
    files = [f for p in paths for f in (sorted(p.glob("*.txt")) if p.is_dir() else [p])]
    found: dict[str, Path] = {}
    for path in files:
        source_id = source_of_path(path, source_ids)
        if source_id in found:
            raise InputError(f"a second normalised text for {source_id}", file=str(path))
        if not path.is_file():
            raise InputError("file not found", file=str(path))
        found[source_id] = path
    return dict(sorted(found.items()))


def load(workspace: Path, tables: list[Path], status: Path, normalised: list[Path],
         failure_cases: Path | None, threads: int | None = None) -> AuditData:
    by_name = read_tables(tables)
    sources = load_manifest(workspace)
    try:
        status_data = json.loads(status.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=str(status)) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=str(status), line=exc.lineno,
                         column=exc.colno) from None
    names = indicator_names(workspace / "schemas" / "indicators.yaml")
    files = text_files(normalised, sorted(sources))
    if failure_cases:
        by_name["failure_cases"] = failure_cases
    return AuditData(tables=AuditTables(by_name, threads), status=status_data, sources=sources,
                     names=names, text_files=files)
