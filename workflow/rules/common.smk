from pathlib import Path

from greenaudit.manifest import source_ids

WORKSPACE = Path(config["workspace"])
SOURCE_IDS = source_ids(WORKSPACE)
STAGING = "results/staging"
VALIDATION = "results/validation"
PUBLISHED = expand("results/audit/{table}.csv", table=["observations", "indicators", "checks"])
PUBLISHED_DB = "results/greenaudit.duckdb"
WORK_DB = "results/work/greenaudit.duckdb"
