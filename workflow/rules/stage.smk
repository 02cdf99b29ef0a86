rule stage_source:
    """Verify one source, parse its transcription, prove every quote (no DB writes)."""
    input:
        text=WORKSPACE / "raw/sources/{source_id}.txt",
        table=WORKSPACE / "raw/tables/{source_id}.csv",
        manifest=WORKSPACE / "raw/sources.csv",
        catalog=WORKSPACE / "schemas/indicators.yaml",
        units=WORKSPACE / "schemas/units.yaml",
        registry=WORKSPACE / "schemas/units.txt",
    output:
        transcriptions=f"{STAGING}/{{source_id}}/transcriptions.parquet",
        observations=f"{STAGING}/{{source_id}}/observations.parquet",
        checks=f"{STAGING}/{{source_id}}/checks.parquet",
        findings=f"{STAGING}/{{source_id}}/findings.parquet",
        normalised=f"{STAGING}/{{source_id}}/normalised.txt",
    params:
        workspace=WORKSPACE,
        approximate_band=config["approximate_band"],
        near_band=config["near_band"],
    log:
        "results/logs/stage_source/{source_id}.log",
    benchmark:
        "results/benchmarks/stage_source/{source_id}.tsv"
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit stage {wildcards.source_id} --workspace {params.workspace:q}"
        " --approximate-band {params.approximate_band} --near-band {params.near_band}"
        " --transcriptions {output.transcriptions} --observations {output.observations}"
        " --checks {output.checks} --findings {output.findings} --normalised {output.normalised} > {log} 2>&1"
