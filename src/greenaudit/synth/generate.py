"""Write a complete synthetic workspace: sources, manifest, tables, schemas, config, key.

    greenaudit synth --sources N --rows-per-source M --error-rate R --seed S OUTDIR

The workspace (raw/sources, raw/sources.csv, raw/tables, an empty raw/ignored.csv,
schemas/, config/config.yaml, and outside them the answer key) runs unchanged with
`snakemake --snakefile REPO/Snakefile --directory OUTDIR --cores 4` (results go to
OUTDIR/results). The same arguments give byte-identical directories: every random
choice comes from random.Random(seed) (or a per-source generator seeded from it),
and nothing depends on set or hash order. Sources are written one at a time.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import re
import shutil
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from ..errors import InputError
from greenaudit.audit.publish import write_atomic
from .answer_key import CLASS_NAMES, write_answer_key
from .corpus import Universe, build_universe
from .errors import Plan, Planter
from .oracle import Oracle
from .text import sentence_parts
from .vocabulary import INJECTED_STRINGS, TITLES

PROJECT_ROOT = Path(__file__).resolve().parents[3]
MAX_ERROR_RATE = 0.05          # per class: nine classes at 5% already touch ~45% of rows
HANT_EVERY = 20                # one source in 20 in traditional script (OpenCC s2t)
INJECTED_EVERY = 10            # one source in 10 carries an injected advertising string...
INJECTED_PER_LINE = 0.05       # ...in this share of their lines
TABLE_HEADER = ("indicator_id", "period", "quantity", "quote", "breakdown", "note")
MANIFEST_HEADER = ("source_id", "file", "sha256", "title", "publisher", "published",
                   "script", "kind", "drop_strings", "strip_patterns")
IGNORED_HEADER = ("source_id", "mention", "context", "reason")
META_FILE = "synth.json"


@dataclass(frozen=True)
class Request:
    n_sources: int
    rows_per_source: int
    error_rate: float
    seed: int

    def check(self) -> None:
        if self.n_sources < 1 or self.rows_per_source < 1:
            raise InputError("--sources and --rows-per-source must be at least 1")
        if not 0 <= self.error_rate <= MAX_ERROR_RATE:
            raise InputError(f"--error-rate {self.error_rate} is outside [0, {MAX_ERROR_RATE}]"
                             f" (the rate of each of the nine error classes)")


@dataclass(frozen=True)
class SourceSpec:
    source_id: str
    title: str
    script: str              # Hans or Hant
    injected: str            # "" or the string injected into its text


def _source_ids(n: int) -> list[str]:
    width = max(4, len(str(n - 1)))
    return [f"syn{i:0{width}d}" for i in range(n)]


@lru_cache(maxsize=1)
def _s2t():
    import opencc  # only for the traditional-script sources

    return opencc.OpenCC("s2t")


def _yaml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _yaml_number(value: Decimal | None) -> str:
    return "null" if value is None else format(value.normalize(), "f")


def _project_file(project: Path, relative: str) -> Path:
    path = project / relative
    if not path.is_file():
        raise InputError(f"{relative} not found in the project directory; pass --project "
                         f"with the greenaudit repository", file=str(path))
    return path


def _config(project: Path) -> tuple[str, Decimal, Decimal]:
    """The project's config with workspace ".", and its interval bands."""
    path = _project_file(project, "config/config.yaml")
    text = path.read_text(encoding="utf-8")
    config = yaml.safe_load(text)
    text, n = re.subn(r'(?m)^workspace:.*$', 'workspace: "."', text)
    if n != 1:
        raise InputError("expected one top-level 'workspace:' line", file=str(path))
    return (text, Decimal(str(config["approximate_band"])),
            Decimal(str(config["near_band"])))


def _catalog_yaml(universe: Universe) -> str:
    used = sorted({fact.indicator for fact in universe.facts})
    lines = ["# Synthetic indicator catalog written by `greenaudit synth`. Ranges are in",
             "# canonical units (schemas/units.txt).", "indicators:"]
    for index in used:
        ind = universe.indicators[index]
        lines += [
            f"  {ind.indicator_id}:",
            f"    name_en: {_yaml_string(ind.name_en)}",
            f"    name_zh: {_yaml_string(ind.name_zh)}",
            f"    kind: {ind.kind}",
            f"    unit: {ind.unit}",
            f"    valid_range: [{_yaml_number(ind.valid[0])}, {_yaml_number(ind.valid[1])}]",
            "    target: false",
            f"    plausible_range: [{_yaml_number(ind.plausible[0])}, "
            f"{_yaml_number(ind.plausible[1])}]",
            f"    plausible_reason: {_yaml_string(ind.plausible_reason)}",
            f"    description: {_yaml_string(ind.description)}",
        ]
    return "\n".join(lines) + "\n"


def _rules_yaml(universe: Universe) -> str:
    lines = ["# Derived identities of the synthetic national shares: the share in a start",
             "# year is the share in an end year minus the change between them, in",
             "# percentage points. `derive:` names a value no source states.", "rules:"]
    for rule in universe.rules:
        lines += [
            f"  - id: {rule.rule_id}",
            f"    description: {_yaml_string(f'{rule.share}@{rule.start} is the {rule.end} share minus its change since {rule.start} ({rule.change}, percentage points)')}",
            "    severity: error",
            "    scope: cross-record",
            f"    expression: {rule.expression}",
        ]
        if rule.derive:
            lines.append(f"    derive: {rule.share}@{rule.start}")
    if not universe.rules:
        lines[-1] = "rules: []"
    return "\n".join(lines) + "\n"


def _discrepancies_yaml(plan: Plan) -> str:
    lines = ["# Known conflicts between synthetic sources, each with a reason.", "discrepancies:"]
    for item in plan.declared:
        lines += [
            f"  - indicator_id: {item['indicator_id']}",
            f"    period: {_yaml_string(item['period'])}",
            f"    breakdown: {_yaml_string(item['breakdown'])}",
            f"    sources: [{', '.join(item['sources'])}]",
            f"    reason: {_yaml_string(item['reason'])}",
        ]
    if not plan.declared:
        lines[-1] = "discrepancies: []"
    return "\n".join(lines) + "\n"


def _csv(rows: list[list[str]] | list[tuple[str, ...]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _inject(line: str, injected: str, rng: random.Random) -> str:
    """Insert `injected` between two characters that are not part of a number."""
    spots = [p for p in range(1, len(line) - 1)
             if not (line[p - 1].isdigit() or line[p - 1] == "." or line[p].isdigit()
                     or line[p] == ".")]
    at = rng.choice(spots)
    return line[:at] + injected + line[at:]


def _write_source(ws: Path, universe: Universe, plan: Plan, spec: SourceSpec, index: int,
                  seed: int) -> str:
    """Write one source's text and table; return its sha256."""
    rng = random.Random(f"{seed}:{spec.source_id}")
    convert = _s2t().convert if spec.script == "Hant" else None
    lines = [convert(spec.title) if convert else spec.title]
    rows: list[tuple[str, ...]] = [TABLE_HEADER]
    injected = spec.injected
    for row in range(universe.rows_per_source):
        slot = universe.slot(index, row)
        f = universe.slot_fact[slot]
        fact = universe.facts[f]
        said = plan.text_quantity.get(slot) or universe.quantity(slot, plan.fact_units.get(f))
        typed = plan.table_quantity.get(slot, said)
        before, _, after = sentence_parts(universe, fact, slot, said)
        quote_before = before
        if slot in plan.paraphrased:
            quote_before = sentence_parts(universe, fact, slot, said, paraphrase=True)[0]
        if convert:  # piece by piece, so that the figure converts the same everywhere
            before, said, after = convert(before), convert(said), convert(after)
            typed, quote_before = convert(typed), convert(quote_before)
        line = before + said + after
        if injected and rng.random() < INJECTED_PER_LINE:
            line = _inject(line, injected, rng)
        lines.append(line)
        rows.append((universe.indicators[fact.indicator].indicator_id,
                     plan.table_period.get(slot, fact.period), typed, quote_before + said,
                     fact.breakdown, ""))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    (ws / "raw" / "sources" / f"{spec.source_id}.txt").write_bytes(data)
    (ws / "raw" / "tables" / f"{spec.source_id}.csv").write_text(_csv(rows), encoding="utf-8")
    return hashlib.sha256(data).hexdigest()


def generate(outdir: Path, request: Request, project: Path = PROJECT_ROOT) -> dict:
    """Write the workspace to `outdir` (new or empty); return its summary (synth.json)."""
    request.check()
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise InputError("output directory exists and is not empty; expected a new directory",
                         file=str(outdir))
    config_text, approximate_band, near_band = _config(project)
    tmp = outdir.with_name(f".{outdir.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    for sub in ("raw/sources", "raw/tables", "schemas", "config"):
        (tmp / sub).mkdir(parents=True)
    try:
        summary = _generate(tmp, request, project, config_text, approximate_band, near_band)
        if outdir.exists():
            outdir.rmdir()
        os.replace(tmp, outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary


def _generate(ws: Path, request: Request, project: Path, config_text: str,
              approximate_band: Decimal, near_band: Decimal) -> dict:
    rng = random.Random(request.seed)
    universe = build_universe(request.n_sources, request.rows_per_source, rng,
                              approximate_band, near_band)
    write_atomic(ws / "config" / "config.yaml", config_text)
    for name in ("units.yaml", "units.txt"):
        shutil.copyfile(_project_file(project, f"schemas/{name}"), ws / "schemas" / name)
    write_atomic(ws / "schemas" / "indicators.yaml", _catalog_yaml(universe))
    write_atomic(ws / "schemas" / "rules.yaml", _rules_yaml(universe))

    source_ids = _source_ids(request.n_sources)
    specs = []
    for i, source_id in enumerate(source_ids):
        # Fixed positions, so that even a small corpus has one of each kind.
        script = "Hant" if i % HANT_EVERY == 3 else "Hans"
        injected = rng.choice(INJECTED_STRINGS) if i % INJECTED_EVERY == 6 else ""
        specs.append(SourceSpec(source_id, TITLES[i % len(TITLES)], script, injected))

    oracle = Oracle(ws, approximate_band, near_band)
    plan = Planter(universe, oracle, rng, source_ids).plant(request.error_rate)
    write_atomic(ws / "schemas" / "known_discrepancies.yaml", _discrepancies_yaml(plan))

    manifest: list[tuple[str, ...]] = [MANIFEST_HEADER]
    for i, spec in enumerate(specs):
        digest = _write_source(ws, universe, plan, spec, i, request.seed)
        manifest.append((spec.source_id, f"raw/sources/{spec.source_id}.txt", digest,
                         f"{spec.title}（合成）",
                         "greenaudit synth", "2024", spec.script, "synthetic_bulletin",
                         spec.injected, ""))
    write_atomic(ws / "raw" / "sources.csv", _csv(manifest))
    # Nothing is set aside: every number in a synthetic source is a figure or a year.
    write_atomic(ws / "raw" / "ignored.csv", _csv([IGNORED_HEADER]))

    planted = {name: 0 for name in CLASS_NAMES}
    for error in plan.errors:
        planted[error.error_class] += 1
    summary = {
        "arguments": {"sources": request.n_sources, "rows_per_source": request.rows_per_source,
                      "error_rate": request.error_rate, "seed": request.seed},
        "rows": universe.n_slots,
        "facts": len(universe.facts),
        "indicators": len({fact.indicator for fact in universe.facts}),
        "rules": len(universe.rules),
        "checkable_rules": sum(not r.derive for r in universe.rules),
        "declared_discrepancies": len(plan.declared),
        "sources_hant": sum(s.script == "Hant" for s in specs),
        "sources_injected": sum(bool(s.injected) for s in specs),
        "requested": {name: plan.requested.get(name, 0) for name in CLASS_NAMES},
        "planted": planted,
    }
    write_answer_key(ws, plan.errors, summary)
    write_atomic(ws / META_FILE, json.dumps(summary, ensure_ascii=False, indent=1) + "\n")
    return summary
