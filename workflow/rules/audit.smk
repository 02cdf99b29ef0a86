rule export_tables:
    """Write the large would-be published tables; they depend on the database only."""
    input:
        database=WORK_DB,
    output:
        tables=expand(f"{VALIDATION}/audit/{{file}}", file=EXPORTED_FILES),
    params:
        cache=CACHE_OPTION,
        code=triggers.code("export"),
    log:
        "results/logs/export_tables.log",
    benchmark:
        "results/benchmarks/export_tables.tsv"
    # It runs beside pandera and GX, which keep both cores busy: one DuckDB thread
    # costs less CPU in all (5.8 s against 7.5 s at a million rows).
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit export --db {input.database} --tables {output.tables}"
        " --threads {threads} {params.cache} > {log} 2>&1"


rule assemble_audit:
    """Write the checks, sources and catalog tables, the data package, and whether it may publish."""
    input:
        database=WORK_DB,
        pandera=f"{VALIDATION}/pandera/checks.parquet",
        gx=f"{VALIDATION}/gx/checks.parquet",
        exported=expand(f"{VALIDATION}/audit/{{file}}", file=EXPORTED_FILES),
    output:
        tables=expand(f"{VALIDATION}/audit/{{file}}", file=ASSEMBLED_FILES),
        status=f"{VALIDATION}/status.json",
    params:
        code=triggers.code("assemble"),
    log:
        "results/logs/assemble_audit.log",
    benchmark:
        "results/benchmarks/assemble_audit.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit assemble --db {input.database} --checks {input.pandera} {input.gx}"
        " --status {output.status} --tables {output.tables} > {log} 2>&1"


rule publish:
    """The gate, then publication: refuse, naming every error, or switch the published set.

    It waits for the report: a report that cannot be built fails the run before
    anything is published, and a refused run still has its report.

    Its one output is the record of what it published. The published files
    (PUBLISHED, PUBLISHED_DB) are switched by `greenaudit publish` itself, all at
    once: were they outputs, Snakemake would delete them before the job, or back
    them up and restore them one by one after a failure, and either could leave a
    mixed set.
    """
    input:
        status=f"{VALIDATION}/status.json",
        tables=expand(f"{VALIDATION}/audit/{{file}}", file=AUDIT_FILES),
        database=WORK_DB,
        report=REPORT,
    output:
        record=PUBLISH_RECORD,
    params:
        tables=PUBLISHED,
        database=PUBLISHED_DB,
        code=triggers.code("publish"),
    log:
        "results/logs/publish.log",
    benchmark:
        "results/benchmarks/publish.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit publish --status {input.status} --staged {input.tables}"
        " --published {params.tables} --db {input.database} --published-db {params.database}"
        " --record {output.record} > {log} 2>&1"
