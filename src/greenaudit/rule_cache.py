"""Parsed rules, kept between builds while the files they are read and typed from are unchanged.

Parsing and typing a large schemas/rules.yaml takes seconds (20,000 rules: 3 s);
reading them back takes a quarter of that. The entry's key digests the rules file,
the catalog and unit files that type it, its path (rules carry it for messages) and
the greenaudit code (cachekey.py), so it is never used stale.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path

from . import cachekey
from greenaudit.formats.atomic import write_bytes_atomic
from greenaudit.workspace.catalog import Indicator
from greenaudit.rules.derive import RuleDone
from greenaudit.rules.load import RULES_FILE, Rule, load_rules
from greenaudit.text.units import UnitSystem

log = logging.getLogger("greenaudit")

RULE_INPUTS = (RULES_FILE, "indicators.yaml", "units.yaml", "units.txt")


def rules_key(schemas_dir: Path) -> str:
    digest = hashlib.sha256(cachekey.code_fingerprint().encode())
    digest.update(f"\0{schemas_dir}".encode())
    for name in RULE_INPUTS:
        digest.update(f"\0{name}".encode())
        cachekey.digest_input(digest, schemas_dir / name)
    return digest.hexdigest()


def load_rules_cached(schemas_dir: Path, catalog: dict[str, Indicator], units: UnitSystem,
                      cache_dir: Path | None = None) -> list[Rule]:
    """load_rules, through an entry under `cache_dir`/rules/ when a cache is given."""
    if cache_dir is None:
        return load_rules(schemas_dir, catalog, units)
    entry = Path(cache_dir) / "rules" / f"{rules_key(schemas_dir)}.pickle"
    try:
        rules = pickle.loads(entry.read_bytes())
    except FileNotFoundError:
        pass
    except Exception as exc:  # a damaged entry of any kind is parsed afresh
        log.warning("unreadable rules cache entry %s (%s); parsing afresh", entry, exc)
    else:
        if isinstance(rules, list) and all(isinstance(rule, Rule) for rule in rules):
            return rules
        log.warning("rules cache entry %s holds no rules; parsing afresh", entry)
    rules = load_rules(schemas_dir, catalog, units)
    try:
        write_bytes_atomic(entry, pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError as exc:  # a cache that cannot be written costs speed, not the build
        log.warning("rules cache entry %s not written (%s)", entry, exc)
        return rules
    for other in entry.parent.glob("*.pickle"):
        if other != entry and not other.name.endswith(".outcomes.pickle"):
            other.unlink(missing_ok=True)
    return rules


def memo_path(schemas_dir: Path, cache_dir: Path) -> Path:
    """Where the outcomes of the rules parsed under the same key are kept."""
    return Path(cache_dir) / "rules" / f"{rules_key(schemas_dir)}.outcomes.pickle"


class StoredRuleMemo:
    """Each rule's last outcome with the inputs it read, kept in one file between builds.

    The file is named by rules_key, which digests the rules, the catalog and unit
    files they are typed with, and the code: under one name, a rule id is the same
    rule and its outcome depends on its inputs alone. A build where one source
    changed re-evaluates only the rules reading what it states (20,000 rules: 3.5 s
    to evaluate, a few tenths of a second to look up).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.earlier: dict[str, tuple[str, RuleDone]] = {}
        self.now: dict[str, tuple[str, RuleDone]] = {}
        self.reused = 0
        try:
            earlier = pickle.loads(self.path.read_bytes())
        except FileNotFoundError:
            return
        except Exception as exc:  # a damaged entry of any kind is rebuilt
            log.warning("unreadable rule outcomes %s (%s); evaluating afresh", self.path, exc)
            return
        if isinstance(earlier, dict):
            self.earlier = earlier
        else:
            log.warning("rule outcomes %s hold no outcomes; evaluating afresh", self.path)

    def recall(self, rule: Rule, signature: str) -> RuleDone | None:
        entry = self.earlier.get(rule.rule_id)
        if entry is None or entry[0] != signature or not isinstance(entry[1], RuleDone):
            return None
        self.now[rule.rule_id] = entry
        self.reused += 1
        return entry[1]

    def remember(self, rule: Rule, signature: str, done: RuleDone) -> None:
        self.now[rule.rule_id] = (signature, done)

    def save(self) -> None:
        """Keep this build's outcomes (only when one differs); drop other keys' files."""
        if self.now.keys() == self.earlier.keys() and self.reused == len(self.now):
            return
        try:
            write_bytes_atomic(self.path, pickle.dumps(self.now, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError as exc:
            log.warning("rule outcomes %s not written (%s)", self.path, exc)
            return
        for other in self.path.parent.glob("*.outcomes.pickle"):
            if other != self.path:
                other.unlink(missing_ok=True)
