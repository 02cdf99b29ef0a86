"""The audit report: one self-contained HTML page (results/report/index.html).

`build_report` reads the tables the audit would publish, the status, the manifest,
the indicator names and the normalised source texts, and writes the page and its
charts. The page loads nothing from anywhere: styles, script and charts are inline.
"""

from __future__ import annotations

from .build import ReportPaths, build_report

__all__ = ["ReportPaths", "build_report"]
