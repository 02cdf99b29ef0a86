"""A changed quote character or quantity digit never passes unnoticed.

The guarantee (raw/TRANSCRIBING.md, "What the checks guarantee"), for every row of
every seed table, in a copy of the workspace:

- replacing any one character of the quote by a character whose normal form differs
  (so not whitespace, not the full-width/half-width twin, and for a traditional-script
  source not the simplified/traditional twin, all of which the declared normalisation
  treats as the same text) makes staging fail with an error finding naming the source
  and the row;
- replacing any one digit of the quantity (Arabic, half- or full-width, or a Chinese
  numeral) by another digit of the same script does too.

Staging is what the build runs per source, so a failing finding here is a failing
build; tests/test_workflow.py runs one such change end to end.
"""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from workflow_support import SEEDS

from greenaudit.text.normalise import normalise
from greenaudit.stage.source import StageContext, all_findings, stage_source

ARABIC = "0123456789"
FULL_WIDTH = "０１２３４５６７８９"
CHINESE = "〇一二两三四五六七八九十百千万亿"


def _table(source_id: str) -> list[list[str]]:
    text = (SEEDS / "raw" / "tables" / f"{source_id}.csv").read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


SOURCES = sorted(p.stem for p in (SEEDS / "raw" / "tables").glob("*.csv"))
TABLES = {sid: _table(sid) for sid in SOURCES}
# (source_id, index of the row in its table, line of the row in the file)
ROWS = [(sid, i, i + 1) for sid in SOURCES for i in range(1, len(TABLES[sid]))]


class Workspace:
    """A copy of the inputs in which one table cell at a time is changed and staged."""

    def __init__(self, root: Path) -> None:
        for name in ("raw", "schemas"):
            shutil.copytree(SEEDS / name, root / name)
        self.root = root
        self.context = StageContext.load(root)
        self.alphabet = {}
        for sid in SOURCES:
            text = (SEEDS / self.context.manifest[sid].file).read_text(encoding="utf-8")
            self.alphabet[sid] = sorted(set(text) - {ch for ch in text if ch.isspace()})

    def cleaning(self, sid: str):
        return self.context.manifest[sid].cleaning

    def errors_with(self, sid: str, index: int, column: str, value: str) -> list[dict]:
        """Error findings of `sid` staged with one cell changed (the table is restored)."""
        rows = [list(r) for r in TABLES[sid]]
        rows[index][rows[0].index(column)] = value
        path = self.root / "raw" / "tables" / f"{sid}.csv"
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        path.write_text(buffer.getvalue(), encoding="utf-8")
        try:
            staged = stage_source(self.root, sid, context=self.context)
        finally:
            shutil.copyfile(SEEDS / "raw" / "tables" / f"{sid}.csv", path)
        return [f for f in all_findings(staged) if f["severity"] == "error"]

    def assert_named(self, sid: str, index: int, line: int, column: str, value: str) -> None:
        """An error finding of the source names the row: as its row, or in its message
        (a coverage finding names every row whose quote holds the missing mention)."""
        errors = self.errors_with(sid, index, column, value)
        where = re.compile(rf"raw/tables/{re.escape(sid)}\.csv:{line}(?!\d)")
        assert any(f["source_id"] == sid and (f["row_number"] == line or where.search(f["message"]))
                   for f in errors), (sid, line, column, value, [f["message"] for f in errors])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("mutations"))


def quote_changes_visible(ws: Workspace, sid: str, quote: str, position: int, new: str) -> bool:
    """Whether replacing quote[position] by `new` changes the quote's normal form."""
    cleaning = ws.cleaning(sid)
    return not new.isspace() and \
        normalise(new, cleaning).text != normalise(quote[position], cleaning).text


def digit_positions(quantity: str) -> list[int]:
    return [i for i, ch in enumerate(quantity) if ch in ARABIC + FULL_WIDTH + CHINESE]


def other_digits(ch: str) -> str:
    script = next(s for s in (ARABIC, FULL_WIDTH, CHINESE) if ch in s)
    return script.replace(ch, "")


def test_unchanged_tables_have_no_errors(workspace):
    for sid in SOURCES:
        row = TABLES[sid][1]
        assert workspace.errors_with(sid, 1, "quote", row[TABLES[sid][0].index("quote")]) == []


def test_invisible_changes_are_what_normalisation_declares_equal(workspace):
    sid = "002_07a3eed86aa5b575"
    quote = TABLES[sid][2][TABLES[sid][0].index("quote")]      # "到2030年,各級綠色工廠..."
    assert not quote_changes_visible(workspace, sid, quote, quote.index(","), "，")
    assert not quote_changes_visible(workspace, sid, quote, quote.index("綠"), "绿")
    assert workspace.errors_with(sid, 2, "quote", quote.replace("綠", "绿")) == []
    assert quote_changes_visible(workspace, sid, quote, quote.index("綠"), "红")


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(ROWS), st.data())
def test_a_changed_quote_character_fails_naming_source_and_row(workspace, row, data):
    sid, index, line = row
    quote = TABLES[sid][index][TABLES[sid][0].index("quote")]
    position = data.draw(st.integers(0, len(quote) - 1), label="position")
    new = data.draw(st.sampled_from(workspace.alphabet[sid]) | st.sampled_from(ARABIC + CHINESE),
                    label="replacement")
    assume(quote_changes_visible(workspace, sid, quote, position, new))
    workspace.assert_named(sid, index, line, "quote", quote[:position] + new + quote[position + 1:])


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(ROWS), st.data())
def test_a_changed_quantity_digit_fails_naming_source_and_row(workspace, row, data):
    sid, index, line = row
    quantity = TABLES[sid][index][TABLES[sid][0].index("quantity")]
    positions = digit_positions(quantity)
    assume(positions)
    position = data.draw(st.sampled_from(positions), label="position")
    new = data.draw(st.sampled_from(other_digits(quantity[position])), label="digit")
    workspace.assert_named(sid, index, line, "quantity",
                           quantity[:position] + new + quantity[position + 1:])


# ------------------------------------------------------------------ exhaustive (slow)

# One test per row, so that pytest-xdist spreads the exhaustive changes over its workers.
ROW_IDS = [f"{sid}:{line}" for sid, _, line in ROWS]


@pytest.mark.slow
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_every_quantity_digit_changed_to_every_other_digit(workspace, row):
    sid, index, line = row
    quantity = TABLES[sid][index][TABLES[sid][0].index("quantity")]
    for position in digit_positions(quantity):
        for new in other_digits(quantity[position]):
            workspace.assert_named(sid, index, line, "quantity",
                                   quantity[:position] + new + quantity[position + 1:])


@pytest.mark.slow
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_every_quote_character_changed(workspace, row):
    """Each position of the row's quote, replaced by a character of the source itself
    (the likeliest to still match somewhere) and by a digit."""
    sid, index, line = row
    quote = TABLES[sid][index][TABLES[sid][0].index("quote")]
    rng = random.Random(f"{sid}:{line}")
    for position in range(len(quote)):
        for new in (rng.choice(workspace.alphabet[sid]), rng.choice(ARABIC)):
            if quote_changes_visible(workspace, sid, quote, position, new):
                workspace.assert_named(sid, index, line, "quote",
                                       quote[:position] + new + quote[position + 1:])
