rule export_tables:
    """Write the large would-be published tables; they depend on the database only."""
    input:
        database=WORK_DB,
    output:
        tables=expand(f"{VALIDATION}/audit/{{file}}", file=EXPORTED_FILES),
    params:
        cache=CACHE_OPTION,
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
    """The gate, then publication: refuse, naming every error, or copy the tables and DB into place.

    It does not wait for the report, which runs beside it (and first, by priority, when
    cores are scarce): Snakemake lets a running job finish when another fails, so a
    refused run still has its report.
    """
    input:
        status=f"{VALIDATION}/status.json",
        tables=expand(f"{VALIDATION}/audit/{{file}}", file=AUDIT_FILES),
        database=WORK_DB,
    output:
        # update(): Snakemake keeps the published files while the job runs and restores
        # them if it fails, instead of deleting them first.
        tables=update(PUBLISHED),
        database=update(PUBLISHED_DB),
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
        " --published {output.tables} --db {input.database} --published-db {output.database}"
        " > {log} 2>&1"
