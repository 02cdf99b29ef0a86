""""Did you mean ...?" for a name that is not known: an indicator id, a unit, a
breakdown, a source id, a configuration key.

The closest known names by difflib's ratio (case and separators ignored, so that
"Hi-Tech_MFG_share" finds hi_tech_mfg_share), best first.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

CUTOFF = 0.6


def _folded(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "_", name.strip().casefold())


def closest(name: str, known: Iterable[str], n: int = 1) -> list[str]:
    """Up to `n` known names closest to `name` (none when nothing is close)."""
    if not name:
        return []
    by_folded: dict[str, str] = {}
    for candidate in sorted(set(known)):
        by_folded.setdefault(_folded(candidate), candidate)
    matches = difflib.get_close_matches(_folded(name), list(by_folded), n=n, cutoff=CUTOFF)
    return [by_folded[m] for m in matches if by_folded[m] != name]


def did_you_mean(name: str, known: Iterable[str], n: int = 1) -> str:
    """' (did you mean X?)', ' (did you mean X or Y?)', or '' when nothing is close."""
    found = closest(name, known, n)
    return f" (did you mean {' or '.join(found)}?)" if found else ""
