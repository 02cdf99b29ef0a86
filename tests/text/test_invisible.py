"""Invisible characters and the one definition of a digit."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from greenaudit.text.digits import ascii_digits, is_digit
from greenaudit.text.invisible import describe, difference, find_invisible, remaining
from greenaudit.text.mentions import mentions_in
from greenaudit.text.normalise import Cleaning, normalise, normalise_text
from greenaudit.text.quantity import QuantityParser

SOURCE = "003_1a3b190ec270dc4e"


def _repin(workspace: Path, source_id: str, text: str) -> None:
    path = workspace / "raw" / "sources" / f"{source_id}.txt"
    path.write_text(text, encoding="utf-8")
    manifest = workspace / "raw" / "sources.csv"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    manifest.write_text(re.sub(rf"^({source_id},[^,]*,)[0-9a-f]{{64}}", rf"\g<1>{digest}",
                               manifest.read_text(encoding="utf-8"), flags=re.M),
                        encoding="utf-8")


def test_format_characters_are_found_and_named():
    text = "占比为\u202e5.51%\u202c，\u200d"
    assert find_invisible(text) == [3, 9, 11]
    assert describe("\u202e") == "U+202E RIGHT-TO-LEFT OVERRIDE"
    assert find_invisible("普通文字 15.5%") == []
    assert find_invisible("tab\tand\nnewline") == []      # whitespace is not invisible here


def test_a_declared_strip_pattern_drops_them():
    cleaning = Cleaning(strip_patterns=(r"\x{200B}",))
    raw = "九\u200b成\u202e"
    assert [raw[i] for i in remaining(raw, normalise_text(raw, cleaning))] == ["\u202e"]


def test_the_hint_names_what_the_eye_cannot_see():
    hint = difference("占比\u200d为5%", "占比为5%")
    assert "U+200D ZERO WIDTH JOINER" in hint and "quote holds" in hint


@pytest.mark.parametrize("digits", ["٥٠٠٠", "５０００", "५०००", "𝟓𝟎𝟎𝟎"])
def test_every_decimal_digit_reads_as_ascii(digits, parser: QuantityParser):
    assert all(is_digit(ch) for ch in digits)
    assert ascii_digits(digits) == "5000" or normalise_text(digits) == "5000"
    assert normalise_text(f"绿色工厂{digits}家") == "绿色工厂5000家"
    assert parser.parse(normalise_text(f"{digits}家")).value == 5000


def test_coverage_sees_the_figures_the_parser_reads():
    original = "绿色工厂٥٠٠٠家"
    normalised = normalise(original)
    [mention] = mentions_in(normalised, original)
    assert mention.text == "5000"
    assert normalised.original_characters(original, mention.start, mention.end) == "٥٠٠٠"


def test_staging_refuses_an_rtl_override(workspace_copy: Path):
    from greenaudit.stage.source import stage_source

    path = workspace_copy / "raw" / "sources" / f"{SOURCE}.txt"
    text = path.read_text(encoding="utf-8").replace("9.4%", "\u202e9.4%\u202c", 1)
    _repin(workspace_copy, SOURCE, text)
    table = workspace_copy / "raw" / "tables" / f"{SOURCE}.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(
        "2012年的9.4%", "2012年的\u202e9.4%\u202c", 1), encoding="utf-8")
    staged = stage_source(workspace_copy, SOURCE)
    failing = {c.check_id: c.message for c in staged.checks if c.status == "fail"}
    source_message = failing[f"source.invisible.{SOURCE}"]
    assert re.search(rf"raw/sources/{SOURCE}.txt:\d+:\d+: invisible character\(s\) "
                     r"U\+202E RIGHT-TO-LEFT OVERRIDE", source_message)
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in failing[f"table.quote_safe.{SOURCE}"]


def test_a_declared_drop_is_no_error(workspace_copy: Path):
    from greenaudit.stage.source import stage_source

    path = workspace_copy / "raw" / "sources" / f"{SOURCE}.txt"
    _repin(workspace_copy, SOURCE, path.read_text(encoding="utf-8").replace("9.4%", "9.4\u200b%", 1))
    manifest = workspace_copy / "raw" / "sources.csv"
    lines = manifest.read_text(encoding="utf-8").split("\n")
    # strip_patterns is column 10 of 12 (url and retrieved follow, empty here).
    lines = [line[:-2] + r"\x{200B},," if line.startswith(SOURCE) else line for line in lines]
    manifest.write_text("\n".join(lines), encoding="utf-8")
    staged = stage_source(workspace_copy, SOURCE)
    assert not [c for c in staged.checks if c.status == "fail"], \
        [c.message for c in staged.checks if c.status == "fail"]


def test_arabic_indic_digits_in_a_source_are_a_missing_mention(workspace_copy: Path):
    from greenaudit.stage.source import stage_source

    path = workspace_copy / "raw" / "sources" / f"{SOURCE}.txt"
    _repin(workspace_copy, SOURCE, path.read_text(encoding="utf-8") + "\n绿色工厂٥٠٠٠家\n")
    staged = stage_source(workspace_copy, SOURCE)
    missing = [row.mention for row, _ in staged.coverage.missing]
    assert "٥٠٠٠" in missing
