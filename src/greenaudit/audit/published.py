"""The published set: results/audit/ (tables, data package, database), switched at once, verified.

Everything publication writes lives in one directory: the tables and
datapackage.json (committed to git), the database `greenaudit.duckdb` and its
SHA-256 in `greenaudit.duckdb.sha256` (both ignored by git). results/greenaudit.duckdb
is a relative symbolic link to the database inside it.

`switch` writes the complete new set into a sibling directory, verifies it, and
exchanges the two directories in one atomic rename (Linux renameat2 with
RENAME_EXCHANGE; elsewhere two renames, with `recover` restoring the old set if a
kill falls between them). A reader, or a kill, sees the old set or the new one,
never a mix. The files of KEPT (CHANGES.md) are carried over; nothing else is.

`problems` says how the published set differs from what was published: a table
whose bytes or SHA-256 are not those datapackage.json records, a missing table, a
file nobody published, a database whose digest is not the one recorded, a link
that does not lead to it. The workflow asks at every run and republishes when there
is any; DuckDB opens the database, and reads every table, before it is published.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
from pathlib import Path

from greenaudit.cache.fingerprint import file_sha256
from greenaudit.formats.atomic import fsync_path
from greenaudit.cache.store import copy_hashed

DATABASE = "greenaudit.duckdb"
DATABASE_DIGEST = f"{DATABASE}.sha256"
DESCRIPTOR = "datapackage.json"
# Files of the published directory that publication does not write but keeps:
# written by `greenaudit diff --append`, committed with the tables.
KEPT = ("CHANGES.md",)


def _temporary(directory: Path, kind: str) -> Path:
    return directory.with_name(f".{directory.name}.{kind}")


# ------------------------------------------------------------------ verification

def table_problems(directory: Path) -> list[str]:
    """How the tables of `directory` differ from its datapackage.json (empty: none)."""
    descriptor = directory / DESCRIPTOR
    try:
        package = json.loads(descriptor.read_text(encoding="utf-8"))
        resources = {r["path"]: r for r in package["resources"]}
    except FileNotFoundError:
        return [f"{descriptor}: missing"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{descriptor}: unreadable ({type(exc).__name__})"]
    if not all(isinstance(name, str) and isinstance(r, dict) for name, r in resources.items()):
        return [f"{descriptor}: unreadable (a resource without a path)"]
    found = []
    for name, resource in sorted(resources.items()):
        path = directory / name
        if Path(name).name != name or not path.is_file() or path.is_symlink():
            found.append(f"{path}: missing or not a regular file")
            continue
        size = path.stat().st_size
        if size != resource.get("bytes") or f"sha256:{file_sha256(path)}" != resource.get("hash"):
            found.append(f"{path}: differs from the SHA-256 {DESCRIPTOR} records")
    known = {*resources, DESCRIPTOR, DATABASE, DATABASE_DIGEST, *KEPT}
    found += [f"{path}: not a published file" for path in sorted(directory.iterdir())
              if path.name not in known and not path.name.startswith(".")]
    return found


def database_problems(directory: Path, opened: bool = False) -> list[str]:
    """How the database of `directory` differs from its recorded digest; with `opened`,
    also whether DuckDB opens it and reads its tables."""
    database, digest = directory / DATABASE, directory / DATABASE_DIGEST
    if not database.is_file() or database.is_symlink():
        return [f"{database}: missing or not a regular file"]
    try:
        recorded = digest.read_text(encoding="ascii").split()[0]
    except (OSError, ValueError, IndexError):
        return [f"{digest}: missing or unreadable"]
    if file_sha256(database) != recorded:
        return [f"{database}: differs from the SHA-256 in {digest.name}"]
    if opened:
        import duckdb

        try:
            con = duckdb.connect(str(database), read_only=True)
            try:
                for (table,) in con.execute("SELECT table_name FROM information_schema.tables"
                                            " WHERE table_schema = 'main'").fetchall():
                    con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            finally:
                con.close()
        except duckdb.Error as exc:
            return [f"{database}: DuckDB cannot read it ({str(exc).splitlines()[0][:200]})"]
    return []


def link_problems(directory: Path) -> list[str]:
    link = directory.parent / DATABASE
    target = f"{directory.name}/{DATABASE}"
    if not link.is_symlink() or os.readlink(link) != target:
        return [f"{link}: not a link to {target}"]
    return []


def problems(directory: Path) -> list[str]:
    """Everything wrong with the published set in `directory` (results/audit)."""
    if directory.is_symlink() or not directory.is_dir():
        return [f"{directory}: missing or not a directory"]
    return table_problems(directory) + database_problems(directory) + link_problems(directory)


def damaged(directory: Path) -> list[str]:
    """The problems of a published set that exists (a missing one is simply not published:
    its declared outputs are missing, and the workflow publishes it anyway)."""
    if not (directory / DESCRIPTOR).exists():
        return []
    if not (directory / DATABASE).exists() and not (directory / DATABASE_DIGEST).exists():
        # Tables without a database: a fresh clone (the tables are committed).
        return table_problems(directory)
    return problems(directory)


def write_record(path: Path, directory: Path, repaired: list[str]) -> None:
    """The published files with their SHA-256, and what was found wrong before."""
    from greenaudit.formats.atomic import write_text_atomic

    lines = [f"republished: {problem}" for problem in repaired]
    lines += [f"{file_sha256(p)}  {p}" for p in sorted(directory.iterdir())
              if p.is_file() and not p.name.startswith(".")]
    write_text_atomic(path, "\n".join(lines) + "\n")


# ------------------------------------------------------------------ switching

def _exchange(new: Path, old: Path) -> bool:
    """Swap two directories in one rename (False: not supported here)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(new), at_fdcwd, os.fsencode(old), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(old))


def recover(directory: Path) -> None:
    """Finish what a kill between the two renames of the fallback switch left undone."""
    old = _temporary(directory, "old")
    if old.is_dir() and not directory.exists():
        os.replace(old, directory)
    shutil.rmtree(old, ignore_errors=True)


def _build(new: Path, directory: Path, tables: dict[str, Path], database: Path) -> None:
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    for name, source in tables.items():
        shutil.copyfile(source, new / name)
    digest = copy_hashed(database, new / DATABASE)
    (new / DATABASE_DIGEST).write_text(f"{digest}  {DATABASE}\n", encoding="ascii")
    for name in KEPT:
        kept = directory / name
        if kept.is_file() and not kept.is_symlink() and name not in tables:
            shutil.copy2(kept, new / name)
    wrong = table_problems(new) + database_problems(new, opened=True)
    if wrong:
        raise ValueError("; ".join(wrong))
    for path in new.iterdir():
        fsync_path(path)
    fsync_path(new)


def _link(directory: Path) -> None:
    link = directory.parent / DATABASE
    target = f"{directory.name}/{DATABASE}"
    if link.is_symlink() and os.readlink(link) == target:
        return
    tmp = _temporary(link, "link")
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, link)


def switch(directory: Path, tables: dict[str, Path], database: Path) -> None:
    """Publish `tables` ({name: staged file}) and `database` as the set in `directory`.

    Raises ValueError, before anything published changes, if the staged tables do
    not match their datapackage.json or DuckDB cannot read the database.
    """
    recover(directory)
    new = _temporary(directory, "new")
    try:
        _build(new, directory, tables, database)
        _link(directory)  # the link names a path inside `directory`, whichever set it holds
        if not directory.exists():
            os.replace(new, directory)
        elif not _exchange(new, directory):
            old = _temporary(directory, "old")
            os.replace(directory, old)
            os.replace(new, directory)
        fsync_path(directory.parent)
    finally:
        shutil.rmtree(new, ignore_errors=True)  # the old set, after an exchange
        recover(directory)
