"""The one cache store, its fingerprint and its codec: verified entries, data only, never stale."""

from __future__ import annotations

import ast
import json
import logging
import os
import pickle
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from greenaudit.cache import Store, codec, fingerprint
from greenaudit.cache.store import ENTRY

CACHE_PACKAGE = Path(codec.__file__).parent


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "cache", "things")


def _put(store: Store, slot: str = "a", key: str = "k1", data: bytes = b"payload " * 100):
    return store.put(slot, key, {"data.bin": data, "more.json": b'{"x": 1}'}, {"rows": 3})


def _read(store: Store, slot: str = "a", key: str = "k1"):
    return store.load(slot, key, lambda entry: (entry.read_bytes("data.bin"), entry.meta))


def test_an_entry_reads_back_with_its_meta(store: Store):
    assert _put(store) is not None
    assert _read(store) == (b"payload " * 100, {"rows": 3})
    record = json.loads((store.root / "a" / ENTRY).read_text(encoding="utf-8"))
    assert sorted(record["files"]) == ["data.bin", "more.json"]
    assert all(len(f["sha256"]) == 64 for f in record["files"].values())


def test_another_key_misses_without_a_warning_and_a_new_entry_replaces_the_old(
        store: Store, caplog):
    _put(store, key="k1")
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _read(store, key="k2") is None
    assert caplog.text == ""
    _put(store, key="k2", data=b"new")
    assert _read(store, key="k2") == (b"new", {"rows": 3})
    assert _read(store, key="k1") is None
    assert sorted(p.name for p in store.root.iterdir()) == ["a"]  # one entry per slot


def test_one_changed_byte_is_detected_whatever_the_size_and_modification_time(
        store: Store, caplog):
    _put(store)
    payload = store.root / "a" / "data.bin"
    before = payload.stat()
    data = bytearray(payload.read_bytes())
    data[123] ^= 1
    payload.write_bytes(bytes(data))
    os.utime(payload, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (payload.stat().st_size, payload.stat().st_mtime_ns) == (before.st_size,
                                                                     before.st_mtime_ns)
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _read(store) is None
    assert "cache things/a: data.bin differs from its recorded SHA-256; computing it afresh" \
        in caplog.text
    assert not (store.root / "a").exists()  # the damaged entry is gone


@pytest.mark.parametrize("damage", ["added_file", "removed_file", "symlink", "truncated",
                                    "record_garbled", "record_is_a_directory"])
def test_any_other_damage_is_a_warning_and_a_miss(store: Store, tmp_path: Path, caplog,
                                                  damage: str):
    _put(store)
    entry = store.root / "a"
    if damage == "added_file":
        (entry / "extra.txt").write_text("planted")
    elif damage == "removed_file":
        (entry / "more.json").unlink()
    elif damage == "symlink":
        outside = tmp_path / "outside.bin"
        outside.write_bytes((entry / "data.bin").read_bytes())
        (entry / "data.bin").unlink()
        (entry / "data.bin").symlink_to(outside)
    elif damage == "truncated":
        (entry / "data.bin").write_bytes(b"pay")
    elif damage == "record_garbled":
        (entry / ENTRY).write_text("{not json")
    else:
        (entry / ENTRY).unlink()
        (entry / ENTRY).mkdir()
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _read(store) is None
    assert "cache things/a: " in caplog.text and "computing it afresh" in caplog.text
    # Written again, it serves again.
    _put(store)
    assert _read(store) is not None


def test_an_entry_of_another_format_is_dropped_quietly(store: Store, caplog):
    _put(store)
    record_path = store.root / "a" / ENTRY
    record = json.loads(record_path.read_text(encoding="utf-8"))
    record["format"] = "greenaudit-cache-entry/0"
    record_path.write_text(json.dumps(record), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _read(store) is None
    assert caplog.text == ""


def test_a_payload_its_reader_refuses_is_a_warning_and_a_miss(store: Store, caplog):
    _put(store)

    def refuse(entry):
        raise ValueError("not what I wrote")

    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert store.load("a", "k1", refuse) is None
    assert "payload not readable (ValueError: not what I wrote)" in caplog.text
    assert not (store.root / "a").exists()


def test_a_failed_write_keeps_the_old_entry_and_leaves_nothing_behind(store: Store, caplog):
    _put(store, key="k1")

    def fail(directory: Path):
        (directory / "half.bin").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert store.save("a", "k2", fail) is None
    assert "cache things/a: entry not written (OSError" in caplog.text
    assert _read(store, key="k1") is not None
    assert sorted(p.name for p in store.root.iterdir()) == ["a"]


def test_an_unwritable_cache_directory_costs_speed_not_the_run(tmp_path: Path, caplog):
    (tmp_path / "cache").write_text("a file where the cache directory should be")
    store = Store(tmp_path / "cache", "things")
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert _put(store) is None
        assert _read(store) is None
    assert "entry not written" in caplog.text


def test_a_store_without_a_root_is_off(tmp_path: Path):
    off = Store(None, "things")
    assert not off.enabled
    assert _put(off) is None and _read(off) is None and off.retain([]) == []
    assert list(tmp_path.iterdir()) == []


def test_retain_removes_other_slots_and_stray_files(store: Store):
    for slot in ("a", "b", "c"):
        _put(store, slot)
    (store.root / "legacy.pickle").write_bytes(pickle.dumps(["old"]))
    (store.root / ".c.1234.tmp").mkdir()  # left by a killed writer
    assert store.retain(["b"]) == ["a", "c", "legacy.pickle"]
    assert sorted(p.name for p in store.root.iterdir()) == ["b"]


@pytest.mark.parametrize("slot", ["", ".hidden", "a/b", ".."])
def test_a_slot_is_one_plain_name(store: Store, slot: str):
    with pytest.raises(ValueError):
        store.put(slot, "k", {"x": b""})


def test_copy_out_verifies_while_copying(store: Store, tmp_path: Path, caplog):
    _put(store)
    target = tmp_path / "copy.bin"
    assert store.copy_out("a", "k1", "data.bin", target) is not None
    assert target.read_bytes() == b"payload " * 100
    payload = store.root / "a" / "data.bin"
    payload.write_bytes(payload.read_bytes().replace(b"payload", b"paylaod", 1))
    target.unlink()
    with caplog.at_level(logging.WARNING, logger="greenaudit"):
        assert store.copy_out("a", "k1", "data.bin", target) is None
    assert not target.exists()
    assert "data.bin differs from its recorded SHA-256" in caplog.text


# ------------------------------------------------------------------ data, never code

PICKLING_MODULES = {"pickle", "cPickle", "dill", "marshal", "shelve", "joblib", "cloudpickle"}


def test_no_cache_module_imports_a_serialiser_that_runs_code():
    for path in sorted(CACHE_PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, (ast.Import, ast.ImportFrom))
                    for alias in getattr(node, "names", [])}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & PICKLING_MODULES, f"{path.name} imports {imported & PICKLING_MODULES}"
        assert "eval(" not in path.read_text(encoding="utf-8"), path.name


@dataclass(frozen=True)
class Point:
    x: Decimal
    label: str
    tags: tuple


def test_the_codec_round_trips_its_values():
    value = {"a": [Point(Decimal("1.50"), "p", (1, None, "x"))],
             ("k", 2): {None: (Decimal("-0"), True)}, "@odd": 3}
    back = codec.loads(codec.dumps(value), [Point])
    assert back == value
    assert str(back["a"][0].x) == "1.50"  # the exact text, not a float


def test_the_codec_builds_only_the_types_named():
    planted = json.dumps({"@c": "system", "f": {"command": "touch /tmp/owned"}}).encode()
    with pytest.raises(codec.CodecError, match="not one of Point"):
        codec.loads(planted, [Point])
    with pytest.raises(codec.CodecError):
        codec.loads(codec.dumps(Point(Decimal(1), "p", ())), [])
    with pytest.raises(codec.CodecError):
        codec.loads(b'{"@eval": "1"}')
    with pytest.raises(codec.CodecError):
        codec.loads(pickle.dumps(Point(Decimal(1), "p", ())), [Point])
    with pytest.raises(codec.CodecError, match="floats"):
        codec.dumps(1.5)


# ------------------------------------------------------------------ the fingerprint

def test_the_fingerprint_tells_apart_what_differs_and_only_that(tmp_path: Path):
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
    assert fingerprint("1") != fingerprint(1) != fingerprint(b"1")
    assert fingerprint([1, 2]) != fingerprint((1, [2]))
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})
    file = tmp_path / "f.txt"
    assert fingerprint(file) != fingerprint(str(file))  # a Path stands for its bytes
    missing = fingerprint(file)
    file.write_bytes(b"x")
    one = fingerprint(file)
    file.write_bytes(b"y")
    assert len({missing, one, fingerprint(file)}) == 3
    with pytest.raises(TypeError):
        fingerprint(object())


def test_a_code_fingerprint_names_modules_that_exist():
    """A module that moved would fingerprint no code, so a change to it would never
    invalidate what is cached: an unknown module is refused."""
    from greenaudit.cache.fingerprint import code_fingerprint

    with pytest.raises(ValueError, match="no greenaudit module greenaudit.publish"):
        code_fingerprint("greenaudit.publish")


@pytest.mark.parametrize("adapter, module", [
    ("greenaudit/cache/export.py", "greenaudit/audit/publish.py"),
    ("greenaudit/cache/pandera.py", "greenaudit/validate/pandera.py"),
])
def test_each_cache_is_keyed_by_the_code_whose_results_it_keeps(adapter: str, module: str):
    import re

    from greenaudit.cache.fingerprint import ROOT, module_files

    named = re.findall(r'code_fingerprint\("([\w.]+)"\)', (ROOT.parent / adapter).read_text())
    assert named, adapter
    assert ROOT.parent / module in module_files(named)
