"""A code change reruns exactly the rules whose command runs the changed module, and what follows.

Each rule's parameters carry the fingerprint of the code its `greenaudit` command
reaches through its imports (greenaudit.cache.triggers). Shown on a built
workspace with Snakemake's records: the package is copied, one module changed in
the copy, and `snakemake --dry-run` run with the copy first on PYTHONPATH.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from workflow_support import REPO, snakemake, snakemake_env

pytestmark = pytest.mark.slow

ALL_RULES = {"stage_shard", "build_database", "validate_pandera", "validate_gx",
             "export_tables", "assemble_audit", "render_report", "publish"}
AFTER_VALIDATION = {"assemble_audit", "render_report", "publish"}
RERUNS = {
    None: set(),  # the same code elsewhere on disk: nothing to do
    "validate/pandera.py": {"validate_pandera"} | AFTER_VALIDATION,
    "validate/gx/run.py": {"validate_gx"} | AFTER_VALIDATION,
    "audit/publish.py": {"export_tables"} | AFTER_VALIDATION,
    "report/charts.py": {"render_report", "publish"},
    "database/build.py": ALL_RULES - {"stage_shard"},
    "audit/formula.py": {"export_tables"} | AFTER_VALIDATION,
    "text/normalise.py": ALL_RULES,  # staging's text kernel: the first rule reruns
}


def _planned(output: str) -> set[str]:
    """The rules of the dry run's job table (without `all`)."""
    if "Nothing to be done" in output:
        return set()
    table = output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {m[1] for m in re.finditer(r"^(\w+)\s+\d+$", table, re.M)} - {"all"}


@pytest.fixture(scope="module")
def recorded(built_workspace: Path, tmp_path_factory) -> Path:
    """A copy of the built workspace with Snakemake's records (what a rerun compares)."""
    dest = tmp_path_factory.mktemp("reruns") / "ws"
    shutil.copytree(built_workspace, dest, symlinks=True)
    return dest


@pytest.mark.parametrize("module", list(RERUNS), ids=[str(m) for m in RERUNS])
def test_a_module_change_reruns_its_stage_and_what_follows_only(recorded: Path, tmp_path: Path,
                                                                module: str | None) -> None:
    package = tmp_path / "src"
    shutil.copytree(REPO / "src" / "greenaudit", package / "greenaudit",
                    ignore=shutil.ignore_patterns("__pycache__"))
    if module is not None:
        with open(package / "greenaudit" / module, "a", encoding="utf-8") as handle:
            handle.write("\nCHANGED_BY_THE_TEST = True\n")
    env = snakemake_env()
    env["PYTHONPATH"] = os.pathsep.join([str(package), env["PYTHONPATH"]])
    result = snakemake(recorded, "--dry-run", "--cores", "2", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert _planned(output) == RERUNS[module], output[-3000:]
    if module is not None:
        assert "Params have changed since last execution" in output
