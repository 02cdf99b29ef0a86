"""What the Snakefile calls outside jobs: checks made while it is parsed, and the error report.

A problem found while Snakemake parses the workflow (a configuration key typo, a
malformed manifest) would surface as a Python traceback; here it is printed as one
located line, `greenaudit: error: file:line:column: what was expected`, and the run
ends with exit status 1 before any job starts.

A failing job writes its one-line error into its log file, where Snakemake does not
show it; `report_run` (the workflow's `onsuccess` and `onerror` handler) ends the run
with its closing block (greenaudit.closing): published or not, the errors' located
lines, those of the failed jobs, the report and the logs.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import yaml
from jsonschema import Draft202012Validator

from greenaudit.formats import yamlfile
from greenaudit.errors import GreenauditError, InputError, excerpt, shorten
from greenaudit.formats.inputfile import check_input
from greenaudit.workspace.manifest import MANIFEST_COLUMNS, load_manifest
from greenaudit.suggest import did_you_mean

T = TypeVar("T")
REPORT_PREFIX = "greenaudit: "
ERROR_PREFIX = f"{REPORT_PREFIX}error: "
# The workspace files every job may read besides the sources and tables.
WORKSPACE_INPUTS = ("raw/ignored.csv", "schemas/indicators.yaml", "schemas/known_discrepancies.yaml",
                    "schemas/rules.yaml", "schemas/units.yaml", "schemas/units.txt")


def exit_on_input_error(func: Callable[..., T], *args) -> T:
    """func(*args); a GreenauditError ends the process with its one located line."""
    try:
        return func(*args)
    except GreenauditError as exc:
        print(f"{ERROR_PREFIX}{exc.located()}", file=sys.stderr)
        raise SystemExit(1) from None
    except OSError as exc:   # a full or unreadable disk: one line naming the file
        print(f"{ERROR_PREFIX}{os_error(exc)}", file=sys.stderr)
        raise SystemExit(1) from None


def os_error(exc: OSError) -> str:
    """`file: what the system said` for an OSError (ENOSPC, EACCES, EIO...)."""
    name = exc.filename if exc.filename is not None else "results/"
    return f"{name}: {exc.strerror or type(exc).__name__}"


def listed_sources(workspace: Path) -> list[str]:
    """The manifest's source ids, each with its document and table, and no unlisted file.

    The workflow declares both files as inputs; without this check a missing one
    would stop Snakemake with a multi-line MissingInputException instead of naming
    the manifest row that expects it, and a file without a manifest row, being no
    job's input, would not even make Snakemake rerun.
    """
    manifest = workspace / "raw" / "sources.csv"
    sources = load_manifest(workspace)
    for source in sorted(sources.values(), key=lambda s: s.line):
        if not os.path.lexists(workspace / source.file):
            raise InputError(f"{source.file} does not exist; expected the document whose "
                             f"sha256 is {source.sha256}, or no manifest row for "
                             f"{source.source_id}", file=str(manifest), line=source.line,
                             column=MANIFEST_COLUMNS.index("file") + 1)
        table = f"raw/tables/{source.source_id}.csv"
        if not os.path.lexists(workspace / table):
            raise InputError(f"{table} does not exist; expected the transcription table of "
                             f"{source.source_id} (raw/TRANSCRIBING.md)", file=str(manifest),
                             line=source.line, column=1)
        # A link, FIFO or directory in their place: refused here, before any job reads it.
        check_input(workspace / source.file)
        check_input(workspace / table)
    for name in WORKSPACE_INPUTS:
        if os.path.lexists(workspace / name):
            check_input(workspace / name)
    for folder, suffix in (("sources", ".txt"), ("tables", ".csv")):
        for path in sorted((workspace / "raw" / folder).glob(f"*{suffix}")):
            if path.stem not in sources:
                raise InputError(f"no row for {path.stem} in raw/sources.csv"
                                 f"{did_you_mean(path.stem, sources)}; expected a manifest "
                                 f"row for every file in raw/{folder}/ (or no such file)",
                                 file=str(path))
    return sorted(sources)


def check_config_file(config_file: str | Path, schema_file: str | Path) -> None:
    """Refuse a configuration file that is not valid YAML or does not fit its schema."""
    exit_on_input_error(config_problem, Path(config_file), Path(schema_file))


def config_problem(config_file: Path, schema_file: Path) -> None:
    """Raise an InputError located in `config_file` for its first problem, if any."""
    node, data = yamlfile.compose(config_file)
    schema = yamlfile.load(schema_file)
    expected = ", ".join(schema.get("properties", {}))
    if data is None:
        raise InputError(f"empty; expected the keys {expected}", file=str(config_file), line=1)
    errors = sorted(Draft202012Validator(schema).iter_errors(data),
                    key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    if not errors:
        return
    error = errors[0]
    marks = _key_marks(node)
    path = ".".join(map(str, error.absolute_path))
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        unknown = sorted(k for k in map(str, error.instance) if k not in known)
        key = unknown[0]
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        line, column = marks.get(key, (None, None))
        raise InputError(f"unknown key {excerpt(key)}{hint}; expected the keys {expected}",
                         file=str(config_file), line=line, column=column)
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else error.message
        raise InputError(f"missing key {excerpt(name)}; expected the keys {expected}",
                         file=str(config_file), line=1)
    top = str(error.absolute_path[0]) if error.absolute_path else ""
    line, column = marks.get(top, (None, None))
    described = (schema.get("properties", {}).get(top) or {}).get("description")
    what = f" ({described})" if described else ""
    # jsonschema's message quotes the whole offending value: cut it.
    raise InputError(f"{path or 'configuration'}: {shorten(error.message, 200)}; expected {error.validator} "
                     f"{excerpt(error.validator_value)}{what}", file=str(config_file), line=line,
                     column=column)


def _key_marks(node) -> dict[str, tuple[int, int]]:
    """Top-level keys of a YAML mapping node -> (line, column) of the key, 1-based."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(key.value): (key.start_mark.line + 1, key.start_mark.column + 1)
            for key, _ in node.value}


LOG_OF_FAILED_JOB = re.compile(r"^\s*log: (.+?) \(check log file\(s\) for error details\)\s*$")


def _run_logs(snakemake_log) -> list[Path]:
    # Snakemake 9 passes the list of its log files; older versions passed one path.
    if isinstance(snakemake_log, (str, Path)):
        snakemake_log = [snakemake_log]
    return [Path(p) for p in snakemake_log or [] if Path(p).is_file()]


def failed_jobs(snakemake_log) -> dict[str, list[str]]:
    """{job log: its error lines} of the jobs Snakemake reports as failed in its log.

    Each job's own report lines (`greenaudit: ...`) are taken from its log file; a
    job that failed without one (a crash) is represented by the last line of its log.
    """
    logs: list[str] = []
    for run_log in _run_logs(snakemake_log):
        for line in run_log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = LOG_OF_FAILED_JOB.match(line)
            if match:
                logs += [p for p in match[1].split(", ") if p not in logs]
    found: dict[str, list[str]] = {}
    for log in logs:
        path = Path(log)
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
        errors = [t for t in text if t.startswith(REPORT_PREFIX)]
        if not errors:
            last = next((t for t in reversed(text) if t.strip()), "")
            errors = [f"{ERROR_PREFIX}{log}: job failed: {last.strip()}"] if last else []
        found[log] = list(dict.fromkeys(errors))
    return found


def failed_job_errors(snakemake_log) -> list[str]:
    """The error lines of the jobs Snakemake reports as failed in its log of this run."""
    lines: list[str] = []
    for errors in failed_jobs(snakemake_log).values():
        lines += [e for e in errors if e not in lines]
    return lines


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def report_run(snakemake_log, started: float, succeeded: bool) -> None:
    """Print the run's closing block (the workflow's `onsuccess` and `onerror` handler)
    and write its full listing, every located line, where the block says it is."""
    from .closing import LISTING, Run, closing_block, listing
    from .formats.atomic import write_text_atomic

    run = Run(started, succeeded, failed_jobs(snakemake_log) if not succeeded else {},
              [_relative(p) for p in _run_logs(snakemake_log)])
    block = closing_block(run)
    try:
        LISTING.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(LISTING, "\n".join([block[0], *listing(run)]) + "\n")
    except OSError as exc:   # the verdict is still printed
        block.append(f"{ERROR_PREFIX}{os_error(exc)}")
    print("\n" + "\n".join(block), file=sys.stderr, flush=True)
