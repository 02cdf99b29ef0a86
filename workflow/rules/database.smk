rule build_database:
    """The single writer: load every staged source into DuckDB and compare sources."""
    input:
        transcriptions=expand(f"{STAGING}/{{source_id}}/transcriptions.parquet", source_id=SOURCE_IDS),
        observations=expand(f"{STAGING}/{{source_id}}/observations.parquet", source_id=SOURCE_IDS),
        checks=expand(f"{STAGING}/{{source_id}}/checks.parquet", source_id=SOURCE_IDS),
        findings=expand(f"{STAGING}/{{source_id}}/findings.parquet", source_id=SOURCE_IDS),
        coverage=expand(f"{STAGING}/{{source_id}}/coverage.parquet", source_id=SOURCE_IDS),
        ignored=WORKSPACE / "raw/ignored.csv",
        manifest=WORKSPACE / "raw/sources.csv",
        catalog=WORKSPACE / "schemas/indicators.yaml",
        discrepancies=WORKSPACE / "schemas/known_discrepancies.yaml",
    output:
        database=WORK_DB,
    params:
        workspace=WORKSPACE,
    log:
        "results/logs/build_database.log",
    benchmark:
        "results/benchmarks/build_database.tsv"
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit build-db --workspace {params.workspace:q} --out {output.database}"
        " --transcriptions {input.transcriptions} --observations {input.observations}"
        " --checks {input.checks} --findings {input.findings} --coverage {input.coverage}"
        " > {log} 2>&1"
