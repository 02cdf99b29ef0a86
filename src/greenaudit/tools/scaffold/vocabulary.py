"""The catalog's breakdown vocabulary: the words that name each value of a key.

schemas/indicators.yaml may declare, beside `indicators:`, a mapping

    breakdowns:
      level:
        national: [国家级, 国家层面]
      project: {}          # free values (a case study's slug): named by a person

and each indicator lists the keys it is broken down by in `breakdown_keys`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from greenaudit.workspace.catalog import INDICATOR_ID, Indicator, load_yaml
from greenaudit.errors import InputError


@dataclass(frozen=True)
class Vocabulary:
    values: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)

    def words(self, key: str) -> list[tuple[str, str]]:
        """(word, value) pairs of a key, longest word first (石化化工 before 石化)."""
        pairs = [(w, v) for v, ws in self.values.get(key, {}).items() for w in ws]
        return sorted(pairs, key=lambda p: -len(p[0]))


def load_vocabulary(schemas_dir: Path, catalog: dict[str, Indicator]) -> Vocabulary:
    path = schemas_dir / "indicators.yaml"
    data, lines = load_yaml(path)
    raw = data.get("breakdowns", {}) if isinstance(data, dict) else {}
    if not isinstance(raw, dict):
        raise InputError("breakdowns must map a key to {value: [words]}", file=str(path))
    values: dict[str, dict[str, tuple[str, ...]]] = {}
    for key, mapping in raw.items():
        line = lines.get(f"breakdowns.{key}")
        if not isinstance(key, str) or not INDICATOR_ID.match(key):
            raise InputError(f"breakdown key {key!r} must be snake_case ASCII", file=str(path),
                             line=line)
        if not isinstance(mapping, dict):
            raise InputError(f"breakdown key {key}: expected {{value: [words]}}", file=str(path),
                             line=line)
        values[key] = {}
        for value, words in mapping.items():
            if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
                raise InputError(f"breakdown {key}={value}: expected a list of words",
                                 file=str(path), line=line)
            values[key][str(value)] = tuple(words)
    for indicator in catalog.values():
        unknown = [k for k in indicator.breakdown_keys if k not in values]
        if unknown:
            raise InputError(f"indicator {indicator.indicator_id}: breakdown key {unknown[0]!r} "
                             f"is not declared under breakdowns:", file=str(path),
                             line=indicator.line or None)
    return Vocabulary(values)
