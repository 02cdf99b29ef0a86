"""Tests of `greenaudit scaffold` (greenaudit.tools.scaffold)."""

from __future__ import annotations

import csv
import io

import pytest

from greenaudit.cli import main
from greenaudit.errors import InputError
from greenaudit.text.normalise import normalise
from greenaudit.tools.scaffold.table import append_rows, confirm, scaffold, scaffold_rows
from greenaudit.stage.source import TABLE_COLUMNS, TABLE_OPTIONAL, stage_source

WHITE_PAPER = "000_451eeb3f8d9b8ea0"
DECK = "004_2e0697a374659b7e"


def table_path(workspace, sid):
    return workspace / "raw" / "tables" / f"{sid}.csv"


def rows_of(path):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def drop(path, predicate):
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([rows[0]] + [r for r in rows[1:]
                                                                   if not predicate(r)])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def coverage_check(workspace, sid):
    staged = stage_source(workspace, sid)
    return next(c for c in staged.checks if c.check_id == f"coverage.{sid}")


def test_nothing_to_scaffold_on_the_seeds(workspace_copy):
    before = table_path(workspace_copy, WHITE_PAPER).read_bytes()
    result = scaffold(workspace_copy, WHITE_PAPER)
    assert result.rows == [] and result.set_aside == []
    assert table_path(workspace_copy, WHITE_PAPER).read_bytes() == before


def test_deleted_figures_come_back_as_proposed_rows(workspace_copy):
    path = table_path(workspace_copy, WHITE_PAPER)
    original = path.read_bytes()
    drop(path, lambda r: r[0] in ("green_factories", "hi_tech_mfg_share"))
    kept = path.read_bytes()
    assert coverage_check(workspace_copy, WHITE_PAPER).n_failed == 2

    appended = scaffold(workspace_copy, WHITE_PAPER).rows
    assert [r["quantity"] for r in appended] == ["15.5%", "3616家"]
    data = path.read_bytes()
    assert data.startswith(kept)                        # existing rows untouched, byte for byte
    rows = rows_of(path)
    new = rows[-2:]
    # Unconfirmed: the columns stay blank (the build fails on them) and the note proposes.
    assert [(r["indicator_id"], r["period"], r["breakdown"]) for r in new] == [("", "", "")] * 2
    assert new[1]["quote"] == "2023年4月底，国家层面共创建绿色工厂3616家"
    assert new[1]["note"].startswith(
        f"scaffold: raw/sources/{WHITE_PAPER}.txt:17:52; proposed indicator_id=green_factories, "
        f"period=2023-04, breakdown=level=national; confidence ")
    assert new[0]["note"].startswith(
        f"scaffold: raw/sources/{WHITE_PAPER}.txt:7:102; proposed indicator_id=hi_tech_mfg_share, "
        f"period=2022, breakdown=; ")

    # Once confirmed, the rows prove their quotes and the source is covered again.
    lines = [len(rows), len(rows) + 1]
    assert confirm(workspace_copy, WHITE_PAPER, lines) == lines
    assert path.read_bytes().startswith(kept)
    confirmed = rows_of(path)[-2:]
    assert [(r["indicator_id"], r["period"], r["breakdown"]) for r in confirmed] == [
        ("hi_tech_mfg_share", "2022", ""), ("green_factories", "2023-04", "level=national")]
    staged = stage_source(workspace_copy, WHITE_PAPER)
    assert not [c for c in staged.checks if c.is_error], [c.message for c in staged.checks if c.is_error]
    assert len(staged.observations) == len(rows_of(path)) == original.decode().count("\n") - 1
    with pytest.raises(InputError, match=f"{WHITE_PAPER}.csv:2: not an unconfirmed scaffold row"):
        confirm(workspace_copy, WHITE_PAPER, [2])


def test_scaffold_is_idempotent(workspace_copy):
    path = table_path(workspace_copy, WHITE_PAPER)
    drop(path, lambda r: r[0] == "green_factories")
    assert len(scaffold(workspace_copy, WHITE_PAPER).rows) == 1
    after_first = path.read_bytes()
    assert scaffold(workspace_copy, WHITE_PAPER).rows == []
    assert path.read_bytes() == after_first


def test_candidates_quote_the_source_as_written(workspace_copy):
    # A slide table: cells separated by whitespace stay separate, the quote keeps spaces
    # and runs from the table's unit line to the cell's row.
    path = table_path(workspace_copy, DECK)
    drop(path, lambda r: r[0] == "green_industrial_parks" and r[4] == "level=provincial")
    row, = scaffold_rows(workspace_copy, DECK)
    assert row["quantity"] == "243"
    assert row["quote"] == ("单位： 家 绿色 工厂 绿色 园区 绿色 供应链 国家级 3616 267 403 "
                            "省级 3839 243 156")
    assert "indicator_id=green_industrial_parks, period=2022, breakdown=level=provincial;" \
        in row["note"]
    # Traditional script with pinyin: the quantity is written as in the document.
    hant = "002_07a3eed86aa5b575"
    drop(table_path(workspace_copy, hant), lambda r: r[0] == "guidance_issuing_departments")
    row, = scaffold_rows(workspace_copy, hant)
    assert row["quantity"] == "7部門"
    assert "(" not in row["quote"] and row["quote"].startswith("日前,工業和信息化部等7部門")


def test_every_candidate_quote_is_found_and_holds_its_quantity(workspace_copy):
    path = table_path(workspace_copy, DECK)
    drop(path, lambda r: True)      # every figure of the deck is missing
    rows = scaffold_rows(workspace_copy, DECK)
    assert len(rows) >= 90
    text = (workspace_copy / "raw" / "sources" / f"{DECK}.txt").read_text(encoding="utf-8")
    source = normalise(text).text
    for row in rows:
        quote = normalise(row["quote"]).text
        assert quote in source and normalise(row["quantity"]).text in quote, row
        assert not row["quote"].startswith(("=", "+", "-", "@"))


def test_append_keeps_line_endings_and_a_missing_final_newline(tmp_path):
    path = tmp_path / "t.csv"
    header = ",".join(TABLE_COLUMNS + ("breakdown", "note"))    # the optional ones it uses
    path.write_bytes(f"{header}\r\nx,2022,1%,比重1%,,".encode())
    append_rows(path, [{"indicator_id": "", "period": "", "quantity": "2%",
                        "quote": "比重, 2%", "breakdown": "", "note": "n"}])
    assert path.read_bytes() == f"{header}\r\nx,2022,1%,比重1%,,\r\n,,2%,\"比重, 2%\",,n\r\n".encode()


def test_a_malformed_table_is_refused_and_left_as_it_was(workspace_copy):
    path = table_path(workspace_copy, WHITE_PAPER)
    drop(path, lambda r: r[0] == "green_factories")
    broken = path.read_bytes() + b'x,"unbalanced\n'
    path.write_bytes(broken)
    with pytest.raises(InputError, match="unbalanced"):
        scaffold(workspace_copy, WHITE_PAPER)
    assert path.read_bytes() == broken
    assert not list(path.parent.glob(".*.tmp"))


def test_cli_scaffold(workspace_copy, capsys):
    path = table_path(workspace_copy, WHITE_PAPER)
    drop(path, lambda r: r[0] == "green_factories")
    before = path.read_bytes()
    assert main(["scaffold", WHITE_PAPER, "--workspace", str(workspace_copy), "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "3616家\tgreen_factories\t2023-04\tlevel=national\t" in out.out
    assert "would append 1 candidate row" in out.err
    assert path.read_bytes() == before
    assert main(["scaffold", WHITE_PAPER, "--workspace", str(workspace_copy)]) == 0
    assert "appended 1 candidate row" in capsys.readouterr().err
    assert rows_of(path)[-1]["quantity"] == "3616家"
    assert main(["scaffold", "nope", "--workspace", str(workspace_copy)]) == 2
    assert "'nope' is not in raw/sources.csv" in capsys.readouterr().err


def test_a_new_source_without_a_table_gets_one(workspace_copy):
    path = table_path(workspace_copy, "002_07a3eed86aa5b575")
    path.unlink()
    staged = stage_source(workspace_copy, "002_07a3eed86aa5b575")
    check = next(c for c in staged.checks if c.check_id == "coverage.002_07a3eed86aa5b575")
    assert check.status == "fail" and "cannot be read" in check.message   # one line, not one per mention
    rows = scaffold(workspace_copy, "002_07a3eed86aa5b575").rows
    assert [r["quantity"] for r in rows] == ["7部門", "超過40%"]
    assert path.read_text(encoding="utf-8").splitlines()[0] == ",".join(TABLE_COLUMNS + TABLE_OPTIONAL)
    assert len(rows_of(path)) == 2
