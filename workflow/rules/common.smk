import os
from pathlib import Path

from greenaudit.stage.shards import plan_shards
from greenaudit.workflow import exit_on_input_error, listed_sources

WORKSPACE = Path(config["workspace"])
SOURCE_IDS = exit_on_input_error(listed_sources, WORKSPACE)
SHARDS = plan_shards(SOURCE_IDS, config["sources_per_shard"])
STAGING = "results/staging"
# Staging products and parsed rules, reused while their inputs are unchanged.
CACHE_OPTION = "--cache-dir results/cache" if config["cache"] else ""
VALIDATION = "results/validation"
AUDIT_TABLES = ["observations", "indicators", "checks", "findings", "coverage", "sources", "catalog"]
# datapackage.json describes the tables (greenaudit.audit.datapackage); it is written last.
AUDIT_FILES = [f"{table}.csv" for table in AUDIT_TABLES] + ["datapackage.json"]
# The large tables are exported from the database while it is validated; the rest
# (and the data package, which describes them all) once the checks are in.
EXPORTED_FILES = ["observations.csv", "indicators.csv", "findings.csv", "coverage.csv"]
ASSEMBLED_FILES = [name for name in AUDIT_FILES if name not in EXPORTED_FILES]
PUBLISHED = expand("results/audit/{file}", file=AUDIT_FILES)
PUBLISHED_DB = "results/greenaudit.duckdb"
WORK_DB = "results/work/greenaudit.duckdb"
# The normalised source texts: one directory of <source_id>.txt per staging shard.
NORMALISED = expand(f"{STAGING}/{{shard}}/normalised", shard=SHARDS)
REPORT = "results/report/index.html"
REPORT_CHARTS = "results/report/charts"


wildcard_constraints:
    shard=r"shard\d+",


def staged(product):
    """One staged Parquet product of every shard."""
    return expand(f"{STAGING}/{{shard}}/{product}.parquet", shard=SHARDS)


def shard_files(wildcards):
    """The source texts and transcription tables a staging shard reads."""
    ids = SHARDS[wildcards.shard]
    return {
        "texts": [WORKSPACE / "raw/sources" / f"{i}.txt" for i in ids],
        "tables": [WORKSPACE / "raw/tables" / f"{i}.csv" for i in ids],
    }


def shard_source_ids(wildcards):
    return " ".join(SHARDS[wildcards.shard])
