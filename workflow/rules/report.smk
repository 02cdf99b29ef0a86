rule render_report:
    """The self-contained HTML audit report; written whether or not the audit may publish."""
    input:
        tables=expand(f"{VALIDATION}/audit/{{table}}.csv", table=AUDIT_TABLES),
        status=f"{VALIDATION}/status.json",
        normalised=NORMALISED,
        manifest=WORKSPACE / "raw/sources.csv",
        catalog=WORKSPACE / "schemas/indicators.yaml",
        failure_cases=f"{VALIDATION}/pandera/failure_cases.csv",
        data_docs=f"{VALIDATION}/gx/data_docs",
    output:
        html=report(REPORT, caption="../report/index.rst", category="Audit report"),
        matrix=report(f"{REPORT_CHARTS}/matrix.svg", caption="../report/matrix.rst", category="Charts"),
        series=report(f"{REPORT_CHARTS}/series.svg", caption="../report/series.rst", category="Charts"),
        checks=report(f"{REPORT_CHARTS}/checks.svg", caption="../report/checks.rst", category="Charts"),
    params:
        workspace=WORKSPACE,
        code=triggers.code("report"),
        inputs=triggers.inputs(WORKSPACE / "raw/sources.csv", WORKSPACE / "schemas/indicators.yaml"),
    log:
        "results/logs/render_report.log",
    benchmark:
        "results/benchmarks/render_report.tsv"
    # DuckDB scans the large tables (observations, coverage) with these threads.
    threads: 2
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../envs/greenaudit.yaml"
    shell:
        "greenaudit report --workspace {params.workspace:q} --tables {input.tables}"
        " --status {input.status} --normalised {input.normalised}"
        " --failure-cases {input.failure_cases} --data-docs {input.data_docs}"
        " --charts {output.matrix} {output.series} {output.checks} --out {output.html}"
        " --threads {threads} > {log} 2>&1"
