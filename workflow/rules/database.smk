# The workspace files the database is built from, beside the staged sources.
DATABASE_INPUTS = {
    "ignored": WORKSPACE / "raw/ignored.csv",
    "manifest": WORKSPACE / "raw/sources.csv",
    "catalog": WORKSPACE / "schemas/indicators.yaml",
    "discrepancies": WORKSPACE / "schemas/known_discrepancies.yaml",
    "rules": WORKSPACE / "schemas/rules.yaml",
    "units": WORKSPACE / "schemas/units.yaml",
    "registry": WORKSPACE / "schemas/units.txt",
}


rule build_database:
    """The single writer: load the staged sources into DuckDB, apply the rules, compare sources."""
    input:
        transcriptions=staged("transcriptions"),
        observations=staged("observations"),
        checks=staged("checks"),
        findings=staged("findings"),
        coverage=staged("coverage"),
        **DATABASE_INPUTS,
    output:
        database=WORK_DB,
    params:
        workspace=WORKSPACE,
        cache=CACHE_OPTION,
        code=triggers.code("build-db"),
        inputs=triggers.inputs(DATABASE_INPUTS),
    log:
        "results/logs/build_database.log",
    benchmark:
        "results/benchmarks/build_database.tsv"
    threads: 2
    resources:
        mem_mb=database_memory_mb,
        runtime=30,
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit --memory-mb {resources.mem_mb} build-db --workspace {params.workspace:q} --out {output.database}"
        " --transcriptions {input.transcriptions} --observations {input.observations}"
        " --checks {input.checks} --findings {input.findings} --coverage {input.coverage}"
        " --threads {threads} {params.cache} > {log} 2>&1"
