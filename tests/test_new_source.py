"""A source added to raw/ breaks no test: the tests that assert facts of the seeds
(marker `seeds`) read the frozen copy in tests/data/seeds/, not the live corpus.

The proof runs them again, in a copy of the repository whose raw/ has a sixth source
(tests/new_source.py) that restates the seeds' headline figures and adds new ones. The
fast ones, that is: they include those that read the seeds built once
(`built_workspace`, which checks the build against the frozen tables).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from new_source import add_source
from workflow_support import REPO, SEEDS

from greenaudit.stage.source import stage_source
from greenaudit.workflow import listed_sources

# Left behind: git's data, the products of runs, caches and the installed metadata.
NOT_COPIED = shutil.ignore_patterns(".git", ".snakemake", "__pycache__", ".pytest_cache",
                                    ".hypothesis", "*.egg-info")


def _copy_repository(dest: Path) -> Path:
    shutil.copytree(REPO, dest, ignore=NOT_COPIED)
    for entry in (dest / "results").iterdir():
        if entry.name != "audit":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    return dest


def test_a_new_source_is_a_valid_addition_to_the_seeds(tmp_path: Path) -> None:
    """The generated source is one the audit accepts, and it changes the seeds' facts."""
    for name in ("raw", "schemas", "config"):
        shutil.copytree(SEEDS / name, tmp_path / name)
    source_id = add_source(tmp_path, seed=3)
    assert re.fullmatch(r"005_[0-9a-f]{16}", source_id)
    assert len(listed_sources(tmp_path)) == 6
    staged = stage_source(tmp_path, source_id)
    assert [c.check_id for c in staged.checks if c.status != "pass"] == []
    with open(tmp_path / "raw" / "tables" / f"{source_id}.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {o["evidence"] for o in staged.observations} == {"verified"}
    assert len(staged.observations) == len(rows) >= 5
    assert ("hi_tech_mfg_share", "2022") in {(r["indicator_id"], r["period"]) for r in rows}


@pytest.mark.slow
def test_the_seed_tests_pass_in_a_repository_with_a_sixth_source(tmp_path: Path) -> None:
    copy = _copy_repository(tmp_path / "repo")
    add_source(copy, seed=1)
    assert len(listed_sources(copy)) == 6
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(copy / "src"), os.environ.get("PYTHONPATH", "")) if p)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--basetemp", str(tmp_path / "pytest"), "-m", "seeds and not slow"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=1800)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 300, output[-2000:]
    assert not re.search(r"\d+ (failed|error)", output), output[-3000:]
