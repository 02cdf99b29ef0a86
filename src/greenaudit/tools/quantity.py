"""`greenaudit quantity`: read figures exactly as the pipeline does, to check a reading.

Each quantity goes through the staging path of a row: the normalisation of a
simplified-script source (`--traditional` for a Hant one), the quantity grammar
with the written units of the workspace's schemas/units.yaml, and the intervals
with the configured bands. Without an indicator there is no valid range to clamp
to, and the canonical unit is the base unit of the written unit's dimension in
schemas/units.txt (percent for ‰ and 成, kW for 兆瓦, t for 万吨).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Context, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, TextIO

from greenaudit.formats import yamlfile
from greenaudit.errors import GreenauditError
from greenaudit.text.normalise import Cleaning, normalise_text
from greenaudit.text.quantity import DB_QUANTUM, QuantityParser, intervals
from greenaudit.text.units import UnitSystem

if TYPE_CHECKING:
    import argparse

FIELDS = ("value", "unit", "qualifier", "value_canonical", "unit_canonical", "lower", "upper")
CONFIG_FILE = Path("config/config.yaml")
DEFAULT_BANDS = {"approximate_band": Decimal("0.05"), "near_band": Decimal("0.05")}
_WIDE = Context(prec=80)


@dataclass(frozen=True)
class Reader:
    """The parser, units and bands of one workspace."""

    parser: QuantityParser
    units: UnitSystem
    approximate_band: Decimal
    near_band: Decimal
    cleaning: Cleaning = Cleaning()

    @classmethod
    def load(cls, workspace: Path, bands: dict[str, Decimal | None],
             traditional: bool = False) -> "Reader":
        units = UnitSystem.load(workspace / "schemas")
        chosen = {**configured_bands(workspace / CONFIG_FILE),
                  **{k: v for k, v in bands.items() if v is not None}}
        return cls(QuantityParser.for_units(units.written), units, chosen["approximate_band"],
                   chosen["near_band"], Cleaning(to_simplified=traditional))

    def read(self, text: str) -> dict:
        """{input, value, unit, ...} for a figure, or {input, error} for one refused."""
        try:
            quantity = self.parser.parse(normalise_text(text, self.cleaning))
            factor, canonical = Decimal(1), None
            if quantity.unit_text:
                project = self.units.project_unit(quantity.unit_text)
                canonical = str(self.units.registry.get_base_units(project)[1])
                factor = self.units.factor(project, canonical)
        except GreenauditError as exc:
            return {"input": text, "error": exc.reason}
        _, allowed = intervals(quantity, self.approximate_band, self.near_band)
        allowed = allowed.scaled(factor).outward(DB_QUANTUM)
        return {"input": text, "value": quantity.value, "unit": quantity.unit,
                "qualifier": quantity.qualifier, "value_canonical": quantity.scaled * factor,
                "unit_canonical": canonical, "lower": allowed.lower, "upper": allowed.upper}


def configured_bands(config_file: Path) -> dict[str, Decimal]:
    """The bands of the workflow configuration, or the defaults when there is none."""
    if not config_file.exists():
        return dict(DEFAULT_BANDS)
    data = yamlfile.load(config_file)
    data = data if isinstance(data, dict) else {}
    return {key: Decimal(str(data.get(key, default))) for key, default in DEFAULT_BANDS.items()}


def inputs(texts: list[str], lines: Iterable[str]) -> Iterator[str]:
    """The quantities of the command line, or else one per non-empty line of `lines`."""
    if texts:
        yield from texts
        return
    for line in lines:
        line = line.rstrip("\r\n")
        if line.strip():
            yield line


def number_text(value: Decimal) -> str:
    """A plain positional decimal, never an exponent: 2.5E+4 -> 25000."""
    if value == value.to_integral_value():
        return format(value.quantize(Decimal(1), context=_WIDE), "f")
    return format(value.normalize(_WIDE), "f")


def as_json(record: dict) -> str:
    """One JSON object; numbers as exact JSON numbers (never through a float)."""
    parts = []
    for key, value in record.items():
        if key == "value" and isinstance(value, Decimal):
            text = format(value, "f")            # as written: 34.0 keeps its zero
        elif isinstance(value, Decimal):
            text = number_text(value)
        else:
            text = json.dumps(value, ensure_ascii=False)
        parts.append(f"{json.dumps(key)}: {text}")
    return "{" + ", ".join(parts) + "}"


def as_text(record: dict) -> str:
    """The input, a tab, then `key=value` pairs (or `error: ...`)."""
    if "error" in record:
        return f"{record['input']}\terror: {record['error']}"
    shown = []
    for key in FIELDS:
        value = record[key]
        if value is None:
            value = "null"
        elif isinstance(value, Decimal):
            value = format(value, "f") if key == "value" else number_text(value)
        shown.append(f"{key}={value if value != '' else '(none)'}")
    return f"{record['input']}\t" + " ".join(shown)


def run_command(args: argparse.Namespace, stdin: TextIO) -> int:
    """Print each reading (JSON with --json); 1 when any quantity was refused."""
    bands = {"approximate_band": args.approximate_band, "near_band": args.near_band}
    reader = Reader.load(args.workspace, bands, traditional=args.traditional)
    refused = 0
    for text in inputs(args.texts, stdin if not args.texts else ()):
        record = reader.read(text)
        refused += "error" in record
        print(as_json(record) if args.json else as_text(record), flush=True)
    return 1 if refused else 0
