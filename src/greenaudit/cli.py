"""The `greenaudit` command: the entry point every workflow rule calls.

Each subcommand is one stage of the workflow. Input problems are reported as one
located line (`file:line:column: what was expected`), never as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .errors import GreenauditError



def build_parser() -> argparse.ArgumentParser:
    from greenaudit.commands import tools, workflow

    parser = argparse.ArgumentParser(prog="greenaudit", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--memory-mb", type=int, default=None, metavar="MB",
                        help="the memory this job may use (the rule's mem_mb resource): "
                             "DuckDB keeps within a share of it")
    sub = parser.add_subparsers(dest="command", required=True)
    workflow.register(sub)
    tools.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    return execute(build_parser().parse_args(argv))


def execute(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    from greenaudit.formats.duckdb_memory import set_job_memory

    set_job_memory(getattr(args, "memory_mb", None))
    try:
        return args.func(args)
    except GreenauditError as exc:
        print(f"greenaudit: error: {exc.located()}", file=sys.stderr)
        return 2
    except OSError as exc:
        # A full disk (ENOSPC) or an unwritable results/: one line naming the file, not
        # a traceback; every output is written beside its target and renamed, so
        # nothing half-written is left in place.
        from greenaudit.workflow import os_error

        print(f"greenaudit: error: {os_error(exc)}", file=sys.stderr)
        return 2


class _WithoutPandas:
    """An import finder that refuses pandas, so pyarrow takes it for absent: pyarrow
    imports pandas on its first conversion of Python values when it can."""

    @staticmethod
    def find_spec(name: str, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"{name} is not used by this command", name=name)
        return None


def run() -> None:
    """The console entry point.

    A command marked `quick_exit` leaves the process without tearing the
    interpreter down: GX loads thousands of modules, and freeing them is a large
    share of a validation job. Such a command writes every output to a temporary name
    and renames it, holds no database open for writing, and has waited for its
    child processes, so nothing is lost by skipping the teardown. Logging is shut
    down and the standard streams flushed first; other commands exit normally.

    A command marked `without_pandas` (staging, which builds Arrow tables from Python
    values) runs with pandas refused, in its own process only: importing it would be
    a large share of the job, and nothing the command does needs it.
    """
    args = build_parser().parse_args()
    if getattr(args, "without_pandas", False) and "pandas" not in sys.modules:
        sys.meta_path.insert(0, _WithoutPandas)
    code = execute(args)
    if getattr(args, "quick_exit", False):
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
