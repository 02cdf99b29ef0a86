"""Tests of source normalisation and its offset map (greenaudit.text.normalise)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from greenaudit.workspace.manifest import load_manifest
from greenaudit.text.digits import ascii_digits
from greenaudit.text.normalise import Cleaning, normalise, normalise_text

AD = "OD体育app手机登陆"
HANT_SOURCE = "002_07a3eed86aa5b575"


def original_of(raw: str, cleaning: Cleaning, needle: str) -> str:
    """The original text behind the first occurrence of `needle` in the normalised text."""
    n = normalise(raw, cleaning)
    position = n.text.find(needle)
    assert position >= 0, f"{needle!r} not in {n.text!r}"
    start, end = n.span(position, position + len(needle))
    return raw[start:end]


@pytest.fixture(scope="module")
def hant_source(seed_workspace):
    source = load_manifest(seed_workspace)[HANT_SOURCE]
    text = (seed_workspace / source.file).read_text(encoding="utf-8")
    return source, text


def test_full_width_forms_become_half_width_and_map_back():
    raw = "比重为１５．５％。"
    n = normalise(raw)
    assert n.text == "比重为15.5%。"
    assert original_of(raw, Cleaning(), "15.5%") == "１５．５％"
    assert n.original_length == len(raw)


def test_line_breaks_and_spaces_are_removed_and_map_back():
    raw = "绿色工厂产值占制造\r\n  业总产值比重\u3000超过 40%"
    n = normalise(raw)
    assert n.text == "绿色工厂产值占制造业总产值比重超过40%"
    assert original_of(raw, Cleaning(), "制造业") == "制造\r\n  业"
    assert original_of(raw, Cleaning(), "超过40%") == "超过 40%"


def test_declared_injected_string_inside_a_quantity_is_dropped():
    raw = "绿色工厂产值占制造业总产值比重超OD体育app手机登陆过40%，绿色发展"
    cleaning = Cleaning(drop_strings=(AD,))
    n = normalise(raw, cleaning)
    assert AD not in n.text
    assert "比重超过40%,绿色" in n.text   # NFKC: the full-width comma is now ","
    assert original_of(raw, cleaning, "超过40%") == "超OD体育app手机登陆过40%"
    # The characters after the dropped string keep their own offsets.
    assert raw[n.origin[n.text.index("过")]] == "过"


def test_injected_string_is_kept_when_not_declared():
    raw = "比重超OD体育app手机登陆过40%"
    assert "超过40%" not in normalise(raw).text


def test_real_manifest_declares_the_injected_string(seed_workspace):
    source = load_manifest(seed_workspace)["001_b7300798bfbf6ce6"]
    raw = (seed_workspace / source.file).read_text(encoding="utf-8")
    n = normalise(raw, source.cleaning)
    assert AD in raw
    assert AD not in n.text
    assert "绿色工厂产值占制造业总产值比重超过40%" in n.text


def test_hant_source_is_stripped_of_pinyin_and_simplified(hant_source):
    source, text = hant_source
    cleaning = source.cleaning
    assert cleaning.to_simplified
    assert cleaning.strip_patterns
    snippet = text.splitlines()[0][:80]
    assert "工業(yè)" in snippet
    n = normalise(snippet, cleaning)
    assert n.text.startswith("日前,工业和信息化部等7部门联合印发《关于加快推动制造业绿色化发展的指导意见》")
    assert "(" not in n.text and "業" not in n.text
    # The span ends at the last matched character: its trailing annotation is not included.
    assert original_of(snippet, cleaning, "工业和信息化部等7部门联合印发") == \
        "工業(yè)和信息化部等7部門聯(lián)合印發"


def test_whole_hant_source_has_no_annotations_left(hant_source):
    source, text = hant_source
    n = normalise(text, source.cleaning)
    pattern = re.compile(source.strip_patterns[0])
    assert pattern.search(text) is not None
    assert pattern.search(n.text) is None
    assert len(n.text) == len(n.origin)
    assert "超过40%" in n.text


def test_span_of_empty_range_is_a_point():
    n = normalise("a b")
    assert n.span(1, 1) == (2, 2)
    assert n.span(2, 2) == (3, 3)   # past the end: the original length


def test_strip_pattern_removes_every_match():
    cleaning = Cleaning(strip_patterns=(r"\[\d+\]",))
    n = normalise("比重[1]超过40%[23]", cleaning)
    assert n.text == "比重超过40%"
    assert [("比重[1]超过40%[23]")[o] for o in n.origin] == list("比重超过40%")


# ------------------------------------------------------------------ property

BASE_CHARS = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs",)),
    st.sampled_from(list("超过４０％１２．５，制造业綠色工廠（）ｱｲｳ①㍿ﬁ")),
)
WHITESPACE = st.sampled_from([" ", "\n", "\r\n", "\t", "\u3000", "\xa0", "\u2028"])


@st.composite
def text_with_whitespace(draw):
    base = draw(st.lists(BASE_CHARS, max_size=30))
    pieces = []
    for ch in base:
        pieces.extend(draw(st.lists(WHITESPACE, max_size=2)))
        pieces.append(ch)
    pieces.extend(draw(st.lists(WHITESPACE, max_size=2)))
    return "".join(base), "".join(pieces)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_with_whitespace(), st.data())
def test_every_normalised_character_maps_back_to_its_original(pair, data):
    base, raw = pair
    n = normalise(raw)
    assert len(n.origin) == len(n.text)
    assert n.origin == sorted(n.origin)
    assert not any(ch.isspace() for ch in n.text)
    for ch, origin, end in zip(n.text, n.origin, n.origin_end):
        assert 0 <= origin < end <= len(raw)
        assert ch in unicodedata.normalize("NFKC", raw[origin:end])
    # Inserted whitespace never changes the normalised text.
    assert n.text == normalise(base).text
    if n.text:
        i = data.draw(st.integers(0, len(n.text) - 1), label="start")
        j = data.draw(st.integers(i + 1, len(n.text)), label="end")
        start, end = n.span(i, j)
        assert n.text[i:j] in normalise(raw[start:end]).text


@pytest.mark.parametrize("raw", [
    "超过40%", "工業(yè)和信息化部", "ｆｕｌｌ－ｗｉｄｔｈ　１２３，４５６", "a\u0301 combining",
    "line\nbreak\r\n\ttab", "ﬁ ligature ², ½", "",
])
def test_text_only_normalisation_equals_the_mapped_one(raw: str) -> None:
    cleaning = Cleaning(drop_strings=("OD体育app手机登陆", "ｙè"), strip_patterns=(r"\([a-zà-ü]+\)",),
                        to_simplified=True)
    for declared in (Cleaning(), cleaning):
        mapped = normalise(raw, declared)
        assert normalise_text(raw, declared) == mapped.text
        assert len(mapped.origin) == len(mapped.text)
        assert all(0 <= o < len(raw) for o in mapped.origin)


def _per_cluster_reference(raw: str) -> tuple[str, list[int]]:
    """NFKC of each base character with its combining marks, whitespace dropped, every
    decimal digit written in ASCII (text/digits.py)."""
    starts = [i for i, ch in enumerate(raw) if i == 0 or not unicodedata.combining(ch)]
    bounds = list(zip(starts, starts[1:] + [len(raw)]))
    pairs = [(ascii_digits(out), a) for a, b in bounds
             for out in unicodedata.normalize("NFKC", raw[a:b]) if not out.isspace()]
    return "".join(p[0] for p in pairs), [p[1] for p in pairs]


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
# Full-width forms only (positions kept), an expansion (㎡ -> m2), a ligature next to
# full-width digits, a combining mark, and Hangul jamo that NFKC would compose whole.
@example("增长１２．５％，达到　３０万吨。")
@example("面积１００㎡")
@example("ﬁ１２")
@example("１２e\u0301")
@example("\u1100\u1161１")
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_fast_path_equals_per_cluster_normalisation(raw: str) -> None:
    mapped = normalise(raw)
    assert (mapped.text, mapped.origin) == _per_cluster_reference(raw)
    assert normalise_text(raw) == mapped.text


def test_combining_marks_are_composed_with_their_base_character():
    raw = "cafe\u0301 e\u0301"
    n = normalise(raw)
    assert n.text == "caféé"
    assert normalise("café").text in n.text
    start, end = n.span(3, 4)
    assert raw[start:end] == "e\u0301"


def test_simplified_conversion_is_per_character_so_pieces_match(hant_source):
    """Any piece of the document, normalised alone, is found in the normalised document."""
    source, text = hant_source
    whole = normalise(text, source.cleaning).text
    line = text.splitlines()[2]
    for start in range(0, len(line) - 12, 7):
        piece = line[start:start + 12]
        if "(" in piece or ")" in piece:   # a cut annotation is no longer an annotation
            continue
        assert normalise(piece, source.cleaning).text in whole, piece


def test_the_official_opencc_package_is_used():
    from importlib.metadata import distribution

    import opencc

    assert distribution("opencc").metadata["Name"].lower() == "opencc"
    assert "BYVoid/OpenCC" in (distribution("opencc").metadata.get("Home-page") or "")
    assert opencc.OpenCC("t2s").convert("綠色工廠") == "绿色工厂"


def test_original_characters_leave_out_what_was_removed():
    raw = "超OD体\n育过 ４０％"
    cleaning = Cleaning(drop_strings=("OD体育",))
    n = normalise(raw, cleaning)
    assert n.text == "超过40%"
    assert n.original_characters(raw, 0, len(n.text)) == "超过４０％"
    assert normalise(n.original_characters(raw, 0, len(n.text)), cleaning).text == n.text


def test_ascii_digits_writes_every_nd_digit_of_every_code_point_in_ascii():
    """Against unicodedata itself, over all of Unicode (the fast path skips a text in
    which re finds no digit beyond 0-9)."""
    nd = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Nd"]
    assert ascii_digits("".join(nd)) == "".join(str(unicodedata.decimal(ch)) for ch in nd)
    others = "".join(chr(c) for c in range(0x10000)
                     if unicodedata.category(chr(c)) not in ("Nd", "Cs"))
    assert ascii_digits(others) == others
    assert ascii_digits("增长１２．５％") == "增长12．5％"


@given(st.lists(st.sampled_from(["OD体育", "app", "(yè)", "業", " ", "\n", "１２", "a\u0301",
                                 "ﬁ", "OD", "体育app", "x"]), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_text_only_normalisation_equals_the_mapped_one_with_every_cleaning(raw: str) -> None:
    cleaning = Cleaning(drop_strings=("OD体育app", "ｘ"), strip_patterns=(r"\([a-zà-ü]+\)",),
                        to_simplified=True)
    for declared in (Cleaning(), cleaning, Cleaning(drop_strings=("app", "OD"))):
        assert normalise_text.__wrapped__(raw, declared) == normalise(raw, declared).text
