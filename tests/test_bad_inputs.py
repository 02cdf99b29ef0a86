"""The bad-input corpus: each case in tests/bad_inputs/ breaks a copy of a published workspace.

For every case the workflow is run as a user runs it (`snakemake --cores 2`) and the
test proves: the exit status the case expects; for each expected message, one line
of the output that holds all its fragments (file, line, column, what was expected);
no Python traceback on the terminal; and, for a refused input, the published tables
and database byte-for-byte as they were. The case format is in
tests/bad_inputs/README.md. Each case runs in its own copy of the seeds built once for
the run, so that only what its edit touches reruns; two at a time
(GREENAUDIT_CORPUS_JOBS), or one per pytest-xdist worker, each when its test asks.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from workflow_support import (
    COMMITTED_AUDIT,
    PUBLISHED_DB,
    SEEDS,
    TRACEBACK,
    RunsAhead,
    copy_workspace,
    digests,
    published_files,
    snakemake,
)

CORPUS = Path(__file__).parent / "bad_inputs"
OUTCOMES = ("error", "success")


@dataclass
class Case:
    name: str
    description: str
    edits: list[dict]
    outcome: str
    lines: list[list[str]]
    absent: list[str]
    published: str
    rows: list[dict]


def load_case(path: Path) -> Case:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    expect = data["expect"]
    case = Case(path.stem, data["description"], data["edits"], expect["outcome"],
                [list(map(str, fragments)) for fragments in expect.get("lines", [])],
                list(map(str, expect.get("absent", []))),
                expect.get("published", "unchanged"), expect.get("rows", []))
    assert case.outcome in OUTCOMES, f"{path.name}: outcome must be one of {OUTCOMES}"
    assert case.published in ("unchanged", "changed"), f"{path.name}: published"
    assert case.outcome == "success" or case.published == "unchanged", \
        f"{path.name}: a refused input must leave the published files unchanged"
    assert case.lines or case.outcome == "success", f"{path.name}: an error case needs lines"
    return case


CASES = sorted(CORPUS.glob("*.yaml"))


# ------------------------------------------------------------------------ edits

def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def _replace(workdir: Path, edit: dict, marks: dict) -> None:
    path = workdir / edit["file"]
    text = path.read_text(encoding="utf-8")
    old, new = edit["old"], edit["new"] * int(edit.get("times", 1))
    count = int(edit.get("count", 1))
    assert text.count(old) == count, \
        f"{edit['file']}: {old[:60]!r} occurs {text.count(old)} times, the case expects {count}"
    marks.setdefault("line", _line_of(text, old))
    path.write_text(text.replace(old, new), encoding="utf-8", newline="")


def _write(workdir: Path, edit: dict, marks: dict) -> None:
    path = workdir / edit["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(edit["text"].encode(edit.get("encoding", "utf-8")))


def _append(workdir: Path, edit: dict, marks: dict) -> None:
    path = workdir / edit["file"]
    text = path.read_text(encoding="utf-8")
    if not text.endswith("\n"):
        text += "\n"
    marks.setdefault("line", text.count("\n") + 1)
    path.write_text(text + edit["text"], encoding="utf-8", newline="")


def _delete(workdir: Path, edit: dict, marks: dict) -> None:
    (workdir / edit["file"]).unlink()


def _reencode(workdir: Path, edit: dict, marks: dict) -> None:
    path = workdir / edit["file"]
    text = path.read_text(encoding="utf-8")
    if "newline" in edit:
        text = text.replace("\n", edit["newline"])
    path.write_bytes(text.encode(edit["encoding"]))


def _repin(workdir: Path, edit: dict, marks: dict) -> None:
    """Write the current sha256 of a source into its manifest row (a deliberate change;
    through a link, the linked file's, as an attacker would)."""
    source_id = edit["source_id"]
    manifest = workdir / "raw" / "sources.csv"
    digest = hashlib.sha256((workdir / "raw" / "sources" / f"{source_id}.txt").read_bytes())
    text = manifest.read_text(encoding="utf-8")
    pattern = re.compile(rf"^({re.escape(source_id)},[^,]*,)[0-9a-f]{{64}}", re.M)
    assert pattern.search(text), f"{source_id} has no manifest row"
    manifest.write_text(pattern.sub(rf"\g<1>{digest.hexdigest()}", text), encoding="utf-8",
                        newline="")


def _symlink(workdir: Path, edit: dict, marks: dict) -> None:
    """Put a symbolic link to `target` (absolute, or relative to the link) at `file`."""
    path = workdir / edit["file"]
    if path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(edit["target"])


def _mkdir(workdir: Path, edit: dict, marks: dict) -> None:
    """Replace `file` by a directory of that name."""
    path = workdir / edit["file"]
    if path.exists():
        path.unlink()
    path.mkdir()


def _fifo(workdir: Path, edit: dict, marks: dict) -> None:
    path = workdir / edit["file"]
    if path.exists():
        path.unlink()
    os.mkfifo(path)


def _copy(workdir: Path, edit: dict, marks: dict) -> None:
    shutil.copyfile(workdir / edit["file"], workdir / edit["to"])


EDITS = {"replace": _replace, "write": _write, "append": _append, "delete": _delete,
         "reencode": _reencode, "repin": _repin, "symlink": _symlink, "mkdir": _mkdir,
         "fifo": _fifo, "copy": _copy}


def apply_edits(workdir: Path, edits: list[dict]) -> dict:
    """Apply a case's edits in order; return the marks they set ({line}: the edited line)."""
    marks: dict = {}
    for edit in edits:
        (kind, arguments), = edit.items()
        EDITS[kind](workdir, arguments, marks)
    return marks


# ------------------------------------------------------------------------ test

def _marked(fragment: str, marks: dict) -> str:
    """`fragment` with {line} (and {line+N}, the Nth line after it) filled in."""
    return re.sub(r"\{line(?:\+(\d+))?\}",
                  lambda m: str(marks.get("line", 0) + int(m[1] or 0)), fragment)


def _published_row(workdir: Path, table: str, match: dict) -> dict:
    text = (workdir / "results" / "audit" / f"{table}.csv").read_text(encoding="utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text, newline=""))
            if all(r[k] == str(v) for k, v in match.items())]
    assert len(rows) == 1, f"{table}: {len(rows)} rows match {match}"
    return rows[0]


def test_corpus_is_large_enough():
    cases = [load_case(path) for path in CASES]
    assert len(cases) >= 30
    assert sum(c.outcome == "error" for c in cases) >= 30


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """The seeds' inputs only (no build): enough to check that each case applies."""
    root = tmp_path_factory.mktemp("inputs")
    for name in ("config", "raw", "schemas"):
        shutil.copytree(SEEDS / name, root / "pristine" / name)
    return root


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case_applies_to_the_repository(path: Path, inputs: Path) -> None:
    """Fast: every edit still finds its text, so a data change cannot silently void a case."""
    case = load_case(path)
    workdir = inputs / case.name
    shutil.copytree(inputs / "pristine", workdir)
    marks = apply_edits(workdir, case.edits)
    uses_line = any("{line" in f for fragments in case.lines for f in fragments)
    assert marks.get("line") or not uses_line, "{line} is used but no edit sets it"


@dataclass
class Run:
    """One case run: the workspace, what was published before, what snakemake did."""

    case: Case
    workdir: Path
    before: dict[str, str]
    marks: dict
    returncode: int
    output: str
    seconds: float


def run_case(path: Path, built: Path, root: Path) -> Run:
    case = load_case(path)
    workdir = copy_workspace(built, root / case.name)
    before = digests(workdir)
    marks = apply_edits(workdir, case.edits)
    start = time.monotonic()
    result = snakemake(workdir, "--cores", "2")
    return Run(case, workdir, before, marks, result.returncode, result.stdout + result.stderr,
               time.monotonic() - start)


@pytest.fixture(scope="session")
def corpus(request, built_workspace: Path, tmp_path_factory) -> Iterator[RunsAhead]:
    """The cases this process runs, each started when its test (or the one before) asks."""
    order = [item.callspec.params["path"] for item in request.session.items
             if item.originalname == "test_bad_input"]
    root = tmp_path_factory.mktemp("corpus")
    runner = RunsAhead(lambda path: run_case(path, built_workspace, root), order)
    yield runner
    runner.close()


@pytest.mark.slow
@pytest.mark.bad_inputs
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_input(path: Path, corpus: RunsAhead) -> None:
    run = corpus.result(path)
    case, workdir, output = run.case, run.workdir, run.output
    lines = output.splitlines()
    context = (f"{case.name}: {case.description} ({run.seconds:.0f} s)\n"
               f"--- output (tail) ---\n{output[-4000:]}")

    if case.outcome == "error":
        assert run.returncode != 0, context
    else:
        assert run.returncode == 0, context
    assert TRACEBACK not in output, context
    for fragments in case.lines:
        wanted = [_marked(f, run.marks) for f in fragments]
        assert any(all(f in line for f in wanted) for line in lines), \
            f"no output line holds all of {wanted}\n{context}"
    for fragment in case.absent:
        assert fragment not in output, f"{fragment!r} in the output\n{context}"

    before, after = run.before, digests(workdir)
    if case.outcome == "success":
        # An accepted input is published again: the database is rebuilt (a cache, never
        # compared byte for byte); the tables are the contract.
        after, before = ({k: v for k, v in d.items() if k != str(PUBLISHED_DB)}
                         for d in (after, before))
    if case.published == "unchanged":
        assert after == before, f"published files changed\n{context}"
    else:
        assert after != before, f"published tables unchanged\n{context}"
    assert published_files(workdir) == list(COMMITTED_AUDIT), "a temporary file was left in results/audit"
    for row in case.rows:
        published = _published_row(workdir, row["table"], row["match"])
        for column, value in row["expect"].items():
            assert published[column] == str(value), (column, published[column])
