"""The one store of the build caches: verified entries, atomic writes, one entry per slot.

An entry lives in `root`/<namespace>/<slot>/: its payload files and entry.json,
which records the store's format, the entry's key, whatever the adapter needs to
know about the payload (`meta`) and the size and SHA-256 of every payload file.

* `load(slot, key, read)` reads an entry only if entry.json names this key and
  every file listed has its recorded size and digest (and no other file is
  there): one changed byte, whatever the file's size and modification time, and
  the entry is discarded. `read` gets the verified entry.
* `save(slot, key, write)` lets `write` fill a fresh temporary directory, records
  the digests, and renames the directory into the slot: a reader sees the old
  entry, the new one or none, never half of one. The slot's older entry goes.
* `retain(slots)` removes every other slot (and any stray file) of the namespace.

A cache costs speed, never correctness: any fault (an entry missing, damaged or
from another version, a payload its reader refuses, a disk that is full or read
only) is logged as a warning and the caller computes the result afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .fingerprint import file_sha256

log = logging.getLogger("greenaudit")

ENTRY = "entry.json"
FORMAT = "greenaudit-cache-entry/1"
CHUNK = 1 << 20
T = TypeVar("T")


class DamagedEntry(ValueError):
    """An entry whose record or payload is not what the store wrote."""


@dataclass(frozen=True)
class Entry:
    """A verified entry: its directory, key, the adapter's metadata and payload files."""

    path: Path
    key: str
    meta: dict = field(default_factory=dict)
    files: tuple[str, ...] = ()
    digests: dict = field(default_factory=dict)  # name -> SHA-256 recorded

    def file(self, name: str) -> Path:
        if name not in self.files:
            raise DamagedEntry(f"{self.path}: no payload file {name}")
        return self.path / name

    def read_bytes(self, name: str) -> bytes:
        return self.file(name).read_bytes()

    def read_json(self, name: str):
        return json.loads(self.file(name).read_text(encoding="utf-8"))


def _temporary(path: Path, kind: str) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{kind}")


class Store:
    """One namespace of the cache (stage, rules, load, pandera, export).

    With `root` None the store is off: every load misses, every save is skipped.
    """

    def __init__(self, root: Path | None, namespace: str) -> None:
        self.namespace = namespace
        self.root = None if root is None else Path(root) / namespace

    @property
    def enabled(self) -> bool:
        return self.root is not None

    def _slot(self, slot: str) -> Path:
        if not slot or slot.startswith(".") or "/" in slot or slot in ("..",):
            raise ValueError(f"not a cache slot name: {slot!r}")
        assert self.root is not None
        return self.root / slot

    # ---------------------------------------------------------------- reading

    def entry(self, slot: str, key: str, _unchecked: str = "") -> Entry | None:
        """The slot's entry if it has `key` and every payload file verifies, else None."""
        if self.root is None:
            return None
        path = self._slot(slot)
        try:
            record = json.loads((path / ENTRY).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            return self._discard(slot, f"unreadable {ENTRY} ({exc})")
        try:
            if not isinstance(record, dict) or record.get("format") != FORMAT:
                return self._discard(slot, "written by another version", warn=False)
            if record.get("key") != key:
                return None  # computed from other inputs: a miss, replaced on save
            entry = _verified(path, record, _unchecked)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return self._discard(slot, str(exc))
        return entry

    def copy_out(self, slot: str, key: str, name: str, target: Path) -> Entry | None:
        """Copy the payload file `name` of the verified entry to `target`, verifying it
        as it is copied (one read); None, and no `target`, on a miss or a fault."""
        entry = self.entry(slot, key, _unchecked=name)
        if entry is None:
            return None
        try:
            if copy_hashed(entry.file(name), target) != entry.digests[name]:
                raise DamagedEntry(f"{name} differs from its recorded SHA-256")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            target.unlink(missing_ok=True)
            return self._discard(slot, str(exc))
        return entry

    def load(self, slot: str, key: str, read: Callable[[Entry], T]) -> T | None:
        """`read` of the verified entry; None on a miss or on any fault (logged)."""
        entry = self.entry(slot, key)
        if entry is None:
            return None
        try:
            return read(entry)
        except Exception as exc:  # a cache fault of any kind: compute afresh
            return self._discard(slot, f"payload not readable ({type(exc).__name__}: {exc})")

    def _discard(self, slot: str, why: str, warn: bool = True) -> None:
        if warn:
            log.warning("cache %s/%s: %s; computing it afresh", self.namespace, slot, why)
        self.evict(slot)
        return None

    # ---------------------------------------------------------------- writing

    def save(self, slot: str, key: str, write: Callable[[Path], dict | None],
             _digests: dict[str, str] | None = None) -> Entry | None:
        """Let `write` fill a temporary directory (returning the entry's meta), then
        record it and rename it into the slot. On any fault: logged, None."""
        if self.root is None:
            return None
        path = self._slot(slot)
        tmp = _temporary(path, "tmp")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            meta = write(tmp) or {}
            names = sorted(p.name for p in tmp.iterdir())
            if ENTRY in names or any(not (tmp / n).is_file() for n in names):
                raise ValueError(f"payload must be plain files other than {ENTRY}")
            known = _digests or {}
            record = {"format": FORMAT, "key": key, "meta": meta,
                      "files": {n: {"bytes": (tmp / n).stat().st_size,
                                    "sha256": known.get(n) or file_sha256(tmp / n)}
                                for n in names}}
            (tmp / ENTRY).write_text(json.dumps(record, ensure_ascii=False, sort_keys=True),
                                     encoding="utf-8")
            _replace_directory(tmp, path)
        except Exception as exc:  # a cache that cannot be written costs speed, not the build
            log.warning("cache %s/%s: entry not written (%s: %s)", self.namespace, slot,
                        type(exc).__name__, exc)
            shutil.rmtree(tmp, ignore_errors=True)
            return None
        return Entry(path, key, meta, tuple(names),
                     {n: v["sha256"] for n, v in record["files"].items()})

    def put(self, slot: str, key: str, files: dict[str, bytes | Path],
            meta: dict | None = None) -> Entry | None:
        """`save` of payload files given as bytes or as files to copy (hashed as copied)."""
        digests: dict[str, str] = {}

        def write(directory: Path) -> dict | None:
            for name, data in files.items():
                if isinstance(data, Path):
                    digests[name] = copy_hashed(data, directory / name)
                else:
                    (directory / name).write_bytes(data)
            return meta

        return self.save(slot, key, write, digests)

    def evict(self, slot: str) -> None:
        if self.root is not None:
            _remove(self._slot(slot))

    def retain(self, slots: Iterable[str]) -> list[str]:
        """Remove every slot but `slots` (and any stray file); return the slots removed."""
        if self.root is None:
            return []
        keep = set(slots)
        try:
            present = sorted(self.root.iterdir())
        except OSError:  # no cache yet (or none readable): nothing to remove
            return []
        removed = []
        for path in present:
            if path.name in keep:
                continue
            if not path.name.startswith("."):
                removed.append(path.name)
            _remove(path)
        return removed


def copy_hashed(source: Path, target: Path) -> str:
    """Copy a file, returning the SHA-256 of the bytes copied (read once)."""
    digest = hashlib.sha256()
    with open(source, "rb") as src, open(target, "wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _verified(path: Path, record: dict, unchecked: str = "") -> Entry:
    files = record["files"]
    present = sorted(p.name for p in path.iterdir() if p.name != ENTRY)
    if present != sorted(files):
        raise DamagedEntry(f"holds {', '.join(present) or 'nothing'}, "
                           f"recorded {', '.join(sorted(files)) or 'nothing'}")
    for name, expected in files.items():
        payload = path / name
        if payload.is_symlink() or not payload.is_file():
            raise DamagedEntry(f"{name} is not a regular file")
        if payload.stat().st_size != expected["bytes"]:
            raise DamagedEntry(f"{name} has {payload.stat().st_size} bytes, recorded "
                               f"{expected['bytes']}")
        if name != unchecked and file_sha256(payload) != expected["sha256"]:
            raise DamagedEntry(f"{name} differs from its recorded SHA-256")
    meta = record.get("meta", {})
    if not isinstance(meta, dict):
        raise DamagedEntry("meta is not a mapping")
    return Entry(path, record["key"], meta, tuple(sorted(files)),
                 {name: expected["sha256"] for name, expected in files.items()})


def _replace_directory(built: Path, path: Path) -> None:
    old = _temporary(path, "old")
    _remove(old)
    if path.is_dir() and not path.is_symlink():
        os.replace(path, old)
    elif path.is_symlink() or path.exists():
        path.unlink()
    os.replace(built, path)
    _remove(old)


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cache: %s not removed (%s)", path, exc)
