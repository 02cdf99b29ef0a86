"""Assemble the audit tables, decide whether they may be published, publish them.

The published CSVs are sorted, use plain positional decimals (never exponents,
never float repr), and contain nothing run-dependent, so two rebuilds give the
same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import duckdb

from .atomic import atomic_path
from .atomic import write_text_atomic as write_atomic  # noqa: F401 - imported from here by stages
from .checks import CHECK_COLUMNS, Check

OBSERVATION_COLUMNS = (
    "source_id", "row_number", "indicator_id", "period", "breakdown", "quantity", "value",
    "unit", "qualifier", "value_canonical", "unit_canonical", "lower", "upper", "quote",
    "evidence", "quote_start", "quote_end", "quantity_start", "quantity_end", "flags", "note",
)
INDICATOR_COLUMNS = (
    "indicator_id", "period", "breakdown", "value", "unit_canonical", "lower", "upper",
    "n_sources", "sources", "agreement", "flags", "value_source",
)
FINDING_COLUMNS = (
    "check_id", "severity", "source_id", "row_number", "indicator_id", "period", "breakdown",
    "message",
)
AUDIT_FILES = ("observations.csv", "indicators.csv", "checks.csv", "findings.csv")


def format_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0.0") else text
    if isinstance(value, float):  # pragma: no cover - every number here is Decimal or int
        raise TypeError("floats are not published; use Decimal")
    return str(value)


def to_csv(columns: tuple[str, ...], rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([format_cell(v) for v in row])
    return buffer.getvalue()


def assemble(db_path: Path, extra_checks: list[Check], out_dir: Path) -> dict:
    """Write the would-be published tables and status.json under `out_dir`."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        # `value` is published as written (34.0 stays 34.0), not as a normalised decimal.
        selected = [("value_text AS value" if c == "value" else c) for c in OBSERVATION_COLUMNS]
        observations = con.execute(
            f"SELECT {', '.join(selected)} FROM observations "
            "ORDER BY source_id, indicator_id, period, breakdown, row_number").fetchall()
        indicators = con.execute(
            f"SELECT {', '.join(INDICATOR_COLUMNS)} FROM indicators "
            "ORDER BY indicator_id, period, breakdown").fetchall()
        findings = con.execute(
            f"SELECT {', '.join(FINDING_COLUMNS)} FROM findings ORDER BY source_id, row_number, "
            "check_id, indicator_id, period, breakdown, message").fetchall()
        staged = [Check(*row) for row in con.execute(
            f"SELECT {', '.join(CHECK_COLUMNS)} FROM checks").fetchall()]
    finally:
        con.close()
    checks = sorted(staged + extra_checks, key=lambda c: c.check_id)
    ids = [c.check_id for c in checks]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"check ids are not unique: {', '.join(duplicated)}")
    check_rows = [tuple(c.as_dict().values()) for c in checks]
    tables = {
        "observations.csv": to_csv(OBSERVATION_COLUMNS, observations),
        "indicators.csv": to_csv(INDICATOR_COLUMNS, indicators),
        "checks.csv": to_csv(CHECK_COLUMNS, check_rows),
        "findings.csv": to_csv(FINDING_COLUMNS, findings),
    }
    for name, text in tables.items():
        write_atomic(out_dir / "audit" / name, text)
    errors = [c for c in checks if c.is_error]
    status = {
        "publishable": not errors,
        "counts": _counts(checks),
        "errors": [{"check_id": c.check_id, "message": c.message} for c in errors],
        "warnings": [{"check_id": c.check_id, "message": c.message}
                     for c in checks if c.status == "fail" and c.severity == "warning"],
    }
    write_atomic(out_dir / "status.json", json.dumps(status, ensure_ascii=False, indent=2,
                                                     sort_keys=True) + "\n")
    return status


def _counts(checks: list[Check]) -> dict:
    counts: dict[str, int] = {}
    for c in checks:
        key = f"{c.status}_{c.severity}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def gate(status_path: Path) -> list[str]:
    """The one-line messages of the errors that forbid publication (empty: publish)."""
    status = json.loads(status_path.read_text(encoding="utf-8"))
    return [f"{error['check_id']}: {error['message']}" for error in status["errors"]]


def publish(tables: dict[Path, Path], work_db: Path, published_db: Path) -> None:
    """Copy the validated tables ({staged: published}) and database into place.

    Every copy is written beside its target first; only when all of them are on
    disk are they renamed into place, one rename each, so a failure while copying
    leaves the published set exactly as it was.
    """
    with ExitStack() as renames:
        for source, target in [*tables.items(), (work_db, published_db)]:
            shutil.copyfile(source, renames.enter_context(atomic_path(target)))
