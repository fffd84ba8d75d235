"""Answers and claim checks, extracted from passages (never generated), each with its citation.

`ask` recognises what a question wants (a quantity, a date, a person, or a passage), retrieves
with hybrid search, scores the candidate figures or sentences of the top passages against the
question, and answers with the best one, or says the corpus does not hold the answer. `verify`
compares the figures of a claim with the figures the corpus states about the same thing.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from kb.figures import Figure, compatible, context_words, parse_quantities, slot, clauses
from kb.glossary import translate
from kb.keyword import QUERY_STOPWORDS
from kb.normalize import normalize
from kb.search import Hit, Snapshot, check_query, without_report_name, years_in
from kb.tokenizer import pos_tagger, tokenize

# Confidence below which `ask` says "not found"; set by measurement (docs/answers.md).
MIN_CONFIDENCE = 0.40
# A corpus figure speaks to a claim's figure when the claim's context words are covered this well.
MIN_CLAIM_MATCH = 0.5
SEARCH_DEPTH = 8

_QUANTITY_WORDS = re.compile(r"多少|几[个名人场次条份篇项件宗支户间家位]|数量|总额|金额|规模|比例|百分之几|多大|"
                             r"how many|how much|what percentage|what share|number of|amount of", re.I)
_DATE_WORDS = re.compile(r"什么时候|何时|哪一年|哪年|几月|哪天|日期|when\b|what year|what date", re.I)
_PERSON_WORDS = re.compile(r"谁|哪位|who\b|whom\b", re.I)
_ASKED_UNIT = re.compile(r"(?:多少|几)(人次|场次|万元|亿元|个|名|人|场|支|篇|条|户|间|家|项|件|宗|次|份|元|位|所|处|期|批)")
_MONEY_WORDS = re.compile(r"资金|金额|总额|多少钱|经费|预算|how much money|yuan|funds?\b", re.I)
_PERCENT_WORDS = re.compile(r"百分之|比例|比率|率是|percentage|percent|rate\b", re.I)
_PEOPLE_WORDS = re.compile(r"how many (?:\w+ )?(?:women|people|persons|children|members|volunteers|girls|"
                           r"students|lecturers|doctors|experts)", re.I)
_SESSION_WORDS = re.compile(r"how many (?:\w+ ){0,2}(?:sessions|times|events|activities|meetings|lectures|visits)", re.I)
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_DATE = re.compile(r"(?:19|20)\d{2}年(?:\d{1,2}月)?(?:\d{1,2}[日号]|上旬|中旬|下旬|底|初)?|\d{1,2}月(?:\d{1,2}[日号]|上旬|中旬|下旬)"
                   r"|\d{4}-\d{1,2}-\d{1,2}")


@dataclass
class Evidence:
    text: str  # the clause (for figures) or sentence the answer stands in
    start: int  # document offsets of `text`
    end: int
    passage_id: str
    citation: dict
    figure: str = ""  # the figure as written, when there is one
    figure_start: int = 0
    figure_end: int = 0
    status: str = ""  # for claim checks: supports | contradicts


@dataclass
class Answer:
    question: str
    kind: str  # quantity | date | person | passage
    found: bool
    text: str  # the answer as shown ("64个"), or "" when not found
    value: float | None = None
    unit: str = ""
    qualifier: str = ""
    confidence: float = 0.0
    evidence: Evidence | None = None
    conflicts: list[Evidence] = field(default_factory=list)  # the corpus says something else too
    passages: list[Hit] = field(default_factory=list)  # the best passages, for reading on
    note: str = ""


@dataclass
class Verdict:
    claim: str
    verdict: str  # supported | contradicted | conflicting | not_found
    claim_figures: list[str]
    evidence: list[Evidence] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)


def question_kind(question: str) -> str:
    if _QUANTITY_WORDS.search(question):
        return "quantity"
    if _DATE_WORDS.search(question):
        return "date"
    if _PERSON_WORDS.search(question):
        return "person"
    return "passage"


def asked_unit(question: str) -> tuple[str | None, str | None]:
    """(unit family, exact unit) the question asks for; None where it does not say."""
    m = _ASKED_UNIT.search(question)
    if m:
        from kb.figures import _UNIT_MAGNITUDE, unit_family

        unit = _UNIT_MAGNITUDE.get(m.group(1), (m.group(1), 1))[0]
        return unit_family(unit), unit
    if _MONEY_WORDS.search(question):
        return "money", "元"
    if _PERCENT_WORDS.search(question):
        return "percent", "%"
    if _PEOPLE_WORDS.search(question):
        return "people", None
    if _SESSION_WORDS.search(question):
        return "sessions", None
    return None, None


_EN_STOP = frozenset("""how many much what which who whom when where why is are was were be been being do does
did have has had the a an of in on at for to by with from and or that this these those there their its it as into
during about per than more over under all any each our we they you your he she his her them city foshan""".split())
_EN_PHRASE_END = frozenset("did do does were was are is have has had in on at for to by with from that which who "
                           "during were will would can could get got obtain obtained".split())
_NOUNISH = ("n", "b", "a", "j", "l", "x", "vn", "an", "ng", "s")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _max_idf(snapshot: Snapshot) -> float:
    n = max(snapshot.keyword.size, 1)
    return math.log(1 + (n + 0.5) / 0.5)


class Scorer:
    """How well a piece of text covers a set of words, each weighted by its idf. Question words
    the corpus lacks (and English words the glossary cannot translate) weigh the most."""

    def __init__(self, snapshot: Snapshot, words: list[str], head: str | None = None):
        self.weights = {w: snapshot.keyword.idf(w) for w in dict.fromkeys(words)}
        if head in self.weights:
            self.weights[head] *= 2  # the head noun names what is counted
        self.total = sum(self.weights.values())

    @classmethod
    def for_text(cls, snapshot: Snapshot, text: str) -> "Scorer":
        words = [t.text for t in tokenize(text) if t.main and t.text not in QUERY_STOPWORDS and not t.text.isascii()]
        for chinese in translate(text):
            words += [t.text for t in tokenize(chinese) if t.main]
        scorer = cls(snapshot, words)
        untranslated = _untranslated(text)
        scorer.total += len(untranslated) * _max_idf(snapshot)
        return scorer

    def coverage(self, text: str) -> float:
        if not self.total:
            return 0.0
        norm = normalize(text)
        return sum(weight for word, weight in self.weights.items() if word in norm) / self.total


def _untranslated(text: str) -> list[str]:
    """English content words of `text` that no glossary entry covers."""
    from kb.glossary import glossary

    known = {w for phrase in glossary() for w in phrase}
    words = re.findall(r"[a-z]+", text.lower())
    return [w for w in words if w not in _EN_STOP and w not in known and w.rstrip("s") not in known and len(w) > 2]


def question_target(question: str) -> list[str]:
    """Main tokens of the noun phrase a quantity question counts, its head noun last:
    多少个省级儿童友好示范镇街 → 省级 儿童友好 示范镇街; 粉丝量突破了多少 → 粉丝 量."""
    english = re.search(r"how (?:many|much)\s+([a-z' -]+)", question, re.I)
    if english:
        words = []
        for word in english.group(1).lower().split():
            if word in _EN_PHRASE_END:
                break
            words.append(word)
        return [t.text for chinese in translate(" ".join(words)) for t in tokenize(chinese) if t.main]
    pairs = [(w.word, w.flag) for w in pos_tagger().cut(normalize(question))]
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


def _head_agrees(counts: str, target: list[str]) -> bool:
    """Whether the last word of what a figure counts is one of the words the question counts."""
    words = [t.text for t in tokenize(counts) if t.main and _HAN.search(t.text)]
    return bool(words) and words[-1] in target


_FULL_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


def _sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets (in `text`) of the sentence holding text[start:end]. Semicolons do not end it:
    in 预期目标是：增长5%左右；新增就业1200万人以上； the lead-in applies to every item."""
    for m in _FULL_SENTENCE.finditer(text):
        if m.start() <= start and end <= m.end():
            return m.start(), m.end()
    return 0, len(text)


def _prior(rank: int) -> float:
    return 1.0 / rank


def _evidence(snapshot: Snapshot, passage_id: str, start: int, end: int, **extra) -> Evidence:
    from kb.shapes import citation

    passage = snapshot.passages[passage_id]
    doc = snapshot.documents.get(passage.doc_id)
    text = doc.text[start:end] if doc else passage.text[start - passage.start:end - passage.start]
    return Evidence(text, start, end, passage_id, citation(passage, doc), **extra)


def _figure_evidence(snapshot: Snapshot, f: Figure, status: str = "") -> Evidence:
    return _evidence(snapshot, f.passage_id, f.clause_start, f.clause_end, figure=f.text,
                     figure_start=f.start, figure_end=f.end, status=status)


def _of_named_years(snapshot: Snapshot, text: str, hits: list[Hit]) -> list[Hit]:
    """When the text names a year the corpus has reports for, only those reports answer: a 2024
    figure is no answer to a question about 2025."""
    dated = snapshot.documents_of_years(years_in(text), None)
    return [h for h in hits if h.passage.doc_id in dated] if dated else hits


def ask(snapshot: Snapshot, question: str, mode: str = "hybrid") -> Answer:
    """The answer to `question`, cited, or "not found" with the closest passages."""
    question = check_query(question, snapshot.settings)
    kind = question_kind(question)
    hits = _of_named_years(snapshot, question, snapshot.search(question, k=SEARCH_DEPTH, mode=mode).hits)
    scorer = Scorer.for_text(snapshot, without_report_name(question))
    if kind == "quantity":
        answer = _best_figure(snapshot, question, hits, scorer)
    else:
        answer = _best_sentence(snapshot, question, kind, hits, scorer)
    answer.passages = hits[:5]
    if answer.confidence < MIN_CONFIDENCE or not answer.text:
        return Answer(question, kind, False, "", confidence=round(answer.confidence, 3), passages=hits[:5],
                      note="not found in the corpus; the closest passages are listed")
    return answer


def _best_figure(snapshot: Snapshot, question: str, hits: list[Hit], scorer: Scorer) -> Answer:
    family, unit = asked_unit(question)
    target = question_target(question)
    counted = Scorer(snapshot, target, head=target[-1] if target else None)
    best, best_score, best_conf = None, -1.0, 0.0
    for rank, hit in enumerate(hits, 1):
        passage = hit.passage
        for f in snapshot.figures.by_passage.get(passage.id, []):
            if family and f.family != family:
                continue
            s0, s1 = _sentence_around(passage.text, f.clause_start - passage.start, f.clause_end - passage.start)
            sentence = scorer.coverage(passage.text[s0:s1])
            if target:
                # the counted noun is best found next to the figure; named elsewhere in its
                # sentence (课题 … 共立项15项) it still counts for something
                own = max(counted.coverage(f.counts), 0.6 * counted.coverage(passage.text[s0:s1]))
                if not _head_agrees(f.counts, target):
                    own *= 0.7  # 示范区1个 does not answer 多少个示范镇街, however much else matches
                confidence = 0.25 * sentence + 0.15 * scorer.coverage(f.context) + 0.35 * own + 0.25 * _prior(rank)
            else:
                confidence = 0.4 * sentence + 0.35 * scorer.coverage(f.context) + 0.25 * _prior(rank)
            score = confidence + (0.1 if unit and f.unit == unit else 0.0)
            if score > best_score:
                best, best_score, best_conf = f, score, confidence
    if best is None:
        return Answer(question, "quantity", False, "")
    answer = Answer(question, "quantity", True, best.text, best.value, best.unit, best.qualifier,
                    round(best_conf, 3), _figure_evidence(snapshot, best))
    answer.conflicts = [_figure_evidence(snapshot, other) for other in snapshot.figures.conflicting(best)]
    if answer.conflicts:
        others = "、".join(c.figure for c in answer.conflicts)
        answer.note = f"the sources disagree: {best.text} here, {others} elsewhere"
    return answer


def _best_sentence(snapshot: Snapshot, question: str, kind: str, hits: list[Hit], scorer: Scorer) -> Answer:
    best = None
    for rank, hit in enumerate(hits, 1):
        text = hit.passage.text
        for m in _SENTENCE.finditer(text):
            extracted = _extract(kind, m.group())
            if kind != "passage" and not extracted:
                continue
            confidence = 0.7 * scorer.coverage(m.group()) + 0.3 * _prior(rank)
            if best is None or confidence > best[0]:
                best = (confidence, hit.passage, m.start(), m.end(), extracted or m.group().strip())
    if best is None:
        return Answer(question, kind, False, "")
    confidence, passage, start, end, text = best
    evidence = _evidence(snapshot, passage.id, passage.start + start, passage.start + end)
    return Answer(question, kind, True, text, confidence=round(confidence, 3), evidence=evidence)


def _extract(kind: str, sentence: str) -> str:
    if kind == "date":
        m = _DATE.search(sentence)
        return m.group() if m else ""
    if kind == "person":
        names, current = [], ""
        for w in pos_tagger().cut(sentence):
            if w.flag == "nr":
                current += w.word  # jieba splits 甘绮霞 into 甘 + 绮霞
            elif current:
                names.append(current)
                current = ""
        names += [current] if current else []
        return "、".join(dict.fromkeys(n for n in names if len(n) >= 2))
    return ""


# --- claims -----------------------------------------------------------------------------------


def verify(snapshot: Snapshot, claim: str, mode: str = "hybrid") -> Verdict:
    """Whether the corpus supports the claim's figures, contradicts them, disagrees with itself
    about them, or does not speak to them."""
    claim = check_query(claim, snapshot.settings)
    hits = _of_named_years(snapshot, claim, snapshot.search(claim, k=SEARCH_DEPTH, mode=mode).hits)
    stated = [(q, slot(c.text, q, [o for o in parse_quantities(c.text) if o is not q]))
              for c in clauses(claim) for q in parse_quantities(c.text)]
    verdict = Verdict(claim, "not_found", [q.surface for q, _ in stated], passages=hits[:5])
    if not stated:
        return _verify_text(snapshot, claim, hits, verdict)
    outcomes = []
    for quantity, context in stated:
        matches = _matching_figures(snapshot, claim, quantity, context, hits)
        if not matches:
            continue
        agree = [f for f in matches if compatible(f, quantity)]
        disagree = [f for f in matches if not compatible(f, quantity)]
        outcomes.append("conflicting" if agree and disagree else "supported" if agree else "contradicted")
        verdict.evidence += [_figure_evidence(snapshot, f, "supports") for f in agree]
        verdict.evidence += [_figure_evidence(snapshot, f, "contradicts") for f in disagree]
    for outcome in ("conflicting", "contradicted", "supported"):
        if outcome in outcomes:
            verdict.verdict = outcome
            break
    return verdict


def _matching_figures(snapshot: Snapshot, claim: str, quantity, context: str, hits: list[Hit]) -> list[Figure]:
    """Corpus figures of the same kind whose surroundings cover the claim's words about this one;
    the best match and any as good, plus the figures the corpus itself sets against them."""
    scorer = Scorer.for_text(snapshot, context) if context_words(context) else Scorer.for_text(snapshot, claim)
    whole = Scorer.for_text(snapshot, claim)
    scored = []
    for hit in hits:
        passage = hit.passage
        for f in snapshot.figures.by_passage.get(passage.id, []):
            if f.family != quantity.family:
                continue
            s0, s1 = _sentence_around(passage.text, f.clause_start - passage.start, f.clause_end - passage.start)
            sentence = passage.text[s0:s1]
            score = 0.5 * scorer.coverage(f.context) + 0.3 * scorer.coverage(sentence) + 0.2 * whole.coverage(sentence)
            scored.append((score, f))
    if not scored:
        return []
    top = max(score for score, _ in scored)
    if top < MIN_CLAIM_MATCH:
        return []
    chosen = [f for score, f in scored if score >= top - 0.05]
    for f in list(chosen):
        chosen += [g for g in snapshot.figures.conflicting(f) if g not in chosen]
    return chosen


def _verify_text(snapshot: Snapshot, claim: str, hits: list[Hit], verdict: Verdict) -> Verdict:
    """A claim with no figure: supported only when one sentence covers nearly all its words."""
    scorer = Scorer.for_text(snapshot, claim)
    for hit in hits[:3]:
        for m in _SENTENCE.finditer(hit.passage.text):
            if scorer.coverage(m.group()) >= 0.9:
                verdict.verdict = "supported"
                verdict.evidence.append(_evidence(snapshot, hit.passage.id, hit.passage.start + m.start(),
                                                  hit.passage.start + m.end(), status="supports"))
                return verdict
    return verdict
