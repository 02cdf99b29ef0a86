from pathlib import Path

from greenaudit.workflow import exit_on_input_error, listed_sources

WORKSPACE = Path(config["workspace"])
SOURCE_IDS = exit_on_input_error(listed_sources, WORKSPACE)
STAGING = "results/staging"
VALIDATION = "results/validation"
AUDIT_TABLES = ["observations", "indicators", "checks", "findings"]
PUBLISHED = expand("results/audit/{table}.csv", table=AUDIT_TABLES)
PUBLISHED_DB = "results/greenaudit.duckdb"
WORK_DB = "results/work/greenaudit.duckdb"
