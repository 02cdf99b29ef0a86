"""The accepted values and formats the tables share.

Kept beside the tables that use them; the stages that produce the values import
them from here (the rules' `derived` marker, the agreement verdicts).
"""

from __future__ import annotations

from greenaudit.stage.evidence import EVIDENCE_STATUSES
from greenaudit.workspace.manifest import SOURCE_ID as DOCUMENT_ID

# The mark of a value a rule of schemas/rules.yaml derived: its evidence, qualifier,
# flag and verdict, and the prefix of its source id (derived:<rule_id>).
DERIVED = "derived"
DERIVED_SOURCE_PREFIX = "derived:"

# `derived`: the only statement of the (indicator, period, breakdown) is a value a
# rule of schemas/rules.yaml derived; no source states it.
AGREEMENTS = ("agree", "agree_within_rounding", "conflict", "single_source", DERIVED)
# Evidence of an observation: how its quote was proven, or `derived` (computed by a rule).
EVIDENCE_VALUES = (*EVIDENCE_STATUSES, DERIVED)

PERIOD_PATTERN = r"^\d{4}(-\d{2}|-\d{4})?$"
BREAKDOWN_PATTERN = r"^$|^[a-z][a-z0-9_]*=[^;=]+(;[a-z][a-z0-9_]*=[^;=]+)*$"
# A document's id, or derived:<rule_id> for a value a rule of schemas/rules.yaml derived.
SOURCE_ID_PATTERN = (rf"^(?:{DOCUMENT_ID.pattern.removeprefix('^').removesuffix('$')}"
                     rf"|{DERIVED_SOURCE_PREFIX}[a-z][a-z0-9_]*)$")
DOCUMENT_ID_PATTERN = DOCUMENT_ID.pattern
NO_FORMULA = r"^[^=+\-@]"
OCCURRENCE = r"^(?:[1-9][0-9]*)?$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
