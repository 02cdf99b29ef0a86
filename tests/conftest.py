"""Shared fixtures: the repository root, its real unit vocabulary and a parser for it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from greenaudit.text.quantity import QuantityParser
from greenaudit.text.units import UnitSystem


# Property tests explore new random examples on every local run. A CI audit sets
# GREENAUDIT_HYPOTHESIS=ci for the same examples on every run, so that the
# scheduled audit reports the data, not a newly drawn example.
settings.register_profile("ci", derandomize=True)
if os.environ.get("GREENAUDIT_HYPOTHESIS") == "ci":
    settings.load_profile("ci")

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def schemas_dir(repo_root: Path) -> Path:
    return repo_root / "schemas"


@pytest.fixture(scope="session")
def units(schemas_dir: Path) -> UnitSystem:
    """The real vocabulary of schemas/units.yaml and registry of schemas/units.txt."""
    return UnitSystem.load(schemas_dir)


@pytest.fixture(scope="session")
def parser(units: UnitSystem) -> QuantityParser:
    return QuantityParser.for_units(units.written)


@pytest.fixture()
def workspace_copy(tmp_path: Path, repo_root: Path) -> Path:
    """A copy of the inputs (raw/, schemas/) that a test may change."""
    import shutil

    for name in ("raw", "schemas"):
        shutil.copytree(repo_root / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def built_workspace(tmp_path_factory) -> Path:
    """A fresh clone built and published once per session (PYTHONHASHSEED=0, one thread).

    Tests that break an input copy it rather than rebuilding from scratch.
    """
    from workflow_support import differing_tables, fresh_clone, snakemake, snakemake_env

    workdir = fresh_clone(tmp_path_factory.mktemp("built") / "ws")
    env = snakemake_env(PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
    result = snakemake(workdir, "--cores", "2", env=env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert differing_tables(workdir) == []
    return workdir
