"""Great Expectations (GX 1.x) validation of the audit dataset.

GX validates what holds across rows and tables; Pandera (greenaudit.validate.pandera)
validates each table's rows. The suites, one per kind of dataset check:

* ``agreement``: one expectation per (indicator, period, breakdown) that two or more
  sources state (derived values included): the statements' intervals share a point,
  or the conflict is declared in schemas/known_discrepancies.yaml;
* ``indicator_ranges``: one per catalog indicator: its values lie in its valid range
  (and its kind's hard bounds);
* ``indicator_units``: one per catalog indicator: its values are in its canonical unit;
* ``identities``: one per value a rule of schemas/rules.yaml derived: the interval it
  evaluates to meets what the sources state.

Each expectation is a custom GX expectation evaluated by GX over the DuckDB tables
through a SQL data source (expectations.py). Importing this package does not import
great_expectations: that costs seconds, and only the validate-gx job needs it.
"""

from __future__ import annotations

__all__ = ["RESULTS_FILE", "catalog_from_database", "run_gx_validation"]


def __getattr__(name: str):
    # Loaded on use, so that importing a light submodule (keys) loads nothing else.
    if name in ("RESULTS_FILE", "run_gx_validation"):
        from greenaudit.validate.gx import run

        return getattr(run, name)
    if name == "catalog_from_database":
        from greenaudit.validate.gx.specs import catalog_from_database

        return catalog_from_database
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
