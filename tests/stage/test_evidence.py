"""Tests of quote and quantity proof against a source (greenaudit.stage.evidence)."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenaudit.stage.evidence import (EVIDENCE_STATUSES, Claim, check_evidence, find_all,
                                       longest_match, nearest_text)
from greenaudit.workspace.manifest import load_manifest
from greenaudit.text.normalise import Cleaning, normalise

PLAIN = Cleaning()


def prove(raw: str, quote: str, quantity: str, cleaning: Cleaning = PLAIN):
    return check_evidence(normalise(raw, cleaning), raw, quote, quantity, cleaning)


@pytest.fixture(scope="module")
def manifest(seed_workspace):
    return load_manifest(seed_workspace)


def real_source(seed_workspace, manifest, source_id):
    source = manifest[source_id]
    text = (seed_workspace / source.file).read_text(encoding="utf-8")
    return source, text, normalise(text, source.cleaning)


# ------------------------------------------------------------------ verified

def test_verified_with_offsets_into_the_original():
    raw = "据统计，我国高技术制造业增加值占比达到15.5%。"
    e = prove(raw, "高技术制造业增加值占比达到15.5%", "15.5%")
    assert e.status == "verified" and e.verified
    assert raw[e.quote_start:e.quote_end] == "高技术制造业增加值占比达到15.5%"
    assert raw[e.quantity_start:e.quantity_end] == "15.5%"
    assert e.flags == ()


def test_verified_through_full_width_forms_and_line_breaks():
    raw = "占规模以上工业\n增加值比重为１５．５％，"
    e = prove(raw, "占规模以上工业 增加值比重为15.5%", "15.5%")
    assert e.status == "verified"
    assert raw[e.quote_start:e.quote_end] == "占规模以上工业\n增加值比重为１５．５％"
    assert raw[e.quantity_start:e.quantity_end] == "１５．５％"


def test_verified_across_an_injected_string_in_the_real_source(seed_workspace, manifest):
    source, text, n = real_source(seed_workspace, manifest, "001_b7300798bfbf6ce6")
    e = check_evidence(n, text, "到2030年，绿色工厂产值占制造业总产值比重超过40%", "超过40%",
                       source.cleaning)
    assert e.status == "verified"
    assert text[e.quantity_start:e.quantity_end] == "超OD体育app手机登陆过40%"
    assert text[e.quote_start:e.quote_end].startswith("到2030年")
    assert normalise(text[e.quantity_start:e.quantity_end], source.cleaning).text == "超过40%"


def test_verified_in_traditional_script_with_pinyin(seed_workspace, manifest):
    source, text, n = real_source(seed_workspace, manifest, "002_07a3eed86aa5b575")
    quote = "到2030年,各級綠色工廠產值占制造業總產值比重超過40%"
    e = check_evidence(n, text, quote, "超過40%", source.cleaning)
    assert e.status == "verified"
    assert text[e.quantity_start:e.quantity_end] == "超過40%"
    assert text[e.quote_start:e.quote_end] == \
        "到2030年,各級綠色工廠產(chǎn)值占制造業(yè)總產(chǎn)值比重超過40%"
    # The quote may also be written in simplified script.
    e2 = check_evidence(n, text, "各级绿色工厂产值占制造业总产值比重超过40%", "超过40%",
                        source.cleaning)
    assert (e2.status, e2.quantity_start, e2.quantity_end) == \
        ("verified", e.quantity_start, e.quantity_end)


def test_later_occurrence_is_used_when_the_first_is_another_number():
    raw = "比重从28.2%提高到28%以上"
    e = prove(raw, raw, "28")
    assert e.status == "verified"
    assert (e.quantity_start, e.quantity_end) == (raw.index("28%"), raw.index("28%") + 2)


# ------------------------------------------------------------------ failures

def test_quote_not_found_reports_nearest_text():
    raw = "我国高技术制造业增加值占比达到15.5%。"
    e = prove(raw, "高技术制造业增加值占比达到16.5%", "16.5%")
    assert e.status == "quote_not_found" and not e.verified
    assert e.quote_start is None and e.quantity_start is None
    assert "高技术制造业增加值占比达到" in e.nearest


def test_empty_quote_is_not_found():
    assert prove("比重为28%", "  ", "28%").status == "quote_not_found"


def test_quantity_not_in_quote():
    raw = "比重为28%，产量为30万吨"
    e = prove(raw, "比重为28%", "30万吨")
    assert e.status == "quantity_not_in_quote"
    assert raw[e.quote_start:e.quote_end] == "比重为28%"
    assert e.quantity_start is None


def test_value_mismatch_28_inside_28_point_2():
    raw = "装备制造业增加值占比从28.2%提高到31.8%"
    e = prove(raw, raw, "28")
    assert e.status == "value_mismatch"
    assert e.nearest == "28.2"
    assert raw[e.quantity_start:e.quantity_end] == "28"


@pytest.mark.parametrize("quantity, stated", [
    ("16.5%", "15.5%"), ("31.9%", "31.8%"), ("6.2", "6.1"), ("超过41%", "超过40%"),
    ("八部门", "七部门"), ("22.03万元", "22.03万亿元"),
])
def test_a_changed_digit_in_the_quantity_is_a_value_mismatch(quantity, stated):
    raw = "等七部门发布，比重分别达到15.5%和31.8%，提高了6.1和3.6个百分点，超过40%，余额22.03万亿元。"
    e = prove(raw, raw, quantity)
    assert e.status == "value_mismatch"
    assert e.nearest == stated
    assert raw[e.quantity_start:e.quantity_end] == stated


def test_a_changed_digit_in_a_seed_row_names_the_row_and_the_stated_figure(workspace_copy):
    from greenaudit.stage.source import stage_source

    table = workspace_copy / "raw" / "tables" / "000_451eeb3f8d9b8ea0.csv"
    text = table.read_text(encoding="utf-8")
    table.write_text(text.replace("hi_tech_mfg_share,2022,15.5%,", "hi_tech_mfg_share,2022,16.5%,"),
                     encoding="utf-8")
    staged = stage_source(workspace_copy, "000_451eeb3f8d9b8ea0")
    check = next(c for c in staged.checks if c.check_id == "evidence.000_451eeb3f8d9b8ea0")
    assert check.status == "fail"
    assert check.message == ("raw/tables/000_451eeb3f8d9b8ea0.csv:4:4 (quote): value_mismatch; "
                             "the quote has '15.5%' where the quantity is '16.5%'")
    observation = next(o for o in staged.observations if o["row_number"] == 4)
    assert observation["evidence"] == "value_mismatch"
    assert staged.original[observation["quantity_start"]:observation["quantity_end"]] == "15.5%"


def test_a_changed_character_in_a_seed_quote_names_the_row_and_the_nearest_text(workspace_copy):
    from greenaudit.stage.source import stage_source

    table = workspace_copy / "raw" / "tables" / "003_1a3b190ec270dc4e.csv"
    text = table.read_text(encoding="utf-8")
    table.write_text(text.replace("全国火电机组每千瓦时煤耗降到了", "全国火电机组每千瓦时煤耗降低了"),
                     encoding="utf-8")
    staged = stage_source(workspace_copy, "003_1a3b190ec270dc4e")
    check = next(c for c in staged.checks if c.check_id == "evidence.003_1a3b190ec270dc4e")
    line = next(i for i, row in enumerate(text.splitlines(), 1)
                if row.startswith("thermal_power_coal_consumption"))
    assert check.message.startswith(f"raw/tables/003_1a3b190ec270dc4e.csv:{line}:4 (quote): "
                                    "quote_not_found; nearest text in raw/sources/")
    assert "全国火电机组每千瓦时煤耗降到了302.5克标准煤" in check.message


def test_value_mismatch_digit_inside_a_longer_integer():
    e = prove("共有128家企业", "共有128家企业", "28家")
    assert e.status == "value_mismatch"
    assert e.nearest == "128"


# ------------------------------------------------------------------ garbled slide labels

@pytest.mark.parametrize("quantity", ["6.29", "6.10"])
def test_garbled_slide_labels_in_the_real_deck(seed_workspace, manifest, quantity):
    source, text, n = real_source(seed_workspace, manifest, "004_2e0697a374659b7e")
    assert "6.296.10" in text
    e = check_evidence(n, text, "2020年 德国 6.296.10 8.05 12.07 12.93", quantity,
                       source.cleaning)
    assert e.status == "verified"
    assert e.flags == ("garbled_number_in_source",)
    assert text[e.quantity_start:e.quantity_end] == quantity
    label = text.index("6.296.10")
    assert e.quantity_start == label + {"6.29": 0, "6.10": 4}[quantity]


def test_a_clean_label_next_to_garbled_ones_has_no_flag(seed_workspace, manifest):
    source, text, n = real_source(seed_workspace, manifest, "004_2e0697a374659b7e")
    e = check_evidence(n, text, "6.296.10 8.05 12.07", "8.05", source.cleaning)
    assert e.status == "verified"
    assert e.flags == ()


def test_statuses_are_the_declared_ones():
    assert set(EVIDENCE_STATUSES) == {"verified", "quote_not_found", "quantity_not_in_quote",
                                      "value_mismatch", "quote_too_long", "quote_repeated",
                                      "quantity_repeated", "occurrence_not_found",
                                      "qualifier_not_in_quote"}


def test_nearest_text():
    assert nearest_text("", "x") == ""
    assert nearest_text("abcdef", "") == ""
    assert nearest_text("我国比重为15.5%的产业", "比重为16.5%") == "比重为15.5%"


# Small alphabets, so that ties between equally long matches are common.
_SMALL = st.text(alphabet="ab一二", max_size=40)


@settings(max_examples=400, deadline=None)
@given(_SMALL, st.text(alphabet="ab一二x", max_size=15))
def test_longest_match_is_difflibs_block(haystack, needle):
    """The same block (position in both strings and length) as difflib's own search."""
    matcher = difflib.SequenceMatcher(None, haystack, needle, autojunk=False)
    expected = tuple(matcher.find_longest_match(0, len(haystack), 0, len(needle)))
    assert longest_match(haystack, needle) == expected


def test_longest_match_prefers_the_earliest_in_the_haystack_then_the_needle():
    assert longest_match("xxabyyab", "abab") == (2, 0, 2)
    assert longest_match("cab", "abcab") == (0, 2, 3)
    assert longest_match("abc", "xyz") == (0, 0, 0)


# ------------------------------------------------------------------ property

@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("比重超过产量为万吨.%0123456789１．， \n")),
               min_size=1, max_size=40), st.data())
def test_a_substring_of_the_source_is_always_found(raw, data):
    """Any passage of the source is found where it was taken from once the row names
    that occurrence; a quantity inside it is found, or named as repeated."""
    n = normalise(raw)
    if not n.text:
        return
    i = data.draw(st.integers(0, len(n.text) - 1), label="i")
    j = data.draw(st.integers(i + 1, len(n.text)), label="j")
    quote = n.text[i:j]
    k = data.draw(st.integers(0, len(quote) - 1), label="k")
    quantity = quote[k:data.draw(st.integers(k + 1, len(quote)), label="l")]
    before = find_all(n.text, quote)
    e = check_evidence(n, raw, quote, quantity, PLAIN, Claim(occurrence=before.index(i) + 1))
    assert e.status in EVIDENCE_STATUSES
    assert e.status not in ("quote_not_found", "quantity_not_in_quote", "quote_repeated",
                            "occurrence_not_found")
    assert (e.quote_start, e.quote_end) == n.span(i, j)
    if e.status == "quantity_repeated":
        assert len(e.positions) > 1
        assert all(e.quote_start <= p < e.quote_end for p in e.positions)
        return
    assert quantity in normalise(raw[e.quantity_start:e.quantity_end]).text
    assert e.quote_start <= e.quantity_start < e.quantity_end <= e.quote_end
    # Without the occurrence, a passage the source repeats is named, never guessed.
    plain = check_evidence(n, raw, quote, quantity, PLAIN)
    assert (plain.status == "quote_repeated") == (len(before) > 1)


# ------------------------------------------------------------------ offsets, all seeds

@pytest.fixture(scope="module")
def seed_observations(seed_workspace):
    from greenaudit.stage.source import StageContext, stage_source

    context = StageContext.load(seed_workspace)
    return [(context.manifest[sid], stage_source(seed_workspace, sid, context=context))
            for sid in sorted(context.manifest)]


def test_every_seed_observation_is_verified(seed_observations):
    for _, staged in seed_observations:
        assert staged.observations
        assert {o["evidence"] for o in staged.observations} == {"verified"}


def test_seed_offsets_slice_back_to_the_quote_and_quantity(seed_observations):
    """Slicing the ORIGINAL file at the recorded offsets gives text that normalises
    (with the source's declared cleaning) exactly to the quote and to the quantity."""
    checked = set()
    for source, staged in seed_observations:
        for o in staged.observations:
            quote = staged.original[o["quote_start"]:o["quote_end"]]
            quantity = staged.original[o["quantity_start"]:o["quantity_end"]]
            assert normalise(quote, source.cleaning).text == \
                normalise(o["quote"], source.cleaning).text, (source.source_id, o["row_number"])
            assert normalise(quantity, source.cleaning).text == \
                normalise(o["quantity"], source.cleaning).text, (source.source_id, o["row_number"])
            assert o["quote_start"] <= o["quantity_start"] < o["quantity_end"] <= o["quote_end"]
            checked.add(source.source_id)
    assert checked == {"000_451eeb3f8d9b8ea0", "001_b7300798bfbf6ce6", "002_07a3eed86aa5b575",
                       "003_1a3b190ec270dc4e", "004_2e0697a374659b7e"}


def test_seed_offsets_keep_what_the_cleaning_removed(seed_observations):
    by_source = {source.source_id: staged for source, staged in seed_observations}
    ad = by_source["001_b7300798bfbf6ce6"]
    target = next(o for o in ad.observations if o["indicator_id"] == "green_factory_output_share_target")
    assert ad.original[target["quantity_start"]:target["quantity_end"]] == "超OD体育app手机登陆过40%"
    hant = by_source["002_07a3eed86aa5b575"]
    departments = next(o for o in hant.observations if o["indicator_id"] == "guidance_issuing_departments")
    assert hant.original[departments["quantity_start"]:departments["quantity_end"]] == "7部門"
    assert "(yè)" in hant.original[departments["quote_start"]:departments["quote_end"]]


# ------------------------------------------------------------------ statements, not documents

HEADLINE = "钢铁行业重复用水率超过97%\n\n记者获悉，钢铁行业重复用水率超过97%，处于国际先进水平。"


def test_a_repeated_quote_is_an_error_naming_every_position():
    e = prove(HEADLINE, "钢铁行业重复用水率超过97%", "超过97%")
    assert e.status == "quote_repeated" and not e.verified
    assert e.positions == (0, HEADLINE.rindex("钢铁行业"))
    assert e.quote_start is None and e.quantity_start is None


def test_the_named_occurrence_of_a_repeated_quote_is_the_one_proven():
    body = HEADLINE.rindex("钢铁行业")
    e = prove_with(HEADLINE, "钢铁行业重复用水率超过97%", "超过97%", Claim(occurrence=2))
    assert e.status == "verified"
    assert e.quote_start == body
    assert HEADLINE[e.quantity_start:e.quantity_end] == "超过97%" and e.quantity_start > body
    assert prove_with(HEADLINE, "钢铁行业重复用水率超过97%", "超过97%",
                      Claim(occurrence=1)).quote_start == 0


def test_a_longer_quote_resolves_a_repeated_one():
    e = prove(HEADLINE, "钢铁行业重复用水率超过97%，处于", "超过97%")
    assert e.status == "verified" and e.quote_start == HEADLINE.rindex("钢铁行业")


def test_an_occurrence_beyond_those_found_is_an_error():
    e = prove_with(HEADLINE, "钢铁行业重复用水率超过97%", "超过97%", Claim(occurrence=3))
    assert e.status == "occurrence_not_found"
    assert len(e.positions) == 2


def test_a_quote_stating_the_quantity_twice_needs_its_occurrence():
    raw = "甲行业增长5%，乙行业增长5%。"
    e = prove(raw, "甲行业增长5%，乙行业增长5%", "5%")
    assert e.status == "quantity_repeated"
    assert e.positions == (raw.index("5%"), raw.rindex("5%"))
    second = prove_with(raw, "甲行业增长5%，乙行业增长5%", "5%", Claim(quantity_occurrence=2))
    assert second.status == "verified" and second.quantity_start == raw.rindex("5%")
    assert prove_with(raw, "甲行业增长5%，乙行业增长5%", "5%",
                      Claim(quantity_occurrence=3)).status == "occurrence_not_found"


def test_a_number_inside_another_is_not_a_second_occurrence():
    # 28 inside 28.2 is another figure, not the quantity written twice.
    e = prove("比重从28.2%提高到28%以上", "比重从28.2%提高到28%以上", "28")
    assert e.status == "verified"


def test_a_quote_longer_than_the_limit_is_refused():
    raw = "，".join(["各地推进绿色制造体系建设"] * 40) + "，绿色工厂产值占比超过40%。"
    quote = raw[:-1]
    e = prove_with(raw, quote, "超过40%", Claim(max_quote_chars=300))
    assert e.status == "quote_too_long" and e.length == len(quote) > 300
    assert prove_with(raw, quote, "超过40%", Claim(max_quote_chars=len(quote))).verified
    # The length counts characters after normalisation: whitespace does not count.
    assert prove_with(raw, quote.replace("，", "， "), "超过40%",
                      Claim(max_quote_chars=len(quote))).verified


def test_a_context_qualifier_is_found_in_the_quote_near_the_quantity():
    raw = "钢铁、石化化工行业重复用水率分别超过97%和95%，处于国际先进水平。"
    e = prove_with(raw, raw[:-1], "95%", Claim(qualifier="分别超过"))
    assert e.status == "verified"
    assert raw[e.qualifier_start:e.qualifier_end] == "分别超过"
    assert raw[e.quantity_start:e.quantity_end] == "95%"


def test_the_qualifier_occurrence_nearest_the_quantity_is_recorded():
    raw = "甲超过10%，乙为20%，丙超过30%"
    assert prove_with(raw, raw, "10%", Claim(qualifier="超过")).qualifier_start == 1
    # 20%: 6 characters after the first 超过, 2 before the second.
    assert prove_with(raw, raw, "20%", Claim(qualifier="超过")).qualifier_start == 14
    raw = "甲为20%，乙超过10%"
    assert prove_with(raw, raw, "20%", Claim(qualifier="超过")).qualifier_start == 7


def test_a_detached_qualifier_not_in_the_quote_is_an_error():
    raw = "93% 95% 97% 规上工业 石化化工行业 钢铁行业"
    e = prove_with(raw, raw, "95%", Claim(qualifier="分别超过"))
    assert e.status == "qualifier_not_in_quote" and not e.verified
    assert e.qualifier_start is None
    # Inside the quantity does not count: the qualifier must stand apart from it.
    e = prove_with("比重超过95%", "比重超过95%", "超过95%", Claim(qualifier="超过"))
    assert e.status == "qualifier_not_in_quote"


def prove_with(raw: str, quote: str, quantity: str, claim: Claim, cleaning: Cleaning = PLAIN):
    return check_evidence(normalise(raw, cleaning), raw, quote, quantity, cleaning, claim)
