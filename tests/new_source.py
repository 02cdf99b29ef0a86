"""A new source for a workspace, written as a contributor adds one (README, "Adding a
source"): a short news report in Chinese, its transcription table and its manifest row
with the document's sha256.

The report restates figures the seeds already publish (so that the counts of sources,
the verdicts' source lists and the coverage of the seeds all change) and adds figures
the seeds leave open, all consistent with the seeds, so that the workspace still
publishes. The order of the figures and the opening and closing lines depend on `seed`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
from dataclasses import dataclass
from pathlib import Path

TABLE_HEADER = ("indicator_id", "period", "quantity", "quote", "breakdown", "note")


@dataclass(frozen=True)
class Fact:
    """One figure of the report: its table row and the sentence that states it."""

    indicator_id: str
    period: str
    quantity: str
    sentence: str          # holds "{q}" where the quantity stands
    breakdown: str = ""
    note: str = ""


# Restated: the 2022 shares (000, 003 and 004 state them), the national green factories
# (000 and 004) and the 2023 output of new-energy vehicles (001 gives "超过950万辆").
# New: the 2023 stock of new-energy vehicles.
FACTS = (
    Fact("hi_tech_mfg_share", "2022", "15.5%",
         "2022年，全国高技术制造业增加值占规模以上工业增加值比重达到{q}"),
    Fact("equip_mfg_share", "2022", "31.8%",
         "2022年，装备制造业增加值占规模以上工业增加值比重为{q}"),
    Fact("green_factories", "2023-04", "3616家",
         "截至2023年4月底，我国累计培育国家级绿色工厂{q}", "level=national",
         "period = the month's end the sentence names"),
    Fact("nev_production", "2023", "958.7万辆", "2023年，我国新能源汽车产量达到{q}"),
    Fact("nev_stock", "2023", "2041万辆", "截至2023年底，全国新能源汽车保有量达{q}", "",
         "stock at the end of 2023"),
)
OPENINGS = ("记者从工业和信息化部获悉，我国工业绿色低碳转型持续推进。",
            "工业和信息化部日前介绍了制造业绿色化发展的最新进展。")
CLOSINGS = ("下一步，有关部门将继续完善绿色制造体系。",
            "业内人士表示，绿色制造将成为工业高质量发展的重要支撑。")


def _csv(rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def report(seed: int) -> tuple[str, list[tuple[str, ...]]]:
    """The document's text and its table rows (header first)."""
    rng = random.Random(seed)
    facts = rng.sample(FACTS, k=len(FACTS))
    lines = ["工业绿色发展取得新进展", rng.choice(OPENINGS)]
    rows = [TABLE_HEADER]
    for fact in facts:
        quote = fact.sentence.format(q=fact.quantity)
        lines.append(f"{quote}。")
        rows.append((fact.indicator_id, fact.period, fact.quantity, quote, fact.breakdown,
                     fact.note))
    lines.append(rng.choice(CLOSINGS))
    return "\n".join(lines) + "\n", rows


def add_source(workspace: Path, seed: int = 0) -> str:
    """Write a new source into `workspace`'s raw/ and list it in raw/sources.csv; return
    its id (the next free number, then the first 16 hex digits of its sha256)."""
    text, rows = report(seed)
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    manifest = workspace / "raw" / "sources.csv"
    with open(manifest, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        listed = list(reader)
        header = reader.fieldnames or []
    number = 1 + max((int(r["source_id"].split("_")[0]) for r in listed), default=-1)
    source_id = f"{number:03d}_{digest[:16]}"
    (workspace / "raw" / "sources" / f"{source_id}.txt").write_bytes(data)
    (workspace / "raw" / "tables" / f"{source_id}.csv").write_text(_csv(rows),
                                                                     encoding="utf-8")
    row = (source_id, f"raw/sources/{source_id}.txt", digest, "工业绿色发展取得新进展",
           "新闻报道（测试用）", "2024-01", "Hans", "news_report", "", "")
    row += ("",) * (len(header) - len(row))   # optional columns (url, retrieved) left empty
    existing = manifest.read_text(encoding="utf-8")
    if not existing.endswith("\n"):
        existing += "\n"
    manifest.write_text(existing + _csv([row]), encoding="utf-8")
    return source_id
