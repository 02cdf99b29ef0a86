"""The YAML reader: plain trees only, every refusal located; values cut in messages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from greenaudit.errors import InputError, excerpt, shorten
from greenaudit.formats.yamlfile import compose, load

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load(path)
    return str(info.value)


@pytest.mark.parametrize("text, located", [
    ("a: &x [1]\nb: *x\n", "f.yaml:1:4: anchor 'x'"),
    ("a: 1\nb: *x\n", "f.yaml:2:4: "),
    ("a: 1\nb: 2\na: 3\n", "f.yaml:3:1: duplicate key 'a' (first on line 1)"),
    ("x:\n  - {k: 1, k: 2}\n", "f.yaml:2:12: duplicate key 'k' (first on line 2)"),
    ("x:\n  <<: {a: 1}\n", "f.yaml:2:3: merge key '<<'"),
    ("? [1]\n: 2\n", "f.yaml:1:3: a key that is a list or mapping"),
])
def test_refusals_are_located(tmp_path, text, located):
    assert located in _error(tmp_path, text)


def test_a_billion_laughs_is_refused_at_once(tmp_path):
    start = time.monotonic()
    message = _error(tmp_path, LAUGHS)
    assert "anchor 'a'" in message and len(message) < 300
    assert time.monotonic() - start < 5


def test_plain_yaml_is_read(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("a: 1\nb: [x, {c: 'y * z & w'}]\n", encoding="utf-8")
    node, data = compose(path)
    assert data == {"a": 1, "b": ["x", {"c": "y * z & w"}]}
    assert node.start_mark.line == 0


def test_the_repository_schemas_are_plain():
    repo = Path(__file__).resolve().parents[2]
    for path in sorted((repo / "schemas").glob("*.yaml")) + [repo / "config" / "config.yaml"]:
        assert load(path) is not None


def test_excerpt_keeps_short_values_and_cuts_long_ones():
    assert excerpt("abc") == "'abc'"
    long = excerpt("x" * 1_000_218)
    assert long.endswith("(1000218 characters)") and len(long) < 200
    nested = excerpt([[list(range(100))] * 100] * 100)
    assert len(nested) <= 210
    assert len(shorten("y" * 5000)) < 1100


def test_a_one_megabyte_rule_expression_is_echoed_as_an_excerpt(workspace_copy):
    from greenaudit.errors import RuleError
    from greenaudit.workspace.catalog import load_catalog
    from greenaudit.rules.load import load_rules
    from greenaudit.text.units import UnitSystem

    schemas = workspace_copy / "schemas"
    expression = "hi_tech_mfg_share@2022 == " + " + ".join(["1"] * 250_000) + " + $"
    (schemas / "rules.yaml").write_text(
        "rules:\n  - id: big\n    description: d\n    severity: error\n    scope: in-record\n"
        f"    expression: {expression}\n", encoding="utf-8")
    units = UnitSystem.load(schemas)
    with pytest.raises(RuleError) as info:
        load_rules(schemas, load_catalog(schemas, units), units)
    assert "rules.yaml:6:" in str(info.value) and len(str(info.value)) < 1200
