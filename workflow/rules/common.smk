from pathlib import Path

from greenaudit.manifest import source_ids
from greenaudit.workflow import exit_on_input_error

WORKSPACE = Path(config["workspace"])
SOURCE_IDS = exit_on_input_error(source_ids, WORKSPACE)
STAGING = "results/staging"
VALIDATION = "results/validation"
AUDIT_TABLES = ["observations", "indicators", "checks", "findings"]
PUBLISHED = expand("results/audit/{table}.csv", table=AUDIT_TABLES)
PUBLISHED_DB = "results/greenaudit.duckdb"
WORK_DB = "results/work/greenaudit.duckdb"
