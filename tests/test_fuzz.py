"""Arbitrary text into every reader of hand-edited input: only the project's own errors come out.

The quantity parser, the CSV reader (alone in test_csvfile.py, and here through a
whole staging of a table), the normaliser with arbitrary declared cleaning, the
evidence search, the YAML readers (catalog, units, discrepancies, configuration)
and the manifest reader are driven with generated text. Each either returns a
result or raises a GreenauditError whose message is non-empty; any other exception
is a bug that a user's typo could trigger.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from workflow_support import REPO, SEEDS

from greenaudit.workspace.catalog import check_breakdown, check_period, load_catalog, load_discrepancies
from greenaudit.errors import GreenauditError, QuantityError
from greenaudit.stage.evidence import EVIDENCE_STATUSES, check_evidence
from greenaudit.workspace.manifest import load_manifest
from greenaudit.text.normalise import Cleaning, normalise
from greenaudit.text.quantity import CN_NUMERAL_CHARS, INFIXES, MAGNITUDES, PREFIXES, SUFFIXES, intervals
from greenaudit.stage.source import stage_source
from greenaudit.text.units import UnitSystem
from greenaudit.workflow import config_problem

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
SLOW_FUZZ = settings(FUZZ, max_examples=60)


def assert_own_error(exc: BaseException) -> None:
    assert isinstance(exc, GreenauditError), f"{type(exc).__name__}: {exc}"
    assert exc.reason.strip()
    assert "\n" not in exc.located(), "an error message must be one line"


# ------------------------------------------------------------------ quantities

PIECES = [*"0123456789.,-+~%／/年月", *CN_NUMERAL_CHARS, *PREFIXES, *SUFFIXES, *INFIXES,
          *MAGNITUDES, "个百分点", "千瓦时", "吨标准煤", "万辆", "两位数", "元", "家", "斤",
          "至", "到", "０", "１", "．", "，", "－", "\u2212", " ", "\t", "\n", "=", "@", "x"]
quantities = st.one_of(st.text(max_size=40),
                       st.lists(st.sampled_from(PIECES), max_size=10).map("".join))


@FUZZ
@given(quantities, st.sampled_from(["0.05", "0", "0.5"]))
def test_quantity_parser_and_intervals(parser, text, band):
    try:
        quantity = parser.parse(text)
    except Exception as exc:  # noqa: BLE001 - the property is about the exception type
        assert isinstance(exc, QuantityError)
        assert_own_error(exc)
        return
    stated, allowed = intervals(quantity, Decimal(band), Decimal(band))
    for interval in (stated, allowed):
        if interval.lower is not None and interval.upper is not None:
            assert interval.lower <= interval.upper


# ------------------------------------------------------------------ normaliser, evidence

# Strip patterns are RE2 (the manifest refuses lookaround): these are all valid.
patterns = st.sampled_from(["", r"\(.*?\)", r"[a-z]+", r"\d", "[（(][^）)]*[）)]", ".", "x*",
                            r"。\s", r"\p{Cf}", "^", "$"])


@FUZZ
@given(st.text(max_size=60), st.lists(st.text(max_size=6), max_size=3),
       st.lists(patterns, max_size=2), st.booleans(), st.text(max_size=20),
       st.text(max_size=8))
def test_normaliser_and_evidence_take_any_text(raw, drops, strips, simplified, quote, quantity):
    cleaning = Cleaning(tuple(drops), tuple(strips), simplified)
    normalised = normalise(raw, cleaning)
    assert len(normalised.origin) == len(normalised.text)
    assert all(0 <= o < len(raw) for o in normalised.origin)
    evidence = check_evidence(normalised, raw, quote, quantity, cleaning)
    assert evidence.status in EVIDENCE_STATUSES


@FUZZ
@given(st.text(max_size=30))
def test_period_and_breakdown_checks_take_any_text(text):
    for problem in (check_period(text), check_breakdown(text)):
        assert problem is None or problem.strip()


# ------------------------------------------------------------------ a whole table

@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """The real sources, manifest and schemas; each example writes one table."""
    root = tmp_path_factory.mktemp("fuzz")
    for name in ("raw", "schemas"):
        shutil.copytree(SEEDS / name, root / name)
    return root


HEADER = "indicator_id,period,quantity,quote,breakdown,note\n"
CELLS = st.one_of(st.text(max_size=12), st.sampled_from(
    ["hi_tech_mfg_share", "2012", "2012-2022", "2021-2012", "9.4%", "9.4万辆", "-9.4%", "=1+1",
     "我国高技术制造业", "country=us", '"', '""', ",", "\r\n", "\ufeff", "\x00", "x" * 10_001]))
rows = st.lists(st.lists(CELLS, min_size=0, max_size=8).map(",".join), max_size=6)
tables = st.one_of(
    rows.map(lambda r: HEADER + "\n".join(r)),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.text(max_size=200),
)
SOURCE = "003_1a3b190ec270dc4e"


@SLOW_FUZZ
@given(tables, st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "latin-1"]))
def test_staging_any_table_gives_checks_not_exceptions(workspace, table, encoding):
    try:
        data = table.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    (workspace / "raw" / "tables" / f"{SOURCE}.csv").write_bytes(data)
    staged = stage_source(workspace, SOURCE)
    assert staged.checks
    for check in staged.checks:
        assert check.message.strip()
        assert "\n" not in check.message
    read = next(c for c in staged.checks if c.check_id == f"table.read.{SOURCE}")
    if read.status == "fail":
        assert f"raw/tables/{SOURCE}.csv:" in read.message


# ------------------------------------------------------------------ YAML and manifest

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=8), st.sampled_from(
                        ["percent", "share", "count", "CNY", "hi_tech_mfg_share", "2022",
                         "000_451eeb3f8d9b8ea0", "rounding", "."]))
ENTRY_KEYS = ["kind", "unit", "valid_range", "plausible_range", "plausible_reason", "name_en",
              "name_zh", "description", "target", "indicator_id", "period", "sources",
              "reason", "breakdown", "workspace", "approximate_band", "near_band"]
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(ENTRY_KEYS), inner, max_size=3)),
    max_leaves=6)
entries = st.one_of(
    st.dictionaries(st.sampled_from(ENTRY_KEYS), values, max_size=7),
    # Complete entries, so that the checks after "are the keys there?" run too.
    st.fixed_dictionaries({k: values for k in ("indicator_id", "period", "sources", "reason")},
                          optional={"breakdown": values}),
    st.fixed_dictionaries({k: values for k in ("name_en", "name_zh", "kind", "unit",
                                               "valid_range", "description")},
                          optional={k: values for k in ("target", "plausible_range",
                                                        "plausible_reason")}))
containers = st.one_of(values, st.lists(st.one_of(entries, values), max_size=3),
                       st.dictionaries(st.sampled_from(["hi_tech_mfg_share", "x", "Bad-Id", "%",
                                                        "万辆", "1"]),
                                       st.one_of(entries, values), max_size=3))
documents = st.one_of(values, st.dictionaries(
    st.sampled_from(["indicators", "written_units", "discrepancies", *ENTRY_KEYS]), containers,
    max_size=4))
YAML_PIECES = ["indicators:", "written_units:", "discrepancies:", "\n", "  ", "- ", ": ", "[",
               "]", "{", "}", ",", "'", '"', "#", "&a", "*a", "!!python/object", "\t", "---",
               "2023-02-30", "percent", "kind: share", "%", "|", ">", "?", "\x85", "\ufeff"]
yaml_texts = st.one_of(
    documents.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    st.lists(st.sampled_from(YAML_PIECES), max_size=20).map("".join),
    st.text(max_size=60),
)


def _own_errors_only(call) -> None:
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the property is about the exception type
        assert_own_error(exc)


@pytest.fixture(scope="module")
def schemas(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("schemas")
    shutil.copytree(SEEDS / "schemas", root, dirs_exist_ok=True)
    return root


def yaml_text_under(top: str):
    """Generated YAML, mostly a document under the file's own top-level key."""
    return st.one_of(
        st.dictionaries(st.just(top), containers, min_size=1).map(
            lambda d: yaml.safe_dump(d, allow_unicode=True)),
        yaml_texts)


@pytest.mark.parametrize("name, top", [("indicators.yaml", "indicators"),
                                       ("units.yaml", "written_units"),
                                       ("known_discrepancies.yaml", "discrepancies")])
@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_schema_files_with_any_text_give_located_errors(schemas, name, top, data):
    text = data.draw(yaml_text_under(top), label=name)
    original = (SEEDS / "schemas" / name).read_bytes()
    (schemas / name).write_text(text, encoding="utf-8")
    try:
        def load_all():
            units = UnitSystem.load(schemas)
            load_discrepancies(schemas, load_catalog(schemas, units))
        _own_errors_only(load_all)
    finally:
        (schemas / name).write_bytes(original)


@FUZZ
@given(yaml_texts)
def test_configuration_with_any_text_gives_a_located_error(tmp_path, text):
    config = tmp_path / "config.yaml"
    config.write_text(text, encoding="utf-8")
    _own_errors_only(lambda: config_problem(config, REPO / "workflow/schemas/config.schema.yaml"))


MANIFEST_CELLS = st.one_of(st.text(max_size=10), st.sampled_from(
    ["003_1a3b190ec270dc4e", "raw/sources/003_1a3b190ec270dc4e.txt", "a" * 64, "Hans", "Hant",
     "(", "[a-", "|", "", '"']))


@FUZZ
@given(st.lists(st.lists(MANIFEST_CELLS, min_size=8, max_size=11).map(",".join), max_size=4))
def test_manifest_with_any_rows_gives_located_errors(tmp_path, rows):
    (tmp_path / "raw").mkdir(exist_ok=True)
    header = "source_id,file,sha256,title,publisher,published,script,kind,drop_strings,strip_patterns"
    (tmp_path / "raw" / "sources.csv").write_text("\n".join([header, *rows]) + "\n",
                                                  encoding="utf-8")
    _own_errors_only(lambda: load_manifest(tmp_path))



# Characters the expression language gives meaning to, plus letters, digits and noise.
EXPRESSION_ALPHABET = st.sampled_from(list("abcdeh_xyz0123456789.@-+*/()[]=<>!,; \t\n'\"") +
                                      ["**", "==", "min", "max", "abs", "and", "or", "not",
                                       "hi_tech_mfg_share@2022", "2012-2022", "[level=x]",
                                       "1e999", "__import__", "lambda", "中", "％"])


@given(st.lists(EXPRESSION_ALPHABET, max_size=25).map("".join) | st.text(max_size=40))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_rule_expression_parser_raises_only_its_own_located_errors(text: str) -> None:
    from greenaudit.rules.grammar import constant_value, parse
    from greenaudit.rules.syntax import ExpressionError, references

    try:
        tree = parse(text)
    except ExpressionError as exc:
        assert exc.message and "\n" not in exc.message
        assert 0 <= exc.offset <= len(text)
        return
    references(tree)  # a parsed tree is walkable
    try:
        constant_value(tree)
    except ExpressionError as exc:
        assert exc.message
