"""Other people's test suites for Chinese numbers, run through the quantity parser.

tests/data/peer_numerals.csv holds the cases of cn2an, WeTextProcessing, JioNLP and
chinese2digits (see tests/data/README.md): every case greenaudit reads must give the
peer's number, every other must be refused with a one-line error.
"""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from greenaudit.text.normalise import normalise_text
from greenaudit.tools.quantity import Reader

CASES_FILE = Path(__file__).parents[1] / "data" / "peer_numerals.csv"
CASES = list(csv.DictReader(CASES_FILE.open(encoding="utf-8")))
TOLERANCE = Decimal("1e-10")   # a non-terminating ratio is kept to 10 places
PEERS = ("cn2an", "WeTextProcessing", "JioNLP", "chinese2digits")


@pytest.fixture(scope="module")
def reader(seed_workspace) -> Reader:
    return Reader.load(seed_workspace, {})


def _high_end(reader: Reader, text: str) -> Decimal | None:
    quantity = reader.parser.parse(normalise_text(text))
    if quantity.value_high is None:
        return None
    factor = Decimal(1)
    if quantity.unit_text:
        project = reader.units.project_unit(quantity.unit_text)
        factor = reader.units.factor(project, str(reader.units.registry.get_base_units(project)[1]))
    return quantity.value_high * quantity.magnitude * factor


@pytest.mark.parametrize("case", CASES, ids=[f"{i + 2}:{c['input'][:20]}" for i, c in enumerate(CASES)])
def test_peer_case(reader, case):
    record = reader.read(case["input"])
    if case["greenaudit"] == "refuses":
        assert "error" in record, f"{case['input']!r} is read as {record}; the file says refused"
        assert record["error"].strip() and "\n" not in record["error"]
        return
    assert case["greenaudit"] == "reads"
    assert "error" not in record, record
    assert abs(record["value_canonical"] - Decimal(case["number"])) <= TOLERANCE, (case, record)
    high = _high_end(reader, case["input"])
    if case["number_high"]:
        assert high is not None and abs(high - Decimal(case["number_high"])) <= TOLERANCE
    else:
        assert high is None


def test_the_table_covers_every_peer_both_ways():
    reads = Counter(c["origin"].split("@")[0] for c in CASES if c["greenaudit"] == "reads")
    refuses = Counter(c["origin"].split("@")[0] for c in CASES if c["greenaudit"] == "refuses")
    for peer in PEERS:
        assert reads[peer] >= 10 and refuses[peer] >= 10, (peer, reads[peer], refuses[peer])
    assert all(c["greenaudit"] == "refuses" or c["number"] for c in CASES)
