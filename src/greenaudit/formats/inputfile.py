"""Open a workspace input: a regular file inside the workspace, reached without links.

Every file the audit reads from a workspace (sources, tables, the manifest,
raw/ignored.csv, schemas/*, the configuration) is opened here, so that a symbolic
link, a hard link, a device, a FIFO or a directory in their place can never make
the audit read (and publish) another file. The walk opens each directory of the
path relative to the one before it with O_NOFOLLOW, then the file itself, and
checks with fstat that what was opened is a regular file of its own: no path
component can be swapped for a link between the check and the read. A refused
file is one located InputError that names it and never shows its content.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from greenaudit.errors import InputError

# The top-level directories of a workspace that hold inputs: the workspace root of
# a path is the directory above the last of them (see `split`).
INPUT_DIRS = ("raw", "schemas", "config")
# A source or table is text typed or archived by hand; a file this large is a mistake
# (or an attack), not a document.
MAX_INPUT_BYTES = 256 * 1024 * 1024
_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


def split(path: Path) -> tuple[Path, tuple[str, ...]]:
    """(workspace root, components below it) of an input path.

    The root is the directory above the last component named like one of
    INPUT_DIRS (`ws/raw/tables/x.csv` -> `ws`, `config/config.yaml` -> `.`); a path
    with none of them is taken relative to its own directory.
    """
    path = Path(path)
    parts = path.parts[:-1]
    cut = max((i for i, part in enumerate(parts) if part in INPUT_DIRS), default=None)
    if cut is None:
        return path.parent, (path.name,)
    return (Path(*parts[:cut]) if cut else Path(".")), path.parts[cut:]


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _refused(display: str, what: str) -> InputError:
    return InputError(f"is {what}; expected a regular file inside the workspace "
                      f"(no link, device, FIFO or directory)", file=display)


def _open_fd(path: Path) -> tuple[int, str]:
    """A file descriptor of the checked file, and its name for messages."""
    display = str(path)
    base, parts = split(path)
    if not parts or any(p in ("", ".", "..", "/") for p in parts):
        raise InputError("is not a path inside the workspace", file=display)
    try:
        # The workspace itself may be reached through a link (a checkout under /tmp).
        directory = os.open(base, _DIR_FLAGS & ~os.O_NOFOLLOW)
    except FileNotFoundError:
        raise InputError("file not found", file=display) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", file=display) from None
    try:
        for index, name in enumerate(parts):
            last = index == len(parts) - 1
            try:
                info = os.stat(name, dir_fd=directory, follow_symlinks=False)
            except FileNotFoundError:
                raise InputError("file not found", file=display) from None
            except NotADirectoryError:
                raise _refused(display, f"below {Path(*parts[:index])}, which is not a directory") \
                    from None
            if not last and not stat.S_ISDIR(info.st_mode):
                where = Path(*parts[:index + 1])
                raise _refused(display, f"below {where}, which is {_kind(info.st_mode)}")
            if last and not stat.S_ISREG(info.st_mode):
                raise _refused(display, _kind(info.st_mode))
            try:
                fd = os.open(name, _FLAGS if last else _DIR_FLAGS, dir_fd=directory)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
                    raise _refused(display, "a symbolic link") from None
                raise InputError(f"cannot be read ({exc.strerror})", file=display) from None
            opened = os.fstat(fd)
            if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
                os.close(fd)
                raise _refused(display, "a file that changed while it was opened")
            os.close(directory)
            directory = fd
        if opened.st_nlink > 1:
            raise _refused(display, f"a hard link ({opened.st_nlink} names for one file), "
                                    f"which can stand for a file outside the workspace")
        if opened.st_size > MAX_INPUT_BYTES:
            raise InputError(f"is {opened.st_size} bytes; expected at most {MAX_INPUT_BYTES}",
                             file=display)
        fd, directory = directory, -1
        return fd, display
    finally:
        if directory >= 0:
            os.close(directory)


def check_input(path: Path) -> None:
    """Raise the located InputError `read_input` would, without reading the file."""
    fd, _ = _open_fd(path)
    os.close(fd)


def read_input(path: Path) -> bytes:
    """The bytes of a workspace input, or a located InputError (see the module docstring)."""
    fd, display = _open_fd(path)
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            try:
                chunk = os.read(fd, 1 << 20)
            except OSError as exc:
                raise InputError(f"cannot be read ({exc.strerror})", file=display) from None
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_INPUT_BYTES:
                raise InputError(f"is larger than {MAX_INPUT_BYTES} bytes", file=display)
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def input_exists(path: Path) -> bool:
    """Whether anything (a file, a link, a directory...) is at `path`, links not followed."""
    return os.path.lexists(path)
