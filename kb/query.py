"""A question or claim, parsed once: `parse_query` reads it and every later stage (keyword search,
semantic search, year filter, answer extraction, claim checks) reads the `Query` it returns."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cached_property

from kb.errors import BadInput, TooLarge
from kb.figures import UNIT_MAGNITUDE, UNITS, unit_family
from kb.glossary import translate
from kb.normalize import is_text, normalize
from kb.tokenizer import adjacent_pairs, pos_tagger, tokenize

# Question words carry no topic: dropped from queries (never from the index).
QUERY_STOPWORDS = frozenset("多少 几 几个 什么 哪些 哪个 哪 怎么 怎样 如何 是否 吗 呢 请问 了 的 是 有".split())
_PHRASE = re.compile(r"[\"“”「」『』]([^\"“”「」『』]+)[\"“”「」『』]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")

_YEAR = re.compile(r"(?<!\d)(19[4-9]\d|20\d\d)(?!\d)")
_REPORT_YEAR = re.compile(r"(?<!\d)(19[4-9]\d|20\d\d)年(?:的|度)?[^\d，,。；;？?！!]{0,6}报告")
_REPORT_NAME = re.compile(_REPORT_YEAR.pattern + r"(?:中|里|说|提出|指出|显示)?")

# 几 before any measure word or unit of kb/figures.py (几座, 几种, 几辆); not the ordinal 第几, nor 哪几 (which
# ones). 多 before a gradable adjective asks for a measure (多久, 多重, 多快的速度) when the adjective ends
# the word (not 多重国籍, 多高校).
_QUANTITY_WORDS = re.compile(r"多少|(?<![第哪])几(?:" + "|".join(re.escape(u) for u in UNITS) + r")|数量|总额|金额|规模|比例|"
                             r"百分之几|多大|多久|多长时间|多[长高重远快深宽厚](?=的|呢|啊|$|[^\u4e00-\u9fff])|"
                             r"how many|how much|how long|how far|how old|what percentage|what share|number of|amount of",
                             re.I)
_DATE_WORDS = re.compile(r"什么时候|何时|哪一年|哪年|几月|哪天|日期|when\b|what year|what date", re.I)
_IDENTIFIER_WORDS = re.compile(r"热线|电话|号码|编号|代码|邮编|hotline|phone|telephone|number to call|code\b", re.I)
_PERSON_WORDS = re.compile(r"谁|哪位|who\b|whom\b", re.I)
# 多少 or 几 before a measure word or unit of kb/figures.py: 多少个, 几场, 多少万元, 多少亩
_ASKED_UNIT = re.compile(r"(?:多少|(?<![第哪])几)(" + "|".join(re.escape(u) for u in UNITS) + ")")
_COUNT_ASKED = re.compile(_ASKED_UNIT.pattern + r"|how many", re.I)
_MONEY_WORDS = re.compile(r"资金|金额|总额|多少钱|经费|预算|how much money|yuan|funds?\b", re.I)
_PERCENT_WORDS = re.compile(r"百分之|比例|比率|率是|percentage|percent|rate\b", re.I)
# the head noun an English "how many" question counts (`english_head`), by the family of unit its count takes
_PEOPLE_NOUNS = frozenset("women people persons children members volunteers girls students lecturers doctors "
                          "experts".split())
_SESSION_NOUNS = frozenset("sessions times events activities meetings lectures visits".split())
_DURATION_WORDS = re.compile(r"多久|多长时间|多少时间|how long (?:does|did|do|will|has|had|would)\b", re.I)
# "how long is …" asks for a length or a duration; it is left to neither
_LENGTH_WORDS = re.compile(r"多长|多高|多远|多深|多宽|多厚|长度|高度|身高|深度|宽度|"
                           r"how (?:tall|high|far|deep|wide) (?:is|was|are|were)\b", re.I)
_AREA_WORDS = re.compile(r"面积|how large an area|what (?:is|was) the area", re.I)
_MASS_WORDS = re.compile(r"多重[？?]?\s*$|重量|体重|how heavy|weigh", re.I)  # not 多重 of 拥有多重国籍

_EN_PHRASE_END = frozenset("did do does were was are is have has had in on at for to by with from that which who "
                           "during were will would can could get got obtain obtained".split())
_NOUNISH = ("n", "b", "a", "j", "l", "x", "vn", "an", "ng", "s")


@dataclass
class Query:
    """What a question asks, read once. `text` is as typed (stripped); the rest derives from it."""

    text: str
    normalized: str  # full-width, traditional characters and Chinese numerals folded (kb/normalize.py)
    language: str  # "zh" when it has Chinese characters, else "en"
    terms: list[str]  # keyword terms: normalised tokens, question words out, glossary translations in
    phrases: list[str]  # quoted phrases, normalised: they must appear
    pairs: list[tuple[str, str]]  # adjacent main words, for the keyword side's proximity bonus
    years: set[str]  # the years whose reports it is about
    content: str  # normalised, without the words naming a report by its year
    kind: str  # what an answer must be: quantity | date | person | identifier | passage
    unit_family: str | None = None  # the kind of unit a quantity question asks for (people, money …)
    unit: str | None = None  # the exact unit, where it says (个, 万元 → 元)
    translations: tuple[str, ...] = ()  # an English query's words in the index's Chinese (kb/lexicon.py)
    readings: tuple[tuple[str, ...], ...] = ()  # per dictionary phrase: its translations the corpus has, else all

    @cached_property
    def searched_terms(self) -> list[str]:
        """The terms keyword search looks for: its own, then the words its English was read as."""
        return list(dict.fromkeys(self.terms + list(self.translations)))

    @cached_property
    def target(self) -> list[str]:
        """The noun phrase a quantity question counts, its head noun last (see `counted_phrase`)."""
        return counted_phrase(self.text)



def parse_query(text: str, max_chars: int = 1000) -> Query:
    """The parsed query; BadInput when it is empty, TooLarge when over `max_chars` characters."""
    text = check_text(text, "the query", max_chars)
    normalized = normalize(text)
    terms, phrases, pairs = _keyword_parts(text)
    asking = _asking_words(text)
    family, unit = asked_unit(asking)
    return Query(text=text, normalized=normalized, language=language_of(normalized),
                 terms=terms, phrases=phrases, pairs=pairs, years=years_in(normalized),
                 content=without_report_name(normalized), kind=question_kind(asking),
                 unit_family=family, unit=unit)


def language_of(text: str) -> str:
    """"zh" when a text has Chinese characters, else "en": how a question, a claim or an article is read."""
    return "zh" if _HAN.search(text) else "en"


def with_translations(query: Query, words: list[str], readings: tuple[tuple[str, ...], ...] = ()) -> Query:
    """`query` with the Chinese words its English words were read as: searched for, and compared
    with answer candidates, as its own words are; and every corpus word each dictionary phrase
    may be read as (the answer features count a phrase found when any of them is)."""
    return dataclasses.replace(query, translations=tuple(words), readings=readings)


def _asking_words(text: str) -> str:
    """What says what a question asks for: a Chinese question's Latin words are names
    (「Code Lyoko」有多少首歌曲, El Torito规格中有几种开机模式), not English question words."""
    return _LATIN_WORD.sub(" ", text) if _HAN.search(normalize(text)) else text


def check_text(text: object, what: str, max_chars: int) -> str:
    """`text` stripped, when it is usable input: BadInput when empty or not text (unpaired
    surrogates), TooLarge over `max_chars` characters. Every text a user sends goes through here."""
    if not isinstance(text, str) or not text.strip():
        raise BadInput(f"{what} is empty")
    if len(text) > max_chars:
        raise TooLarge(f"{what} is {len(text)} characters long; the limit is {max_chars}")
    if not is_text(text):
        raise BadInput(f"{what} holds characters that are not text (unpaired surrogates or undecodable bytes)")
    return text.strip()


def _keyword_parts(text: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    phrases = [normalize(m.group(1)).strip() for m in _PHRASE.finditer(text)]
    rest = _PHRASE.sub(" ", text)
    seen: dict[str, None] = {}
    tokens = [t for t in tokenize(rest) if t.text not in QUERY_STOPWORDS]
    for token in tokens:
        seen.setdefault(token.text, None)
    pairs = dict.fromkeys(adjacent_pairs(tokens))
    for chinese in translate(rest):
        for token in tokenize(chinese):
            seen.setdefault(token.text, None)
    return list(seen), [p for p in phrases if p], list(pairs)


def years_in(text: str) -> set[str]:
    """The years whose reports a text is about (2025年, 二〇二五年, in 2025), as digits. When it
    names a report by its year (2025年政府工作报告中，2024年…), that year only: the others are
    years the report speaks of."""
    text = normalize(text)
    return {m.group(1) for m in _REPORT_YEAR.finditer(text)} or {m.group(1) for m in _YEAR.finditer(text)}


def without_report_name(text: str) -> str:
    """The text, normalised, without the words that name a report by its year (2024年政府工作报告说…):
    they choose the document; they are not what its passages say."""
    return _REPORT_NAME.sub(" ", normalize(text))


def title_years(title: str) -> set[str]:
    """The years a document's title names."""
    return set(_YEAR.findall(normalize(title)))


def report_years(documents: list) -> dict[str, set[str]]:
    """The years each report is about: the years its title names, and its publication year. Only
    reports count: a document with a publication date, or one of a series whose titles differ by
    their years only (2023年政府工作报告, 2024年政府工作报告). An undated article titled
    2009年马其顿总统选举 is no report of 2009: a question naming 2009 is not confined to it."""
    series = {d.id: _YEAR.sub("", normalize(d.title)) for d in documents}  # the title, its years out
    editions: dict[str, set[str]] = {}
    for d in documents:
        editions.setdefault(series[d.id], set()).update(title_years(d.title))
    out = {}
    for d in documents:
        published = {d.date[:4]} if d.date[:4].isdigit() else set()
        out[d.id] = published | title_years(d.title) if published or len(editions[series[d.id]]) > 1 else set()
    return out


def question_kind(text: str) -> str:
    if _IDENTIFIER_WORDS.search(text) and not _COUNT_ASKED.search(text):
        return "identifier"  # 热线电话是多少 asks for a number to dial, not a count; 热线服务了多少人次 a count
    if _QUANTITY_WORDS.search(text):
        return "quantity"
    if _DATE_WORDS.search(text):
        return "date"
    if _PERSON_WORDS.search(text):
        return "person"
    return "passage"


def asked_unit(text: str) -> tuple[str | None, str | None]:
    """(unit family, exact unit) a question asks for; None where it does not say."""
    m = _ASKED_UNIT.search(text)
    if m:
        unit = UNIT_MAGNITUDE.get(m.group(1), (m.group(1), 1))[0]
        return unit_family(unit), unit
    if _MONEY_WORDS.search(text):
        return "money", "元"
    if _PERCENT_WORDS.search(text):
        return "percent", "%"
    head = english_head(text)
    if head in _PEOPLE_NOUNS:
        return "people", None
    if head in _SESSION_NOUNS:
        return "sessions", None
    if _DURATION_WORDS.search(text):
        return "duration", None
    for family, words in (("length", _LENGTH_WORDS), ("area", _AREA_WORDS), ("mass", _MASS_WORDS)):
        if words.search(text):
            return family, None
    return None, None


def content_words(text: str) -> list[str]:
    """Chinese content words of `text`, and the Chinese of its English terms (kb/glossary.py)."""
    words = [t.text for t in tokenize(text) if t.main and t.text not in QUERY_STOPWORDS and not t.text.isascii()]
    for chinese in translate(text):
        words += [t.text for t in tokenize(chinese) if t.main]
    return words


def _english_counted(text: str) -> list[str]:
    """The lower-cased words after "how many" / "how much", up to the verb: "how many letters
    and visits cases were handled" → letters and visits cases."""
    english = re.search(r"how (?:many|much)\s+([a-z' -]+)", text, re.I)
    words: list[str] = []
    for word in english.group(1).lower().split() if english else ():
        if word in _EN_PHRASE_END:
            break
        words.append(word)
    return words


def english_head(text: str) -> str | None:
    """The noun an English quantity question counts: the last word of its counted phrase before
    any "of" or verb (cases in "letters and visits cases", "cases of letters and visits"). The
    family of the unit asked follows the head, not a word that qualifies it."""
    words = _english_counted(text)
    # a past form after the first word is the verb the phrase ran into (people died, women
    # registered); as the first word it qualifies the noun (married women)
    verb = next((i for i, word in enumerate(words) if i and word.endswith("ed")), len(words))
    words = words[:verb]
    before_of = words[:words.index("of")] if "of" in words else words
    return (before_of or words or [None])[-1]


def counted_phrase(text: str) -> list[str]:
    """Main tokens of the noun phrase a quantity question counts, its head noun last:
    多少个省级儿童友好示范镇街 → 省级 儿童友好 示范镇街; 粉丝量突破了多少 → 粉丝 量."""
    words = _english_counted(text)
    if words:
        return [t.text for chinese in translate(" ".join(words)) for t in tokenize(chinese) if t.main]
    pairs = [(w.word, w.flag) for w in pos_tagger().cut(normalize(text))]
    at = next((i for i, (w, _) in enumerate(pairs) if w in ("多少", "几")), None)
    if at is None:
        return []
    after = at + 1 + (at + 1 < len(pairs) and pairs[at + 1][1] == "q")
    phrase = []
    for word, flag in pairs[after:]:
        if not flag.startswith(_NOUNISH) or not _HAN.search(word):
            break
        phrase.append(word)
    if not phrase:
        i = at - 1
        while i >= 0 and pairs[i][1] in ("v", "vn", "ul", "uj", "d", "p", "c") and len(phrase) == 0 and at - i <= 2:
            i -= 1
        while i >= 0 and pairs[i][1].startswith(_NOUNISH) and _HAN.search(pairs[i][0]):
            phrase.insert(0, pairs[i][0])
            i -= 1
    return [t.text for w in phrase for t in tokenize(w) if t.main and t.text not in QUERY_STOPWORDS]
