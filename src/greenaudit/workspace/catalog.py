"""The indicator catalog (schemas/indicators.yaml) and declared discrepancies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from greenaudit.formats import yamlfile
from greenaudit.errors import InputError, UnitError, excerpt, shorten
from greenaudit.text.units import UnitSystem
from greenaudit.suggest import did_you_mean

KINDS = ("share", "change_pp", "change_percent", "growth_rate", "multiple", "count",
         "amount", "intensity", "ratio", "duration")
REQUIRED_KEYS = ("name_en", "name_zh", "kind", "unit", "valid_range", "description")
OPTIONAL_KEYS = ("target", "plausible_range", "plausible_reason", "aliases", "breakdown_keys")
INDICATOR_ID = re.compile(r"^[a-z][a-z0-9_]*$")
PERIOD = re.compile(r"^(\d{4})(?:-(\d{2})|-(\d{4}))?$")
BREAKDOWN_PAIR = re.compile(r"^[a-z][a-z0-9_]*=[^;=]+$")
# The source id of a value a rule derived (rules.DERIVED_SOURCE_PREFIX; rules imports
# this module).
DERIVED_PREFIX = "derived:"


# libyaml's parser where available: the pure-Python one is much slower on the catalog.
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
    aliases: tuple[str, ...] = ()          # other names a document uses (scaffold reads them)
    breakdown_keys: tuple[str, ...] = ()   # keys its rows may be broken down by


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
    number = None
    if not isinstance(value, bool) and isinstance(value, (int, float, str)):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            pass
    if number is None or not number.is_finite():
        raise InputError(f"{what} bound {excerpt(value)} is not a number", file=str(path),
                         line=line)
    return number


def _range(entry: dict, key: str, path: Path, line: int) -> tuple[Decimal | None, Decimal | None]:
    value = entry.get(key)
    if not isinstance(value, list) or len(value) != 2:
        raise InputError(f"{key} must be a list [low, high] (null for an open end), got "
                         f"{excerpt(value)}", file=str(path), line=line)
    low, high = (_bound(v, path, line, key) for v in value)
    if low is not None and high is not None and low > high:
        raise InputError(f"{key} [{low}, {high}] is reversed", file=str(path), line=line)
    return low, high


def _names(entry: dict, key: str, path: Path, line: int | None,
           pattern: re.Pattern | None = None) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"{key} must be a list of non-empty strings, got {excerpt(value)}",
                         file=str(path), line=line)
    bad = [v for v in value if pattern is not None and not pattern.match(v)]
    if bad:
        raise InputError(f"{key} {excerpt(bad[0])} must be snake_case ASCII", file=str(path), line=line)
    return tuple(v.strip() for v in value)


def _text(entry: dict, key: str, label: str, path: Path, line: int | None,
          required: bool = True) -> str:
    """A YAML string value, stripped; anything else (a number, a list...) is refused."""
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(f"{label}: {key} is {excerpt(value)}; expected a non-empty text",
                         file=str(path), line=line)
    return value


def _within_valid(indicator_id: str, plausible: tuple, valid: tuple, path: Path,
                  line: int | None) -> None:
    """A plausible range outside the valid range could flag a valid value as plausible
    that the valid range refuses, or the other way round: refuse it."""
    (p_low, p_high), (v_low, v_high) = plausible, valid
    outside = ((p_low is not None and v_low is not None and p_low < v_low)
               or (p_high is not None and v_high is not None and p_high > v_high)
               or (p_low is not None and v_high is not None and p_low > v_high)
               or (p_high is not None and v_low is not None and p_high < v_low))
    if outside:
        show = [_fmt_bound(b) for b in (p_low, p_high, v_low, v_high)]
        raise InputError(f"indicator {indicator_id}: plausible_range [{show[0]}, {show[1]}] "
                         f"is not within valid_range [{show[2]}, {show[3]}]", file=str(path),
                         line=line)


def _fmt_bound(value: Decimal | None) -> str:
    return "null" if value is None else format(value, "f")


def _indicator(indicator_id, entry, units: UnitSystem, path: Path, line: int | None) -> Indicator:
    if not isinstance(indicator_id, str) or not INDICATOR_ID.match(indicator_id):
        raise InputError(f"indicator id {excerpt(indicator_id)} must be snake_case ASCII",
                         file=str(path), line=line)
    if not isinstance(entry, dict):
        raise InputError(f"indicator {indicator_id}: expected a mapping of "
                         f"{', '.join(REQUIRED_KEYS)}", file=str(path), line=line)
    missing = [k for k in REQUIRED_KEYS if k not in entry]
    unknown = [k for k in entry if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if missing or unknown:
        problem = (f"missing {', '.join(missing)}" if missing
                   else f"unknown key(s) {', '.join(shorten(str(k), 60) for k in unknown)}")
        raise InputError(f"indicator {indicator_id}: {problem}; expected keys "
                         f"{', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}", file=str(path),
                         line=line)
    label = f"indicator {indicator_id}"
    texts = {key: _text(entry, key, label, path, line)
             for key in ("name_en", "name_zh", "kind", "unit", "description")}
    if texts["kind"] not in KINDS:
        raise InputError(f"{label}: kind {excerpt(texts['kind'])}; expected one "
                         f"of {', '.join(KINDS)}", file=str(path), line=line)
    if not isinstance(entry.get("target", False), bool):
        raise InputError(f"{label}: target is {excerpt(entry['target'])}; expected true or "
                         f"false", file=str(path), line=line)
    try:
        units.check_unit(texts["unit"])
    except UnitError as exc:
        if exc.file:  # the unit registry itself is broken; its own location says where
            raise
        raise InputError(f"{label}: {exc.reason}", file=str(path), line=line) from None
    valid = _range(entry, "valid_range", path, line)
    plausible = (None, None)
    reason = _text(entry, "plausible_reason", label, path, line, required=False).strip()
    if "plausible_range" in entry:
        plausible = _range(entry, "plausible_range", path, line)
        _within_valid(indicator_id, plausible, valid, path, line)
        if not reason:
            raise InputError(f"{label}: plausible_range needs a plausible_reason",
                             file=str(path), line=line)
    return Indicator(indicator_id, texts["name_en"], texts["name_zh"], texts["kind"],
                     texts["unit"], valid[0], valid[1], texts["description"].strip(),
                     entry.get("target", False), plausible[0], plausible[1], reason, line or 0,
                     _names(entry, "aliases", path, line),
                     _names(entry, "breakdown_keys", path, line, INDICATOR_ID))


def load_catalog(schemas_dir: Path, units: UnitSystem) -> dict[str, Indicator]:
    """The indicators of schemas/indicators.yaml, every value type-checked (an id given
    twice is refused by yamlfile as a duplicate key)."""
    path = schemas_dir / "indicators.yaml"
    data, lines = load_yaml(path)
    entries = (data or {}).get("indicators") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not entries:
        raise InputError("expected a top-level mapping 'indicators: {id: {...}}'", file=str(path))
    return {indicator_id: _indicator(indicator_id, entry, units, path,
                                     lines.get(f"indicators.{indicator_id}", 0) or None)
            for indicator_id, entry in entries.items()}


def check_period(period: str) -> str | None:
    """None if `period` is well formed, else what is wrong with it."""
    match = PERIOD.match(period)
    if not match:
        return f"period {excerpt(period)}; expected YYYY, YYYY-MM or YYYY-YYYY"
    if match[2] and not 1 <= int(match[2]) <= 12:
        return f"period {excerpt(period)} has month {match[2]}; expected 01-12"
    if match[3] and int(match[3]) <= int(match[1]):
        return f"period {excerpt(period)} is reversed or empty; expected start-end with start < end"
    return None


def check_breakdown(breakdown: str) -> str | None:
    if not breakdown:
        return None
    pairs = breakdown.split(";")
    if not all(BREAKDOWN_PAIR.match(p) for p in pairs):
        return f"breakdown {excerpt(breakdown)}; expected key=value pairs joined by ';'"
    keys = [p.split("=", 1)[0] for p in pairs]
    if keys != sorted(set(keys)):
        return f"breakdown {excerpt(breakdown)}: keys must be unique and in alphabetical order"
    return None


@dataclass(frozen=True)
class Discrepancy:
    """A declared conflict: it covers the group (indicator, period, breakdown) only while
    the sources stating it are exactly `sources` (sorted)."""

    indicator_id: str
    period: str
    breakdown: str
    sources: tuple[str, ...]
    reason: str
    line: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return self.indicator_id, self.period, self.breakdown


DISCREPANCY_KEYS = ("indicator_id", "period", "breakdown", "sources", "reason")
DISCREPANCIES_FILE = "schemas/known_discrepancies.yaml"


def _discrepancy(item, catalog: dict[str, Indicator], source_ids, path: Path,
                 line: int | None) -> Discrepancy:
    def fail(message: str) -> InputError:
        return InputError(message, file=str(path), line=line)

    if not isinstance(item, dict) or not set(DISCREPANCY_KEYS) - {"breakdown"} <= set(item):
        raise fail("each discrepancy needs indicator_id, period, sources and reason")
    unknown = [k for k in item if k not in DISCREPANCY_KEYS]
    if unknown:
        raise fail(f"unknown key(s) {', '.join(excerpt(k) for k in unknown)}; expected "
                   f"{', '.join(DISCREPANCY_KEYS)}")
    indicator_id, period = item["indicator_id"], item["period"]
    if not isinstance(indicator_id, str) or indicator_id not in catalog:
        raise fail(f"unknown indicator_id {excerpt(indicator_id)}"
                   f"{did_you_mean(str(indicator_id), catalog)}; expected an id of "
                   f"schemas/indicators.yaml")
    if isinstance(period, bool) or not isinstance(period, (str, int)):
        raise fail(f"period {excerpt(period)}; expected a text such as \"2022\"")
    breakdown = item.get("breakdown") or ""
    if not isinstance(breakdown, str):
        raise fail(f"breakdown {excerpt(breakdown)}; expected a text key=value;...")
    problem = check_period(str(period)) or check_breakdown(breakdown)
    if problem:
        raise fail(problem)
    sources = item["sources"]
    if (not isinstance(sources, list) or len(sources) < 2
            or not all(isinstance(s, str) for s in sources)):
        raise fail(f"sources {excerpt(sources)}; expected a list of the source_ids that "
                   f"disagree")
    if len(set(sources)) != len(sources):
        raise fail(f"sources {excerpt(sources)} names a source twice")
    unknown = [s for s in sources if source_ids is not None and s not in source_ids
               and not s.startswith(DERIVED_PREFIX)]
    if unknown:
        raise fail(f"unknown source_id {excerpt(unknown[0])}"
                   f"{did_you_mean(unknown[0], source_ids or ())}; expected ids of "
                   f"raw/sources.csv (or derived:<rule_id>)")
    reason = item["reason"]
    if not isinstance(reason, str) or not reason.strip():
        raise fail("a declared discrepancy needs a reason (a text)")
    return Discrepancy(indicator_id, str(period), breakdown, tuple(sorted(sources)),
                       reason.strip(), line or 0)


def load_discrepancies(schemas_dir: Path, catalog: dict[str, Indicator],
                       source_ids=None) -> list[Discrepancy]:
    """Cross-source conflicts declared as known, each with a reason.

    Every value is type-checked; a source id that is not in `source_ids` (the
    manifest's, when given) and a group declared twice are located errors. Whether a
    declaration still matches a conflict is checked when agreement is computed.
    """
    path = schemas_dir / "known_discrepancies.yaml"
    data, lines = load_yaml(path)
    items = (data or {}).get("discrepancies") if isinstance(data, dict) else None
    if items is None:
        items = []
    if not isinstance(items, list):
        raise InputError("expected 'discrepancies:' to be a list", file=str(path))
    result: list[Discrepancy] = []
    first: dict[tuple[str, str, str], int] = {}
    for index, item in enumerate(items):
        line = lines.get(f"discrepancies.{index}")
        declared = _discrepancy(item, catalog, source_ids, path, line)
        if declared.key in first:
            raise InputError(f"{'/'.join(k for k in declared.key if k)} is declared twice (first "
                             f"on line {first[declared.key]}); expected one declaration per "
                             f"indicator, period and breakdown", file=str(path), line=line)
        first[declared.key] = line or 0
        result.append(declared)
    return result
