from pathlib import Path

from greenaudit.manifest import source_ids

WORKSPACE = Path(config["workspace"])
SOURCE_IDS = source_ids(WORKSPACE)
STAGING = "results/staging"
VALIDATION = "results/validation"
AUDIT_TABLES = ["observations", "indicators", "checks", "findings", "sources", "catalog"]
# datapackage.json describes the tables (greenaudit.datapackage); it is written last.
AUDIT_FILES = [f"{table}.csv" for table in AUDIT_TABLES] + ["datapackage.json"]
PUBLISHED = expand("results/audit/{file}", file=AUDIT_FILES)
PUBLISHED_DB = "results/greenaudit.duckdb"
WORK_DB = "results/work/greenaudit.duckdb"
