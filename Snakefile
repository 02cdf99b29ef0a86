# greenaudit: from transcribed source figures to an audited, published dataset.
# Stages live in workflow/rules/; logic lives in the greenaudit package.

from snakemake.utils import min_version, validate

from greenaudit.workflow import check_config_file, report_failed_jobs

min_version("9.0")


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


onerror:
    report_failed_jobs(log)


rule all:
    input:
        report=REPORT,
        # Written by publish with the published set (PUBLISHED, PUBLISHED_DB).
        record=PUBLISH_RECORD,
