# The workspace files every source is staged against.
STAGE_SHARED = {
    "manifest": WORKSPACE / "raw/sources.csv",
    "catalog": WORKSPACE / "schemas/indicators.yaml",
    "units": WORKSPACE / "schemas/units.yaml",
    "ignored": WORKSPACE / "raw/ignored.csv",
    "registry": WORKSPACE / "schemas/units.txt",
}


rule stage_shard:
    """Verify a batch of sources, parse their transcriptions, prove every quote (no DB writes)."""
    input:
        unpack(shard_files),
        **STAGE_SHARED,
    output:
        transcriptions=f"{STAGING}/{{shard}}/transcriptions.parquet",
        observations=f"{STAGING}/{{shard}}/observations.parquet",
        checks=f"{STAGING}/{{shard}}/checks.parquet",
        findings=f"{STAGING}/{{shard}}/findings.parquet",
        coverage=f"{STAGING}/{{shard}}/coverage.parquet",
        normalised=directory(f"{STAGING}/{{shard}}/normalised"),
    params:
        workspace=WORKSPACE,
        source_ids=shard_source_ids,
        approximate_band=config["approximate_band"],
        near_band=config["near_band"],
        max_quote_chars=config.get("max_quote_chars", 300),
        cache=CACHE_OPTION,
        # Rerun on a change of the code staging runs, or of an input's content.
        code=triggers.code("stage"),
        inputs=triggers.inputs(shard_files, STAGE_SHARED),
    log:
        "results/logs/stage_shard/{shard}.log",
    benchmark:
        "results/benchmarks/stage_shard/{shard}.tsv"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit stage {params.source_ids} --workspace {params.workspace:q}"
        " --approximate-band {params.approximate_band} --near-band {params.near_band}"
        " --max-quote-chars {params.max_quote_chars}"
        " --transcriptions {output.transcriptions} --observations {output.observations}"
        " --checks {output.checks} --findings {output.findings} --coverage {output.coverage}"
        " --normalised-dir {output.normalised} {params.cache} > {log} 2>&1"
