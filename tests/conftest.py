"""Shared fixtures: the frozen seed corpus, its unit vocabulary and a parser for it, and
the seeds built once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from workflow_support import SEEDS

from greenaudit.text.quantity import QuantityParser
from greenaudit.text.units import UnitSystem


# Property tests explore new random examples on every local run. A CI audit sets
# GREENAUDIT_HYPOTHESIS=ci for the same examples on every run, so that the
# scheduled audit reports the data, not a newly drawn example.
settings.register_profile("ci", derandomize=True)
if os.environ.get("GREENAUDIT_HYPOTHESIS") == "ci":
    settings.load_profile("ci")

# What marks a test as reading the frozen seed corpus (marker `seeds`): a fixture that
# serves it, or a module that names it. tests/test_new_source.py runs these tests again
# in a copy of the repository with a source added to its raw/.
SEED_FIXTURES = {"seed_workspace", "schemas_dir", "units", "parser", "workspace_copy",
                 "built_workspace", "seed_database"}
SEED_NAMES = {"SEEDS", "SEED_AUDIT", "copy_inputs", "fresh_clone"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        if (SEED_FIXTURES & set(getattr(item, "fixturenames", ()))
                or (module is not None and SEED_NAMES & set(vars(module)))):
            item.add_marker(pytest.mark.seeds)


@pytest.fixture(scope="session")
def seed_workspace() -> Path:
    """The frozen seed corpus (tests/data/seeds/: raw/, schemas/, config/ and the tables
    they publish); tests read it, never write it."""
    return SEEDS


@pytest.fixture(scope="session")
def schemas_dir(seed_workspace: Path) -> Path:
    return seed_workspace / "schemas"


@pytest.fixture(scope="session")
def units(schemas_dir: Path) -> UnitSystem:
    """The seeds' vocabulary of schemas/units.yaml and registry of schemas/units.txt."""
    return UnitSystem.load(schemas_dir)


@pytest.fixture(scope="session")
def parser(units: UnitSystem) -> QuantityParser:
    return QuantityParser.for_units(units.written)


@pytest.fixture()
def workspace_copy(tmp_path: Path, seed_workspace: Path) -> Path:
    """A copy of the seeds' inputs (raw/, schemas/) that a test may change."""
    import shutil

    for name in ("raw", "schemas"):
        shutil.copytree(seed_workspace / name, tmp_path / name)
    return tmp_path


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory all of this run's test processes share: the run's base temporary
    directory (pytest-xdist gives each worker its own below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def built_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds as a fresh clone has them, built and published once per run
    (PYTHONHASHSEED=0, one thread) and checked against their published tables.

    Built by the first test process to ask for it, under a lock, and shared by all (with
    pytest-xdist, by every worker). Tests only read it: one that runs the workflow or
    changes a file works on a copy (workflow_support.copy_workspace).
    """
    from workflow_support import built_once, differing_tables, fresh_clone, snakemake, \
        snakemake_env

    def build(workdir: Path) -> None:
        fresh_clone(workdir)
        env = snakemake_env(PYTHONHASHSEED="0", OMP_NUM_THREADS="1")
        result = snakemake(workdir, "--cores", "2", env=env)
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
        assert differing_tables(workdir) == []

    return built_once(shared_dir(tmp_path_factory) / "seeds-built", build)


@pytest.fixture(scope="session")
def seed_database(tmp_path_factory: pytest.TempPathFactory, seed_workspace: Path) -> Path:
    """The seeds' database as the workflow's staging and build-db jobs write it, made once
    per run in this process by the commands those jobs run (no Snakemake, no validation),
    for tests of what reads the database. Tests copy it before changing it."""
    from workflow_support import built_once

    from greenaudit.cli import main
    from greenaudit.workspace.manifest import source_ids

    def build(root: Path) -> None:
        root.mkdir(parents=True)
        stage = root / "staging"
        products = {name: stage / f"{name}.parquet" for name in
                    ("transcriptions", "observations", "checks", "findings", "coverage")}
        options = [item for name, path in products.items() for item in (f"--{name}", str(path))]
        assert main(["stage", *source_ids(seed_workspace), "--workspace", str(seed_workspace),
                     *options, "--normalised-dir", str(stage / "normalised")]) == 0
        assert main(["build-db", "--workspace", str(seed_workspace), "--out",
                     str(root / "greenaudit.duckdb"), *options]) == 0

    return built_once(shared_dir(tmp_path_factory) / "seeds-database", build) / \
        "greenaudit.duckdb"
