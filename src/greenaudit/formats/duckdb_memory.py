"""DuckDB within the memory a job declares (its Snakemake `mem_mb` resource).

By default a DuckDB database may use 80% of the machine's memory, whatever else
runs beside it, and on a cluster a job over its allocation is killed. A job run as
`greenaudit --memory-mb N ...` (the workflow does so for build_database, where it
was measured to lower the peak) gives every DuckDB database it opens a limit of
DUCKDB_SHARE of N, beyond which DuckDB evicts pages and spills to its temporary
directory; the rest of N is the job's Python objects. Without the option (a
command run by hand) DuckDB keeps its default.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

DUCKDB_SHARE = 0.6
_job_memory_mb: int | None = None


def set_job_memory(megabytes: int | None) -> None:
    """The memory this process may use, in MB (None: DuckDB's default limit)."""
    global _job_memory_mb
    _job_memory_mb = megabytes


def duckdb_config(**settings: object) -> dict[str, object]:
    """DuckDB configuration with the job's memory limit, plus `settings`."""
    config: dict[str, object] = dict(settings)
    if _job_memory_mb:
        config["memory_limit"] = f"{max(1, int(_job_memory_mb * DUCKDB_SHARE))}MB"
    return config


def connect(database: Path | str = ":memory:", read_only: bool = False,
            **settings: object) -> "duckdb.DuckDBPyConnection":
    """duckdb.connect within the job's memory (every connection of a process to one
    file must use the same configuration: DuckDB refuses another)."""
    import duckdb  # here: the command line sets the limit in jobs that never open DuckDB

    return duckdb.connect(str(database), read_only=read_only, config=duckdb_config(**settings))
