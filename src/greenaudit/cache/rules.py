"""Parsed rules and each rule's last outcome, kept in the store (namespace `rules`).

Parsing and typing a large schemas/rules.yaml costs far more than reading the
parsed rules back; a build where one source changed re-evaluates only the rules
reading what it states. Both entries are keyed by the
fingerprint of the rules file, the catalog and unit files that type it, its
directory (rules carry it in messages) and the code. Under that key a rule id is
the same rule, and its outcome depends on its inputs alone, so the outcomes entry
maps each rule id to the inputs it read (their signature) and its outcome.

Both are JSON written by codec.py: reading them builds rules, checks and
outcomes, and nothing else.
"""

from __future__ import annotations

import logging
from pathlib import Path

from greenaudit.workspace.catalog import Indicator
from greenaudit.checks import Check
from greenaudit.rules.derive import RuleDone, _Derivation
from greenaudit.rules.syntax import Node
from greenaudit.rules.load import RULES_FILE, Rule, load_rules
from greenaudit.text.units import UnitSystem
from . import codec
from .fingerprint import Input, code_fingerprint, fingerprint
from .store import DamagedEntry, Store

log = logging.getLogger("greenaudit")

NAMESPACE = "rules"
RULE_INPUTS = (RULES_FILE, "indicators.yaml", "units.yaml", "units.txt")
PARSED, OUTCOMES = "parsed", "outcomes"
PAYLOAD = "data.json"


def _node_types(base: type = Node) -> list[type]:
    found = []
    for cls in base.__subclasses__():
        found += [cls, *_node_types(cls)]
    return found


RULE_TYPES = (Rule, *_node_types())
OUTCOME_TYPES = (RuleDone, Check, _Derivation)


def rules_key(schemas_dir: Path) -> str:
    return fingerprint(code_fingerprint(__name__), str(schemas_dir),
                       {name: Input(schemas_dir / name) for name in RULE_INPUTS})


def load_rules_cached(schemas_dir: Path, catalog: dict[str, Indicator], units: UnitSystem,
                      store: Store | None = None) -> list[Rule]:
    """load_rules, through the store's entry when there is a store."""
    if store is None or not store.enabled:
        return load_rules(schemas_dir, catalog, units)
    store.retain((PARSED, OUTCOMES))
    key = rules_key(schemas_dir)

    def read(entry) -> list[Rule]:
        rules = codec.loads(entry.read_bytes(PAYLOAD), RULE_TYPES)
        if not isinstance(rules, list) or not all(isinstance(r, Rule) for r in rules):
            raise DamagedEntry("not a list of rules")
        return rules

    rules = store.load(PARSED, key, read)
    if rules is None:
        rules = load_rules(schemas_dir, catalog, units)
        store.put(PARSED, key, {PAYLOAD: codec.dumps(rules)})
    return rules


class StoredRuleMemo:
    """Each rule's last outcome with the signature of the inputs it read (derivation.RuleMemo)."""

    def __init__(self, store: Store, schemas_dir: Path) -> None:
        self.store = store
        self.key = rules_key(schemas_dir)
        self.now: dict[str, tuple[str, RuleDone]] = {}
        self.reused = 0
        self.earlier = store.load(OUTCOMES, self.key, self._read) or {}

    @staticmethod
    def _read(entry) -> dict:
        earlier = codec.loads(entry.read_bytes(PAYLOAD), OUTCOME_TYPES)
        if not isinstance(earlier, dict):
            raise DamagedEntry("not a mapping of outcomes")
        return earlier

    def recall(self, rule: Rule, signature: str) -> RuleDone | None:
        entry = self.earlier.get(rule.rule_id)
        if (not isinstance(entry, tuple) or len(entry) != 2 or entry[0] != signature
                or not isinstance(entry[1], RuleDone)):
            return None
        self.now[rule.rule_id] = entry
        self.reused += 1
        return entry[1]

    def remember(self, rule: Rule, signature: str, done: RuleDone) -> None:
        self.now[rule.rule_id] = (signature, done)

    def save(self) -> None:
        """Keep this build's outcomes (only when one differs from the entry's)."""
        if self.now.keys() == self.earlier.keys() and self.reused == len(self.now):
            return
        self.store.put(OUTCOMES, self.key, {PAYLOAD: codec.dumps(self.now)})
