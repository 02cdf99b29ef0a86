"""Write files and directories so that a reader sees the old version or the new one, never half.

Every output is written to a temporary name beside its target (same directory, so
same file system), flushed to disk, and renamed over the target: os.replace is
atomic on POSIX. A failure or a kill leaves the target as it was; the temporary
file is removed on failure, and a leftover from a killed process (the target's
name, dot-prefixed, with .tmp) is replaced by the next write of that target.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_path(path: Path, kind: str = "tmp") -> Path:
    """The hidden name `path` is written under before the rename.

    One fixed name per target: Snakemake lets one job at a time write an output,
    and the rerun of a killed job overwrites (and so removes) what it left.
    """
    return path.with_name(f".{path.name}.{kind}")


def fsync_path(path: Path) -> None:
    """Flush a file or a directory (a rename is durable once its directory is)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `path`, on failure it goes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        if not tmp.is_file():
            raise FileNotFoundError(f"{tmp}: nothing was written for {path}")
        fsync_path(tmp)
        os.replace(tmp, path)
        fsync_path(path.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text exactly as given (no newline translation)."""
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def copy_atomic(source: Path, target: Path) -> None:
    """Copy `source` byte for byte to `target`, atomically."""
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def replace_directory(built: Path, path: Path) -> None:
    """Put the finished directory `built` in the place of `path` (same parent directory).

    A directory cannot be renamed over a non-empty one, so the old one is first
    renamed aside: between the two renames `path` is briefly absent, never partial.
    """
    old = temp_path(path, "old")
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        os.replace(path, old)
    os.replace(built, path)
    fsync_path(path.parent)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def atomic_directory(path: Path) -> Iterator[Path]:
    """Yield an empty temporary directory; on success it takes the place of `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_directory(tmp, path)
