"""Tests of scaffold's whole-row proposals (greenaudit.tools.scaffold).

Unit tests of period finding, clause cutting, noise skipping and the indicator
scorer on short texts written for them, and the leave-one-source-out evaluation
on a copy of the five seed sources (only those, so that adding a source to raw/
changes nothing here).
"""

from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal

import pytest

from greenaudit.workspace.catalog import Indicator, load_catalog
from greenaudit.cli import main
from greenaudit.stage.coverage import audit_coverage
from greenaudit.errors import InputError
from greenaudit.workspace.manifest import Source
from greenaudit.text.normalise import normalise
from greenaudit.stage.observe import FORMULA_PREFIXES
from greenaudit.stage.source import StageContext
from greenaudit.tools.scaffold import layout
from greenaudit.tools.scaffold.document import BULLETS, Document
from greenaudit.tools.scaffold.evaluate import evaluate, hidden_proposals, unmet
from greenaudit.tools.scaffold.period import PeriodFinder
from greenaudit.tools.scaffold.proposal import Tools, propose
from greenaudit.tools.scaffold.scorer import Figure, Scorer, confidence
from greenaudit.tools.scaffold.vocabulary import load_vocabulary

SEEDS = ("000_451eeb3f8d9b8ea0", "001_b7300798bfbf6ce6", "002_07a3eed86aa5b575",
         "003_1a3b190ec270dc4e", "004_2e0697a374659b7e")
BOUNDARY = "。!?;,:、" + BULLETS


def doc_of(text: str, published: str = "2023-06") -> Document:
    source = Source("t", "raw/sources/t.txt", "0" * 64, "title", "publisher", published, "Hans",
                    "news_report", (), (), 2)
    return Document.build(source, text)


@pytest.fixture(scope="module")
def tools(schemas_dir, units, parser) -> Tools:
    return Tools.build(schemas_dir, load_catalog(schemas_dir, units), units, parser)


def propose_text(text: str, tools: Tools, published: str = "2023-06"):
    doc = doc_of(text, published)
    coverage = audit_coverage("t", text, doc.normalised, doc.mentions, doc.source.cleaning,
                              [], [], [])
    return propose(doc, [row for row, _ in coverage.missing], tools)


def period_of(text: str, figure: str, kind: str, published: str = "2023-06",
              target: bool = False):
    doc = doc_of(text, published)
    spans = [(m.start, m.end) for m in doc.mentions if m.kind != "calendar"]
    start = doc.text.index(figure)
    finder = PeriodFinder(doc, layout.labels(doc, spans))
    return finder.find(start, start + len(figure), kind, target)


# ------------------------------------------------------------------ periods

@pytest.mark.parametrize("text, figure, kind, expected", [
    ("2022年，我国高技术制造业增加值占比达到15.5%，较2012年提高了6.1个百分点。", "15.5%", "share",
     "2022"),
    ("2022年，我国高技术制造业增加值占比达到15.5%，较2012年提高了6.1个百分点。", "6.1个百分点",
     "change_pp", "2012-2022"),
    ("2012-2021年规模以上工业单位增加值能耗累计下降约36.2%。", "36.2%", "change_percent",
     "2012-2021"),
    ("2012-2021年，火电机组每千瓦时煤耗降至302.5克标准煤。", "302.5克标准煤", "intensity", "2021"),
    ("截至2022年底，本外币绿色贷款余额达22.03万亿元。", "22.03万亿元", "amount", "2022"),
    ("2023年4月底，国家层面共创建绿色工厂3616家。", "3616家", "count", "2023-04"),
    ("2023年1-9月，新能源汽车产量达到631万辆。", "631万辆", "amount", "2023-09"),
    ("“十四五”期间累计退出钢铁过剩产能1.5亿吨。", "1.5亿吨", "amount", "2021-2025"),
    ("“十三五”期间累计退出钢铁过剩产能1.5亿吨。", "1.5亿吨", "amount", "2016-2020"),
    ("比重分别从2012年的9.4%提高到2022年的15.5%。", "9.4%", "share", "2012"),
    ("比重分别从2012年的9.4%提高到2022年的15.5%。", "15.5%", "share", "2022"),
    ("与2012年相比，2022年再生资源综合利用总量提高约1.4倍。", "1.4倍", "multiple", "2012-2022"),
    ("从今年10月1日起进入过渡期，涉及钢铁等6个行业，2026年开始征收费用。", "6个", "count",
     "2023"),
])
def test_the_expression_that_governs_the_sentence_gives_the_period(text, figure, kind, expected):
    found = period_of(text, figure, kind)
    assert (found.period, found.stated) == (expected, True), found


def test_a_target_takes_its_future_year():
    found = period_of("到2030年，绿色工厂产值占制造业总产值比重超过40%。", "40%", "share", target=True)
    assert found.period == "2030" and found.stated


def test_without_a_year_the_year_before_publication_is_inferred():
    found = period_of("新能源汽车产销连续8年位居世界第一。", "8年", "duration", "2023-06")
    assert (found.period, found.stated) == ("2022", False)
    assert "2023-06" in found.evidence
    # A change since a base year ends in the inferred year.
    found = period_of("目前5G基站单站址能耗已比2019年商用初期降低了20%以上。", "20%以上",
                      "change_percent")
    assert (found.period, found.stated) == ("2019-2022", False)


def test_dates_relative_to_publication():
    assert period_of("3月1日，七部门发布指导意见。", "七部门", "count", "2024-03").period == "2024"
    assert period_of("日前，7部门联合印发指导意见。", "7部门", "count", "2024-03").period == "2024"
    assert period_of("10月1日，七部门发布指导意见。", "七部门", "count", "2024-03").period == "2023"


def test_months_quarters_and_halves():
    assert period_of("2023年上半年，新能源汽车产量达到378.8万辆。", "378.8万辆", "amount").period == \
        "2023-06"
    # Without a year, the months and quarters of a news report are of its publication year.
    for text in ("前三季度，规模以上工业增加值同比增长4.0%。", "1-9月，规模以上工业增加值同比增长4.0%。",
                 "截至9月末，规模以上工业增加值同比增长4.0%。"):
        found = period_of(text, "4.0%", "growth_rate", "2023-11")
        assert (found.period, found.stated) == ("2023-09", True), text
    assert period_of("前三季度，增加值同比增长4.0%。", "4.0%", "growth_rate", "2023-06").period == \
        "2022-09"


def test_slide_charts_and_headings():
    chart = "28.2%\n\n31.8%\n\n装备制造业增加值比重\n\n2012年 2022年\n"
    assert period_of(chart, "28.2%", "share").period == "2012"
    assert period_of(chart, "31.8%", "share").period == "2022"
    decline = "下降60.4%\n\n万元工业增加值用水量\n\n2012年 2022年\n"
    assert period_of(decline, "60.4%", "change_percent").period == "2012-2022"
    items = ("规模以上工业单位增加值能耗 下降 36.2%\n\n火电机组每千瓦时煤耗 降至 302.5 克标准煤\n\n"
             "2012-2021年——\n")
    assert period_of(items, "36.2%", "change_percent").period == "2012-2021"
    assert period_of(items, "302.5", "intensity").period == "2021"


# ------------------------------------------------------------ clauses, quotes

def test_quotes_are_cut_at_clause_boundaries(tools):
    text = ("一是产业结构高端化加速推进。瞄准高端化、智能化、绿色化发展方向，建成45个国家先进制造业集群，"
            "主导产业总产值达到20万亿元。2022年，我国高技术制造业、装备制造业增加值占规模以上工业增加值比重"
            "分别达到15.5%和31.8%，较2012年分别提高了6.1和3.6个百分点。")
    proposals, _ = propose_text(text, tools)
    quotes = {p.quantity: p.quote for p in proposals}
    assert quotes["45个"] == "建成45个国家先进制造业集群"
    # The clause before names the clusters whose output the figure is: it is quoted too.
    assert quotes["20万亿元"] == "建成45个国家先进制造业集群，主导产业总产值达到20万亿元"
    # A figure of a 分别 list quotes back to the list and the year that govern it.
    assert quotes["6.1"].startswith("2022年，我国高技术制造业、装备制造业")
    assert quotes["6.1"].endswith("较2012年分别提高了6.1和3.6个百分点")
    by_quantity = {p.quantity: (p.indicator_id, p.period.period) for p in proposals}
    assert by_quantity["6.1"] == ("hi_tech_mfg_share_change", "2012-2022")
    assert by_quantity["3.6个百分点"] == ("equip_mfg_share_change", "2012-2022")
    assert by_quantity["31.8%"] == ("equip_mfg_share", "2022")


def test_a_blank_line_inside_a_word_is_not_a_boundary(tools):
    # 全|国 stands together elsewhere in the document: the slide wrapped the word.
    text = "全国工业用电量持续增长。\n\n可再生能源新增装机 1.52亿千瓦，占全\n\n国新增发电装机的 76.2%\n"
    proposals, _ = propose_text(text, tools)
    quote = next(p.quote for p in proposals if p.quantity == "76.2%")
    assert quote == "可再生能源新增装机 1.52亿千瓦，占全 国新增发电装机的 76.2%"
    assert next(p.indicator_id for p in proposals if p.quantity == "76.2%") == \
        "renewable_share_new_capacity"


def test_every_seed_quote_starts_and_ends_at_a_boundary(seed_workspace, tools):
    context = StageContext.load(seed_workspace)
    checked = 0
    for sid in SEEDS:
        original = (seed_workspace / "raw" / "sources" / f"{sid}.txt").read_text(encoding="utf-8")
        doc, proposals, _ = hidden_proposals(context, tools, sid, original)
        for p in proposals:
            quote = normalise(p.quote, doc.source.cleaning).text
            assert not p.quote.startswith(FORMULA_PREFIXES), p.quote
            assert doc.text[p.start:p.end] in quote, (p.quantity, p.quote)
            starts = [i for i in range(len(doc.text)) if doc.text.startswith(quote, i)
                      and i <= p.start and p.end <= i + len(quote)]
            assert any(_boundary_before(doc, i) and _boundary_after(doc, i + len(quote))
                       for i in starts), (sid, p.quantity, p.quote)
            checked += 1
    assert checked >= 150


def _boundary_before(doc: Document, i: int) -> bool:
    return i == 0 or doc.text[i - 1] in BOUNDARY or i in doc.stops


def _boundary_after(doc: Document, j: int) -> bool:
    return j == len(doc.text) or doc.text[j] in BOUNDARY or j in doc.stops


# ---------------------------------------------------------------------- noise

def test_clock_times_ordinals_and_names_are_set_aside(tools):
    text = ("记者14:39从大会获悉，我国有12家企业进入世界500强，第三批名单同时发布。\n\n1.推行绿色制造\n\n"
            "5G基站超过230万个。2019-2020制造业持续发展指标。一批企业已经完成改造。“十三五”期间成效显著。"
            "党的二十大报告指出，集聚了数十家企业（项目编号：71803191）。")
    proposals, set_aside = propose_text(text, tools)
    reasons = {s.mention.mention: s.reason for s in set_aside}
    assert "clock time" in reasons["14"] and "clock time" in reasons["39"]
    assert "ranking" in reasons["500"]
    assert "ordinal" in reasons["三批"]
    assert "list ordinal" in reasons["1"]
    assert "name or term" in reasons["5"]
    assert "without 年" in reasons["2019"] and "without 年" in reasons["2020"]
    assert "indefinite article" in reasons["一批"]
    assert "plan name" in reasons["十三五"]
    assert "party congress" in reasons["二十大"]
    assert "vague number" in reasons["十家"]
    assert "identifier" in reasons["71803191"]
    assert sorted(p.quantity for p in proposals) == ["12家", "超过230万个"]
    for item in set_aside:      # each set-aside context holds its mention, for raw/ignored.csv
        assert item.mention.mention in item.context and item.reason


def test_parts_of_dates_and_periods_are_set_aside(tools):
    text = "前三季度，全国新增充电桩超过100万台，其中9月新增12万台，前两个月增长较快。"
    proposals, set_aside = propose_text(text, tools, "2023-11")
    assert sorted(s.mention.mention for s in set_aside) == ["9", "三季", "两个"]
    assert [p.quantity for p in proposals] == ["超过100万台", "12万台"]
    assert [p.period.period for p in proposals] == ["2023-09", "2023-09"]


def test_a_headline_restates_the_body(tools):
    text = ("我国新能源汽车保有量达1310万辆\n\n记者从公安部获悉，截至2022年底，"
            "全国新能源汽车保有量达1310万辆，占汽车总量的4.10%。")
    proposals, set_aside = propose_text(text, tools)
    assert [(p.quantity, p.mention.line) for p in proposals] == [("1310万辆", 3), ("4.10%", 3)]
    assert [(s.mention.line, s.reason.split(",")[0]) for s in set_aside] == [
        (1, "restates the figure at line 3")]


def test_a_number_of_an_indicator_name_is_set_aside(tools):
    # 10种重要再生资源 is part of renewable_resources_utilisation_increase's name.
    _, set_aside = propose_text("与2012年相比，2022年10种重要再生资源综合利用总量提高约1.4倍。", tools)
    assert [(s.mention.mention, "indicator's name" in s.reason) for s in set_aside] == [("10", True)]


def test_a_restated_chart_label_is_set_aside(tools):
    text = ("• 2022年乘用车单车铅含量（除铅蓄电池外）较2015年下降50%\n\n下降50%\n\n"
            "乘用车单车铅含量\n（除铅蓄电池外）\n\n2015年 2022年\n")
    proposals, set_aside = propose_text(text, tools)
    assert [(p.indicator_id, p.period.period) for p in proposals] == [
        ("passenger_car_lead_content_decline", "2015-2022")]
    assert len(set_aside) == 1 and set_aside[0].reason.startswith("restates the figure at line 1")


# --------------------------------------------------------------------- scorer

def _indicator(indicator_id: str, name_zh: str, kind: str = "count", unit: str = "count",
               aliases: tuple[str, ...] = (), target: bool = False) -> Indicator:
    high = Decimal(100) if unit == "percent" else None
    return Indicator(indicator_id, indicator_id, name_zh, kind, unit, Decimal(0), high, "",
                     target, aliases=aliases)


def test_the_scorer_follows_the_catalog_names(units):
    catalog = {"a": _indicator("a", "风电整机制造商数量"), "b": _indicator("b", "光伏组件企业数量"),
               "c": _indicator("c", "光伏组件产量全球占比", "share", "percent")}
    scorer = Scorer(catalog, units)
    context = {"光伏": 1.0, "伏组": 1.0, "组件": 1.0, "件企": 0.9, "企业": 0.9}
    ranked = scorer.rank(context, Figure("count", Decimal(12)))
    assert [r.indicator_id for r in ranked] == ["b", "a"]       # c: a share cannot be 12家
    # Renamed in the catalog, the same words point to the other indicator.
    catalog["a"] = _indicator("a", "光伏组件企业数")
    catalog["b"] = _indicator("b", "风电整机制造商数量")
    assert Scorer(catalog, units).rank(context, Figure("count", Decimal(12)))[0].indicator_id == "a"
    # An alias is a name.
    catalog["b"] = _indicator("b", "风电整机制造商数量", aliases=("光伏组件企业",))
    ranked = Scorer(catalog, units).rank(context, Figure("count", Decimal(12)))
    assert ranked[0].score == pytest.approx(ranked[1].score)


def test_units_kinds_targets_and_ranges_weigh_in(units):
    catalog = {"share": _indicator("share", "能耗比重", "share", "percent"),
               "decline": _indicator("decline", "能耗下降", "change_percent", "percent"),
               "goal": _indicator("goal", "能耗比重目标", "share", "percent", target=True)}
    scorer = Scorer(catalog, units)
    context = {"能耗": 1.0, "耗比": 1.0, "比重": 1.0, "耗下": 0.5, "下降": 0.5}
    level = Figure("percent", Decimal(40))

    def top(figure: Figure) -> str:
        return scorer.rank(context, figure)[0].indicator_id

    assert top(level) == "share"
    assert top(Figure("percent", Decimal(40), cue="decline")) == "decline"
    assert top(Figure("percent", Decimal(40), target=True)) == "goal"
    assert scorer.fit(catalog["share"], Figure("count", Decimal(3))) == 0.0
    assert scorer.fit(catalog["share"], Figure("percent", Decimal(140))) < \
        scorer.fit(catalog["share"], level)
    ranked = scorer.rank(context, level)
    assert 0 <= confidence(ranked) <= 1
    assert confidence(ranked[:1]) > confidence(ranked)      # no rival: more confident


def test_whole_rows_for_a_sentence_of_the_catalog(tools):
    text = "2023年4月底，国家层面共创建绿色工厂3616家、绿色工业园区267家、绿色供应链管理企业403家。"
    proposals, set_aside = propose_text(text, tools)
    assert set_aside == []
    assert [(p.indicator_id, p.period.period, p.breakdown) for p in proposals] == [
        ("green_factories", "2023-04", "level=national"),
        ("green_industrial_parks", "2023-04", "level=national"),
        ("green_supply_chain_firms", "2023-04", "level=national")]
    assert all(0 < p.confidence <= 1 for p in proposals)


def test_one_figure_for_several_items_gives_a_row_each(tools):
    proposals, _ = propose_text("多晶硅、硅片、电池、组件产量全球占比均超过70%。", tools, "2023")
    assert [(p.indicator_id, p.period.period, p.breakdown) for p in proposals] == [
        ("pv_production_global_share", "2022", f"product={v}")
        for v in ("polysilicon", "wafer", "cell", "module")]


# ------------------------------------------------------------------ catalog

def test_aliases_and_breakdown_keys_are_validated(workspace_copy, units):
    path = workspace_copy / "schemas" / "indicators.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    aliases: [重复用水率]\n", "    aliases: 重复用水率\n"),
                    encoding="utf-8")
    with pytest.raises(InputError, match="aliases must be a list of non-empty strings"):
        load_catalog(workspace_copy / "schemas", units)
    path.write_text(text.replace("breakdown_keys: [sector]", "breakdown_keys: [sectors]"),
                    encoding="utf-8")
    catalog = load_catalog(workspace_copy / "schemas", units)
    with pytest.raises(InputError, match="indicators.yaml:\\d+: indicator water_reuse_rate: "
                                         "breakdown key 'sectors' is not declared"):
        load_vocabulary(workspace_copy / "schemas", catalog)


# ------------------------------------------------------- leave one source out

@pytest.fixture()
def seeds_alone(tmp_path, seed_workspace):
    """The five seed sources alone: their texts, tables and rows of raw/ignored.csv."""
    shutil.copytree(seed_workspace / "schemas", tmp_path / "schemas")
    for folder in ("sources", "tables"):
        (tmp_path / "raw" / folder).mkdir(parents=True)
    for sid in SEEDS:
        for folder, ext in (("sources", "txt"), ("tables", "csv")):
            shutil.copy(seed_workspace / "raw" / folder / f"{sid}.{ext}",
                        tmp_path / "raw" / folder / f"{sid}.{ext}")
    for name in ("sources.csv", "ignored.csv"):
        rows = list(csv.reader(io.StringIO((seed_workspace / "raw" / name).read_text(encoding="utf-8"))))
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(
            [rows[0]] + [r for r in rows[1:] if r and r[0] in SEEDS])
        (tmp_path / "raw" / name).write_text(buffer.getvalue(), encoding="utf-8")
    return tmp_path


def test_evaluate_meets_the_targets_on_the_seeds(seeds_alone):
    scores = evaluate(seeds_alone)
    assert [s.source_id for s in scores] == [*SEEDS, "total"]
    total = scores[-1]
    assert total.figures == 174
    assert total.share("proposed") >= 0.95
    assert total.share("indicator") >= 0.70
    assert total.share("period") >= 0.90
    assert total.share("noise") <= 0.10
    assert unmet(total) == []
    assert all(s.figures and s.share("proposed") >= 0.9 for s in scores)
    assert total.set_aside_figures == 0         # no committed figure was set aside


def test_cli_evaluate(seeds_alone, capsys):
    assert main(["scaffold", "--evaluate", "--workspace", str(seeds_alone)]) == 0
    out = capsys.readouterr().out
    assert all(sid in out for sid in SEEDS)
    assert out.splitlines()[-1].endswith(": met")
    assert main(["scaffold", "--workspace", str(seeds_alone)]) == 2
    assert "scaffold needs a source_id" in capsys.readouterr().err


def test_a_hidden_source_is_proposed_without_its_own_rows(seeds_alone, seed_workspace):
    """Its table and its rows of raw/ignored.csv do not inform its proposals."""
    sid = SEEDS[0]
    original = (seed_workspace / "raw" / "sources" / f"{sid}.txt").read_text(encoding="utf-8")

    def proposals():
        context = StageContext.load(seeds_alone)
        _, found, set_aside = hidden_proposals(context, Tools.load(context), sid, original)
        return ([(p.start, p.indicator_id, p.period.period, p.breakdown, p.quote) for p in found],
                [(s.mention.start, s.reason) for s in set_aside])

    before = proposals()
    table = seeds_alone / "raw" / "tables" / f"{sid}.csv"
    header = table.read_text(encoding="utf-8").splitlines()[0]
    table.write_text(header + "\n", encoding="utf-8")
    ignored = seeds_alone / "raw" / "ignored.csv"
    kept = [line for line in ignored.read_text(encoding="utf-8").splitlines()
            if not line.startswith(sid)]
    ignored.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert proposals() == before and len(before[0]) >= 30
