"""Helpers for the tests that run the workflow on a copy of the repository."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from greenaudit.audit.publish import AUDIT_FILES

REPO = Path(__file__).resolve().parents[1]
# The seed corpus frozen for the tests (tests/data/seeds/README.md): its inputs and the
# tables it publishes. Tests that assert facts of the seeds read them here, so that a
# source added to the live raw/ breaks none of them; the live corpus is checked by the
# workflow's own checks (CI rebuilds it and diffs results/audit/).
SEEDS = REPO / "tests" / "data" / "seeds"
SEED_AUDIT = SEEDS / "results" / "audit"
# What a seed workspace takes from the frozen corpus; the rest (Snakefile, workflow/,
# profiles/) is the live repository's, which is what the tests exercise.
CORPUS = ("config", "raw", "schemas")
# What a fresh clone holds that the workflow reads (results/audit/ is committed too).
COPIED = ("Snakefile", "config", "workflow", "raw", "schemas")
# The files the workflow publishes, and what results/audit/ holds in a clone (the
# change log is written by `greenaudit diff --append`, not by the workflow).
AUDIT = AUDIT_FILES
COMMITTED_AUDIT = tuple(sorted((*AUDIT_FILES, "CHANGES.md")))
# The database is published beside the tables (in one switch, greenaudit.audit.published) but
# not committed; results/greenaudit.duckdb links to it.
UNCOMMITTED_AUDIT = ("greenaudit.duckdb", "greenaudit.duckdb.sha256")
PUBLISHED_DB = Path("results/greenaudit.duckdb")
TRACEBACK = "Traceback (most recent call last)"


def copy_inputs(dest: Path, names: tuple[str, ...] = COPIED) -> Path:
    """A seed workspace to build from scratch (no results/): the live workflow files with
    the frozen seed corpus."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = (SEEDS if name in CORPUS else REPO) / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy2(source, dest / name)
    return dest


def fresh_clone(dest: Path) -> Path:
    """A seed workspace as a clone has it: sources, workflow and the published audit tables."""
    copy_inputs(dest)
    shutil.copytree(SEED_AUDIT, dest / "results" / "audit",
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
    """The published tables of `workdir` that are not byte-identical to the seeds' ones."""
    return [name for name in AUDIT
            if (workdir / "results" / "audit" / name).read_bytes()
            != (SEED_AUDIT / name).read_bytes()]


# Workflow cases of a corpus run this many at a time (each `snakemake --cores 2`): a
# run is mostly one job after another, so two keep two cores busy. Under pytest-xdist
# the workers run cases side by side already, one each.
CORPUS_JOBS = int(os.environ.get("GREENAUDIT_CORPUS_JOBS",
                                 "1" if os.environ.get("PYTEST_XDIST_WORKER") else "2"))


class RunsAhead:
    """Runs each case of a corpus when its test asks for it, with the next `jobs - 1`
    cases of this process started beside it: no fixture runs the whole corpus first."""

    def __init__(self, run: Callable[[Hashable], object], order: list[Hashable],
                 jobs: int = CORPUS_JOBS) -> None:
        self._run, self.order, self.jobs = run, order, max(1, jobs)
        self.pool = ThreadPoolExecutor(max_workers=self.jobs)
        self.started: dict[Hashable, Future] = {}

    def result(self, case: Hashable):
        start = self.order.index(case) if case in self.order else len(self.order)
        for ahead in [case, *self.order[start + 1:start + self.jobs]]:
            if ahead not in self.started:
                self.started[ahead] = self.pool.submit(self._run, ahead)
        return self.started[case].result()

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


def built_once(root: Path, build: Callable[[Path], None]) -> Path:
    """`root`/ws, made by `build` once for every process that asks (under a lock on
    `root`.lock); a failed build is tried again by the next process that asks."""
    root.parent.mkdir(parents=True, exist_ok=True)
    workdir, done = root / "ws", root / "done"
    with open(root.parent / f"{root.name}.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            build(workdir)
            done.touch()
    return workdir


def refresh_seeds() -> int:
    """Rebuild the frozen seeds in a temporary copy and write the tables they publish
    into tests/data/seeds/results/audit/ (after a code change that changes them)."""
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        workdir = copy_inputs(Path(tmp) / "ws")
        result = snakemake(workdir, "--cores", "2")
        if result.returncode != 0:
            print((result.stdout + result.stderr)[-3000:], file=sys.stderr)
            return 1
        for name in AUDIT:
            shutil.copyfile(workdir / "results" / "audit" / name, SEED_AUDIT / name)
    print(f"{SEED_AUDIT.relative_to(REPO)}: {len(AUDIT)} tables written")
    return 0


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["refresh-seeds"]:
        sys.exit("usage: python tests/workflow_support.py refresh-seeds")
    sys.exit(refresh_seeds())
