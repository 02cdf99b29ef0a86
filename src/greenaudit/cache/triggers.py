"""Rule parameters that make Snakemake rerun a rule when what it computes from changes.

Snakemake reruns a job whose parameters differ from those it recorded when the job
last ran (the `params` rerun trigger, on by default). Two parameters make that
follow content, not modification times:

* `code`: the fingerprint of the greenaudit code its command runs
  (fingerprint.command_fingerprint), so a change in one stage's module reruns the
  rules whose command imports it, and the rules after them, and nothing before;
* `inputs`: the fingerprint of the rule's input files from the workspace (raw/,
  schemas/), so an edited input is audited even when results/ carries later
  modification times than the edit (a restored backup, a skewed clock). Files
  under results/ are left out: each is an output of a job that reruns first.
"""

from __future__ import annotations

from pathlib import Path

from .fingerprint import command_fingerprint, file_sha256, fingerprint

RESULTS = "results"
_digests: dict[str, str] = {}


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
