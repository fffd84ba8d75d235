"""Ranked passages for a parsed query over one index generation: the keyword list, the vector list,
and their fusion (kb/fusion.py), each hit with its score breakdown and highlights."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.document_table import DocumentInfo
from kb.errors import BadInput
from kb.fusion import rrf
from kb.glossary import covered
from kb.highlight import spans
from kb.passages import Passage
from kb.query import Query

if TYPE_CHECKING:
    from kb.snapshot import Snapshot

MODES = ("hybrid", "keyword", "semantic")
# Headings repeat what the section field already carries, and captions are short: both would
# otherwise win on short queries and push body text (where the facts are) down the list.
KIND_WEIGHT = {"body": 1.0, "heading": 0.5, "caption": 0.5}
# Chosen on the train part of XQuAD-English and CMRC 2018 (bench/bench_fusion.py); 1 = the share itself.
KEYWORD_TRUST_POWER = 1.0
# A Chinese question's keyword list counts this much beside its share, whose power cannot move it
# (the index knows nearly all its terms). Chosen on the train parts of CMRC 2018 by MRR@20
# (bench/bench_fusion.py, docs/benchmarks.md): the vector side, passages embedded beside their
# title, ranks Chinese questions as well as the keywords do. English questions keep the share alone.
CHINESE_KEYWORD_WEIGHT = 0.6


@dataclass
class Hit:
    """A ranked passage and its score breakdown. The passage is read from `table` when first
    asked for: a ranking holds a hundred hits and a page shows ten."""

    passage_id: str
    table: Mapping[str, Passage] = field(repr=False, compare=False)
    score: float = 0.0
    keyword_score: float | None = None
    keyword_rank: int | None = None
    vector_score: float | None = None
    vector_rank: int | None = None
    highlights: list[tuple[int, int]] = field(default_factory=list)

    @property
    def passage(self) -> Passage:
        return self.table[self.passage_id]


@dataclass(frozen=True)
class Filter:
    """Which documents a search may return: by id, and by publication date (inclusive,
    YYYY or YYYY-MM-DD, compared as text so that 2023 covers 2023-01-21)."""

    doc_ids: frozenset[str] | None = None
    date_from: str = ""
    date_to: str = ""

    def __bool__(self) -> bool:
        return self.doc_ids is not None or bool(self.date_from or self.date_to)

    def allowed(self, documents: Mapping[str, DocumentInfo]) -> set[str] | None:
        if not self:
            return None
        allowed = set(documents) if self.doc_ids is None else set(self.doc_ids) & set(documents)
        if self.date_from:
            allowed = {d for d in allowed if documents[d].date and documents[d].date[:len(self.date_from)] >= self.date_from}
        if self.date_to:
            allowed = {d for d in allowed if documents[d].date and documents[d].date[:len(self.date_to)] <= self.date_to}
        return allowed


@dataclass
class Results:
    query: Query
    mode: str  # the mode that ran: hybrid and semantic fall back to keyword on an index without vectors
    hits: list[Hit]


def search(snapshot: Snapshot, query: Query, k: int = 10, mode: str = "hybrid", offset: int = 0,
           where: Filter = Filter()) -> Results:
    """A page of ranked passages. Reports of the years the query names come first, then the rest."""
    if mode not in MODES:
        raise BadInput(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode != "keyword" and snapshot.vectors is None:
        mode = "keyword"
    depth = max(snapshot.settings.rrf_depth, k + offset)
    allowed = where.allowed(snapshot.documents)
    dated = snapshot.documents_of_years(query.years, allowed)
    hits = ranked(snapshot, query, mode, depth, dated or allowed)
    if dated:
        seen = {h.passage_id for h in hits}
        hits += [h for h in ranked(snapshot, query, mode, depth, allowed) if h.passage_id not in seen]
    page = hits[offset:offset + k]
    # single characters (个, 年) would light up every line; marked only when nothing longer is asked
    marked = [t for t in query.searched_terms if len(t) > 1 or t.isdigit()] or query.searched_terms
    for hit in page:
        hit.highlights = spans(hit.passage.text, marked, query.phrases)
    return Results(query, mode, page)


def ranked(snapshot: Snapshot, query: Query, mode: str, depth: int, allowed: set[str] | None) -> list[Hit]:
    """Every hit of one ranking: keyword alone, vectors alone, or both fused by RRF."""
    keyword = by_kind(snapshot, snapshot.keyword.search(query, depth * 2, snapshot.normalized_text, allowed))
    hits = {pid: Hit(pid, snapshot.passages, score, score, rank) for rank, (pid, score) in enumerate(keyword, 1)}
    if mode == "keyword":
        return list(hits.values())
    near = by_kind(snapshot, snapshot.vectors.nearest(query.text, depth * 2, allowed))[:depth]
    for rank, (pid, score) in enumerate(near, 1):
        hit = hits.setdefault(pid, Hit(pid, snapshot.passages))
        hit.vector_score, hit.vector_rank = score, rank
    if mode == "semantic":
        order = near
    else:
        order = rrf([[pid for pid, _ in keyword], [pid for pid, _ in near]], k=snapshot.settings.rrf_k, depth=depth,
                    weights=[keyword_weight(snapshot, query), 1.0])
    out = []
    for pid, score in order:
        hits[pid].score = score
        out.append(hits[pid])
    return out


def keyword_weight(snapshot: Snapshot, query: Query) -> float:
    """How far the keyword list may be trusted in fusion: `term_share` raised to
    KEYWORD_TRUST_POWER, times CHINESE_KEYWORD_WEIGHT for a Chinese question. An English question
    over Chinese text has few known terms, and a keyword list built on the rest is noise that would
    pull good vector hits down."""
    weight = CHINESE_KEYWORD_WEIGHT if query.language == "zh" else 1.0
    return term_share(snapshot, query) ** KEYWORD_TRUST_POWER * weight


def term_share(snapshot: Snapshot, query: Query) -> float:
    """The share of the query's terms the keyword side can use: terms the index knows, and
    English words the glossary translates (kb/glossary.py; the translations are terms too). The
    words kb/lexicon.py read an English query's words as are left out: they are the nearest
    words, right or not, so the index always knows them."""
    terms = query.terms + query.phrases
    if not terms:
        return 0.0
    unknown_idf = snapshot.keyword.idf("\x00never-a-term\x00")
    translated = covered(query.text)
    known = sum(1 for t in terms if t in translated or snapshot.keyword.idf(t) < unknown_idf)
    return known / len(terms)


def by_kind(snapshot: Snapshot, ranking: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """A ranking re-ordered with its scores weighted by passage kind (KIND_WEIGHT)."""
    kinds = snapshot.passages.kinds([pid for pid, _ in ranking])
    weighted = [(pid, score * KIND_WEIGHT.get(kinds[pid], 1.0)) for pid, score in ranking]
    return sorted(weighted, key=lambda item: -item[1])
