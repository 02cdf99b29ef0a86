from pathlib import Path

from greenaudit.manifest import source_ids

WORKSPACE = Path(config["workspace"])
SOURCE_IDS = source_ids(WORKSPACE)
STAGING = "results/staging"
VALIDATION = "results/validation"
AUDIT_TABLES = ["observations", "indicators", "checks", "findings", "coverage"]
PUBLISHED = expand("results/audit/{table}.csv", table=AUDIT_TABLES)
PUBLISHED_DB = "results/greenaudit.duckdb"
WORK_DB = "results/work/greenaudit.duckdb"
