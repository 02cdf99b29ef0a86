"""`greenaudit synth`: deterministic workspaces whose answer key says exactly what was planted."""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from greenaudit.cli import main
from greenaudit.errors import InputError
from greenaudit.workspace.manifest import load_manifest
from greenaudit.text.normalise import normalise
from greenaudit.text.quantity import intervals
from greenaudit.synth.answer_key import CLASS_NAMES, read_answer_key
from greenaudit.synth.forms import FORM_NAMES, Style, render
from greenaudit.synth.generate import Request, generate
from greenaudit.synth.oracle import Oracle
from greenaudit.synth.vocabulary import MEASURES, all_names, numeral_free

BAND = Decimal("0.05")


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _table(ws: Path, source_id: str) -> dict[int, dict]:
    with open(ws / "raw" / "tables" / f"{source_id}.csv", encoding="utf-8", newline="") as f:
        return {line: row for line, row in enumerate(csv.DictReader(f), start=2)}


def _lines(ws: Path, source_id: str) -> list[str]:
    # Line r of the text (1-based) states table row r; line 1 is the title.
    return [""] + (ws / "raw" / "sources" / f"{source_id}.txt").read_text("utf-8").splitlines()


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("synth") / "ws"
    generate(ws, Request(12, 60, 0.02, 5))
    return ws


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    ws = tmp_path_factory.mktemp("synth") / "clean"
    generate(ws, Request(20, 80, 0.0, 3))
    return ws


# ------------------------------------------------------------------ determinism

def test_same_arguments_give_byte_identical_workspaces(planted, tmp_path):
    again = tmp_path / "again"
    generate(again, Request(12, 60, 0.02, 5))
    assert _tree(again) == _tree(planted)


def test_another_seed_gives_another_corpus(planted, tmp_path):
    other = tmp_path / "other"
    generate(other, Request(12, 60, 0.02, 6))
    assert _tree(other)["raw/sources.csv"] != _tree(planted)["raw/sources.csv"]


def test_cli_writes_the_workspace(tmp_path, capsys):
    assert main(["synth", "--sources", "2", "--rows-per-source", "5", "--seed", "1",
                 str(tmp_path / "ws")]) == 0
    assert sorted(p.name for p in (tmp_path / "ws" / "raw" / "tables").iterdir()) == [
        "syn0000.csv", "syn0001.csv"]


@pytest.mark.parametrize("request_, problem", [
    (Request(0, 5, 0.0, 1), "at least 1"), (Request(2, 5, 0.5, 1), "outside [0, 0.05]"),
])
def test_bad_arguments_are_one_line_errors(tmp_path, request_, problem):
    with pytest.raises(InputError, match=re.escape(problem)):
        generate(tmp_path / "ws", request_)


def test_a_non_empty_output_directory_is_refused(tmp_path):
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        generate(tmp_path / "ws", Request(2, 5, 0.0, 1))
    assert (tmp_path / "ws" / "keep.txt").read_text() == "mine"
    assert not list(tmp_path.glob(".ws.partial"))


# ------------------------------------------------------------------ the workspace

def test_workspace_is_complete_and_manifest_checksums_are_real(planted):
    for name in ("config/config.yaml", "raw/ignored.csv", "schemas/indicators.yaml",
                 "schemas/units.yaml", "schemas/units.txt", "schemas/known_discrepancies.yaml",
                 "schemas/rules.yaml", "answer_key.json", "answer_key.csv", "synth.json"):
        assert (planted / name).is_file(), name
    assert yaml.safe_load((planted / "config/config.yaml").read_text())["workspace"] == "."
    with open(planted / "raw" / "sources.csv", encoding="utf-8", newline="") as f:
        manifest = list(csv.DictReader(f))
    assert len(manifest) == 12
    for row in manifest:
        data = (planted / row["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert len(_table(planted, row["source_id"])) == 60


def test_rules_follow_the_rules_format_and_name_catalog_indicators(planted):
    rules = yaml.safe_load((planted / "schemas" / "rules.yaml").read_text())["rules"]
    catalog = yaml.safe_load((planted / "schemas" / "indicators.yaml").read_text())["indicators"]
    stated = set()
    for table in (planted / "raw" / "tables").glob("*.csv"):
        stated |= {(r["indicator_id"], r["period"]) for r in _table(planted, table.stem).values()}
    assert rules
    for rule in rules:
        assert set(rule) <= {"id", "description", "severity", "scope", "expression", "derive"}
        assert (rule["severity"], rule["scope"]) == ("error", "cross-record")
        terms = re.findall(r"([a-z][a-z0-9_]*)@(\d{4}(?:-\d{4})?)", rule["expression"])
        assert len(terms) == 3 and all(t[0] in catalog for t in terms)
        assert re.fullmatch(r"\S+ == \S+ - \S+", rule["expression"])
        if "derive" in rule:  # a value no source states, implied by the rule
            assert rule["derive"] == "@".join(terms[0]) and terms[0] not in stated
        else:
            assert all(t in stated for t in terms)


def test_sources_overlap_and_state_figures_in_several_forms(clean):
    oracle = Oracle(clean, BAND, BAND)
    manifest = load_manifest(clean)
    groups: dict[tuple, list[str]] = {}
    for table in sorted((clean / "raw" / "tables").glob("*.csv")):
        cleaning = manifest[table.stem].cleaning
        for row in _table(clean, table.stem).values():
            groups.setdefault((row["indicator_id"], row["period"], row["breakdown"]),
                              []).append(normalise(row["quantity"], cleaning).text)
    sizes = Counter(len(q) for q in groups.values())
    assert sizes[1] and sizes[2] and sizes[3] and max(sizes) >= 4
    quantities = [q for qs in groups.values() for q in qs]
    for marker in ("超过", "约", "近", "以上", "万", "亿", "万亿"):
        assert any(marker in q for q in quantities), marker
    # Several sources state one value differently (28% vs 28.2% style).
    assert any(len(set(qs)) > 1 for qs in groups.values())
    declared = {(d["indicator_id"], d["period"], d["breakdown"]) for d in yaml.safe_load(
        (clean / "schemas" / "known_discrepancies.yaml").read_text())["discrepancies"]}
    assert declared
    for key, qs in groups.items():
        readings = [oracle.read(key[0], q) for q in qs]
        assert all(r.credible for r in readings), (key, qs)
        lows = [r.lower for r in readings if r.lower is not None]
        highs = [r.upper for r in readings if r.upper is not None]
        agree = not lows or not highs or max(lows) <= min(highs)
        assert agree != (key in declared), (key, qs)


def test_every_number_in_a_clean_source_is_a_transcribed_quantity_or_a_year(clean):
    injected = re.compile("OD体育app手机登陆|点击下载客户端阅读全文|扫码关注官方公众号")
    for table in sorted((clean / "raw" / "tables").glob("*.csv")):
        lines = _lines(clean, table.stem)
        assert numeral_free(lines[1])
        for line, row in _table(clean, table.stem).items():
            text = injected.sub("", lines[line])
            assert text.count(row["quantity"]) == 1, (table.stem, line)
            rest = re.sub(r"\d{4}年", "", text.replace(row["quantity"], ""))
            assert numeral_free(rest), (table.stem, line, rest)
            assert row["quote"] in text and row["quote"] + "。" == text.rstrip()


def test_vocabulary_has_no_numbers():
    assert all(numeral_free(name) for name in all_names())


# ------------------------------------------------------------------ the answer key

def test_answer_key_counts_match_the_rate(planted):
    meta, errors = read_answer_key(planted)
    counts = Counter(e.error_class for e in errors)
    assert set(counts) == set(CLASS_NAMES)
    for name in CLASS_NAMES:
        rows = meta["checkable_rules"] if name == "broken_identity" else meta["rows"]
        assert counts[name] == meta["requested"][name] == max(1, round(0.02 * rows)), name
    assert meta["planted"] == dict(counts)
    assert len({e.error_id for e in errors}) == len(errors)
    assert len({r for e in errors for r in e.rows}) == sum(len(e.rows) for e in errors)


def test_answer_key_matches_what_was_written(planted):
    import opencc

    s2t = opencc.OpenCC("s2t").convert
    _, errors = read_answer_key(planted)
    rules = {r["id"]: r for r in yaml.safe_load(
        (planted / "schemas" / "rules.yaml").read_text())["rules"]}
    scripts = {sid: source.script for sid, source in load_manifest(planted).items()}
    assert "Hant" in scripts.values()
    for error in errors:
        for source_id, row_number in error.rows:
            # The key holds the simplified form; a Hant source writes it converted.
            convert = s2t if scripts[source_id] == "Hant" else (lambda text: text)
            truth, says, typed = (convert(error.truth), convert(error.source_says),
                                  convert(error.table_says))
            row = _table(planted, source_id)[row_number]
            line = _lines(planted, source_id)[row_number]
            assert (row["indicator_id"], row["period"], row["breakdown"]) in error.groups
            if error.location == "source_text":
                assert row["quantity"] == says == typed
                assert says in line and truth not in line.replace(says, "")
            elif error.error_class == "digit_transposition":
                assert row["quantity"] == typed and truth in line and typed not in line
            elif error.error_class == "period_shift":
                assert row["period"] == str(int(error.truth) - 1)
                assert line.startswith(f"{error.truth}年") and row["quantity"] in line
            elif error.error_class == "quote_mismatch":
                assert row["quote"] == typed and row["quote"] not in line
                assert row["quantity"] == truth and truth in line
        if error.error_class == "broken_identity":
            rule = rules[error.rule_id]
            assert "derive" not in rule
            for indicator_id, period in error.rule_terms:
                assert f"{indicator_id}@{period}" in rule["expression"]


# ------------------------------------------------------------------ forms and scripts

STYLES = [Style(m.written_unit, m.magnitude, m.decimals, m.big_magnitude) for m in MEASURES]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(STYLES), st.integers(min_value=50, max_value=10**7),
       st.integers(min_value=0, max_value=len(FORM_NAMES) - 1))
def test_every_form_covers_the_true_value(parser, style, units, form):
    quantity = render(units, style, form, BAND, BAND)
    if quantity is None:
        return
    truth = Decimal(units).scaleb(-style.decimals) * Decimal(10) ** {
        "": 0, "万": 4, "亿": 8}[style.magnitude]
    parsed = parser.parse(quantity)
    _, allowed = intervals(parsed, BAND, BAND)
    assert allowed.lower is None or allowed.lower <= truth, (quantity, truth)
    assert allowed.upper is None or truth <= allowed.upper, (quantity, truth)


def test_traditional_script_quantities_parse_like_simplified(parser):
    import opencc

    s2t, t2s = opencc.OpenCC("s2t"), opencc.OpenCC("t2s")
    for style in STYLES:
        for form in range(len(FORM_NAMES)):
            for units in (1234, 98765, 4321987):
                quantity = render(units, style, form, BAND, BAND)
                if quantity:
                    assert parser.parse(t2s.convert(s2t.convert(quantity))) == \
                        parser.parse(quantity)
