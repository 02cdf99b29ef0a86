"""The workflow through Snakemake's generic cluster executor: every job its own
detached process, as on a cluster, and the same published tables as a local run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from workflow_support import SEED_AUDIT, UNCOMMITTED_AUDIT, copy_inputs

COPIED = ("Snakefile", "config", "workflow", "raw", "schemas", "profiles")

pytestmark = pytest.mark.slow


def _workspace(root: Path) -> Path:
    return copy_inputs(root, COPIED)


def test_cluster_run_publishes_the_committed_tables(tmp_path: Path) -> None:
    pytest.importorskip("snakemake_executor_plugin_cluster_generic")
    workdir = _workspace(tmp_path / "workspace")
    submissions = tmp_path / "submissions.txt"
    result = subprocess.run(
        ["snakemake", "--profile", "profiles/local-cluster", "--quiet", "all"],
        cwd=workdir, capture_output=True, text=True, timeout=900,
        env={**os.environ, "GREENAUDIT_SUBMIT_LOG": str(submissions)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    published = sorted(p.name for p in SEED_AUDIT.iterdir() if p.is_file()
                       and p.name not in ("CHANGES.md", *UNCOMMITTED_AUDIT))
    for name in published:
        assert (workdir / "results" / "audit" / name).read_bytes() == \
            (SEED_AUDIT / name).read_bytes(), name
    # Every job was submitted as a job script and ran as its own process.
    jobs = submissions.read_text().splitlines()
    rules = {"stage_shard", "build_database", "validate_pandera", "validate_gx",
             "export_tables", "assemble_audit", "render_report", "publish"}
    assert {line.split()[1].split(".")[1] for line in jobs} >= rules
    assert len({line.split()[0] for line in jobs}) == len(jobs)  # one process each
