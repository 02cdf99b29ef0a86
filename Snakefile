# greenaudit: from transcribed source figures to an audited, published dataset.
# Stages live in workflow/rules/; logic lives in the greenaudit package.

import time

from snakemake.utils import min_version, validate

from greenaudit.console import brief
from greenaudit.workflow import check_config_file, report_run

min_version("9.0")

# The closing block reads only what this run wrote (files newer than this).
RUN_STARTED = time.time()
# The default profile (profiles/default/) is quiet about rules: the run log keeps
# Snakemake's full listing, the terminal a line per step and the closing block.
brief(workflow)


# Refused with one located line (not a traceback) before Snakemake reads it. The
# configuration is the working directory's; the schema is the workflow's own.
check_config_file("config/config.yaml", f"{workflow.basedir}/workflow/schemas/config.schema.yaml")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/stage.smk"
include: "workflow/rules/database.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/audit.smk"
include: "workflow/rules/report.smk"


onsuccess:
    report_run(log, RUN_STARTED, succeeded=True)


onerror:
    report_run(log, RUN_STARTED, succeeded=False)


rule all:
    input:
        report=REPORT,
        # Written by publish with the published set (PUBLISHED, PUBLISHED_DB).
        record=PUBLISH_RECORD,
