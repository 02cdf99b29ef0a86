"""Assemble the report page from the audit's outputs and write it (and its charts)."""

from __future__ import annotations

import base64
import hashlib
import os
import pickle
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from greenaudit.errors import InputError
# Not through `publish`, whose imports (datapackage, catalog, pint) take most of a second.
from greenaudit.formats.atomic import write_text_atomic as write_atomic
from greenaudit.report.data_docs import DocsLinks, load_links
from greenaudit.report.chartkit import Chart, LegendEntry, legend_entries, source_labels
from greenaudit.report.inputs import load
from greenaudit.report.limits import Limits
from greenaudit.report.model import VERDICTS, ReportView, build_view
from greenaudit.report.numbers import breakable

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class ReportPaths:
    """The report job's inputs and outputs."""

    workspace: Path
    tables: list[Path]
    status: Path
    normalised: list[Path]
    out: Path
    failure_cases: Path | None = None
    data_docs: Path | None = None
    charts: list[Path] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    threads: int | None = None


def script_hash(script: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline script."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def render(view: ReportView, charts: list, legend: list[LegendEntry] | None = None,
           docs: DocsLinks | None = None) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=False, keep_trailing_newline=True)
    env.filters["breakable"] = breakable
    script = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    return env.get_template("report.html.j2").render(
        view=view, charts=charts, css=css, script=script, script_hash=script_hash(script),
        verdict_classes=VERDICTS, legend=legend or [], docs=docs or DocsLinks())


def side_by_side(first: Callable[[], Chart], rest: Callable[[], list[Chart]]) -> list[Chart]:
    """[first(), *rest()], `first` rendered in a forked process while this one renders the rest.

    Drawing a chart is Python (matplotlib): over a second per chart at a million
    observations. A fork shares the chart's inputs without pickling them; only the
    finished chart comes back. If the child fails, or fork is not available, `first`
    is rendered here instead, so the charts never depend on the child.
    """
    if not hasattr(os, "fork"):
        return [first(), *rest()]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, hand the chart over, leave without cleanup handlers
        status = 1
        try:
            os.close(read)
            with os.fdopen(write, "wb") as out:
                pickle.dump(first(), out, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    try:
        others = rest()
        with os.fdopen(read, "rb") as handed:
            data = handed.read()
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        _, status = os.waitpid(pid, 0)
    chart = pickle.loads(data) if status == 0 and data else None
    return [chart if isinstance(chart, Chart) else first(), *others]


def build_report(paths: ReportPaths) -> ReportView:
    from greenaudit.report.charts import (agreement_matrix, check_counts_chart, matrix_sources, series_sources,
                         time_series)

    data = load(paths.workspace, paths.tables, paths.status, paths.normalised,
                paths.failure_cases, paths.threads)
    view = build_view(data, paths.out.parent, paths.failure_cases, paths.data_docs, paths.limits)
    source_ids = list(data.sources)
    labels = source_labels(source_ids)
    observations = [o for row in view.indicators for o in row.observations]
    verdicts = {verdict: n for verdict, _, n in view.headline.verdicts if n}
    charts = side_by_side(
        lambda: agreement_matrix(view.indicators, source_ids, verdicts, labels),
        lambda: [time_series(view.indicators, observations, source_ids, labels),
                 check_counts_chart(data.tables.check_counts())])
    drawn = set(matrix_sources(view.indicators, source_ids))
    drawn |= set(series_sources(view.indicators, observations, source_ids))
    if any(row.derived_rules for row in view.indicators):
        drawn.add("derived")
    legend = legend_entries(sorted(drawn), labels,
                            {sid: source.title for sid, source in data.sources.items()})
    by_file = {f"{chart.name.removeprefix('chart-')}.svg": chart for chart in charts}
    unknown = [str(p) for p in paths.charts if p.name not in by_file]
    if unknown:
        raise InputError(f"chart files must be named {', '.join(by_file)}; got {', '.join(unknown)}")
    for path in paths.charts:
        write_atomic(path, by_file[path.name].standalone())
    write_atomic(paths.out, render(view, charts, legend,
                                   load_links(paths.data_docs, paths.out.parent)))
    return view
