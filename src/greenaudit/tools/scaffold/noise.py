"""Mentions that are numbers but not indicator values: times, ordinals, names.

Each rule looks only at the characters around the mention and gives the reason a
row of raw/ignored.csv would carry. The rules are general (no source is named);
a person still confirms every one, since an ignored mention is never checked again.
"""

from __future__ import annotations

import re

from greenaudit.text.mentions import CN_DIGITS, Mention
from greenaudit.tools.scaffold.document import BULLETS, HAN, Document

_CN = f"[{CN_DIGITS}十]"
_MEASURE_ONE = "批个家张种项条轮代场次位件套份支座只幅方"
_DENOMINATORS = ("工业增加值", "增加值", "GDP", "国内生产总值", "产值", "营业收入", "收入")
_JOINERS = set("和与及至到或、多余万亿千百十")


def _after(doc: Document, m: Mention, n: int = 8) -> str:
    return doc.text[m.end:m.end + n]


def _before(doc: Document, m: Mention, n: int = 8) -> str:
    return doc.text[max(0, m.start - n):m.start]


def _clock(doc: Document, m: Mention, bare: bool) -> str | None:
    around = doc.text[max(0, m.start - 3):m.end + 3]
    if m.kind == "arabic" and re.search(r"(?<![\d.])\d{1,2}:\d{2}(?![\d.])", around) and (
            _after(doc, m, 1) == ":" or _before(doc, m, 1) == ":"):
        return "clock time (hh:mm), not a figure"
    return None


def _year_without_nian(doc: Document, m: Mention, bare: bool) -> str | None:
    if m.kind == "arabic" and bare and re.fullmatch(r"(19|20)\d{2}", m.text) or \
            re.fullmatch(r"(19|20)\d{2}[-–~至到](19|20)\d{2}", doc.text[m.start:m.start + 9]):
        return "a year written without 年 (a date, an event or chart title), not a figure"
    return None


def _ordinal(doc: Document, m: Mention, bare: bool) -> str | None:
    before, after = _before(doc, m, 1), _after(doc, m, 2)
    if before == "第":
        return "ordinal (第…), not a figure"
    if m.kind == "arabic" and re.fullmatch(r"\d{1,2}", m.text):
        start_of_item = m.start == 0 or m.start in doc.paragraphs or \
            doc.text[m.start - 1] in BULLETS + "。;:" or doc.hard_stop(m.start - 1)
        if start_of_item and re.match(r"[.、)](?!\d)", after) or re.match(r"\.[\u4e00-\u9fff]",
                                                                           after):
            return "list ordinal (section number), not a figure"
        alone = (m.start == 0 or m.start in doc.paragraphs) and \
            (m.end == len(doc.text) or m.end in doc.paragraphs)
        if m.text.startswith("0") or (alone and len(m.text) == 1):
            return "slide section number or diagram label, not a figure"
    return None


def _name(doc: Document, m: Mention, bare: bool) -> str | None:
    before, after = _before(doc, m, 1), _after(doc, m, 2)
    if m.kind == "arabic" and (re.match(r"[A-Za-z]", after) or re.match(r"[A-Za-z]", before)
                               or re.match(r"\+[A-Za-z\u4e00-\u9fff]", after)):
        return "part of a name or term (5G, 3D, 1+N), not a figure"
    if after[:1] == "强" or (before == "前" and after[:1] in "名位强"):
        return "defines a ranking or top-N group (世界500强, 前10名), not a value"
    if m.kind == "arabic" and re.fullmatch(r"\d{7,}", m.text):
        return "identifier (grant, project or document number), not a figure"
    if m.kind == "arabic" and bare and "." not in m.text and after[:1] and \
            HAN.match(after[:1]) and after[:1] not in _JOINERS and m.end not in doc.breaks:
        return "number run into a name (no unit follows), not a figure"
    return None


def _chinese_phrase(doc: Document, m: Mention, bare: bool) -> str | None:
    text, before, after = m.text, _before(doc, m, 2), _after(doc, m, 6)
    if m.kind != "chinese":
        return None
    if re.fullmatch(f"{_CN}+五", text) or (re.fullmatch(f"{_CN}+", text) and after[:1] == "五"):
        return "plan name (a five-year plan such as 十三五), a period, not a value"
    if text.endswith("大") or after[:1] == "大":
        if before.endswith(("党的", "中共")) or after.startswith(("报告", "以来", "精神")):
            return "name of a party congress (党的二十大), an ordinal, not a figure"
        return "count of the items the text itself lists (四大, 五大), not a statistic"
    if re.match(r"^(?:个)?(?:方面|层面|部分)", after) or re.search(r"(方面|层面)$", text):
        return "count of the points the text itself lists, not a statistic"
    if text[0] == "一" and len(text) == 2 and text[1] in _MEASURE_ONE:
        return "一 with a measure word as the indefinite article ('a', 'a batch of'), not a count"
    if before.endswith(("数", "几", "若干")) and not before.endswith("倍数"):
        return "vague number (数十, 几百: 'dozens of', 'hundreds of'), no figure stated"
    if text.endswith("级"):
        return "a number of levels, a level or a size class (三级, 万亿级), not a statistic"
    if text.startswith("万元") and after.startswith(_DENOMINATORS):
        return "part of a unit (per 10,000 yuan of ...), not a value"
    if re.match(r"^(?:个)?(?:月|年|天|日)内", after) or re.match(r"^.?(?:月|年|天)内", text[-1:] + after) \
            or before.endswith(("过去", "未来", "最近")):
        return "a time span (过去五十年, 九个月内), not a figure"
    return None


def _date_part(doc: Document, m: Mention, bare: bool) -> str | None:
    after = _after(doc, m, 4)
    if m.kind == "arabic" and bare and re.match(r"(?:[-–~至]\d{1,2})?[月日号]", after):
        return "part of a date or period (6月, 1-9月, 28日), not a figure"
    if m.kind == "chinese" and (m.text.endswith("季") and after.startswith("度") or
                                _before(doc, m, 1) == "前" and re.match(r"(?:个)?月", after)):
        return "part of a period (前三季度, 前两个月), not a figure"
    return None


RULES = (_clock, _year_without_nian, _date_part, _ordinal, _name, _chinese_phrase)


def _in_catalog_name(doc: Document, m: Mention, names: tuple[str, ...]) -> str | None:
    """A number that an indicator's own name contains (10种重要再生资源, 前10名)."""
    if m.kind != "arabic":
        return None
    for before in range(0, 3):
        for after in range(0, 4):
            if before + after < 2 or m.start - before < 0:
                continue
            piece = doc.text[m.start - before:m.end + after]
            if any(piece in name for name in names):
                return "part of an indicator's name (it defines the indicator), not a value"
    return None


def noise_reason(doc: Document, mention: Mention, quantity_end: int,
                 names: tuple[str, ...] = ()) -> str | None:
    """Why `mention` is not an indicator value, or None if it may be one.

    `quantity_end` is where the quantity around the mention ends: a mention with a
    percent sign or magnitude (28%, 1.5亿), or that the quantity grammar extends
    over a unit (45个), is not a bare number."""
    bare = quantity_end <= mention.end and re.fullmatch(r"[\d.]+", mention.text) is not None
    for rule in RULES:
        reason = rule(doc, mention, bare)
        if reason:
            return reason
    return _in_catalog_name(doc, mention, names)


def ignored_context(doc: Document, start: int, end: int, width: int = 6) -> str:
    """Text around a mention for raw/ignored.csv: a few characters each side, in its sentence."""
    a, b = doc.sentence(start, end)
    a, b = max(a, start - width), min(b, end + width)
    return doc.normalised.original_characters(doc.original, a, b)
