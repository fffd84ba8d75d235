"""Figures: the quantities a Chinese report states, parsed into value, unit and qualifier.

Handles Arabic numbers with or without separators (4,308 · 53.4; a space may stand before the
unit: 15 个), Chinese numerals (六十四, 一千零一十九, 两, 近千), magnitudes (1.0万, 3千万, 4亿,
1268万元, 4亿5000万), percentages, qualifiers that change the meaning (逾 超过 近 约 突破 多 余
以上 …, kept as a flag) and the measure word or unit that follows, in its family (people, money,
length …; units of a family that convert exactly are compared converted: 410万米 = 4100公里,
40公分 = 40厘米). Dates (2022年7月下旬), ranges (2021-2030年, 0-3岁), ordinals (第八个) and
numbers with no unit (12338热线) are not counts and are not returned.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.normalize import chinese_number
from kb.textspans import DATE

# Longest first, so 人次 wins over 人 and 万元 over 元.
UNITS = sorted("""人次 场次 万元 亿元 千元 周年 个百分点 百分点 万人次 万人 万户 万份 万个 万名
个 名 人 场 支 篇 条 户 间 家 项 件 宗 次 份 元 所 处 批 位 套 期 本 部 台 辆 座 栋 张 册 节 门 类 种 群
对 天 岁 届 轮 起 例 封 首 幅 组 片 块 吨 斤 公斤 千克 公里 亩 平方米 万平方米 立方米 千瓦 美元 %
个月 小时 分钟 秒 周 米 厘米 毫米 千米 克 公顷 平方公里 平方千米 欧元 英镑 日元 港元 加元 澳元
新台币 美金 倍 层 集 章 卷 颗 只 头 匹 架 艘 株 棵 枚 公分 公尺 光年 英寸 英尺 英里 平方英里 km 趟 步 页 队 站""".split(), key=len, reverse=True)
FAMILIES = {
    "people": {"人", "名", "人次", "位", "万人", "万人次"},
    "sessions": {"场", "场次", "次", "期", "届", "轮"},
    "money": {"元"},
    "percent": {"%", "个百分点", "百分点"},
    "mass": {"吨", "斤", "公斤", "千克", "克"},
    "length": {"公里", "千米", "米", "厘米", "毫米", "公分", "公尺", "km", "英寸", "英尺", "英里", "光年"},
    "area": {"亩", "平方米", "公顷", "平方公里", "平方千米", "平方英里"},
    "duration": {"天", "周", "个月", "小时", "分钟", "秒"},
}
# units that are neither counters nor of a family above: each is its own family (a sum in 美元 is not
# one in 欧元, a multiple is not a count)
OWN_FAMILY = {"美元", "美金", "欧元", "英镑", "日元", "港元", "加元", "澳元", "新台币", "倍", "岁", "千瓦", "立方米"}
LOWER_BOUND = {"逾", "超过", "超", "突破", "以上", "多", "余", "不少于", "至少", "多达"}
APPROXIMATE = {"约", "近", "左右", "将近", "接近", "大约"}
_PRE = "不少于|多达|将近|接近|大约|超过|突破|至少|逾|超|近|约"
_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CHINESE = "[零〇一二三四五六七八九十百千万亿两]+"
ARABIC_NUMBER = re.compile(_ARABIC)  # a number in digits, as kb/evaluate.py reads a gold with no unit
_MAGNITUDE = {"万亿": 10**12, "千万": 10**7, "百万": 10**6, "亿": 10**8, "万": 10**4, "千": 10**3}
UNIT_MAGNITUDE = {"万元": ("元", 10**4), "亿元": ("元", 10**8), "千元": ("元", 10**3), "万人": ("人", 10**4),
                   "万人次": ("人次", 10**4), "万户": ("户", 10**4), "万份": ("份", 10**4), "万个": ("个", 10**4),
                   "万名": ("名", 10**4), "万平方米": ("平方米", 10**4)}
_QUANTITY = re.compile(
    rf"(?P<pre>{_PRE})?(?P<num>{_ARABIC}|{_CHINESE})(?P<mag>万亿|千万|百万|万|亿|千)?"
    r"(?P<rest>(?<=亿)\d{1,4}(?:\.\d+)?[万千]|(?<=万)\d千)?(?P<post>多|余)?"
    rf"(?:(?:(?<=[\d万亿千多余]) )?(?P<unit>{'|'.join(re.escape(u) for u in UNITS)}))?(?P<after>以上|左右|多)?")
_RANGE = re.compile(rf"(?:{_ARABIC}|{_CHINESE})\s*[-－—–~～至到]\s*(?:{_ARABIC}|{_CHINESE})")
# Chinese idioms built of numerals: words, not quantities
IDIOMS = ("千家万户", "千方百计", "万众一心", "一心一意", "四面八方", "五湖四海", "百花齐放", "千千万万",
          "一举两得", "万无一失", "十全十美", "一五一十", "三心二意", "七上八下", "一老一小", "一路童行")
# a measure word that is really the start of a word: 千家 in 千家万户 is caught above; 家庭 here
_NOT_UNIT_BEFORE = {"家": "庭长属乡园风教", "人": "民员才士群们", "个": "人体性案", "条": "例件款",
                    "次": "要", "期": "间待望刊", "名": "称单义", "部": "门署分", "份": "子额",
                    "只": "有是要能", "集": "团中体合", "头": "脑部条",
                    "步": "行骤伐入", "页": "面", "队": "员伍长", "站": "点长台在立起"}
_SPACED_DIGIT = {f"{c} " for c in "0123456789."}
CLAUSE_END = "，,；;。！？!?：:"
# a comma between digits is a thousands separator (4,308), not a clause end
_CLAUSE_SPLIT = re.compile(r"[，；;。！？!?：:\n]|,(?!\d{3}(?!\d))|(?<!\d),")


@dataclass
class Quantity:
    value: float
    unit: str
    qualifier: str  # "" or the qualifier word(s) as written, e.g. "逾", "多"
    start: int  # offsets in the text that was parsed
    end: int
    surface: str
    low: float = 0.0  # the values the statement allows (see `bounds`)
    high: float = 0.0

    @property
    def family(self) -> str:
        return unit_family(self.unit)

    @property
    def text(self) -> str:
        """The figure as an answer shows it: 64个, 53.4万人次, 1268万元."""
        return self.surface


COUNTED_FAMILIES = ("items", "amount", "people", "sessions")  # the families of unit_family that count things


def unit_family(unit: str) -> str:
    """people, sessions, money, percent, mass, length, area, duration; a unit of its own; items for
    any other measure word (个, 项, 家 …); amount for a bare magnitude (30万)."""
    for name, members in FAMILIES.items():
        if unit in members:
            return name
    if unit in OWN_FAMILY:
        return unit
    return "items" if unit else "amount"


def _number(raw: str) -> float | None:
    if raw[0].isdigit():
        return float(raw.replace(",", ""))
    if len(raw) == 1:
        single = {"十": 10, "百": 100, "千": 1000, "万": 10**4, "亿": 10**8, "两": 2}
        if raw in single:
            return float(single[raw])
    converted = chinese_number(raw) if len(raw) > 1 else None
    if converted is None and len(raw) == 1:
        converted = {c: str(i) for i, c in enumerate("零一二三四五六七八九")}.get(raw)
    return float(converted) if converted is not None else None


def _masked(text: str) -> list[bool]:
    """Characters inside dates, ranges and idioms, which hold no counts."""
    mask = [False] * len(text)
    for pattern in (_RANGE, DATE):
        for m in pattern.finditer(text):
            for i in range(m.start(), m.end()):
                mask[i] = True
    for idiom in IDIOMS:
        at = text.find(idiom)
        while at >= 0:
            for i in range(at, at + len(idiom)):
                mask[i] = True
            at = text.find(idiom, at + 1)
    return mask


# Full-width digits and signs (２.５％, common in official documents) read as ASCII; one character
# for one, so offsets into the original text stay valid.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def parse_quantities(text: str) -> list[Quantity]:
    """Every count, amount or percentage stated in `text`, in order."""
    original, text = text, text.translate(_FULL_WIDTH)
    mask = _masked(text)
    found = []
    for m in _QUANTITY.finditer(text):
        num_start, num_end = m.span("num")
        if any(mask[num_start:num_end]) or _excluded(text, m):
            continue
        base = _number(m.group("num"))
        if base is None:
            continue
        unit, magnitude = m.group("unit") or "", m.group("mag")
        chinese = not m.group("num")[0].isdigit()
        if not unit and not magnitude:
            continue  # a bare number (12338, FM94.6, 二十大) counts nothing
        if chinese and not unit:
            continue
        scale = _MAGNITUDE[magnitude] if magnitude else 1
        if unit in UNIT_MAGNITUDE:
            unit, factor = UNIT_MAGNITUDE[unit]
            scale *= factor
        value = base * scale
        if m.group("rest"):  # 4亿5000万, 2万3千
            value += float(m.group("rest")[:-1]) * _MAGNITUDE[m.group("rest")[-1]]
        qualifier = "".join(q for q in (m.group("pre"), m.group("post"), m.group("after")) if q)
        start = m.start() if m.group("pre") else num_start
        step = _last_digit_step(m.group("rest")[:-1]) * _MAGNITUDE[m.group("rest")[-1]] if m.group("rest") else \
            _last_digit_step(m.group("num")) * scale
        low, high = bounds(value, qualifier, step)
        found.append(Quantity(value, unit, qualifier, start, m.end(), original[start:m.end()], low, high))
    return found


# An English statement's figures: 4,308 / 12.68 million yuan / 100% / more than 70. English
# counts with a noun, not a measure word (4308 petition cases), so a bare number is a count here;
# a year (in 2022) is not. Qualifiers are read as their Chinese twins, which `bounds` knows.
_EN_QUALIFIER = {"more than": "超过", "over": "超过", "at least": "至少", "about": "约", "around": "约",
                 "approximately": "约", "nearly": "近", "almost": "近"}
_EN_MAGNITUDE = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_EN_QUANTITY = re.compile(
    r"(?<![\w.,])(?:(?P<pre>" + "|".join(_EN_QUALIFIER) + r")\s+)?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?![\d,.]\d)"
    r"(?:\s*(?P<mag>" + "|".join(_EN_MAGNITUDE) + r")\b)?(?:\s*(?P<unit>%|percent\b|per cent\b|yuan\b))?", re.I)
ENGLISH_COUNT = "count"  # the unit of an English bare count: compared with any counted measure word


def parse_english_quantities(text: str) -> list[Quantity]:
    """Every figure an English text states, in order (see _EN_QUANTITY)."""
    found = []
    for m in _EN_QUANTITY.finditer(text):
        digits = m.group("num").replace(",", "") + (m.group("frac") or "")
        unit = {"%": "%", "percent": "%", "per cent": "%", "yuan": "元"}.get((m.group("unit") or "").lower(), "")
        if not unit and not m.group("mag") and re.fullmatch(r"(?:19|20)\d\d", digits):
            continue  # a year
        scale = _EN_MAGNITUDE[m.group("mag").lower()] if m.group("mag") else 1
        value = float(digits) * scale
        qualifier = _EN_QUALIFIER[m.group("pre").lower()] if m.group("pre") else ""
        low, high = bounds(value, qualifier, _last_digit_step(digits) * scale)
        found.append(Quantity(value, unit or ENGLISH_COUNT, qualifier, m.start(), m.end(), m.group(0), low, high))
    return found


def same_kind(figure_family: str, quantity: Quantity) -> bool:
    """Whether a corpus figure of `figure_family` can state what `quantity` states: the same
    family, or for an English bare count any family of counted things."""
    if quantity.unit == ENGLISH_COUNT:
        return figure_family in COUNTED_FAMILIES
    return figure_family == quantity.family


def _last_digit_step(raw: str) -> float:
    """The place value of the last written digit: 15.3 → 0.1, 300 → 100, 70 → 10, 十 → 10."""
    if not raw[0].isdigit():
        value = _number(raw) or 1
        step = 1
        while value % (step * 10) == 0:
            step *= 10
        return step
    raw = raw.replace(",", "")
    if "." in raw:
        return 10 ** -len(raw.split(".")[1])
    stripped = raw.rstrip("0")
    return 10 ** (len(raw) - len(stripped)) if stripped else 1


def bounds(value: float, qualifier: str, step: float) -> tuple[float, float]:
    """The values a statement allows. 15.3万多 is 153,000 up to 154,000 (多 and 余 add less than
    one step of the last digit); 逾, 超过, 突破 … set a floor (taken as up to half as much again);
    近 is a little under; 约 and 左右 are within a tenth."""
    if any(q in qualifier for q in ("近", "将近", "接近")):
        return value * 0.85, value
    if any(q in qualifier for q in APPROXIMATE):
        return value * 0.9, value * 1.1
    if qualifier.endswith(("多", "余")) and not any(q in qualifier for q in ("逾", "超过", "超", "突破", "以上", "多达")):
        return value, value + step
    if any(q in qualifier for q in LOWER_BOUND):
        return value, value * 1.5
    return value, value


def _excluded(text: str, m: re.Match) -> bool:
    """Ordinals, reduplications (一个个), numbers glued to Latin letters, units that start a word."""
    num_start = m.start("num")
    before = text[num_start - 1] if num_start else ""
    unit = m.group("unit") or ""
    after = text[m.end():m.end() + 1]
    if before == "第" or (before.isascii() and before.isalpha()):
        return True
    if before == "." or text[max(0, num_start - 2):num_start] in _SPACED_DIGIT:
        return True  # a number whose digits stand apart (7 4 7 7 2 亿元 in some scanned reports): not readable
    if unit and after == unit[-1] and not m.group("num")[0].isdigit():
        return True  # 一个个项目, 一项项荣誉
    if unit in _NOT_UNIT_BEFORE and after and after in _NOT_UNIT_BEFORE[unit] and not m.group("after"):
        return True
    num = m.group("num")
    qualified = m.group("pre") or m.group("post") or m.group("after")
    if len(num) == 1 and not num.isdigit() and not qualified:
        if num == "一":
            return True  # 一 + measure word is an article: 一份, 一起, 一轮
        if num in "二三四五六七八九两" and unit in ("个", "项", "次", "条", "起", "份", "头", "章"):
            return True  # 两个确立, 三项制度, 抓两头, 约法三章: names more often than figures
        if num + unit == "四周":
            return True  # the word 四周, "all around" (四周年 and 4周 stay)
        if num in "十百千万亿":
            return True  # 百场亲子活动, 万名执委工程: names of programmes; 近千场 (qualified) stays
    return False


@dataclass
class Clause:
    text: str
    start: int
    end: int


def clauses(text: str) -> list[Clause]:
    """Clauses of `text` split at commas, semicolons and sentence ends, with their offsets."""
    out, start = [], 0
    for m in _CLAUSE_SPLIT.finditer(text):
        if text[start:m.start()].strip():
            out.append(Clause(text[start:m.start()], start, m.start()))
        start = m.end()
    if text[start:].strip():
        out.append(Clause(text[start:], start, len(text)))
    return out


@dataclass(slots=True)
class Figure:
    """A figure of the corpus: the quantity, the clause it stands in, and where that is."""

    value: float
    unit: str
    qualifier: str
    text: str  # as written, e.g. 逾53.4万人次
    start: int  # document offsets of the figure
    end: int
    clause: str
    clause_start: int
    clause_end: int
    counts: str  # the words it counts, as far as the clause says (示范村、示范户)
    context: str  # the clause text around it, up to the neighbouring figures
    passage_id: str
    doc_id: str
    family: str = ""
    low: float = 0.0
    high: float = 0.0


_LIST_BREAK = re.compile(r"[、和及与]|以及")


def counted_words(clause: str, q: Quantity, others: list[Quantity]) -> str:
    """What a figure counts: the noun after its measure word (1019个妇女之家, up to the next list
    break) or else the words before it, back to the previous figure (示范村、示范户等64个)."""
    prv = max((o.end for o in others if o.end <= q.start), default=0)
    return _words_led(clause, q, others) or clause[prv:q.start].strip(" 、“”\"'（）()")


def slot(clause: str, q: Quantity, others: list[Quantity]) -> str:
    """The clause around a figure, cut at its neighbours and, after it, at a list break: in
    示范区1个、示范镇街8个 the 8 gets 、示范镇街 and the 1 gets 示范区 (with what precedes it). In a
    list whose figures lead their items (评选出1名一级收藏作品、5名二级收藏作品) an item's words follow
    its figure: the 5 gets 二级收藏作品 and the lead-in all items share (评选出), not the item before."""
    return f"{_before(clause, q, others)} {_after(clause, q, others)}"


def _after(clause: str, q: Quantity, others: list[Quantity]) -> str:
    """The clause after a figure, up to the next figure or list break."""
    nxt = min((o.start for o in others if o.start >= q.end), default=len(clause))
    return _LIST_BREAK.split(clause[q.end:nxt], maxsplit=1)[0]


def _words_led(clause: str, q: Quantity, others: list[Quantity]) -> str:
    """The words a figure leads (1019个妇女之家 → 妇女之家), or "" when its item's words precede it."""
    after = _after(clause, q, others).strip(" “”\"'（）()")
    return after if after and re.match(r"[\u4e00-\u9fff]", after) else ""


def _before(clause: str, q: Quantity, others: list[Quantity]) -> str:
    """The words of a figure's slot before it: back to the previous figure, or, where the figure
    leads its item and follows another item (、5名二级…), the lead-in of the list."""
    previous = max((o for o in others if o.end <= q.start), key=lambda o: o.end, default=None)
    before = clause[previous.end if previous else 0:q.start]
    if previous is not None and _LIST_BREAK.search(before) and _words_led(clause, q, others):
        return _before(clause, previous, [o for o in others if o is not previous] + [q])
    return before


def figures_of(passage) -> list[Figure]:
    """The figures in one passage, with document offsets."""
    out = []
    for clause in clauses(passage.text):
        quantities = parse_quantities(clause.text)
        for q in quantities:
            others = [o for o in quantities if o is not q]
            base = passage.start + clause.start
            out.append(Figure(q.value, q.unit, q.qualifier, q.surface, base + q.start, base + q.end,
                              clause.text, base, base + len(clause.text), counted_words(clause.text, q, others),
                              slot(clause.text, q, others), passage.id, passage.doc_id, q.family, q.low, q.high))
    return out


# Units of one family that convert exactly: how many of the family's first unit one of them is.
# (个月 is left out: a month is 28 to 31 days.)
IN_BASE = {"米": 1, "公里": 1000, "千米": 1000, "厘米": 0.01, "毫米": 0.001, "公分": 0.01, "公尺": 1, "km": 1000,
           "英寸": 0.0254, "英尺": 0.3048, "英里": 1609.344, "光年": 9.4607e15, "平方英里": 2589988.11,
           "平方米": 1, "平方公里": 10**6, "平方千米": 10**6, "公顷": 10**4, "亩": 10**4 / 15,
           "公斤": 1, "千克": 1, "克": 0.001, "斤": 0.5, "吨": 1000,
           "秒": 1, "分钟": 60, "小时": 3600, "天": 86400, "周": 604800}


def compatible(a, b) -> bool:
    """Whether two statements (anything with `low`, `high` and `unit`) can both be true: 4100公里
    and 410万米 can, 4100公里 and 4100米 cannot."""
    convert = a.unit in IN_BASE and b.unit in IN_BASE and unit_family(a.unit) == unit_family(b.unit)
    sa, sb = (IN_BASE[a.unit], IN_BASE[b.unit]) if convert else (1.0, 1.0)
    eps = 1e-9 * max(1.0, abs(a.high * sa), abs(b.high * sb))
    return a.low * sa <= b.high * sb + eps and b.low * sb <= a.high * sa + eps


def context_words(text: str) -> frozenset[str]:
    """The words of a figure's context, numbers left out: what the figure is about."""
    from kb.tokenizer import tokenize

    return frozenset(t.text for t in tokenize(text) if t.main and not t.text[0].isdigit())


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


# Two figures count the same thing when their contexts share this much (Jaccard) and at least
# two words: 发动巾帼志愿服务队1208支 / …1108支 share all; 覆盖妇女群众 / 覆盖群众 share 2 of 3.
CONFLICT_SIMILARITY = 0.75
CONFLICT_MIN_SHARED = 2


def find_conflicts(figures: list[Figure]) -> list[tuple[int, int, float]]:
    """(i, j, similarity) of the figure pairs that disagree, most similar first: one document, one
    unit, other clauses, values that cannot both be true, and contexts alike
    (CONFLICT_SIMILARITY, CONFLICT_MIN_SHARED)."""
    contexts = [context_words(f.context) for f in figures]
    by_word: dict[tuple[str, str], list[int]] = {}
    for i, words in enumerate(contexts):
        for w in words:
            by_word.setdefault((figures[i].unit, w), []).append(i)
    pairs: dict[tuple[int, int], float] = {}
    for members in by_word.values():
        if len(members) > 200:  # a word this common says nothing about what is counted
            continue
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                if (i, j) in pairs:
                    continue
                a, b = figures[i], figures[j]
                if a.doc_id != b.doc_id or a.clause_start == b.clause_start or compatible(a, b):
                    # a source disagrees with itself only within one document (another year's
                    # report may state another value of the same indicator); and figures of
                    # one clause count different things by construction
                    continue
                score = similarity(contexts[i], contexts[j])
                if score >= CONFLICT_SIMILARITY and len(contexts[i] & contexts[j]) >= CONFLICT_MIN_SHARED:
                    pairs[(i, j)] = score
    return [(i, j, s) for (i, j), s in sorted(pairs.items(), key=lambda kv: -kv[1])]
