"""End-to-end reliability: kills, reruns, concurrent runs and failed publication.

Each test runs the workflow as a user does, on a copy of the repository:

* a rebuild killed with SIGKILL (process group, jobs included) and resumed with the
  recovery documented in the README gives the committed tables byte for byte, and
  the kill never touches what was published;
* two clean rebuilds with different hash seeds, thread settings and core counts
  are byte-identical to each other and to the committed tables, and the published
  files carry no paths, host names or timestamps;
* a second `snakemake` started while one runs is refused, and the first completes;
* a publish step that fails half-way leaves the published files as they were.
"""

from __future__ import annotations

import os
import re
import socket
import stat
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from workflow_support import (
    AUDIT,
    COMMITTED_AUDIT,
    TRACEBACK,
    copy_workspace,
    differing_tables,
    digests,
    fresh_clone,
    kill_group,
    published_files,
    running_snakemake,
    snakemake,
    snakemake_env,
)

pytestmark = pytest.mark.slow

# The documented recovery (README, "When a run is interrupted"), on this machine's cores.
UNLOCK = ("--unlock",)
RESUME = ("--cores", "2", "--rerun-incomplete")


def _wait_for(condition, process, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"snakemake ended (status {process.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _with_greenaudit(tmp_path: Path, script: str) -> dict[str, str]:
    """The workflow's environment with `script` as the `greenaudit` its jobs run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "greenaudit"
    fake.write_text(script, encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return snakemake_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


# Moments to kill a rebuild at: while sources are staged (some staging outputs
# written, others not), and while the database is validated.
KILL_POINTS = {
    "staging": lambda ws: any((ws / "results" / "staging").glob("*/observations.parquet")),
    "validation": lambda ws: (ws / "results" / "work" / "greenaudit.duckdb").is_file(),
}


@pytest.mark.parametrize("moment", sorted(KILL_POINTS))
def test_killed_rebuild_resumes_to_identical_tables(tmp_path: Path, moment: str) -> None:
    workdir = fresh_clone(tmp_path / "ws")
    published = digests(workdir)
    with running_snakemake(workdir, "--cores", "2", log=tmp_path / "killed.log") as process:
        _wait_for(lambda: KILL_POINTS[moment](workdir), process, f"the {moment} moment")
        kill_group(process)

    assert digests(workdir) == published, "a killed rebuild changed the published tables"
    assert published_files(workdir) == list(COMMITTED_AUDIT)

    # The kill leaves Snakemake's lock behind: resuming without unlocking is refused,
    # and says how to recover.
    refused = snakemake(workdir, *RESUME)
    assert refused.returncode != 0
    assert "--unlock" in refused.stdout + refused.stderr

    unlocked = snakemake(workdir, *UNLOCK)
    assert unlocked.returncode == 0, unlocked.stderr[-2000:]
    resumed = snakemake(workdir, *RESUME)
    output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, output[-3000:]
    assert TRACEBACK not in output
    assert differing_tables(workdir) == []
    assert (workdir / "results" / "greenaudit.duckdb").is_file()
    leftovers = [p for p in (workdir / "results").rglob(".*.tmp")]
    assert leftovers == [], "temporary files survived the resumed run"


def test_two_clean_rebuilds_are_byte_identical(built_workspace: Path, tmp_path: Path) -> None:
    # built_workspace: PYTHONHASHSEED=0, OMP_NUM_THREADS=1, --cores 2. This one differs in
    # all three, and starts without results/audit/ so that every table is rebuilt.
    workdir = fresh_clone(tmp_path / "ws")
    for name in AUDIT:
        (workdir / "results" / "audit" / name).unlink()
    env = snakemake_env(PYTHONHASHSEED="4242", OMP_NUM_THREADS="2",
                        OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2")
    result = snakemake(workdir, "--cores", "1", env=env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for name in AUDIT:
        first = (built_workspace / "results" / "audit" / name).read_bytes()
        second = (workdir / "results" / "audit" / name).read_bytes()
        assert first == second, f"{name} differs between two clean rebuilds"
    assert differing_tables(workdir) == []


FORBIDDEN = {
    "absolute path": re.compile(r"(?<![\w.])/(?:tmp|root|home|usr|var|work|Users)/"),
    "Windows path": re.compile(r"\b[A-Z]:\\\\"),
    "timestamp": re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"),
    "clock time": re.compile(r"\b\d{2}:\d{2}:\d{2}\b"),
    "run id": re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
}


def test_published_tables_carry_no_paths_times_or_run_ids(built_workspace: Path) -> None:
    volatile = [str(built_workspace), str(Path.home()), socket.gethostname(),
                date.today().isoformat()]
    for name in AUDIT:
        text = (built_workspace / "results" / "audit" / name).read_text(encoding="utf-8")
        for what, pattern in FORBIDDEN.items():
            match = pattern.search(text)
            assert match is None, f"{name}: {what} {match.group(0)!r}"
        for value in volatile:
            assert value not in text, f"{name} contains {value!r}"


# The real greenaudit, except that `build-db` first waits for the test's word: the first
# run is then surely running, with no output of that job on disk yet (a job's finished
# but not yet recorded output would make Snakemake report it as incomplete instead).
HELD_BUILD = """#!/bin/sh
for argument in "$@"; do
    if [ "$argument" = build-db ]; then
        touch "{held}"
        while [ ! -e "{release}" ]; do sleep 0.05; done
    fi
done
exec {python} -m greenaudit.cli "$@"
"""


def test_second_invocation_is_refused_while_the_first_completes(tmp_path: Path) -> None:
    workdir = fresh_clone(tmp_path / "ws")
    held, release = tmp_path / "held", tmp_path / "release"
    env = _with_greenaudit(tmp_path, HELD_BUILD.format(held=held, release=release,
                                                       python=sys.executable))
    with running_snakemake(workdir, "--cores", "2", log=tmp_path / "first.log",
                           env=env) as first:
        _wait_for(held.exists, first, "the first run to build the database")
        second = snakemake(workdir, "--cores", "2")
        output = second.stdout + second.stderr
        assert first.poll() is None, "the first run ended before the second was refused"
        assert second.returncode != 0
        assert "Directory cannot be locked" in output
        assert TRACEBACK not in output
        release.touch()
        assert first.wait(timeout=900) == 0, (tmp_path / "first.log").read_text()[-3000:]
    assert differing_tables(workdir) == []


FAILING_PUBLISH = """#!{python}
# The real greenaudit, except that the disk fills up half-way through publication.
import errno, shutil, sys
from greenaudit import cli
from greenaudit.audit import published

copied, copy = [], shutil.copyfile
def copy_then_fill(source, target):
    if copied:
        raise OSError(errno.ENOSPC, "No space left on device", str(target))
    copied.append(copy(source, target))

published.shutil.copyfile = copy_then_fill
sys.argv[0] = "greenaudit"
cli.run()
"""


def test_failed_publish_leaves_published_files_as_they_were(built_workspace: Path,
                                                            tmp_path: Path) -> None:
    workdir = copy_workspace(built_workspace, tmp_path / "ws")
    before = digests(workdir)
    # A valid change (a note), so that the gate passes and publish runs.
    table = workdir / "raw" / "tables" / "003_1a3b190ec270dc4e.csv"
    text = table.read_text(encoding="utf-8")
    assert text.count("grams of standard coal per kWh") == 1
    table.write_text(text.replace("grams of standard coal per kWh", "gce per kWh"),
                     encoding="utf-8")
    env = _with_greenaudit(tmp_path, FAILING_PUBLISH.format(python=sys.executable))

    result = snakemake(workdir, "--cores", "2", env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "greenaudit: error: not published ([Errno 28] No space left on device" in output
    assert TRACEBACK not in output
    assert digests(workdir) == before, "a failed publish changed the published files"
    assert published_files(workdir) == list(COMMITTED_AUDIT)
