"""The fault corpus: results/ damaged, tampered with or left behind, and hostile published text.

Each case in tests/faults/ (format in tests/faults/README.md) breaks a copy of a
published workspace, Snakemake's records included, and the workflow is run as a
user runs it. Beside the corpus: a publication killed at each moment of its switch,
and a report that cannot be built, each a real run.
"""

from __future__ import annotations

import csv
import io
import os
import pickle
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from test_bad_inputs import EDITS
from workflow_support import (
    AUDIT,
    COMMITTED_AUDIT,
    TRACEBACK,
    RunsAhead,
    differing_tables,
    digests,
    published_files,
    snakemake,
    snakemake_env,
)

from greenaudit.audit import published
from greenaudit.audit.formula import neutralise

CORPUS = Path(__file__).parent / "faults"
CASES = sorted(CORPUS.glob("*.yaml"))
PUBLISHED_STATES = ("committed", "unchanged", "changed")


@dataclass
class Case:
    name: str
    description: str
    faults: list[dict]
    outcome: str
    lines: list[list[str]] = field(default_factory=list)
    logged: list[list[str]] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    published: str = "unchanged"
    rows: list[dict] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    no_formula: bool = False
    report_contains: list[str] = field(default_factory=list)


def load_case(path: Path) -> Case:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    expect = dict(data["expect"])
    case = Case(path.stem, data["description"], data["faults"], expect.pop("outcome"),
                **expect)
    assert case.outcome in ("error", "success"), path.name
    assert case.published in PUBLISHED_STATES, path.name
    return case


# ------------------------------------------------------------------ faults

def _overwrite(workdir: Path, fault: dict, marks: dict) -> None:
    """Same-size replacement, the file's size and modification time kept."""
    path = workdir / fault["file"]
    old, new = fault["old"].encode(), fault["new"].encode()
    assert len(old) == len(new), "an overwrite keeps the size"
    data = path.read_bytes()
    assert data.count(old) == 1, f"{fault['file']}: {fault['old']!r} occurs {data.count(old)} times"
    before = path.stat()
    path.write_bytes(data.replace(old, new))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def _truncate(workdir: Path, fault: dict, marks: dict) -> None:
    path = workdir / fault["file"]
    with open(path, "r+b") as handle:  # through a link, as a user's tool would
        handle.truncate(int(path.stat().st_size * float(fault["keep"])))


def _copy(workdir: Path, fault: dict, marks: dict) -> None:
    target = workdir / fault["to"]
    data = (workdir / fault.get("from", fault.get("file"))).read_bytes()
    target.unlink(missing_ok=True)  # a link is replaced, not written through
    target.write_bytes(data)


class _Planted:
    """Unpickling this creates the marker file: proof that a pickle was loaded."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _pickle(workdir: Path, fault: dict, marks: dict) -> None:
    path = workdir / fault["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_Planted(str(workdir / fault["marker"]))))


def _date(workdir: Path, fault: dict, marks: dict) -> None:
    when = datetime.fromisoformat(str(fault["to"])).timestamp()
    root = workdir / fault["path"]
    for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
        os.utime(path, (when, when), follow_symlinks=False)


# The bad-input edits, and the faults of results/ (a fault's `copy` replaces a link by a file).
FAULTS = {**EDITS, "overwrite": _overwrite, "truncate": _truncate, "copy": _copy,
          "pickle": _pickle, "date": _date}


def apply_faults(workdir: Path, faults: list[dict]) -> dict:
    marks: dict = {}
    for fault in faults:
        (kind, arguments), = fault.items()
        FAULTS[kind](workdir, arguments, marks)
    return marks


def copy_with_records(built: Path, dest: Path) -> Path:
    """A copy of a built workspace with Snakemake's records, timestamps kept."""
    shutil.copytree(built, dest, symlinks=True)
    return dest


# ------------------------------------------------------------------ checks

def _rows(workdir: Path, table: str) -> list[dict]:
    text = (workdir / "results" / "audit" / f"{table}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def formula_fields(workdir: Path) -> list[str]:
    """Every published field a spreadsheet would run as a formula."""
    found = []
    for name in AUDIT:
        if name.endswith(".csv"):
            text = (workdir / "results" / "audit" / name).read_text(encoding="utf-8")
            for row in csv.reader(io.StringIO(text, newline="")):
                found += [f"{name}: {f[:40]!r}" for f in row if neutralise(f) != f]
    return found


def check_published_set(workdir: Path) -> None:
    audit = workdir / "results" / "audit"
    assert published.problems(audit) == []
    assert published_files(workdir) == list(COMMITTED_AUDIT), "a temporary file was left"
    assert not [p for p in (workdir / "results").iterdir() if p.name.startswith(".audit.")]
    assert not list((workdir / "results" / "cache").rglob("*.pickle"))


@dataclass
class Run:
    case: Case
    workdir: Path
    before: dict[str, str]
    marks: dict
    returncode: int
    output: str
    started: float


def run_case(path: Path, built: Path, root: Path) -> Run:
    case = load_case(path)
    workdir = copy_with_records(built, root / case.name)
    before = digests(workdir)
    marks = apply_faults(workdir, case.faults)
    started = time.time()
    result = snakemake(workdir, "--cores", "2")
    return Run(case, workdir, before, marks, result.returncode, result.stdout + result.stderr,
               started)


@pytest.fixture(scope="session")
def fault_runs(request, built_workspace: Path, tmp_path_factory) -> Iterator[RunsAhead]:
    """The fault cases this process runs, each started when its test (or the one before) asks."""
    order = [item.callspec.params["path"] for item in request.session.items
             if item.originalname == "test_fault"]
    root = tmp_path_factory.mktemp("faults")
    runner = RunsAhead(lambda path: run_case(path, built_workspace, root), order)
    yield runner
    runner.close()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fault_case_is_well_formed(path: Path) -> None:
    case = load_case(path)
    assert case.outcome == "success" or case.published == "unchanged", path.name
    assert all(len(f) == 1 and next(iter(f)) in FAULTS for f in case.faults), path.name


@pytest.mark.slow
@pytest.mark.faults
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fault(path: Path, fault_runs: RunsAhead) -> None:
    run = fault_runs.result(path)
    case, workdir, output = run.case, run.workdir, run.output
    context = f"{case.name}: {case.description}\n--- output (tail) ---\n{output[-4000:]}"
    assert (run.returncode == 0) == (case.outcome == "success"), context
    assert TRACEBACK not in output, context
    lines = output.splitlines()
    for fragments in case.lines:
        wanted = [f.replace("{line}", str(run.marks.get("line"))) for f in fragments]
        assert any(all(f in line for f in wanted) for line in lines), f"no line holds {wanted}\n{context}"
    for fragment in case.absent:
        assert fragment not in output, f"{fragment!r} in the output\n{context}"
    logged = [line for log in sorted((workdir / "results" / "logs").rglob("*.log"))
              if log.stat().st_mtime >= run.started
              for line in log.read_text(encoding="utf-8").splitlines()]
    for fragments in case.logged:
        assert any(all(f in line for f in fragments) for line in logged), \
            f"no line of the jobs' logs holds {fragments}\n{context}"
    check_published_set(workdir)
    tables = {k: v for k, v in digests(workdir).items() if "duckdb" not in k}
    before = {k: v for k, v in run.before.items() if "duckdb" not in k}
    if case.published == "committed":
        assert differing_tables(workdir) == [], context
    elif case.published == "unchanged":
        assert digests(workdir) == run.before, f"published files changed\n{context}"
    else:
        assert tables != before, f"published tables unchanged\n{context}"
    for row in case.rows:
        matching = [r for r in _rows(workdir, row["table"])
                    if all(r[k] == str(v) for k, v in row["match"].items())]
        assert matching, f"{row['table']}: no row matches {row['match']}"
        for column, value in row["expect"].items():
            assert all(r[column] == str(value) for r in matching), (column, matching[0][column])
    for name in case.missing_files:
        assert not (workdir / name).exists(), f"{name} exists: a planted pickle was loaded"
    if case.no_formula:
        assert formula_fields(workdir) == []
    if case.report_contains:
        report = workdir / "results" / "report"
        assert (report / "index.html").stat().st_mtime >= run.started
        text = "".join(p.read_text(encoding="utf-8") for p in [report / "index.html",
                                                               *report.glob("charts/*.svg")])
        for fragment in case.report_contains:
            assert fragment in text, fragment


# ------------------------------------------------------------------ killed and failing jobs

def _with_greenaudit(tmp_path: Path, script: str) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "greenaudit"
    fake.write_text(script, encoding="utf-8")
    fake.chmod(0o755)
    return snakemake_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


# The real greenaudit, except that `publish` is killed (SIGKILL, no clean-up) at MOMENT.
KILLED_PUBLISH = """#!{python}
import os, shutil, signal, sys
from greenaudit import cli
from greenaudit.audit import published

moment = {moment!r}
die = lambda: os.kill(os.getpid(), signal.SIGKILL)
if "publish" in sys.argv[1:2]:
    exchange, copy = published._exchange, shutil.copyfile
    if moment == "while_writing":
        published.shutil.copyfile = lambda a, b: (copy(a, b), die())
    elif moment == "before_the_switch":
        published._exchange = lambda new, old: die()
    elif moment == "after_the_switch":
        published._exchange = lambda new, old: (exchange(new, old), die())
sys.argv[0] = "greenaudit"
cli.run()
"""
EDIT = ("raw/tables/003_1a3b190ec270dc4e.csv", "grams of standard coal per kWh", "gce per kWh")


def _edit(workdir: Path) -> None:
    path, old, new = EDIT
    text = (workdir / path).read_text(encoding="utf-8")
    assert text.count(old) == 1
    (workdir / path).write_text(text.replace(old, new), encoding="utf-8")


def _tables(workdir: Path) -> dict[str, bytes]:
    return {name: (workdir / "results" / "audit" / name).read_bytes() for name in AUDIT}


@pytest.fixture(scope="module")
def edited_tables(built_workspace: Path, tmp_path_factory) -> dict[str, bytes]:
    """What a run publishes after EDIT (the set a completed publication switches to)."""
    workdir = copy_with_records(built_workspace, tmp_path_factory.mktemp("edited") / "ws")
    _edit(workdir)
    result = snakemake(workdir, "--cores", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    return _tables(workdir)


@pytest.mark.slow
@pytest.mark.faults
@pytest.mark.parametrize("moment", ["while_writing", "before_the_switch", "after_the_switch"])
def test_a_killed_publication_leaves_one_whole_set_and_the_rerun_publishes(
        built_workspace: Path, edited_tables: dict, tmp_path: Path, moment: str) -> None:
    workdir = copy_with_records(built_workspace, tmp_path / "ws")
    old = _tables(workdir)
    _edit(workdir)
    env = _with_greenaudit(tmp_path, KILLED_PUBLISH.format(python=sys.executable,
                                                           moment=moment))
    killed = snakemake(workdir, "--cores", "2", env=env)
    assert killed.returncode != 0
    audit = workdir / "results" / "audit"
    assert published.problems(audit) == []
    assert _tables(workdir) == (edited_tables if moment == "after_the_switch" else old)
    # The documented recovery reruns what the kill left incomplete, and publishes.
    resumed = snakemake(workdir, "--cores", "2", "--rerun-incomplete")
    output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, output[-3000:]
    assert TRACEBACK not in output
    assert _tables(workdir) == edited_tables
    check_published_set(workdir)


FAILING_REPORT = """#!/bin/sh
# The real greenaudit, except that `report` fails.
if [ "$1" = report ]; then
    echo "greenaudit: error: the report cannot be built" >&2
    exit 1
fi
exec {python} -m greenaudit.cli "$@"
"""


@pytest.mark.slow
@pytest.mark.faults
def test_a_report_that_cannot_be_built_fails_the_run_before_publication(
        built_workspace: Path, tmp_path: Path) -> None:
    workdir = copy_with_records(built_workspace, tmp_path / "ws")
    before = digests(workdir)
    _edit(workdir)
    env = _with_greenaudit(tmp_path, FAILING_REPORT.format(python=sys.executable))
    result = snakemake(workdir, "--cores", "2", env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "the report cannot be built" in output
    assert digests(workdir) == before, "published although the report failed"
    assert "rule publish" not in output
