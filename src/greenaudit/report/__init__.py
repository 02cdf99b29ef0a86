"""The audit report: one self-contained HTML page (results/report/index.html).

`build_report` reads the tables the audit would publish, the status, the manifest,
the indicator names and the normalised source texts, and writes the page and its
charts. The page loads nothing from anywhere: styles, script and charts are inline.
"""

from __future__ import annotations

from .limits import Limits

__all__ = ["Limits", "ReportPaths", "build_report"]


def __getattr__(name: str):
    # The builder (Jinja, DuckDB, the manifest reader) is imported when used, so the
    # command line can read the limits for its options without it.
    if name in ("ReportPaths", "build_report"):
        from . import build

        return getattr(build, name)
    raise AttributeError(name)
