"""Helpers for the tests that run the workflow on a copy of the repository."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from greenaudit.publish import AUDIT_FILES

REPO = Path(__file__).resolve().parents[1]
# What a fresh clone holds that the workflow reads (results/audit/ is committed too).
COPIED = ("Snakefile", "config", "workflow", "raw", "schemas")
# The files the workflow publishes, and what results/audit/ holds in a clone (the
# change log is written by `greenaudit diff --append`, not by the workflow).
AUDIT = AUDIT_FILES
COMMITTED_AUDIT = tuple(sorted((*AUDIT_FILES, "CHANGES.md")))
# The database is published beside the tables (in one switch, greenaudit.published) but
# not committed; results/greenaudit.duckdb links to it.
UNCOMMITTED_AUDIT = ("greenaudit.duckdb", "greenaudit.duckdb.sha256")
PUBLISHED_DB = Path("results/greenaudit.duckdb")
TRACEBACK = "Traceback (most recent call last)"


def copy_inputs(dest: Path, names: tuple[str, ...] = COPIED) -> Path:
    """A copy of what the workflow reads (no results/): a workspace to build from scratch."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy2(source, dest / name)
    return dest


def fresh_clone(dest: Path) -> Path:
    """The repository as a clone has it: sources, workflow and the committed audit tables."""
    copy_inputs(dest)
    shutil.copytree(REPO / "results" / "audit", dest / "results" / "audit",
                    ignore=shutil.ignore_patterns(*UNCOMMITTED_AUDIT))
    return dest


def copy_workspace(built: Path, dest: Path) -> Path:
    """A copy of a built workspace (timestamps kept, so only what a test edits reruns).

    Snakemake's own state (.snakemake/: locks, incomplete markers, metadata) stays
    behind, as in a checkout where the published results are up to date.
    """
    shutil.copytree(built, dest, ignore=shutil.ignore_patterns(".snakemake"), symlinks=True)
    return dest


def snakemake_env(**extra: str) -> dict[str, str]:
    """The environment the workflow runs with: this checkout's package first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def snakemake(workdir: Path, *args: str, env: dict[str, str] | None = None,
              timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(["snakemake", *args], cwd=workdir, capture_output=True, text=True,
                          timeout=timeout, env=env or snakemake_env())


@contextmanager
def running_snakemake(workdir: Path, *args: str, log: Path,
                      env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """Snakemake in its own process group, so that the test can kill it with its jobs.

    Whatever happens in the test, the group is killed on the way out if still running.
    """
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(["snakemake", *args], cwd=workdir, stdout=out,
                                   stderr=subprocess.STDOUT, env=env or snakemake_env(),
                                   start_new_session=True)
        try:
            yield process
        finally:
            if process.poll() is None:
                kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process and every job it started (its process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=60)


def digests(workdir: Path) -> dict[str, str]:
    """sha256 of every published file (tables and database) that exists."""
    paths = [Path("results/audit") / name for name in AUDIT] + [PUBLISHED_DB]
    return {str(p): hashlib.sha256((workdir / p).read_bytes()).hexdigest()
            for p in paths if (workdir / p).is_file()}


def published_files(directory: Path) -> list[str]:
    """Names in results/audit/, hidden ones (temporary files) included; not the database."""
    return sorted(p.name for p in (directory / "results" / "audit").iterdir()
                  if p.name not in UNCOMMITTED_AUDIT)


def differing_tables(workdir: Path) -> list[str]:
    """The published tables of `workdir` that are not byte-identical to the committed ones."""
    return [name for name in AUDIT
            if (workdir / "results" / "audit" / name).read_bytes()
            != (REPO / "results" / "audit" / name).read_bytes()]
