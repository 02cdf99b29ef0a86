"""Digests that key the build caches (results/cache/): inputs and the code that reads them.

A cache entry is only ever looked up by a key that digests everything the cached
result was computed from, so a changed input or a changed greenaudit can never be
served a stale result: it just misses.
"""

from __future__ import annotations

import hashlib
import sys
from functools import lru_cache
from importlib import metadata
from pathlib import Path

# Bump when the layout of any cache entry changes.
CACHE_FORMAT = "greenaudit-cache/1"
# Third-party code whose results are cached: quantities, units, script conversion,
# YAML and Arrow I/O.
CACHED_LIBRARIES = ("pint", "opencc", "pyarrow", "pyyaml", "google-re2")


def digest_file(digest, path: Path) -> None:
    """Feed a file's presence and bytes (or the kind of failure, if unreadable)."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        digest.update(b"\0missing\0")
    except OSError as exc:
        digest.update(f"\0unreadable {type(exc).__name__}\0".encode())
    else:
        digest.update(b"\0%d\0" % len(data))
        digest.update(data)


def digest_input(digest, path: Path) -> None:
    """digest_file for a workspace input, read as the stages read it (inputfile.read_input):
    a link, FIFO or directory in its place is digested as refused, never followed or read."""
    from .errors import InputError
    from greenaudit.formats.inputfile import read_input

    try:
        data = read_input(Path(path))
    except InputError as exc:
        digest.update(f"\0refused {exc.reason}\0".encode())
    else:
        digest.update(b"\0%d\0" % len(data))
        digest.update(data)


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of the greenaudit sources, the Python version and CACHED_LIBRARIES' versions."""
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    digest.update(sys.version.encode())
    for name in CACHED_LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "absent"
        digest.update(f"\0{name}={version}".encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(f"\0{path.relative_to(package).as_posix()}".encode())
        digest_file(digest, path)
    return digest.hexdigest()
