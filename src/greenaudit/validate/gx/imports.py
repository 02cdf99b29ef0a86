"""Importing GX quickly and quietly: the job's own concern, not GX's."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys

# Imported by GX at start-up for expectations the suites do not use (KL divergence,
# KS tests): about a second of the import. Deferred, they load on first use.
DEFERRED_GX_DEPENDENCIES = ("scipy.stats",)


def quiet_gx_environment() -> None:
    os.environ["GX_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("TQDM_DISABLE", "1")
    # GX logs a few hundred registry notes at INFO on import; the job log keeps ours.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


def defer_imports(names: tuple[str, ...]) -> list[str]:
    """Register each module not yet imported as lazy: loaded when an attribute is used.

    Returns the names deferred. A module that is missing or already imported is
    left alone. `from package import module` binds the lazy module without loading
    it, which is how GX imports these.
    """
    deferred = []
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.loader is None:
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, module)
        deferred.append(name)
    return deferred


def import_gx() -> None:
    """Import GX and what the suites use of it (run in a thread while the plan is read)."""
    try:
        import great_expectations  # noqa: F401
        import great_expectations.execution_engine.sqlalchemy_execution_engine  # noqa: F401
        import sqlalchemy  # noqa: F401
    except Exception:  # noqa: BLE001 - the main thread's import raises it again
        pass
