"""How the GX suites name a group and an expectation's place in the Data Docs.

Dependency-free: the report imports it to link into the Data Docs.
"""

from __future__ import annotations

from urllib.parse import quote


def group_key(indicator_id: str, period: str, breakdown: str | None) -> str:
    """indicator@period[breakdown], as schemas/rules.yaml refers to a statement."""
    return f"{indicator_id}@{period}" + (f"[{breakdown}]" if breakdown else "")


def anchor(check_id: str) -> str:
    """The id of an expectation's claim in the Data Docs, usable as a URL fragment."""
    return quote(check_id, safe="._-@")
