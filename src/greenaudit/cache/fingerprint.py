"""One fingerprint function: the digest of everything a result was computed from.

`fingerprint(*parts)` digests text, numbers, bytes, file contents (a `Path` stands
for the bytes of that file; an `Input` for a workspace input as the stages read it)
and nested tuples, lists and dicts of them, each
tagged with its type and length so that no two different inputs share an
encoding. Cache keys, the workflow's rule parameters and the store's payload
digests are all made with it.

`code_fingerprint(*modules)` digests the greenaudit code that the named modules
reach through their imports (found by reading the sources, not by importing
them), the package data beside it, the Python version and the versions of the
libraries whose results are cached. triggers.command_fingerprint does the same for
one `greenaudit` subcommand.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import metadata
from pathlib import Path

PACKAGE = "greenaudit"
ROOT = Path(__file__).resolve().parents[1]
# Bump when the layout of any cache entry changes.
FORMAT = "greenaudit-cache/2"
# Third-party code whose results are cached or published.
LIBRARIES = ("duckdb", "numpy", "pandas", "pandera", "pint", "opencc", "pyarrow", "pyyaml",
             "google-re2", "great_expectations", "matplotlib", "jinja2")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Input:
    """A workspace input, digested as formats.inputfile.read_input reads it: a link, FIFO
    or directory in its place is digested as refused, never followed or read."""

    path: Path


def _feed(digest, part) -> None:
    """Feed one part, tagged with its type and length (recursively for containers)."""
    if part is None or isinstance(part, bool):
        digest.update(b"N" if part is None else (b"T" if part else b"F"))
    elif isinstance(part, (int, Decimal, float)):
        text = repr(part).encode()
        digest.update(b"n%d:" % len(text) + text)
    elif isinstance(part, str):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(b"s%d:" % len(data) + data)
    elif isinstance(part, (bytes, bytearray, memoryview)):
        digest.update(b"b%d:" % len(part))
        digest.update(part)
    elif isinstance(part, Path):
        _feed_file(digest, part)
    elif isinstance(part, Input):
        _feed_input(digest, part.path)
    elif isinstance(part, (tuple, list)):
        digest.update(b"l%d:" % len(part))
        for item in part:
            _feed(digest, item)
    elif isinstance(part, dict):
        digest.update(b"d%d:" % len(part))
        for key, value in sorted(part.items(), key=lambda item: repr(item[0])):
            _feed(digest, key)
            _feed(digest, value)
    else:
        raise TypeError(f"cannot fingerprint a {type(part).__name__}")


def _feed_file(digest, path: Path) -> None:
    """A file's bytes; a missing or unreadable file is a part of its own (never an error)."""
    try:
        with open(path, "rb") as handle:
            data = hashlib.file_digest(handle, "sha256").digest()
    except FileNotFoundError:
        digest.update(b"f-missing")
    except OSError as exc:
        digest.update(f"f-unreadable {type(exc).__name__}".encode())
    else:
        digest.update(b"f" + data)


def _feed_input(digest, path: Path) -> None:
    from greenaudit.errors import InputError
    from greenaudit.formats.inputfile import read_input

    try:
        data = read_input(Path(path))
    except InputError as exc:
        digest.update(f"i-refused {exc.reason}".encode())
    else:
        digest.update(b"i%d:" % len(data))
        digest.update(hashlib.sha256(data).digest())


def fingerprint(*parts) -> str:
    """The hex SHA-256 of `parts` (a Path stands for its file's bytes, an Input for a
    workspace input as read)."""
    digest = hashlib.sha256(FORMAT.encode())
    _feed(digest, list(parts))
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes (what the store records of each payload file)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# ------------------------------------------------------------------ code

def module_file(name: str) -> Path | None:
    """The source of a greenaudit module or package, found without importing it."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = ROOT.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


# Import statements, read from the text (parsing every module would take longer
# than the whole check); a match inside a string only adds a module, which is safe.
_FROM = re.compile(r"^([ \t]*)from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.M)
_IMPORT = re.compile(r"^([ \t]*)import[ \t]+([^\n#;]*)", re.M)


def imports_in(text: str, module: str, is_package: bool, top_level: bool = False) -> set[str]:
    """The greenaudit modules the import statements of `text` (in `module`) may load."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for indent, dots, name, names in _FROM.findall(text):
        if top_level and indent:
            continue
        if dots:
            base = package.split(".")
            base = base[:len(base) - len(dots) + 1]
            target = ".".join(base + ([name] if name else []))
        else:
            target = name
        found.add(target)
        # `from . import x`: x may be a module of its own.
        for alias in names.strip("()").split(","):
            if alias.split():
                found.add(f"{target}.{alias.split()[0]}")
    for indent, names in _IMPORT.findall(text):
        if not (top_level and indent):
            found.update(alias.split()[0] for alias in names.split(",") if alias.split())
    return {n for n in found if n.split(".")[0] == PACKAGE}


def _parents(name: str) -> list[str]:
    """The packages that importing `name` runs first."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def module_files(names, partial: dict[str, set[str]] | None = None) -> set[Path]:
    """The files of the modules `names` and of every greenaudit module they import.

    A package that is only the parent of an imported module counts with its own
    file, not with what it imports. A module named in `partial` is taken to import
    only the modules listed for it (one function of the command line module).
    """
    partial = partial or {}
    files: set[Path] = set()
    pending, seen = list(names), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name)
        if path is None:
            continue
        files.add(path)
        files.update(f for f in map(module_file, _parents(name)) if f is not None)
        pending.extend(partial[name] if name in partial else _module_imports(name, path))
    return files


@lru_cache(maxsize=None)
def source_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def _module_imports(name: str, path: Path) -> frozenset[str]:
    return frozenset(imports_in(source_text(path), name, path.name == "__init__.py"))


def _package_data(files: set[Path]) -> set[Path]:
    """Non-Python files of the packages among `files` (templates), outside subpackages."""
    data: set[Path] = set()
    for init in (f for f in files if f.name == "__init__.py"):
        for path in init.parent.rglob("*"):
            if (path.is_file() and path.suffix not in (".py", ".pyc")
                    and "__pycache__" not in path.parts
                    and not any((parent / "__init__.py").is_file()
                                for parent in path.parents if init.parent in parent.parents)):
                data.add(path)
    return data


@lru_cache(maxsize=1)
def library_versions() -> tuple[str, ...]:
    """Python's version and LIBRARIES' (looked up once: each lookup reads metadata files)."""
    versions = [sys.version]
    for name in LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    return tuple(versions)


def digest_code(files: set[Path]) -> str:
    digest = hashlib.sha256(FORMAT.encode())
    _feed(digest, library_versions())
    for path in sorted(files | _package_data(files)):
        _feed(digest, path.relative_to(ROOT).as_posix())
        _feed(digest, path)
    return digest.hexdigest()


@lru_cache(maxsize=None)
def code_fingerprint(*modules: str) -> str:
    """The code reached from `modules` (dotted names; none: the whole package)."""
    unknown = [m for m in modules if module_file(m) is None]
    if unknown:  # a moved module would otherwise fingerprint nothing, and never change
        raise ValueError(f"no greenaudit module {', '.join(unknown)}")
    if modules:
        files = module_files(modules)
    else:
        files = {p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts}
    return digest_code(files)
