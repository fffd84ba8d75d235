"""Figures across years: what a figure is (an outcome, a target, or a total over several years)
and the year it is about, and the series of one indicator across the reports of a corpus.

Work reports follow one convention, which this module reads and nothing more: a report looks back
on a year and sets goals for the next. A report published in the year its title names (2024年政府
工作报告, delivered in March 2024) reports on the year before and sets targets for its own year; a
report published after the year its title names (见证——佛山妇联的2022年, published 2023-01-21)
reports on that year. Targets are announced by a lead-in (今年发展主要预期目标是：…, 力争…) in the
figure's sentence, or by the first sentence of its paragraph (提出上述预期目标，…) when no year is
named before the figure; totals over several years stand in paragraphs or sections that say so
(过去五年…, “十三五”…).
An explicit year before the figure in its sentence (刚刚过去的2017年，…) overrides the default.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.figures import Figure, compatible
from kb.normalize import normalize
from kb.query import Query, content_words, title_years, years_in
from kb.textspans import sentence_around

if TYPE_CHECKING:
    from kb.snapshot import Snapshot

OUTCOME, TARGET, PERIOD = "outcome", "target", "period"
MASS = {"吨": 1000.0, "公斤": 1.0, "千克": 1.0, "斤": 0.5}  # kilograms: reports state grain in 斤 and in 吨
# a goal being set, before the figure in its sentence: 预期目标是：, 目标为, 力争, 计划…
_TARGET_LEAD = re.compile(r"目标(?:是|为|：|:)|预期目标|力争|争取|拟|计划(?:到|在|年内)?|要(?:实现|达到|确保|稳定|保持|控制)|确保")
# what was achieved against a goal is an outcome: 完成…目标, 实现…目标, 超过…预期目标
_ACHIEVED = re.compile(r"(?:完成|实现|达到|超过|超额完成|好于)[^，。；]{0,12}目标")
# a paragraph whose first sentence is about the goals (提出上述预期目标，…) goes on about them; the
# weaker leads (计划, 确保) open paragraphs of outcomes too (营养改善计划, 确保不发生规模性返贫)
_TARGETS_OPENING = re.compile(r"预期目标|目标(?:是|为|：|:)")
# several years at once: 过去五年, 五年来, “十三五”, 累计, 2013年以来, 年均 (过去一年 is one year)
_PERIOD = r"过去[二三四五六七八九十]+年|[二三四五六七八九十]+年来|十[一二三四五六]五|累计|以来|年均|平均每年"
# the latest of these before a figure in its paragraph says which it is: several years, or one
_CUE = re.compile(rf"(?P<period>{_PERIOD})|(?<!\d)(?P<year>(?:19|20)\d\d)年|(?<!比)(?P<relative>今年|去年|上年|上一年|过去一年|明年)")
_RELATIVE = {"今年": 0, "去年": -1, "上年": -1, "上一年": -1, "过去一年": -1, "明年": 1}
# a question about a goal; a question about what happened
_TARGET_QUESTION = re.compile(r"目标|预期|计划|力争|\btargets?\b|\bgoals?\b|\bplanned\b|\baims?\b", re.I)
_OUTCOME_QUESTION = re.compile(r"去年|上年|上一年|过去一年|实际|实现了|完成了|达到了|增长了|下降了|上涨了|提高了|减少了|"
                               r"\blast year\b|\bactual(?:ly)?\b|\bachieved\b|\bdid\b|\bwas\b|\bwere\b", re.I)


@dataclass
class Reading:
    """What a figure is and the year it is about (None when the document gives no year)."""

    stance: str  # outcome | target | period
    year: int | None


def document_years(snapshot: Snapshot, doc_id: str) -> tuple[int | None, int | None]:
    """(the year the document reports on, the year it sets targets for), from its title and date."""
    doc = snapshot.documents[doc_id]
    published = int(doc.date[:4]) if doc.date[:4].isdigit() else None
    titled = max((int(y) for y in title_years(doc.title)), default=None)
    if titled is not None and published is not None and titled < published:
        return titled, published  # a review of the year it names, published after it
    if published is not None:
        return published - 1, published  # a report delivered early in the year it names
    return titled, titled


def read_figure(snapshot: Snapshot, figure: Figure) -> Reading:
    """The figure's stance and year, from its sentence, paragraph and section (see the module doc)."""
    doc = snapshot.document(figure.doc_id)
    s0, _ = sentence_around(doc.text, figure.start, figure.end)
    paragraph_start = doc.text.rfind("\n", 0, figure.start) + 1
    sentence = normalize(doc.text[s0:figure.start])
    if s0 <= paragraph_start:  # a list that opens its paragraph belongs to the lead-in before it (…目标是：)
        sentence = _lead_in(doc.text, paragraph_start) + sentence
    reported, targeted = document_years(snapshot, figure.doc_id)
    if _TARGET_LEAD.search(sentence) and not _ACHIEVED.search(sentence):
        cue = _last_cue(sentence)
        return Reading(TARGET, _cue_year(cue, targeted) if cue and not cue.group("period") else targeted)
    before = normalize(doc.text[paragraph_start:figure.start])
    cue = _last_cue(before)
    if cue is not None:
        if cue.group("period"):
            return Reading(PERIOD, reported)
        return Reading(OUTCOME, _cue_year(cue, targeted))
    opening = before.split("。", 1)[0] if "。" in before else ""  # the figure's own sentence was read above
    if _TARGETS_OPENING.search(opening) and not _ACHIEVED.search(opening):
        return Reading(TARGET, targeted)
    section = normalize(" ".join(snapshot.passages[figure.passage_id].section))
    return Reading(PERIOD if re.search(_PERIOD, section) else OUTCOME, reported)


def _lead_in(text: str, paragraph_start: int) -> str:
    """The previous paragraph's last sentence when it ends with a colon, else nothing."""
    previous = text[:paragraph_start].rstrip()
    if not previous.endswith(("：", ":")):
        return ""
    return normalize(previous[max(previous.rfind(end) for end in "。！？\n") + 1:])


def _last_cue(text: str) -> re.Match | None:
    found = list(_CUE.finditer(text))
    return found[-1] if found else None


def _cue_year(cue: re.Match, targeted: int | None) -> int | None:
    if cue.group("year"):
        return int(cue.group("year"))
    return None if targeted is None else targeted + _RELATIVE[cue.group("relative")]


def wanted_years(query: Query) -> set[int]:
    """The years a question asks about, leaving out the year that names a report (2025年政府工作报告
    中，2024年… asks about 2024)."""
    return {int(y) for y in years_in(query.content)}


def wanted_stance(query: Query) -> str | None:
    """The kind of figure a question asks for, when its words say: a target (目标, 预期 …), a
    period's total (过去五年, 五年来, 累计 …: the words a report's figures of a period stand under) or
    what happened (去年, 实际, 增长了 …); None when they do not."""
    if _TARGET_QUESTION.search(query.text):
        return TARGET
    if re.search(_PERIOD, query.text):
        return PERIOD
    return OUTCOME if _OUTCOME_QUESTION.search(query.text) else None


# --- a series --------------------------------------------------------------------------------


@dataclass
class Point:
    year: int | None
    figure: Figure
    stance: str
    others: list[Figure] = field(default_factory=list)  # other values the corpus gives for this year


@dataclass
class Series:
    query: Query
    family: str  # the unit family all points share (people, money, percent, items …)
    unit: str
    outcomes: list[Point]
    targets: list[Point]
    periods: list[Point]  # totals over several years, kept apart

    @property
    def disagreements(self) -> list[Point]:
        return [p for p in self.outcomes + self.targets if p.others]


def matching_figures(snapshot: Snapshot, query: Query) -> list[Figure]:
    """Figures whose own words (the clause up to their neighbours) hold every content word of the
    query: 城镇新增就业 matches 城镇新增就业1244万人, not the 5.2% of 城镇调查失业率 beside it."""
    words = content_words(query.content)
    return snapshot.figures.matching(words, "context") if words else []


def build_series(snapshot: Snapshot, query: Query) -> Series:
    """One row per year for outcomes and for targets, values in one unit, each with its citation;
    several-year totals apart; values the corpus states differently for one year flagged."""
    figures = matching_figures(snapshot, query)
    family = _main_family(figures)
    figures = [f for f in figures if f.family == family]
    readings = [(f, read_figure(snapshot, f)) for f in figures]
    outcomes = _by_year([(f, r) for f, r in readings if r.stance == OUTCOME], snapshot)
    targets = _by_year([(f, r) for f, r in readings if r.stance == TARGET], snapshot)
    periods = [Point(r.year, f, PERIOD) for f, r in readings if r.stance == PERIOD]
    unit = max((f.unit for f in figures), key=[f.unit for f in figures].count, default="")
    return Series(query, family or "", unit, outcomes, targets, periods)


def value_in(figure: Figure, unit: str) -> float | None:
    """The figure's value in `unit` (1.39万亿斤 in 吨 is 69,500,000); None when they do not convert."""
    if figure.unit == unit:
        return figure.value
    if figure.unit in MASS and unit in MASS:
        return figure.value * MASS[figure.unit] / MASS[unit]
    return None


def _main_family(figures: list[Figure]) -> str | None:
    families = [f.family for f in figures]
    return max(dict.fromkeys(families), key=families.count) if families else None


def _by_year(readings: list[tuple[Figure, Reading]], snapshot: Snapshot) -> list[Point]:
    """A point per year. The year's own report (the one published right after it) is preferred;
    figures incompatible with the chosen one are kept as its `others`."""
    by_year: dict[int, list[Figure]] = {}
    for figure, reading in readings:
        if reading.year is not None:
            by_year.setdefault(reading.year, []).append(figure)
    points = []
    for year in sorted(by_year):
        candidates = sorted(by_year[year], key=lambda f: _distance(snapshot, f, year))
        chosen = candidates[0]
        others = [f for f in candidates[1:] if not compatible(f, chosen)]
        points.append(Point(year, chosen, "", others))
    return points


def _distance(snapshot: Snapshot, figure: Figure, year: int) -> tuple[int, int]:
    reported, targeted = document_years(snapshot, figure.doc_id)
    return (abs((reported or year) - year) + abs((targeted or year) - year - 1), figure.start)
