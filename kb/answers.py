"""Answers and claim checks, extracted from passages (never generated), each with its citation.

`ask` recognises what a question wants (a quantity, a date, a person, or a passage), retrieves
with hybrid search, scores the candidate figures or sentences of the top passages against the
question, and answers with the best one, or says the corpus does not hold the answer. `verify`
compares the figures of a claim with the figures the corpus states about the same thing.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from kb.answer_model import answer_model
from kb.candidates import Candidate, within
from kb.features import CANDIDATE_DEPTH, Coverage, candidates_and_rows, head_agrees, question_words
from kb.figures import ENGLISH_COUNT, Figure, clauses, compatible, parse_english_quantities, parse_quantities, same_kind
from kb.query import Query
from kb.search import Hit
from kb.series import read_figure, wanted_stance, wanted_years
from kb.snapshot import Snapshot
from kb.textspans import sentence_spans

# How many of the best figures may be passed over for one of the stance and year a question asks
# (a round number, not measured).
STANCE_DEPTH = 3
SEARCH_DEPTH = 8
# How far down a question asking for one of WIDENED looks for a passage holding one (not tuned).
WIDER_DEPTH = 20
WIDENED = ("person", "identifier")
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


def _evidence(snapshot: Snapshot, passage_id: str, start: int, end: int, **extra) -> Evidence:
    passage = snapshot.passages[passage_id]
    doc = snapshot.document(passage.doc_id)
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
    """The answer to `question`, cited, or "not found" with the closest passages. The candidates
    of the top passages (kb/candidates.py) are scored by the learned model (kb/answer_model.py):
    the best one answers, when the model finds the corpus likely to hold an answer at all. A
    question that wants a figure, date, name or number gets the best one of that kind from the
    chosen sentence (for a question that asks for a unit family, one of that family, from the
    chosen passage if the sentence has none: `_wanted_near`); the sentence is the answer when
    there is none."""
    query = question if isinstance(question, Query) else snapshot.parse(question)
    depth = WIDER_DEPTH if query.kind in WIDENED else SEARCH_DEPTH  # only these read past the first five
    ranking = _of_named_years(snapshot, query, snapshot.search(query, k=depth, mode=mode).hits)
    read = _read(snapshot, query, ranking)
    candidates, rows, vectors = candidates_and_rows(snapshot, query, read, depth=len(read))
    model = answer_model(vectors)
    scores = model.scores(rows)
    confidence = round(model.answerable(rows, scores, query.language), 3)
    if not candidates or confidence < model.threshold(query.language):
        return Answer(query.text, query.kind, False, "", confidence=confidence, passages=ranking[:5],
                      note="not found in the corpus; the closest passages are listed")
    ranked = [c for _, c in sorted(zip(scores, candidates), key=lambda sc: -sc[0])]
    chosen = ranked[0]
    typed = _wanted_near(query, chosen, ranked)
    if query.kind == "quantity" and typed:
        answer = _figure_answer(snapshot, query, [c for c in ranked if c.kind == "quantity"], typed[0])
        if chosen.kind == "sentence":
            answer.evidence = _in_sentence(snapshot, answer.evidence, chosen)
    elif typed:
        answer = Answer(query.text, query.kind, True, typed[0].text, evidence=_sentence_evidence(snapshot, typed[0]))
    else:
        answer = Answer(query.text, query.kind, True, chosen.sentence.strip(), evidence=_sentence_evidence(snapshot, chosen))
    answer.confidence = confidence
    answer.passages = ranking[:5]
    return answer


def _read(snapshot: Snapshot, query: Query, ranking: list[Hit]) -> list[Hit]:
    """The passages whose candidates are scored: the first CANDIDATE_DEPTH, and for a question
    asking for a name or an identifier when none of them holds one (a name: beside a role word),
    the first passage further down the ranking that does. Short passages, such as the photo
    captions where a report names people, rank low by kind (kb/search.py KIND_WEIGHT)."""
    top = ranking[:CANDIDATE_DEPTH]
    if query.kind not in WIDENED or any(_holds(snapshot, h, query.kind) for h in top):
        return top
    further = next((h for h in ranking[CANDIDATE_DEPTH:] if _holds(snapshot, h, query.kind)), None)
    return top + [further] if further else top


def _holds(snapshot: Snapshot, hit: Hit, kind: str) -> bool:
    return any(c.kind == kind and (c.role or kind != "person") for c in snapshot.candidates(hit.passage))


def _wanted_near(query: Query, chosen: Candidate, ranked: list[Candidate]) -> list[Candidate]:
    """The candidates of the kind asked for in the chosen sentence, best first. A question that
    asks for a unit family (多少公里, 面积是多大) wants a figure of that family: those of the sentence,
    else those of the chosen passage (天水围河全长有多少公里 is not answered 3条 when the passage says
    27公里), else any figure of the sentence (docs/benchmarks.md, "The chooser learns the figure within
    the sentence"). Among those, a figure that counts the noun the question counts comes first:
    in 示范区1个、示范镇街8个, 多少个示范镇街 is 8个 (`_counting_first`)."""
    typed = [c for c in ranked if c.kind == query.kind and within(c, chosen)]
    if query.kind != "quantity":
        return typed
    if query.unit_family:
        in_passage = [c for c in ranked if c.kind == "quantity" and c.passage_id == chosen.passage_id
                      and c.figure.family == query.unit_family]
        typed = [c for c in in_passage if within(c, chosen)] or in_passage or typed
    return _counting_first(query, typed)


def _counting_first(query: Query, figures: list[Candidate]) -> list[Candidate]:
    """`figures` with those whose own words end in the noun the question counts (kb/features.py
    `head_agrees`) moved to the front, each group keeping its order. The model weighs the words
    a list shares (申报首批省级儿童友好示范区1个) against the item's own noun; the public data it
    learned from holds few such lists (docs/benchmarks.md, "A figure that counts the noun asked")."""
    counting = [c for c in figures if head_agrees(c.figure.counts, query.target)]
    return counting + [c for c in figures if c not in counting]


def _in_sentence(snapshot: Snapshot, evidence: Evidence, chosen: Candidate) -> Evidence:
    """A figure's evidence widened from its clause to the sentence the model chose, when it stands
    there: the sentence is what was judged to answer, the figure in it is what was asked for."""
    if evidence.passage_id != chosen.passage_id or not (
            chosen.sentence_start <= evidence.figure_start and evidence.figure_end <= chosen.sentence_end):
        return evidence
    return dataclasses.replace(_sentence_evidence(snapshot, chosen), figure=evidence.figure,
                               figure_start=evidence.figure_start, figure_end=evidence.figure_end)


def _sentence_evidence(snapshot: Snapshot, c: Candidate) -> Evidence:
    return _evidence(snapshot, c.passage_id, c.sentence_start, c.sentence_end)


def _figure_answer(snapshot: Snapshot, query: Query, figures: list[Candidate], best: Candidate) -> Answer:
    """`best`, or when the question asks for an outcome or a target, or names a year, the first
    of the next best figures (in the model's order) that is of that stance and year (kb/series.py).
    With the figures the corpus sets against it."""
    reading = read_figure(snapshot, best.figure)
    stance, years = wanted_stance(query), wanted_years(query)
    if (stance and reading.stance != stance) or (years and reading.year not in years):
        for c in figures[:STANCE_DEPTH]:
            other = read_figure(snapshot, c.figure)
            if (stance is None or other.stance == stance) and (not years or other.year in years):
                best, reading = c, other
                break
    f = best.figure
    answer = Answer(query.text, "quantity", True, f.text, f.value, f.unit, f.qualifier,
                    evidence=_figure_evidence(snapshot, f), stance=reading.stance, year=reading.year)
    answer.conflicts = [_figure_evidence(snapshot, other) for other in snapshot.figures.conflicting(f)]
    if answer.conflicts:
        others = "、".join(c.figure for c in answer.conflicts)
        answer.note = f"the sources disagree: {f.text} here, {others} elsewhere"
    return answer


# --- claims -----------------------------------------------------------------------------------


def verify(snapshot: Snapshot, claim: Query | str, mode: str = "hybrid") -> Verdict:
    """Whether the corpus supports the claim's figures, contradicts them, disagrees with itself
    about them, or does not speak to them."""
    query = claim if isinstance(claim, Query) else snapshot.parse(claim)
    claim = query.text
    hits = _of_named_years(snapshot, query, snapshot.search(query, k=SEARCH_DEPTH, mode=mode).hits)
    stated = _stated(query)
    verdict = Verdict(claim, "not_found", [q.surface for _, q in stated], passages=hits[:5])
    if not stated:
        return _verify_text(snapshot, query, hits, verdict)
    outcomes = []
    for at, quantity in stated:
        matches = _matching_figures(snapshot, query, quantity, hits)
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


def _stated(query: Query) -> list[tuple[int, object]]:
    """(clause offset, figure) of every figure a claim states; an English claim's as English
    writes them (kb/figures.py `parse_english_quantities`: 4,308 petition cases)."""
    if query.language == "en":
        return [(0, q) for q in parse_english_quantities(query.text)]
    return [(c.start, q) for c in clauses(query.text) for q in parse_quantities(c.text)]


def _matching_figures(snapshot: Snapshot, query: Query, quantity, hits: list[Hit]) -> list[Figure]:
    """Corpus figures that speak to one figure of a claim: the claim is read as the question it
    answers (its figure replaced by 多少 and the unit), the answer model scores the corpus's
    candidates, and the figure of that unit family is chosen as `ask` chooses one (the best
    candidate's sentence, then `_wanted_near`), if the model finds the corpus likely to speak to
    it; with the figures the corpus itself sets against it (kb/figures.py conflicts)."""
    counted = quantity.unit == ENGLISH_COUNT  # no unit to ask for: the noun after it says what it counts
    asked = dataclasses.replace(query, kind="quantity", unit_family=None if counted else quantity.family,
                                unit=None if counted else quantity.unit or None,
                                text=_as_question(query.text, quantity), normalized=_as_question(query.normalized, quantity))
    candidates, rows, vectors = candidates_and_rows(snapshot, asked, hits)
    model = answer_model(vectors)
    scores = model.scores(rows)
    if not candidates or model.answerable(rows, scores, query.language) < model.threshold(query.language):
        return []
    ranked = [c for _, c in sorted(zip(scores, candidates), key=lambda sc: -sc[0])
              if c.kind == "sentence" or same_kind(c.figure.family, quantity)]
    figures = [c for c in ranked if c.kind == "quantity"]
    if not figures:
        return []
    best = (_wanted_near(asked, ranked[0], figures) or figures)[0].figure  # chosen as `ask` chooses
    return [best] + [g for g in snapshot.figures.conflicting(best) if g is not best]


def _as_question(text: str, quantity) -> str:
    """The claim with one figure's number asked for: 创建示范村64个 → 创建示范村多少个."""
    surface = quantity.surface
    if surface not in text:
        return text
    asked = ("多少" + quantity.unit) if _HAN.search(text) else "how many"
    return text.replace(surface, asked, 1)


def _verify_text(snapshot: Snapshot, query: Query, hits: list[Hit], verdict: Verdict) -> Verdict:
    """A claim with no figure: supported only when one sentence covers nearly all its words."""
    coverage = Coverage(question_words(query), snapshot.keyword.idf)
    for hit in hits[:3]:
        for start, end in sentence_spans(hit.passage.text):
            if coverage(hit.passage.text[start:end]) >= 0.9:
                verdict.verdict = "supported"
                verdict.evidence.append(_evidence(snapshot, hit.passage.id, hit.passage.start + start,
                                                  hit.passage.start + end, status="supports"))
                return verdict
    return verdict
