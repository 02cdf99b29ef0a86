# greenaudit: from transcribed source figures to an audited, published dataset.
# Stages live in workflow/rules/; logic lives in the greenaudit package.

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/stage.smk"
include: "workflow/rules/database.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/audit.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        published=PUBLISHED,
        database=PUBLISHED_DB,
        report=REPORT,
