"""The rules file (schemas/rules.yaml): derived identities and plausibility rules as data.

Each rule is checked when it is loaded: its keys and values, its expression
against the whitelist grammar of `expression`, every reference against the
indicator catalog, and the unit dimensions of every operation. A problem is a
`RuleError` naming the rule and the file, line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from greenaudit.workspace.catalog import Indicator, check_breakdown, check_period
from greenaudit.checks import SEVERITIES
from greenaudit.formats import yamlfile
from greenaudit.errors import InputError, RuleError, excerpt
from greenaudit.rules.grammar import parse, parse_reference
from greenaudit.rules.syntax import BOOLEAN_NODES, Comparison, ExpressionError, Node, Reference, references
from greenaudit.rules.units import BOOLEAN, RuleUnits
from greenaudit.text.units import UnitSystem
from greenaudit.suggest import did_you_mean

RULES_FILE = "rules.yaml"
# The ESS validation levels, as this project reads them: figures of one statement,
# different statements of one source, statements of different sources, and a
# figure against knowledge from another domain (physics, other statistics).
SCOPES = ("in-record", "cross-record", "cross-source", "cross-domain")
REQUIRED_KEYS = ("id", "description", "severity", "scope", "expression")
OPTIONAL_KEYS = ("derive",)
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# Check kinds in checks.csv: a rule that defines a value, and every other rule.
DERIVED_KIND = "derived"
PLAUSIBILITY_KIND = "plausibility"
# How a derived observation is marked: its evidence and qualifier (it is computed,
# not quoted), a flag, and a source id `derived:<rule_id>` (the tables' vocabulary).
from greenaudit.tables.vocabulary import DERIVED, DERIVED_SOURCE_PREFIX  # noqa: E402
# The rules file as named in published tables (never an absolute path).
RULES_LABEL = "schemas/rules.yaml"


@dataclass(frozen=True)
class Rule:
    rule_id: str
    description: str
    severity: str
    scope: str
    expression: str
    tree: Node
    derive: Reference | None
    line: int
    file: str

    @property
    def check_id(self) -> str:
        return f"rule.{self.rule_id}"

    @property
    def kind(self) -> str:
        return DERIVED_KIND if self.derive is not None else PLAUSIBILITY_KIND

    @property
    def source_id(self) -> str:
        """The source id of the value a deriving rule adds to the dataset."""
        return f"{DERIVED_SOURCE_PREFIX}{self.rule_id}"

    @property
    def references(self) -> list[Reference]:
        return references(self.tree)

    @property
    def inputs(self) -> list[Reference]:
        """The references the rule reads (all but the one it derives), without repeats."""
        seen: dict[tuple[str, str, str], Reference] = {}
        for ref in self.references:
            if self.derive is None or ref.key != self.derive.key:
                seen.setdefault(ref.key, ref)
        return list(seen.values())

    @property
    def location(self) -> str:
        return f"{RULES_LABEL}:{self.line}"


class _Located:
    """Maps offsets in a YAML scalar's value back to line and column of the file.

    The map is built on first use: only a rule with an error needs it, and a corpus
    may have tens of thousands of rules.
    """

    def __init__(self, file_text: str, node: yaml.ScalarNode) -> None:
        self.text = file_text
        self.node = node
        self.fallback = node.start_mark.line + 1, node.start_mark.column + 1
        self._index: list[int] | None = None

    @property
    def index(self) -> list[int]:
        if self._index is None:
            self._index = self._build_index()
        return self._index

    def _build_index(self) -> list[int]:
        file_text, node = self.text, self.node
        raw_start, raw_end = node.start_mark.index, node.end_mark.index
        start = raw_start
        if node.style in ("|", ">"):
            start = file_text.index("\n", raw_start) + 1   # past the block header
        elif node.style in ("'", '"'):
            start += 1
        # The k-th non-blank character of the value is the k-th of the raw text:
        # folding and indentation only change whitespace.
        raw = [i for i in range(start, raw_end) if not file_text[i].isspace()]
        index: list[int] = []
        k, last = 0, start - 1
        for ch in str(node.value):
            if ch.isspace() or k >= len(raw):
                index.append(last + 1)
            else:
                last = raw[k]
                index.append(last)
                k += 1
        index.append(last + 1)
        return index

    def __call__(self, offset: int) -> tuple[int, int]:
        if not 0 <= offset < len(self.index):
            return self.fallback
        i = self.index[offset]
        line = self.text.count("\n", 0, i) + 1
        return line, i - (self.text.rfind("\n", 0, i) + 1) + 1


def _compose(path: Path) -> tuple[str, yaml.Node | None]:
    """The rules file's text and node tree, read and checked by yamlfile (confined, plain)."""
    try:
        return yamlfile.compose_node(path)
    except InputError as exc:
        raise RuleError(exc.reason, file=exc.file, line=exc.line, column=exc.column) from None


def _at(path: Path, node: yaml.Node) -> dict:
    return {"file": str(path), "line": node.start_mark.line + 1,
            "column": node.start_mark.column + 1}


def load_rules(schemas_dir: Path, catalog: dict[str, Indicator], units: UnitSystem,
               path: Path | None = None) -> list[Rule]:
    """The rules of schemas/rules.yaml (or `path`), each checked; RuleError at the first problem."""
    path = path or schemas_dir / RULES_FILE
    text, root = _compose(path)
    typing = RuleUnits(units.registry, catalog)
    if root is None:
        return []
    if not isinstance(root, yaml.MappingNode):
        raise RuleError("expected a top-level mapping 'rules: [...]'", **_at(path, root))
    top = {key.value: value for key, value in root.value}
    unknown = sorted(set(top) - {"rules"})
    if unknown:
        raise RuleError(f"unknown top-level key(s) {', '.join(map(str, unknown))}; expected "
                        f"'rules'", **_at(path, root))
    items = top.get("rules")
    if items is None or (isinstance(items, yaml.ScalarNode) and items.value in ("", "null", "~")):
        return []
    if not isinstance(items, yaml.SequenceNode):
        raise RuleError("expected 'rules:' to be a list of rules", **_at(path, items))
    rules: list[Rule] = []
    first_line: dict[str, int] = {}
    for item in items.value:
        rule = _rule(path, text, item, catalog, typing)
        if rule.rule_id in first_line:
            raise RuleError(f"rule id {excerpt(rule.rule_id)} is used twice (first on line "
                            f"{first_line[rule.rule_id]}); expected unique ids",
                            **_at(path, item))
        first_line[rule.rule_id] = rule.line
        rules.append(rule)
    derived = {}
    for rule in rules:
        if rule.derive is not None:
            if rule.derive.key in derived:
                raise RuleError(f"rule {rule.rule_id}: {rule.derive.text} is already derived by "
                                f"rule {derived[rule.derive.key]}; expected one rule per "
                                f"derived value", file=str(path), line=rule.line)
            derived[rule.derive.key] = rule.rule_id
    return rules


def _rule(path: Path, text: str, item: yaml.Node, catalog: dict[str, Indicator],
          typing: RuleUnits) -> Rule:
    if not isinstance(item, yaml.MappingNode):
        raise RuleError(f"each rule must be a mapping of {', '.join(REQUIRED_KEYS)}",
                        **_at(path, item))
    fields: dict[str, yaml.Node] = {}
    for key, value in item.value:
        if key.value in fields:
            raise RuleError(f"key {excerpt(key.value)} is repeated", **_at(path, key))
        fields[key.value] = value
    rule_id_node = fields.get("id")
    rule_id = rule_id_node.value if isinstance(rule_id_node, yaml.ScalarNode) else None
    label = f"rule {rule_id}" if rule_id else "rule"
    missing = [k for k in REQUIRED_KEYS if k not in fields]
    unknown = [k for k in fields if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if missing or unknown:
        problem = (f"missing {', '.join(missing)}" if missing
                   else f"unknown key(s) {', '.join(map(str, unknown))}")
        raise RuleError(f"{label}: {problem}; expected keys "
                        f"{', '.join(REQUIRED_KEYS + OPTIONAL_KEYS)}", **_at(path, item))
    for key, node in fields.items():
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            raise RuleError(f"{label}: {key} must be a non-empty text", **_at(path, node))
    if not RULE_ID.match(rule_id):
        raise RuleError(f"rule id {excerpt(rule_id)} must be snake_case ASCII (a-z, 0-9, _)",
                        **_at(path, fields["id"]))
    severity, scope = fields["severity"].value, fields["scope"].value
    if severity not in SEVERITIES:
        raise RuleError(f"{label}: severity {excerpt(severity)}; expected one of "
                        f"{', '.join(SEVERITIES)}", **_at(path, fields["severity"]))
    if scope not in SCOPES:
        raise RuleError(f"{label}: scope {excerpt(scope)}; expected one of {', '.join(SCOPES)}",
                        **_at(path, fields["scope"]))
    expression = fields["expression"]
    tree = _checked(path, text, expression, label, catalog, typing, parse)
    if typing.unit_of(tree, expression.value) is not BOOLEAN or not isinstance(tree, BOOLEAN_NODES):
        raise RuleError(f"{label}: the expression is a number; expected a comparison such as "
                        f"a == b or a <= b", **_at(path, expression))
    derive = None
    if "derive" in fields:
        derive = _checked(path, text, fields["derive"], label, catalog, typing, parse_reference)
        is_identity = (isinstance(tree, Comparison) and tree.ops == ("==",)
                       and isinstance(tree.operands[0], Reference)
                       and tree.operands[0].key == derive.key)
        if not is_identity:
            raise RuleError(f"{label}: derive {derive.text} must be the left side of the rule's "
                            f"single ==, as in '{derive.text} == <expression>'",
                            **_at(path, fields["derive"]))
        if any(ref.key == derive.key for ref in references(tree.operands[1])):
            raise RuleError(f"{label}: {derive.text} appears on both sides; a derived value "
                            f"cannot define itself", **_at(path, expression))
    return Rule(rule_id, " ".join(str(fields["description"].value).split()), severity, scope,
                str(expression.value), tree, derive, item.start_mark.line + 1, str(path))


def _checked(path: Path, text: str, node: yaml.ScalarNode, label: str,
             catalog: dict[str, Indicator], typing: RuleUnits, parser):
    """Parse one scalar, check its references and units; errors point into the file."""
    locate = _Located(text, node)
    value = str(node.value)
    try:
        tree = parser(value)
        for ref in references(tree):
            if ref.indicator_id not in catalog:
                raise ExpressionError(f"unknown indicator {excerpt(ref.indicator_id)}"
                                      f"{did_you_mean(ref.indicator_id, catalog)}; expected "
                                      f"an id of schemas/indicators.yaml", ref.start)
            problem = check_period(ref.period) or check_breakdown(ref.breakdown)
            if problem:
                raise ExpressionError(f"{ref.text}: {problem}", ref.start)
        typing.unit_of(tree, value)
    except ExpressionError as exc:
        line, column = locate(exc.offset)
        raise RuleError(f"{label}: {exc.message} (in {excerpt(value)})", file=str(path), line=line,
                        column=column) from None
    return tree
