"""The custom GX metrics and expectations of the dataset suites (imports GX: job only).

Each suite has a metric, computed by GX's SQL execution engine over the batch (the
observations table of the audit database) with the suite's query (sql.py), and an
expectation class whose instances each cover one item (a group, an indicator, a
derived value) or a run of them. Every expectation of a suite depends on the same
metric, which GX computes once per validation; each expectation decides from its
items' rows (verdicts.py) and renders them in the Data Docs: its claim, with an
anchor named after its check id, and a table of the statements it judged.
"""

from __future__ import annotations

import bisect
from typing import Any, ClassVar, Optional, Tuple

from great_expectations.compatibility.sqlalchemy import sqlalchemy as sa
from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.query_metric_provider import QueryMetricProvider
from great_expectations.render import (
    LegacyDiagnosticRendererType,
    LegacyRendererType,
    RenderedStringTemplateContent,
    RenderedTableContent,
)
from great_expectations.render.components import RenderedContentBlockContainer
from great_expectations.render.renderer.renderer import renderer

from greenaudit.validate.gx.keys import anchor
from greenaudit.validate.gx.specs import AGREEMENT, IDENTITIES, RANGES, SUITE_BY_NAME, UNITS
from greenaudit.validate.gx.sql import BRIEF_QUERIES, QUERIES
from greenaudit.validate.gx.verdicts import combined, judge_run, missing_item, passes

METRIC_PREFIX = "greenaudit."
_SHOWN_ROWS = 20


def _query(execution_engine: SqlAlchemyExecutionEngine, domain_kwargs: dict, query: str,
           **params) -> dict[str, dict]:
    """`query` over the batch: {item: row as a dict}."""
    selectable, _, _ = execution_engine.get_compute_domain(
        domain_kwargs, domain_type=MetricDomainTypes.TABLE)
    sql = QueryMetricProvider._get_substituted_batch_subquery_from_query_and_batch_selectable(
        query=query, batch_selectable=selectable, execution_engine=execution_engine)
    # Fetched before the connection is given back: DuckDB's cursor does not outlive it.
    with execution_engine.get_connection() as connection:
        result = connection.execute(sa.text(sql), params)
        columns = list(result.keys())
        rows = result.fetchall()
    return {str(row[0]): dict(zip(columns, row)) for row in rows}


def _fetch(execution_engine: SqlAlchemyExecutionEngine, domain_kwargs: dict, suite: str,
           detailed: bool = True) -> dict[str, dict]:
    """The suite's rows by item. Not `detailed` (every expectation of the suite covers
    more than SHOWN_ITEMS items), a suite with a brief query reads the columns it can do
    without only for the items that fail."""
    if detailed or suite not in BRIEF_QUERIES:
        by_item = _query(execution_engine, domain_kwargs, QUERIES[suite])
    else:
        brief, details = BRIEF_QUERIES[suite]
        by_item = _query(execution_engine, domain_kwargs, brief)
        failing = [item for item, row in by_item.items() if not passes(suite, row)]
        if failing:
            for item, row in _query(execution_engine, domain_kwargs, details,
                                    items=failing).items():
                by_item[item].update({k: v for k, v in row.items() if k != "item"})
    return {"items": sorted(by_item), "rows": by_item}


class _SuiteMetric(QueryMetricProvider):
    """All items' rows of one suite, in one query (shared by the suite's expectations)."""

    suite: ClassVar[str] = ""
    value_keys = ("detailed",)

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics,
                    runtime_configuration):
        detailed = (metric_value_kwargs or {}).get("detailed") is not False
        return _fetch(execution_engine, metric_domain_kwargs, cls.suite, detailed)


class AgreementStatements(_SuiteMetric):
    metric_name = METRIC_PREFIX + AGREEMENT.name
    suite = AGREEMENT.name


class IndicatorRanges(_SuiteMetric):
    metric_name = METRIC_PREFIX + RANGES.name
    suite = RANGES.name


class IndicatorUnits(_SuiteMetric):
    metric_name = METRIC_PREFIX + UNITS.name
    suite = UNITS.name


class DerivedValues(_SuiteMetric):
    metric_name = METRIC_PREFIX + IDENTITIES.name
    suite = IDENTITIES.name


class _DatasetExpectation(BatchExpectation):
    """The items of one suite from `first_item` to `last_item` (sorted keys) pass, as their
    metric rows show; `claim` says what is required. A range rather than a list keeps
    the expectation small: GX copies its configuration many times."""

    first_item: str
    last_item: str
    claim: str = ""
    # False when every expectation of the suite covers more than SHOWN_ITEMS items: the
    # metric may then leave out what only the passing items' details would show.
    detailed: bool = True

    suite: ClassVar[str] = ""
    domain_keys: ClassVar[Tuple[str, ...]] = ("batch_id", "row_condition", "condition_parser")
    success_keys: ClassVar[Tuple[str, ...]] = ("first_item", "last_item", "detailed")

    def _validate(self, metrics: dict, runtime_configuration: Optional[dict] = None,
                  execution_engine: Any = None) -> dict:
        metric = metrics[METRIC_PREFIX + self.suite]
        items = metric["items"]
        start = bisect.bisect_left(items, self.first_item)
        end = bisect.bisect_right(items, self.last_item)
        verdicts = judge_run(self.suite, [metric["rows"][item] for item in items[start:end]])
        for item in sorted({self.first_item, self.last_item} - set(items[start:end])):
            verdicts.append(missing_item(self.suite, item))  # planned, but not in the data
        return combined(self.suite, verdicts, SUITE_BY_NAME[self.suite].noun)

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None,
                               **kwargs) -> list[RenderedStringTemplateContent]:
        configuration = configuration or (result.expectation_config if result else None)
        kwargs_ = configuration.kwargs if configuration is not None else {}
        check_id = str((configuration.meta or {}).get("check_id", "")) if configuration else ""
        return [RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={
                "template": "$claim $check_id",
                "params": {"claim": kwargs_.get("claim", ""), "check_id": check_id},
                "styling": {"attributes": {"id": anchor(check_id)},
                            "params": {"check_id": {"tag": "code",
                                                    "classes": ["text-muted", "small"]}}},
            })]

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.UNEXPECTED_STATEMENT)
    def _diagnostic_unexpected_statement_renderer(cls, configuration=None, result=None,
                                                  runtime_configuration=None, **kwargs) -> list:
        return []  # the observed value cell shows what failed, item by item

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.UNEXPECTED_TABLE)
    def _diagnostic_unexpected_table_renderer(cls, configuration=None, result=None,
                                              runtime_configuration=None, **kwargs) -> None:
        return None

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.OBSERVED_VALUE)
    def _diagnostic_observed_value_renderer(cls, configuration=None, result=None,
                                            runtime_configuration=None, **kwargs):
        details = ((result.result or {}).get("details") or {}) if result is not None else {}
        blocks: list = []
        for item in details.get("items") or []:
            blocks.append(RenderedStringTemplateContent(
                content_block_type="string_template",
                string_template={"template": "$verdict", "params": {
                    "verdict": f"{item['summary']}" if len(item["rows"]) == 0
                    else f"{item['verdict']}" + (f" ({item['note']})" if item["note"] else "")},
                    "tag": "p"}))
            if item["rows"]:
                blocks.append(RenderedTableContent(
                    content_block_type="table", header_row=item["columns"],
                    table=item["rows"][:_SHOWN_ROWS],
                    styling={"body": {"classes": ["table", "table-sm", "mb-2"]}}))
        if not blocks:
            observed = (result.result or {}).get("observed_value", "--") if result else "--"
            return str(observed)
        return RenderedContentBlockContainer(content_block_type="content_block_container",
                                             content_blocks=blocks)


class ExpectStatementsToAgree(_DatasetExpectation):
    suite: ClassVar[str] = AGREEMENT.name
    metric_dependencies: ClassVar[Tuple[str, ...]] = (METRIC_PREFIX + AGREEMENT.name,)


class ExpectValuesInValidRange(_DatasetExpectation):
    suite: ClassVar[str] = RANGES.name
    metric_dependencies: ClassVar[Tuple[str, ...]] = (METRIC_PREFIX + RANGES.name,)


class ExpectCanonicalUnit(_DatasetExpectation):
    suite: ClassVar[str] = UNITS.name
    metric_dependencies: ClassVar[Tuple[str, ...]] = (METRIC_PREFIX + UNITS.name,)


class ExpectDerivedValueToMatchSources(_DatasetExpectation):
    suite: ClassVar[str] = IDENTITIES.name
    metric_dependencies: ClassVar[Tuple[str, ...]] = (METRIC_PREFIX + IDENTITIES.name,)


EXPECTATIONS = {cls.suite: cls for cls in (ExpectStatementsToAgree, ExpectValuesInValidRange,
                                          ExpectCanonicalUnit, ExpectDerivedValueToMatchSources)}
