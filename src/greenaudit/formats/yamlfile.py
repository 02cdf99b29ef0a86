"""Read the project's hand-edited YAML files with located, one-line errors."""

from __future__ import annotations

from pathlib import Path

import yaml

from greenaudit.formats.csvfile import decode
from greenaudit.errors import InputError

# libyaml's parser where available: the pure-Python one is much slower on the catalog.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path) -> str:
    """The file's text; a missing, unreadable or non-UTF-8 file is a located InputError."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror}); expected a YAML file",
                         file=str(path)) from None
    return decode(Path(path), data)


def syntax_error(path: Path, exc: yaml.YAMLError) -> InputError:
    """`file:line:column: YAML syntax error: ...` from PyYAML's marks (1-based)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    context_mark = getattr(exc, "context_mark", None)
    detail = ""
    if context and context_mark is not None:
        detail = f" ({context} at line {context_mark.line + 1}, column {context_mark.column + 1})"
    return InputError(f"YAML syntax error: {problem}{detail}", file=str(path),
                      line=mark.line + 1 if mark else None,
                      column=mark.column + 1 if mark else None)


def compose(path: Path, text: str | None = None) -> tuple[yaml.Node | None, object]:
    """The node tree (for line numbers) and the data of a YAML file."""
    text = read_text(path) if text is None else text
    try:
        return yaml.compose(text, Loader=LOADER), yaml.load(text, Loader=LOADER)
    except yaml.YAMLError as exc:
        raise syntax_error(path, exc) from None
    except ValueError as exc:  # e.g. a YAML 1.1 timestamp that is not a date (2023-02-30)
        raise InputError(f"YAML value error: {exc}", file=str(path)) from None
    except RecursionError:
        raise InputError("YAML nested too deeply", file=str(path)) from None


def load(path: Path) -> object:
    return compose(path)[1]
