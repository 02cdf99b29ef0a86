"""Links from the report into the GX Data Docs: each suite's result page, and the
expectation that judged each indicator row's agreement.

The validate-gx job writes data_docs/pages.json (greenaudit.validate.gx.docs): every
suite's pages and, per suite, its expectations as (check id, first item, last item,
page#anchor), items sorted, so an item's expectation is found by bisection.
"""

from __future__ import annotations

import bisect
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from greenaudit.errors import InputError
from greenaudit.validate.gx.keys import group_key

PAGES_FILE = "pages.json"
AGREEMENT_SUITE = "agreement"


@dataclass(frozen=True)
class SuiteLink:
    suite: str
    result: str
    expectations: str


@dataclass
class DocsLinks:
    """Relative links from the report page into the Data Docs (none without them)."""

    suites: list[SuiteLink] = field(default_factory=list)
    runs: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    def expectation(self, suite: str, item: str) -> str:
        """The link to the expectation covering `item` of `suite`, or ''."""
        runs = self.runs.get(suite, [])
        at = bisect.bisect_right([first for first, _, _ in runs], item) - 1
        if at >= 0 and runs[at][0] <= item <= runs[at][1]:
            return runs[at][2]
        return ""

    def agreement(self, indicator_id: str, period: str, breakdown: str) -> str:
        return self.expectation(AGREEMENT_SUITE, group_key(indicator_id, period, breakdown))


def _link(docs: Path, target: str, page_dir: Path) -> str:
    if not target:
        return ""
    path, _, fragment = target.partition("#")
    link = Path(os.path.relpath(docs / path, page_dir)).as_posix()
    return link + (f"#{fragment}" if fragment else "")


def load_links(data_docs: Path | None, page_dir: Path) -> DocsLinks:
    """The links pages.json lists, relative to `page_dir`; none if there is no such file
    (a Data Docs site that could not be built)."""
    if data_docs is None or not (data_docs / PAGES_FILE).is_file():
        return DocsLinks()
    path = data_docs / PAGES_FILE
    try:
        pages = json.loads(path.read_text(encoding="utf-8"))
        suites = [SuiteLink(str(s["suite"]), _link(data_docs, str(s["result"]), page_dir),
                            _link(data_docs, str(s["expectations"]), page_dir))
                  for s in pages["suites"]]
        runs = {suite: sorted((str(first), str(last), _link(data_docs, str(href), page_dir))
                              for _, first, last, href in entries)
                for suite, entries in pages["expectations"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a Data Docs page map ({type(exc).__name__}: {exc})"
                         ) from exc
    return DocsLinks(suites, runs)
