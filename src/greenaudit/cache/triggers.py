"""Rule parameters that make Snakemake rerun a rule when what it computes from changes.

Snakemake reruns a job whose parameters differ from those it recorded when the job
last ran (the `params` rerun trigger, on by default). Two parameters make that
follow content, not modification times:

* `code`: the fingerprint of the greenaudit code its command runs (the command
  line module with its top-level imports and its handler's, not the other
  handlers'), so a change in one stage's module reruns the
  rules whose command imports it, and the rules after them, and nothing before;
* `inputs`: the fingerprint of the rule's input files from the workspace (raw/,
  schemas/), so an edited input is audited even when results/ carries later
  modification times than the edit (a restored backup, a skewed clock). Files
  under results/ are left out: each is an output of a job that reruns first.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from pathlib import Path

from .fingerprint import (digest_code, file_sha256, fingerprint, imports_in, module_file,
                          module_files, source_text)

RESULTS = "results"
_digests: dict[str, str] = {}


def _function_imports(function) -> set[str]:
    """The greenaudit modules the body of `function` imports."""
    return imports_in(inspect.getsource(function), function.__module__, False)


@lru_cache(maxsize=1)
def _handlers() -> dict:
    """{subcommand: the function running it}, as the command line parser declares them."""
    from greenaudit.cli import build_parser  # only here: the adapters' keys must not reach the parser

    parser = build_parser()
    return {name: sub.get_default("func") for action in parser._actions  # noqa: SLF001
            if isinstance(action.choices, dict) for name, sub in action.choices.items()}


@lru_cache(maxsize=None)
def command_fingerprint(command: str) -> str:
    """The code a `greenaudit <command>` run executes: the command line module with its
    top-level imports and its handler's (not the other handlers')."""
    handler = _handlers()[command]
    cli = handler.__module__
    # The parser's own imports (the report's limits) only describe options.
    top = imports_in(source_text(module_file(cli)), cli, False, top_level=True)
    imported = top | _function_imports(handler)
    return digest_code(module_files([cli], {cli: imported}))


def code(command: str) -> str:
    """The `code` parameter of a rule running `greenaudit <command>`."""
    return command_fingerprint(command)


def _digest(path: str) -> str:
    # One Snakemake process reads each file once, however many jobs list it.
    if path not in _digests:
        try:
            _digests[path] = file_sha256(Path(path))
        except FileNotFoundError:
            _digests[path] = "missing"
        except OSError as exc:
            _digests[path] = f"unreadable {type(exc).__name__}"
    return _digests[path]


def _paths(group, wildcards):
    if callable(group):
        group = group(wildcards)
    if isinstance(group, dict):
        group = list(group.values())
    if isinstance(group, (list, tuple)):
        return [p for item in group for p in _paths(item, wildcards)]
    return [str(group)]


def inputs(*groups):
    """The `inputs` parameter: a function of a job's wildcards (Snakemake compares a
    parameter computed from `input` only through the input file names) giving the
    fingerprint of the files `groups` name: paths, lists or dicts of them, or
    functions of the wildcards returning those. Files under results/ are left out."""
    def parameter(wildcards) -> str:
        files = sorted({p for group in groups for p in _paths(group, wildcards)
                        if Path(p).parts[:1] != (RESULTS,)})
        return fingerprint({path: _digest(path) for path in files})

    return parameter
