"""The indicator catalog (schemas/indicators.yaml) and declared discrepancies."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from . import yamlfile
from .errors import InputError, UnitError
from .suggest import did_you_mean
from .units import UnitSystem

KINDS = ("share", "change_pp", "change_percent", "growth_rate", "multiple", "count",
         "amount", "intensity", "ratio", "duration")
REQUIRED_KEYS = ("name_en", "name_zh", "kind", "unit", "valid_range", "description")
OPTIONAL_KEYS = ("target", "plausible_range", "plausible_reason")
INDICATOR_ID = re.compile(r"^[a-z][a-z0-9_]*$")
PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|-(\d{4}))?$")
BREAKDOWN_PAIR = re.compile(r"^[a-z][a-z0-9_]*=[^;=]+$")


# libyaml's parser where available: the pure-Python one takes ~1 s on the catalog.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    name_en: str
    name_zh: str
    kind: str
    unit: str
    valid_low: Decimal | None
    valid_high: Decimal | None
    description: str
    target: bool = False
    plausible_low: Decimal | None = None
    plausible_high: Decimal | None = None
    plausible_reason: str = ""
    line: int = 0


def _yaml_error(path: Path, exc: yaml.YAMLError) -> InputError:
    return yamlfile.syntax_error(path, exc)


def load_yaml(path: Path):
    """Parse a YAML file; return (data, {top-level key path: line}) for located errors."""
    node, data = yamlfile.compose(path)
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(value, yaml.MappingNode):
                for sub_key, _ in value.value:
                    lines[f"{key.value}.{sub_key.value}"] = sub_key.start_mark.line + 1
            elif isinstance(value, yaml.SequenceNode):
                for index, item in enumerate(value.value):
                    lines[f"{key.value}.{index}"] = item.start_mark.line + 1
    return data, lines


def _bound(value, path: Path, line: int, what: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InputError(f"{what} bound {value!r} is not a number", file=str(path), line=line)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise InputError(f"{what} bound {value!r} is not a number", file=str(path),
                         line=line) from None


def _range(entry: dict, key: str, path: Path, line: int) -> tuple[Decimal | None, Decimal | None]:
    value = entry.get(key)
    if not isinstance(value, list) or len(value) != 2:
        raise InputError(f"{key} must be a list [low, high] (null for an open end), got {value!r}",
                         file=str(path), line=line)
    low, high = (_bound(v, path, line, key) for v in value)
    if low is not None and high is not None and low > high:
        raise InputError(f"{key} [{low}, {high}] is reversed", file=str(path), line=line)
    return low, high


def load_catalog(schemas_dir: Path, units: UnitSystem) -> dict[str, Indicator]:
    path = schemas_dir / "indicators.yaml"
    data, lines = load_yaml(path)
    entries = (data or {}).get("indicators") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise InputError("expected a top-level mapping 'indicators: {id: {...}}'", file=str(path))
    catalog: dict[str, Indicator] = {}
    for indicator_id, entry in entries.items():
        line = lines.get(f"indicators.{indicator_id}", 0) or None
        if not isinstance(indicator_id, str) or not INDICATOR_ID.match(indicator_id):
            raise InputError(f"indicator id {indicator_id!r} must be snake_case ASCII",
                             file=str(path), line=line)
        if not isinstance(entry, dict):
            raise InputError(f"indicator {indicator_id}: expected a mapping of "
                             f"{', '.join(REQUIRED_KEYS)}", file=str(path), line=line)
        missing = [k for k in REQUIRED_KEYS if k not in entry]
        unknown = [k for k in entry if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
        if missing or unknown:
            problem = (f"missing {', '.join(missing)}" if missing
                       else f"unknown key(s) {', '.join(map(str, unknown))}")
            raise InputError(f"indicator {indicator_id}: {problem}; expected keys "
                             f"{', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}", file=str(path),
                             line=line)
        if entry["kind"] not in KINDS:
            raise InputError(f"indicator {indicator_id}: kind {entry['kind']!r}; expected one "
                             f"of {', '.join(KINDS)}", file=str(path), line=line)
        try:
            units.check_unit(str(entry["unit"]))
        except UnitError as exc:
            if exc.file:  # the unit registry itself is broken; its own location says where
                raise
            raise InputError(f"indicator {indicator_id}: {exc.reason}", file=str(path),
                             line=line) from None
        low, high = _range(entry, "valid_range", path, line)
        plausible = (None, None)
        if "plausible_range" in entry:
            plausible = _range(entry, "plausible_range", path, line)
            if not str(entry.get("plausible_reason") or "").strip():
                raise InputError(f"indicator {indicator_id}: plausible_range needs a "
                                 f"plausible_reason", file=str(path), line=line)
        catalog[indicator_id] = Indicator(
            indicator_id, str(entry["name_en"]), str(entry["name_zh"]), entry["kind"],
            str(entry["unit"]), low, high, str(entry["description"]).strip(),
            bool(entry.get("target", False)), plausible[0], plausible[1],
            str(entry.get("plausible_reason") or "").strip(), line or 0)
    return catalog


def check_period(period: str) -> str | None:
    """None if `period` is well formed, else what is wrong with it."""
    match = PERIOD.match(period)
    if not match:
        return f"period {period!r}; expected YYYY, YYYY-MM or YYYY-YYYY"
    if match[2] and not 1 <= int(match[2]) <= 12:
        return f"period {period!r} has month {match[2]}; expected 01-12"
    if match[3] and int(match[3]) <= int(match[1]):
        return f"period {period!r} is reversed or empty; expected start-end with start < end"
    return None


def check_breakdown(breakdown: str) -> str | None:
    if not breakdown:
        return None
    pairs = breakdown.split(";")
    if not all(BREAKDOWN_PAIR.match(p) for p in pairs):
        return f"breakdown {breakdown!r}; expected key=value pairs joined by ';'"
    keys = [p.split("=", 1)[0] for p in pairs]
    if keys != sorted(set(keys)):
        return f"breakdown {breakdown!r}: keys must be unique and in alphabetical order"
    return None


@dataclass(frozen=True)
class Discrepancy:
    indicator_id: str
    period: str
    breakdown: str
    sources: tuple[str, ...]
    reason: str


def load_discrepancies(schemas_dir: Path, catalog: dict[str, Indicator],
                       source_ids: Iterable[str] | None = None) -> list[Discrepancy]:
    """Cross-source conflicts declared as known, each with a reason (and, given the
    manifest's `source_ids`, naming listed sources only)."""
    listed = None if source_ids is None else set(source_ids)
    path = schemas_dir / "known_discrepancies.yaml"
    data, lines = load_yaml(path)
    items = (data or {}).get("discrepancies") if isinstance(data, dict) else None
    if items is None:
        items = []
    if not isinstance(items, list):
        raise InputError("expected 'discrepancies:' to be a list", file=str(path))
    result = []
    for index, item in enumerate(items):
        line = lines.get(f"discrepancies.{index}")
        if not isinstance(item, dict) or not {"indicator_id", "period", "sources", "reason"} <= set(item):
            raise InputError("each discrepancy needs indicator_id, period, sources and reason",
                             file=str(path), line=line)
        if not isinstance(item["indicator_id"], str) or item["indicator_id"] not in catalog:
            raise InputError(f"unknown indicator_id {item['indicator_id']!r}"
                             f"{did_you_mean(str(item['indicator_id']), catalog)}; expected an "
                             f"id of schemas/indicators.yaml", file=str(path), line=line)
        problem = check_period(str(item["period"])) or check_breakdown(
            str(item.get("breakdown") or ""))
        if problem:
            raise InputError(problem, file=str(path), line=line)
        if (not isinstance(item["sources"], list) or len(item["sources"]) < 2
                or not all(isinstance(s, str) for s in item["sources"])):
            raise InputError(f"sources {item['sources']!r}; expected a list of the source_ids "
                             f"that disagree", file=str(path), line=line)
        unlisted = [s for s in item["sources"] if listed is not None and s not in listed]
        if unlisted:
            raise InputError(f"source {unlisted[0]!r} is not in raw/sources.csv"
                             f"{did_you_mean(unlisted[0], listed or ())}; expected the "
                             f"source_ids that disagree", file=str(path), line=line)
        if not str(item["reason"] or "").strip():
            raise InputError("a declared discrepancy needs a reason", file=str(path), line=line)
        result.append(Discrepancy(item["indicator_id"], str(item["period"]),
                                  str(item.get("breakdown") or ""),
                                  tuple(sorted(map(str, item["sources"]))),
                                  str(item["reason"]).strip()))
    return result
