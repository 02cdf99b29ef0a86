"""Words the synthetic corpus is written with: places, sectors, topics and measures.

No name may contain a digit or a Chinese numeral character (一 二 … 十 百 千 万 亿 两
零): every number in a synthetic source must be a transcribed quantity or a year,
so that a coverage audit finds nothing untranscribed in a clean corpus.
"""

from __future__ import annotations

from dataclasses import dataclass

from greenaudit.text.quantity import CN_NUMERAL_CHARS

# (breakdown code, Chinese name). 四川 is left out: its name holds a numeral.
PROVINCES: tuple[tuple[str, str], ...] = (
    ("beijing", "北京"), ("tianjin", "天津"), ("hebei", "河北"), ("shanxi", "山西"),
    ("inner_mongolia", "内蒙古"), ("liaoning", "辽宁"), ("jilin", "吉林"),
    ("heilongjiang", "黑龙江"), ("shanghai", "上海"), ("jiangsu", "江苏"), ("zhejiang", "浙江"),
    ("anhui", "安徽"), ("fujian", "福建"), ("jiangxi", "江西"), ("shandong", "山东"),
    ("henan", "河南"), ("hubei", "湖北"), ("hunan", "湖南"), ("guangdong", "广东"),
    ("guangxi", "广西"), ("hainan", "海南"), ("chongqing", "重庆"), ("guizhou", "贵州"),
    ("yunnan", "云南"), ("tibet", "西藏"), ("shaanxi", "陕西"), ("gansu", "甘肃"),
    ("qinghai", "青海"), ("ningxia", "宁夏"), ("xinjiang", "新疆"),
)

SECTORS: tuple[tuple[str, str], ...] = (
    ("steel", "钢铁"), ("nonferrous", "有色金属"), ("chemicals", "化工"),
    ("building_materials", "建材"), ("petrochemicals", "石化"), ("textiles", "纺织"),
    ("light_industry", "轻工"), ("machinery", "机械"), ("automotive", "汽车"),
    ("electronics", "电子"), ("pharmaceuticals", "医药"), ("food", "食品"),
)

TOPICS: tuple[tuple[str, str], ...] = (
    ("绿色工厂", "green factories"), ("绿色工业园区", "green industrial parks"),
    ("绿色供应链管理企业", "green supply-chain enterprises"),
    ("绿色设计产品", "green design products"),
    ("工业固体废物综合利用", "industrial solid-waste utilisation"),
    ("再生资源回收利用", "recycled resources"), ("节能环保产业", "energy-saving industry"),
    ("新能源汽车产业", "new-energy vehicle industry"), ("光伏制造", "photovoltaic manufacturing"),
    ("风电装备制造", "wind-power equipment"), ("动力电池回收", "traction-battery recycling"),
    ("工业节水", "industrial water saving"), ("清洁生产审核", "cleaner-production audits"),
    ("绿色数据中心", "green data centres"), ("工业余热利用", "industrial waste-heat recovery"),
    ("高效电机推广", "high-efficiency motors"), ("绿色建材", "green building materials"),
    ("氢能装备", "hydrogen equipment"), ("储能装备", "energy-storage equipment"),
    ("环保装备制造", "environmental-protection equipment"),
)

# Denominators of the national shares that take part in derived identities. The
# regional share measure below uses 工业增加值, so no two indicators share a name.
IDENTITY_DENOMINATORS: tuple[tuple[str, str], ...] = (
    ("制造业增加值", "manufacturing value added"), ("工业总产值", "gross industrial output"),
    ("规模以上工业营业收入", "revenue of industry above designated size"),
    ("工业投资", "industrial investment"), ("工业出口交货值", "industrial export delivery value"),
    ("工业能源消费总量", "industrial energy consumption"),
)

# Titles of the synthetic documents (their figures span many provinces).
TITLES: tuple[str, ...] = ("工业绿色发展情况汇编", "工业绿色发展监测报告", "绿色制造统计摘编",
                           "工业节能与综合利用情况通报")

# Text a web page injects into a document; declared as drop_strings in the manifest.
INJECTED_STRINGS: tuple[str, ...] = ("OD体育app手机登陆", "点击下载客户端阅读全文", "扫码关注官方公众号")

# Paraphrase a transcriber may put in a quote; it never occurs in a generated source.
PARAPHRASE = "据统计，"


@dataclass(frozen=True)
class Measure:
    """What a regional indicator measures and how documents write it."""

    code: str
    phrase: str            # the words after the topic: 企业数量
    name_en: str
    kind: str              # catalog kind
    unit: str              # canonical project unit
    written_unit: str      # as written after the magnitude: 家, 元, %
    magnitude: str         # "", 万 or 亿
    decimals: int          # digits after the point of the exact figure
    base: tuple[int, int]  # range of a series' base value, in written units
    verbs: tuple[str, ...]  # verbs before an exact figure
    big_magnitude: str     # the magnitude of the coarser restatement (0.35万亿元)
    wrong_unit: str        # a written unit of another dimension (a misprint)
    valid: tuple[int | None, int | None]


MEASURES: tuple[Measure, ...] = (
    Measure("enterprises", "企业数量", "number of enterprises", "count", "count", "家", "",
            0, (200, 3000), ("达到", "为"), "万", "吨", (0, None)),
    Measure("projects", "重点项目数量", "number of key projects", "count", "count", "个", "",
            0, (120, 900), ("达到", "为"), "万", "吨", (0, None)),
    Measure("output", "产值", "output value", "amount", "CNY", "元", "亿", 2, (100, 5000),
            ("达到", "为"), "万亿", "美元", (0, None)),
    Measure("investment", "投资额", "investment", "amount", "CNY", "元", "亿", 1, (20, 800),
            ("达到", "为"), "万亿", "美元", (0, None)),
    Measure("revenue_growth", "营业收入", "revenue growth", "growth_rate", "percent", "%", "",
            1, (4, 15), ("同比增长",), "", "个百分点", (-100, None)),
    Measure("value_added_share", "占工业增加值比重", "share of industrial value added", "share",
            "percent", "%", "", 1, (2, 25), ("达到", "为"), "", "个百分点", (0, 100)),
    Measure("energy_use", "综合能源消费量", "energy consumption", "amount", "tce", "吨标准煤",
            "万", 1, (50, 3000), ("达到", "为"), "亿", "吨", (0, None)),
    Measure("electricity_use", "用电量", "electricity consumption", "amount", "kWh", "千瓦时",
            "亿", 2, (5, 500), ("达到", "为"), "万亿", "千瓦", (0, None)),
    Measure("waste_processed", "处理量", "tonnage processed", "amount", "t", "吨", "万", 1,
            (10, 2000), ("达到", "为"), "亿", "吨标准煤", (0, None)),
    Measure("capacity", "装机容量", "installed capacity", "amount", "kW", "千瓦", "万", 1,
            (10, 3000), ("达到", "为"), "亿", "千瓦时", (0, None)),
)


def numeral_free(text: str) -> bool:
    """True if `text` holds no digit and no Chinese numeral character."""
    return not any(ch.isdigit() or ch in CN_NUMERAL_CHARS for ch in text)


def all_names() -> list[str]:
    """Every name and phrase the generator writes into a source (for the numeral test)."""
    names = [n for _, n in PROVINCES] + [n for _, n in SECTORS] + [n for n, _ in TOPICS]
    names += [n for n, _ in IDENTITY_DENOMINATORS] + list(INJECTED_STRINGS) + [PARAPHRASE]
    names += list(TITLES)
    names += [m.phrase for m in MEASURES] + [v for m in MEASURES for v in m.verbs]
    return names
