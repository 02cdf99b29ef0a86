"""JSON for cached Python values: plain data and the dataclasses a reader names, nothing else.

Unlike pickle, reading cannot run code or build an object of a type the reader did
not list: a cache entry is data. Values are JSON as far as JSON goes; the rest is a
tagged object:

    {"@d": "1.50"}                   Decimal (its exact text: 1.50 stays 1.50)
    {"@t": [...]}                    tuple
    {"@m": [[key, value], ...]}      dict whose keys are not all plain strings
    {"@c": "Check", "f": {...}}      a dataclass instance, by class name and fields
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from decimal import Decimal


class CodecError(ValueError):
    """A value that cannot be written, or data that is not a value of the listed types."""


def _plain_key(key) -> bool:
    return isinstance(key, str) and not key.startswith("@")


def encode(value):
    """`value` as JSON-ready data."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        raise CodecError("floats are not cached; use Decimal")
    if isinstance(value, Decimal):
        return {"@d": str(value)}
    if isinstance(value, tuple):
        return {"@t": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if all(_plain_key(k) for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"@m": [[encode(k), encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"@c": type(value).__name__,
                "f": {f.name: encode(getattr(value, f.name))
                      for f in dataclasses.fields(value) if f.init}}
    raise CodecError(f"cannot cache a {type(value).__name__}")


def dumps(value) -> bytes:
    return json.dumps(encode(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _hashable(value):
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


def loads(data: bytes, types: Iterable[type] = ()):
    """The value `dumps` wrote; only dataclasses of `types` are built (CodecError otherwise)."""
    known = {cls.__name__: cls for cls in types}

    def hook(obj: dict):
        if len(obj) == 1:
            (tag, inner), = obj.items()
            if tag == "@d":
                if not isinstance(inner, str):
                    raise CodecError("a Decimal must be written as text")
                return Decimal(inner)
            if tag == "@t":
                return tuple(inner)
            if tag == "@m":
                return {_hashable(k): v for k, v in inner}
        elif len(obj) == 2 and "@c" in obj and "f" in obj:
            cls = known.get(obj["@c"])
            if cls is None:
                raise CodecError(f"the cached data holds a {obj['@c']!r}, not one of "
                                 f"{', '.join(sorted(known)) or 'no dataclass'}")
            return cls(**obj["f"])
        if any(str(k).startswith("@") for k in obj):
            raise CodecError(f"unknown tag among {', '.join(map(str, obj))}")
        return obj

    try:
        return json.loads(data, object_hook=hook, parse_float=Decimal)
    except CodecError:
        raise
    except (ValueError, TypeError) as exc:
        raise CodecError(str(exc)) from exc
