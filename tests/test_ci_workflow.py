"""The GitHub Actions audit workflow and its local twin .ci/run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "audit.yml"
CI_RUN = REPO / ".ci" / "run"


def _check_jsonschema(path: Path) -> subprocess.CompletedProcess:
    # The schema is vendored in check-jsonschema: no network is needed.
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(path)],
                          capture_output=True, text=True, timeout=120)


def _readme_commands() -> list[str]:
    """The shell blocks of README.md's "The two commands" section."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _triggers(workflow: dict) -> dict:
    # YAML 1.1 reads the key `on` as the boolean True.
    return workflow.get("on", workflow.get(True))


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _run_lines(workflow: dict) -> list[str]:
    return [step["run"].strip() for step in _steps(workflow) if "run" in step]


def _ci_lines() -> list[str]:
    return [line.strip() for line in CI_RUN.read_text(encoding="utf-8").splitlines()]


def test_workflow_validates_against_the_github_schema():
    result = _check_jsonschema(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("old, new, complaint", [
    ("    runs-on: ubuntu-latest\n", "", "'runs-on' is a required property"),
    ('    - cron: "', '    - crontab: "', "'cron' is a required property"),
])
def test_schema_check_rejects_a_broken_workflow(tmp_path, old, new, complaint):
    text = WORKFLOW.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.yml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    result = _check_jsonschema(path)
    assert result.returncode != 0
    assert complaint in result.stdout


def test_triggers_schedule_and_concurrency(workflow):
    triggers = _triggers(workflow)
    assert {"push", "pull_request", "schedule"} <= set(triggers)
    cron = triggers["schedule"][0]["cron"]
    # Weekly: a fixed minute, hour and day of week, every week.
    minute, hour, day, month, weekday = cron.split()
    assert minute.isdigit() and hour.isdigit() and (day, month) == ("*", "*")
    assert weekday.isdigit()
    assert workflow["concurrency"]["group"]
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_steps_run_the_readme_commands(workflow):
    commands = _readme_commands()
    assert len(commands) == 2 and commands[0].startswith("pip install")
    runs = _run_lines(workflow)
    for command in commands:
        assert command in runs, command
    assert runs.index(commands[0]) < runs.index(commands[1])
    for check in ("snakemake --lint", "git diff --exit-code results/audit",
                  "frictionless validate results/audit/datapackage.json"):
        assert check in runs, check


def test_ci_run_does_the_same_steps(workflow):
    ci_lines = _ci_lines()
    # .ci/run may run as root (no sudo) or not: it writes `$SUDO` where the runner has sudo.
    runs = [line.replace("sudo ", "$SUDO ", 1) if line.startswith("sudo ") else line
            for run in _run_lines(workflow) for line in run.splitlines()]
    for run in runs:
        if "GITHUB_" in run:
            # GitHub-only plumbing around a command that .ci/run also runs.
            command = " ".join(run.split()[:2])
            assert any(line.startswith(command) for line in ci_lines), run
        else:
            assert run in ci_lines, run


def test_artifacts_and_summary_survive_a_failure(workflow):
    steps = _steps(workflow)
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    paths = "\n".join(s["with"]["path"] for s in uploads)
    for path in ("results/report/", "results/validation/", "results/logs/"):
        assert path in paths
    summary = next(s for s in steps if "greenaudit summary" in s.get("run", ""))
    assert '>> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    assert all(s.get("if") == "always()" for s in uploads + [summary])
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # greenaudit diff reads earlier commits
