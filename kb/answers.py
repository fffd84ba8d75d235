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

from kb.figures import Figure, clauses, compatible, context_words, parse_quantities, slot
from kb.normalize import normalize
from kb.query import Query, content_words, untranslated_english
from kb.search import Hit
from kb.series import read_figure, wanted_stance, wanted_years
from kb.snapshot import Snapshot
from kb.textspans import DATE, sentence_around, sentence_spans
from kb.tokenizer import pos_tagger, tokenize

# Confidence below which `ask` says "not found"; set by measurement (docs/benchmarks.md).
MIN_CONFIDENCE = 0.40
# A corpus figure speaks to a claim's figure when the claim's context words are covered this well.
MIN_CLAIM_MATCH = 0.5
SEARCH_DEPTH = 8
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Evidence:
    text: str  # the clause (for figures) or sentence the answer stands in
    start: int  # document offsets of `text`
    end: int
    passage_id: str  # the passage cited (kb/shapes.py builds the citation from it)
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
    stance: str = ""  # for figures: outcome | target | period (kb/series.py)
    year: int | None = None  # the year the figure is about, when the document says


@dataclass
class FigureCheck:
    """One figure of a claim, where it stands in the claim, and what the corpus says to it."""

    figure: str
    start: int
    end: int
    verdict: str  # supported | contradicted | conflicting | not_found


@dataclass
class Verdict:
    claim: str
    verdict: str  # supported | contradicted | conflicting | not_found (the worst of its figures)
    claim_figures: list[str]
    evidence: list[Evidence] = field(default_factory=list)
    passages: list[Hit] = field(default_factory=list)
    figures: list[FigureCheck] = field(default_factory=list)


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
    def for_query(cls, snapshot: Snapshot, query: Query) -> "Scorer":
        return cls._with_unknown(snapshot, query.content_words, query.untranslated)

    @classmethod
    def for_text(cls, snapshot: Snapshot, text: str) -> "Scorer":
        return cls._with_unknown(snapshot, content_words(text), untranslated_english(text))

    @classmethod
    def _with_unknown(cls, snapshot: Snapshot, words: list[str], untranslated: list[str]) -> "Scorer":
        scorer = cls(snapshot, words)
        scorer.total += len(untranslated) * _max_idf(snapshot)
        return scorer

    def coverage(self, text: str) -> float:
        if not self.total:
            return 0.0
        norm = normalize(text)
        return sum(weight for word, weight in self.weights.items() if word in norm) / self.total


def _head_agrees(counts: str, target: list[str]) -> bool:
    """Whether the last word of what a figure counts is one of the words the question counts."""
    words = [t.text for t in tokenize(counts) if t.main and _HAN.search(t.text)]
    return bool(words) and words[-1] in target


def _prior(rank: int) -> float:
    return 1.0 / rank


def _evidence(snapshot: Snapshot, passage_id: str, start: int, end: int, **extra) -> Evidence:
    passage = snapshot.passages[passage_id]
    doc = snapshot.documents.get(passage.doc_id)
    text = doc.text[start:end] if doc else passage.text[start - passage.start:end - passage.start]
    return Evidence(text, start, end, passage_id, **extra)


def _figure_evidence(snapshot: Snapshot, f: Figure, status: str = "") -> Evidence:
    return _evidence(snapshot, f.passage_id, f.clause_start, f.clause_end, figure=f.text,
                     figure_start=f.start, figure_end=f.end, status=status)


def _of_named_years(snapshot: Snapshot, query: Query, hits: list[Hit]) -> list[Hit]:
    """When the query names a year the corpus has reports for, only those reports answer: a 2024
    figure is no answer to a question about 2025."""
    dated = snapshot.documents_of_years(query.years, None)
    return [h for h in hits if h.passage.doc_id in dated] if dated else hits


def ask(snapshot: Snapshot, question: Query | str, mode: str = "hybrid") -> Answer:
    """The answer to `question`, cited, or "not found" with the closest passages."""
    query = question if isinstance(question, Query) else snapshot.parse(question)
    hits = _of_named_years(snapshot, query, snapshot.search(query, k=SEARCH_DEPTH, mode=mode).hits)
    scorer = Scorer.for_query(snapshot, query)
    if query.kind == "quantity":
        answer = _best_figure(snapshot, query, hits, scorer)
    else:
        answer = _best_sentence(snapshot, query, hits, scorer)
    answer.passages = hits[:5]
    if answer.confidence < MIN_CONFIDENCE or not answer.text:
        return Answer(query.text, query.kind, False, "", confidence=round(answer.confidence, 3), passages=hits[:5],
                      note="not found in the corpus; the closest passages are listed")
    return answer


def _best_figure(snapshot: Snapshot, query: Query, hits: list[Hit], scorer: Scorer) -> Answer:
    family, unit, target = query.unit_family, query.unit, query.target
    counted = Scorer(snapshot, target, head=target[-1] if target else None)
    scored = []
    for rank, hit in enumerate(hits, 1):
        passage = hit.passage
        for f in snapshot.figures.by_passage.get(passage.id, []):
            if family and f.family != family:
                continue
            s0, s1 = sentence_around(passage.text, f.clause_start - passage.start, f.clause_end - passage.start)
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
            scored.append((confidence + (0.1 if unit and f.unit == unit else 0.0), confidence, f))
    if not scored:
        return Answer(query.text, "quantity", False, "")
    best_conf, best, reading = _of_wanted_stance(snapshot, query, scored)
    answer = Answer(query.text, "quantity", True, best.text, best.value, best.unit, best.qualifier,
                    round(best_conf, 3), _figure_evidence(snapshot, best), stance=reading.stance, year=reading.year)
    answer.conflicts = [_figure_evidence(snapshot, other) for other in snapshot.figures.conflicting(best)]
    if answer.conflicts:
        others = "、".join(c.figure for c in answer.conflicts)
        answer.note = f"the sources disagree: {best.text} here, {others} elsewhere"
    return answer


def _of_wanted_stance(snapshot: Snapshot, query: Query, scored: list[tuple[float, float, Figure]]):
    """The best candidate of the kind the question asks for — an outcome or a target, when its
    words say, and about the year it names (kb/series.py) — if one is confident enough; else the
    best of all. With its reading."""
    ranked = sorted(scored, key=lambda item: -item[0])
    stance, years = wanted_stance(query), wanted_years(query)
    for _, confidence, figure in ranked if stance or years else []:
        if confidence < MIN_CONFIDENCE:
            break
        reading = read_figure(snapshot, figure)
        if (stance is None or reading.stance == stance) and (not years or reading.year in years):
            return confidence, figure, reading
    _, confidence, figure = ranked[0]
    return confidence, figure, read_figure(snapshot, figure)


def _best_sentence(snapshot: Snapshot, query: Query, hits: list[Hit], scorer: Scorer) -> Answer:
    best, kind = None, query.kind
    for rank, hit in enumerate(hits, 1):
        text = hit.passage.text
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            extracted = _extract(kind, sentence)
            if kind != "passage" and not extracted:
                continue
            confidence = 0.7 * scorer.coverage(sentence) + 0.3 * _prior(rank)
            if best is None or confidence > best[0]:
                best = (confidence, hit.passage, start, end, extracted or sentence.strip())
    if best is None:
        return Answer(query.text, kind, False, "")
    confidence, passage, start, end, text = best
    evidence = _evidence(snapshot, passage.id, passage.start + start, passage.start + end)
    return Answer(query.text, kind, True, text, confidence=round(confidence, 3), evidence=evidence)


def _extract(kind: str, sentence: str) -> str:
    if kind == "date":
        m = DATE.search(sentence)
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


def verify(snapshot: Snapshot, claim: Query | str, mode: str = "hybrid") -> Verdict:
    """Whether the corpus supports the claim's figures, contradicts them, disagrees with itself
    about them, or does not speak to them."""
    query = claim if isinstance(claim, Query) else snapshot.parse(claim)
    claim = query.text
    hits = _of_named_years(snapshot, query, snapshot.search(query, k=SEARCH_DEPTH, mode=mode).hits)
    stated = [(c.start, q, slot(c.text, q, [o for o in parse_quantities(c.text) if o is not q]))
              for c in clauses(claim) for q in parse_quantities(c.text)]
    verdict = Verdict(claim, "not_found", [q.surface for _, q, _ in stated], passages=hits[:5])
    if not stated:
        return _verify_text(snapshot, query, hits, verdict)
    outcomes = []
    for at, quantity, context in stated:
        matches = _matching_figures(snapshot, claim, quantity, context, hits)
        check = FigureCheck(quantity.surface, at + quantity.start, at + quantity.end, "not_found")
        verdict.figures.append(check)
        if not matches:
            continue
        agree = [f for f in matches if compatible(f, quantity)]
        disagree = [f for f in matches if not compatible(f, quantity)]
        check.verdict = "conflicting" if agree and disagree else "supported" if agree else "contradicted"
        outcomes.append(check.verdict)
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
            s0, s1 = sentence_around(passage.text, f.clause_start - passage.start, f.clause_end - passage.start)
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


def _verify_text(snapshot: Snapshot, query: Query, hits: list[Hit], verdict: Verdict) -> Verdict:
    """A claim with no figure: supported only when one sentence covers nearly all its words."""
    scorer = Scorer.for_text(snapshot, query.text)
    for hit in hits[:3]:
        for start, end in sentence_spans(hit.passage.text):
            if scorer.coverage(hit.passage.text[start:end]) >= 0.9:
                verdict.verdict = "supported"
                verdict.evidence.append(_evidence(snapshot, hit.passage.id, hit.passage.start + start,
                                                  hit.passage.start + end, status="supports"))
                return verdict
    return verdict
