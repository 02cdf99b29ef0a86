"""`greenaudit quantity`: the reading of a figure as staging does it, in text or JSON lines."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from decimal import Decimal

import pytest

from greenaudit.cli import main
from greenaudit.workspace.catalog import load_catalog
from greenaudit.workspace.manifest import load_manifest
from greenaudit.text.quantity import Interval
from greenaudit.tools.quantity import Reader
from greenaudit.stage.source import StageContext, stage_source

KEYS = {"input", "value", "unit", "qualifier", "value_canonical", "unit_canonical", "lower",
        "upper"}


def run(capsys, monkeypatch, *argv: str, stdin: str = "") -> tuple[int, list[str]]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(["quantity", *argv])
    return code, capsys.readouterr().out.splitlines()


def test_json_lines_with_exactly_the_documented_keys(capsys, monkeypatch, seed_workspace):
    code, lines = run(capsys, monkeypatch, "--json", "--workspace", str(seed_workspace),
                      "2700余家", "三成", "超过40%")
    assert code == 0
    records = [json.loads(line, parse_float=Decimal) for line in lines]
    assert all(set(r) == KEYS for r in records)
    assert records[0] == {"input": "2700余家", "value": 2700, "unit": "家", "qualifier": "odd",
                          "value_canonical": 2700, "unit_canonical": "count", "lower": 2700,
                          "upper": 2800}
    assert (records[1]["value_canonical"], records[1]["unit_canonical"]) == (30, "percent")
    assert (records[1]["lower"], records[1]["upper"]) == (25, 35)
    assert records[2]["upper"] is None


def test_a_refused_quantity_prints_its_error_and_exits_1(capsys, monkeypatch, seed_workspace):
    code, lines = run(capsys, monkeypatch, "--json", "--workspace", str(seed_workspace),
                      "十七百", "七部门")
    assert code == 1
    refused, read = (json.loads(line) for line in lines)
    assert set(refused) == {"input", "error"} and "十七百" in refused["error"]
    assert read["value_canonical"] == 7


def test_standard_input_one_quantity_a_line(capsys, monkeypatch, seed_workspace):
    code, lines = run(capsys, monkeypatch, "--workspace", str(seed_workspace),
                      stdin="近3万种\n\n1.5亿吨以上\r\n斤\n")
    assert code == 1
    assert len(lines) == 3
    assert lines[0].startswith("近3万种\t") and "lower=28500 upper=30000" in lines[0]
    assert lines[1].startswith("1.5亿吨以上\t") and "upper=null" in lines[1]
    assert lines[2].startswith("斤\terror: ")


def test_bands_come_from_the_configuration_or_the_options(capsys, monkeypatch, seed_workspace,
                                                         workspace_copy):
    (workspace_copy / "config").mkdir()
    (workspace_copy / "config" / "config.yaml").write_text("approximate_band: 0.1\n")
    _, lines = run(capsys, monkeypatch, "--json", "--workspace", str(workspace_copy), "约40%")
    assert json.loads(lines[0])["lower"] == 36
    _, lines = run(capsys, monkeypatch, "--json", "--workspace", str(workspace_copy),
                   "--approximate-band", "0.2", "约40%")
    assert json.loads(lines[0])["lower"] == 32


def test_traditional_script_is_normalised_like_a_hant_source(capsys, monkeypatch, seed_workspace):
    _, lines = run(capsys, monkeypatch, "--json", "--workspace", str(seed_workspace),
                   "--traditional", "超過40%")
    assert json.loads(lines[0])["qualifier"] == "lower_bound"


def test_the_examples_of_transcribing_md_are_what_the_command_prints(capsys, monkeypatch,
                                                                    seed_workspace):
    doc = (Path(__file__).resolve().parents[2] / "raw" / "TRANSCRIBING.md").read_text(encoding="utf-8")
    section = doc[doc.index("### Checking a reading"):]
    block = section[section.index("```\n") + 4:section.index("\n```", section.index("```\n") + 4)]
    commands = re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]
    assert len(commands) == 2
    for command in commands:
        line, *expected = command.strip("\n").split("\n")
        printf = re.fullmatch(r"printf '(.*)' \| greenaudit quantity(.*)", line)
        if printf:
            stdin, argv = printf[1].replace("\\n", "\n"), printf[2].split()
        else:
            stdin, argv = "", line.split()[2:]
        _, lines = run(capsys, monkeypatch, "--workspace", str(seed_workspace), *argv, stdin=stdin)
        assert lines == expected


@pytest.fixture(scope="module")
def staged_seeds(seed_workspace):
    context = StageContext.load(seed_workspace)
    return [stage_source(seed_workspace, sid, context=context)
            for sid in sorted(load_manifest(seed_workspace))]


def test_reads_every_seed_quantity_as_staging_did(staged_seeds, seed_workspace):
    reader = Reader.load(seed_workspace, {})
    catalog = load_catalog(seed_workspace / "schemas", reader.units)
    compared = 0
    for staged in staged_seeds:
        for obs in staged.observations:
            if obs["context_qualifier"]:
                continue  # its qualifier is written apart from the quantity (the row's column)
            record = reader.read(obs["quantity"])
            assert record["qualifier"] == obs["qualifier"], obs["quantity"]
            assert record["value"] == obs["value"]
            if record["unit_canonical"] != obs["unit_canonical"] or "unit_implied" in obs["flags"]:
                continue
            assert record["value_canonical"] == obs["value_canonical"]
            # Staging clamps to the indicator's valid range; the command knows no indicator.
            indicator = catalog[obs["indicator_id"]]
            interval = Interval(record["lower"], record["upper"])
            clamped = interval.clamped(indicator.valid_low, indicator.valid_high)
            assert (obs["lower"], obs["upper"]) == (clamped.lower, clamped.upper), obs["quantity"]
            compared += 1
    assert compared >= 100
