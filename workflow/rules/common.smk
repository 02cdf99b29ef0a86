from pathlib import Path

from greenaudit.manifest import source_ids

WORKSPACE = Path(config["workspace"])
SOURCE_IDS = source_ids(WORKSPACE)
STAGING = "results/staging"
VALIDATION = "results/validation"
AUDIT_TABLES = ["observations", "indicators", "checks", "findings"]
PUBLISHED = expand("results/audit/{table}.csv", table=AUDIT_TABLES)
PUBLISHED_DB = "results/greenaudit.duckdb"
WORK_DB = "results/work/greenaudit.duckdb"
# One normalised text per source; the report takes them as a plain list of files.
NORMALISED = expand(f"{STAGING}/{{source_id}}/normalised.txt", source_id=SOURCE_IDS)
REPORT = "results/report/index.html"
REPORT_CHARTS = "results/report/charts"
