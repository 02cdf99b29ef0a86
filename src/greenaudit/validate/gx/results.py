"""GX validation results: normalised for gx_results.json, and read back as checks.

A normalised result holds nothing run-dependent (no run ids, ids, timestamps or GX
version; results sorted by check id; keys sorted when written), so two runs over the
same data write byte-identical files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from greenaudit.formats.atomic import write_text_atomic
from greenaudit.checks import Check

from greenaudit.validate.gx.specs import ExpectationSpec

KIND = "gx"
SEVERITY = "error"
# Per-run keys of a validation result's `meta` (the rest is stable).
_RUN_META_KEYS = ("great_expectations_version", "batch_markers", "batch_parameters",
                  "validation_id", "checkpoint_id", "run_id", "validation_time")


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, tuples -> lists, keys as strings."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


def exception_messages(exception_info: Any) -> list[str]:
    """The exception messages of a result's exception_info (either GX shape)."""
    if not isinstance(exception_info, dict):
        return []
    if "raised_exception" in exception_info:
        infos = [exception_info]
    else:
        infos = [v for _, v in sorted(exception_info.items()) if isinstance(v, dict)]
    return [str(i.get("exception_message") or "unknown error")
            for i in infos if i.get("raised_exception")]


def _check_id(result: dict) -> str:
    return str(((result.get("expectation_config") or {}).get("meta") or {}).get("check_id", ""))


def normalise_result(result: dict) -> dict:
    """A GX validation result (as JSON dict) without anything run-dependent."""
    out = _clean(result)
    out.pop("id", None)
    meta = out.get("meta") or {}
    for key in _RUN_META_KEYS:
        meta.pop(key, None)
    results = []
    for r in out.get("results") or []:
        cfg = r.get("expectation_config") or {}
        cfg.pop("id", None)
        (cfg.get("kwargs") or {}).pop("batch_id", None)
        cfg.pop("rendered_content", None)
        r.pop("rendered_content", None)
        info = r.get("exception_info")
        if isinstance(info, dict):
            messages = exception_messages(info)
            r["exception_info"] = {"raised_exception": bool(messages),
                                   "exception_messages": messages}
        results.append(r)
    out["results"] = sorted(results, key=_check_id)
    return out


def write_json_atomic(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
    write_text_atomic(path, text)


def failed_checks(specs: list[ExpectationSpec], message: str) -> dict[str, Check]:
    """Every expectation of a suite GX could not run, failed with the reason."""
    return {s.check_id: Check(s.check_id, KIND, SEVERITY, "fail", s.target, 0, 1, message)
            for s in specs}


def checks_from_result(specs: list[ExpectationSpec], normalised: dict) -> dict[str, Check]:
    """One check per expectation of a suite, read from its normalised result.

    n_items and n_failed count statements (values): those the expectation judged and
    those of its failing items. An expectation that raised, or that GX did not
    report, fails.
    """
    by_id = {s.check_id: s for s in specs}
    checks: dict[str, Check] = {}
    for r in normalised.get("results") or []:
        spec = by_id.get(_check_id(r))
        if spec is None:
            continue
        res = r.get("result") or {}
        errors = list((r.get("exception_info") or {}).get("exception_messages") or [])
        success = bool(r.get("success")) and not errors
        if errors:
            message = "could not evaluate: " + "; ".join(errors)[:300]
            n_items, n_failed = 0, 1
        else:
            message = str(res.get("observed_value") or "")
            n_items = int(res.get("element_count") or 0)
            n_failed = 0 if success else max(int(res.get("unexpected_count") or 0), 1)
        checks[spec.check_id] = Check(spec.check_id, KIND, SEVERITY,
                                      "pass" if success else "fail", spec.target, n_items,
                                      n_failed, message)
    for spec in specs:
        if spec.check_id not in checks:
            checks[spec.check_id] = Check(spec.check_id, KIND, SEVERITY, "fail", spec.target, 0,
                                          1, "no result reported by GX")
    return checks
