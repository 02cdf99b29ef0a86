rule validate_pandera:
    """Pandera models of transcriptions, observations and indicators (lazy, all failures kept)."""
    input:
        database=WORK_DB,
    output:
        failure_cases=f"{VALIDATION}/pandera/failure_cases.csv",
        checks=f"{VALIDATION}/pandera/checks.parquet",
    params:
        cache=CACHE_OPTION,
        code=triggers.code("validate-pandera"),
        workspace=WORKSPACE,
    log:
        "results/logs/validate_pandera.log",
    benchmark:
        "results/benchmarks/validate_pandera.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit validate-pandera --db {input.database} --failure-cases {output.failure_cases}"
        " --checks {output.checks} --workspace {params.workspace:q} {params.cache} > {log} 2>&1"


rule validate_gx:
    """Great Expectations suites over the database tables (the only job importing GX):
    agreement, per-indicator ranges and units, derived identities."""
    input:
        # The catalog is read from the database's catalog table.
        database=WORK_DB,
    output:
        results=f"{VALIDATION}/gx/gx_results.json",
        data_docs=directory(f"{VALIDATION}/gx/data_docs"),
        checks=f"{VALIDATION}/gx/checks.parquet",
    params:
        # The Data Docs' stylesheets and scripts (`npm ci --prefix workflow/data_docs`);
        # without them the pages are built unstyled, never loading from the network.
        # Relative to the working directory, so a moved workspace does not rerun the job.
        assets=os.path.relpath(f"{workflow.basedir}/workflow/data_docs/node_modules"),
        code=triggers.code("validate-gx"),
    log:
        "results/logs/validate_gx.log",
    benchmark:
        "results/benchmarks/validate_gx.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit validate-gx --db {input.database}"
        " --results {output.results} --data-docs {output.data_docs} --checks {output.checks}"
        " --assets {params.assets:q} > {log} 2>&1"
