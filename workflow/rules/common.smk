import os
import sys
from pathlib import Path

from greenaudit import tables
from greenaudit.audit.published import problems
from greenaudit.cache import triggers
from greenaudit.stage.shards import plan_shards
from greenaudit.workflow import exit_on_input_error, listed_sources

WORKSPACE = Path(config["workspace"])
SOURCE_IDS = exit_on_input_error(listed_sources, WORKSPACE)
SHARDS = plan_shards(SOURCE_IDS, config["sources_per_shard"])
STAGING = "results/staging"
# Staging products and parsed rules, reused while their inputs are unchanged.
CACHE_OPTION = "--cache-dir results/cache" if config["cache"] else ""
VALIDATION = "results/validation"
# The published tables and files, as the table registry (greenaudit.tables) declares
# them: datapackage.json describes the tables and is written last; the large tables
# are exported from the database while it is validated, the rest (and the data
# package, which describes them all) assembled once the checks are in.
AUDIT_TABLES = list(tables.AUDIT_TABLES)
AUDIT_FILES = list(tables.AUDIT_FILES)
EXPORTED_FILES = list(tables.EXPORTED_FILES)
ASSEMBLED_FILES = list(tables.ASSEMBLED_FILES)
PUBLISHED_DIR = "results/audit"
PUBLISHED = expand(f"{PUBLISHED_DIR}/{{file}}", file=AUDIT_FILES)
# Published with the tables, in one switch; results/greenaudit.duckdb links to it.
PUBLISHED_DB = f"{PUBLISHED_DIR}/greenaudit.duckdb"
WORK_DB = "results/work/greenaudit.duckdb"
# The normalised source texts: one directory of <source_id>.txt per staging shard.
NORMALISED = expand(f"{STAGING}/{{shard}}/normalised", shard=SHARDS)
REPORT = "results/report/index.html"
# What the last publication wrote, with digests: publish's output. A published set
# that differs from what was published (a table edited, missing or added, a database
# truncated) is published again: its record goes, and the missing output makes
# publish rerun whatever the modification times and Snakemake's own records say.
PUBLISH_RECORD = "results/logs/publish.record"
if Path(PUBLISH_RECORD).exists():
    for problem in problems(Path(PUBLISHED_DIR)):
        print(f"greenaudit: warning: {problem}; the published set will be written again",
              file=sys.stderr)
        Path(PUBLISH_RECORD).unlink(missing_ok=True)
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


def database_memory_mb(wildcards, input):
    """build_database's memory, growing with the staged files: 980 MB for a million rows
    (145 MB of Parquet), where the job peaked at 848 MB; DuckDB keeps within 60% of it
    (--memory-mb)."""
    return max(1000, int(400 + 4 * input.size_mb))
