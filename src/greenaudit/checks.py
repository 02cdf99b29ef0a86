"""The check record every validation stage emits and `checks.csv` publishes."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields

from .errors import shorten

SEVERITIES = ("error", "warning", "info")
STATUSES = ("pass", "fail")
# The log level a failing check of each severity is logged at.
LOG_LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO}


def log_level(severity: str) -> int:
    return LOG_LEVELS.get(severity, logging.INFO)


@dataclass(frozen=True)
class Check:
    """One check run: a row of `checks.csv`.

    `check_id` is stable across runs (no run ids, no timestamps) so that the
    published table is byte-reproducible.
    """

    check_id: str
    kind: str
    severity: str
    status: str
    target: str
    n_items: int
    n_failed: int
    message: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"check {self.check_id}: severity {self.severity!r} not in {SEVERITIES}")
        if self.status not in STATUSES:
            raise ValueError(f"check {self.check_id}: status {self.status!r} not in {STATUSES}")

    @property
    def is_error(self) -> bool:
        return self.status == "fail" and self.severity == "error"

    def as_dict(self) -> dict:
        return asdict(self)

    def as_row(self) -> tuple:
        """The values in CHECK_COLUMNS order (cheaper than as_dict for many checks)."""
        return (self.check_id, self.kind, self.severity, self.status, self.target,
                self.n_items, self.n_failed, self.message)


CHECK_COLUMNS = tuple(f.name for f in fields(Check))


def outcome(check_id: str, kind: str, severity: str, target: str, n_items: int,
            failures: list[str], ok_message: str = "") -> Check:
    """Build a check from the list of failure descriptions it found."""
    n_failed = len(failures)
    if n_failed:
        shown = "; ".join(shorten(f) for f in failures[:5])
        more = f" (and {n_failed - 5} more)" if n_failed > 5 else ""
        message = shown + more
    else:
        message = ok_message
    return Check(check_id, kind, severity, "fail" if n_failed else "pass", target,
                 n_items, n_failed, message)


def read_checks(path) -> list[Check]:
    """The checks of a Parquet file (parquet.write_checks), read by DuckDB.

    Not pyarrow: its reader imports pandas, which the short jobs that read checks
    do not otherwise need.
    """
    import duckdb

    con = duckdb.connect()
    try:
        rows = con.execute(f"SELECT {', '.join(CHECK_COLUMNS)} FROM read_parquet(?)",
                           [str(path)]).fetchall()
    finally:
        con.close()
    return [Check(*row) for row in rows]
