"""How much of each long list the report page shows.

Only the standard library here: the command line reads these for its options.
"""

from __future__ import annotations

from dataclasses import dataclass

# How much of each list the page shows (the counts are always over everything).
MAX_INDICATORS = 1000      # rows of the indicator table
MAX_EVIDENCE = 200         # indicator-periods with an evidence entry
MAX_STATEMENTS = 10        # statements (observations) per evidence entry
MAX_FAILING_CHECKS = 200   # failing checks listed under "Failing checks"
MAX_FINDINGS = 10          # findings listed per failing check
MAX_CHECKS = 500           # rows of the all-checks table
MAX_SOURCES = 200          # sources described under "Sources"
MAX_TEXTS = 250            # normalised source texts embedded
MAX_TEXT_CHARS = 20_000    # a longer text is shown as excerpts around its quotes
MAX_TEXT_TOTAL = 300_000   # characters of all embedded texts together
FAILURE_CASES_SHOWN = 50   # pandera failure cases listed
MAX_STATUS_ERRORS = 20     # gate errors listed in the summary


@dataclass(frozen=True)
class Limits:
    """The most rows of each kind the page shows."""

    indicators: int = MAX_INDICATORS
    evidence: int = MAX_EVIDENCE
    statements: int = MAX_STATEMENTS
    failing_checks: int = MAX_FAILING_CHECKS
    findings: int = MAX_FINDINGS
    checks: int = MAX_CHECKS
    sources: int = MAX_SOURCES
    texts: int = MAX_TEXTS
    text_chars: int = MAX_TEXT_CHARS
    text_total: int = MAX_TEXT_TOTAL
    failure_cases: int = FAILURE_CASES_SHOWN
    status_errors: int = MAX_STATUS_ERRORS

    def __post_init__(self) -> None:
        for name, value in self.__dict__.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"the report's limit {name} must be a positive integer, "
                                 f"got {value!r}")


# What each limit bounds, for the command line's help.
LIMIT_HELP = {
    "indicators": "rows of the indicator table",
    "evidence": "indicator-periods with an evidence entry",
    "statements": "statements shown per evidence entry",
    "failing_checks": "failing checks listed",
    "findings": "findings listed per failing check",
    "checks": "rows of the all-checks table",
    "sources": "sources described",
    "texts": "normalised source texts embedded",
    "text_chars": "characters of a text shown whole (longer ones as excerpts)",
    "text_total": "characters of all embedded texts together",
    "failure_cases": "pandera failure cases listed",
    "status_errors": "gate errors listed in the summary",
}
