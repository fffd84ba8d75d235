"""Search over one index generation: keyword, semantic or hybrid, each hit with its score breakdown."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from kb import keyword, store
from kb.config import Settings
from kb.documents import Document
from kb.highlight import spans
from kb.normalize import normalize
from kb.passages import Passage

MODES = ("hybrid", "keyword", "semantic")
# Headings repeat what the section field already carries, and captions are short: both would
# otherwise win on short queries and push body text (where the facts are) down the list.
KIND_WEIGHT = {"body": 1.0, "heading": 0.5, "caption": 0.5}


class BadQuery(ValueError):
    """A query that cannot be run (empty, too long, unknown mode); the message says why."""


@dataclass
class Hit:
    passage: Passage
    score: float
    keyword_score: float | None = None
    keyword_rank: int | None = None
    vector_score: float | None = None
    vector_rank: int | None = None
    highlights: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Filter:
    """Which documents a search may return: by id, and by publication date (inclusive,
    YYYY or YYYY-MM-DD, compared as text so that 2023 covers 2023-01-21)."""

    doc_ids: frozenset[str] | None = None
    date_from: str = ""
    date_to: str = ""

    def __bool__(self) -> bool:
        return self.doc_ids is not None or bool(self.date_from or self.date_to)

    def allowed(self, documents: dict[str, Document]) -> set[str] | None:
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
    query: str
    mode: str
    hits: list[Hit]
    terms: list[str]


def check_query(query: str, settings: Settings) -> str:
    if not isinstance(query, str) or not query.strip():
        raise BadQuery("the query is empty")
    if len(query) > settings.max_query_chars:
        raise BadQuery(f"the query is {len(query)} characters long; the limit is {settings.max_query_chars}")
    return query.strip()


class Snapshot:
    """One index generation, loaded once: documents, passages and the open indexes."""

    def __init__(self, settings: Settings, generation: Path | None = None):
        self.settings = settings
        self.generation = generation or store.require_generation(settings.index)
        self.manifest = store.read_manifest(self.generation)
        self.documents: dict[str, Document] = {d.id: d for d in store.read_documents(self.generation)}
        self.passages: dict[str, Passage] = {p.id: p for p in store.read_passages(self.generation)}
        self.keyword = keyword.KeywordIndex(self.generation / "keyword")
        self._normalized: dict[str, str] = {}
        self.vectors = None  # set by kb.semantic when the index has vectors

    def close(self) -> None:
        self.keyword.close()

    @cached_property
    def figures(self):
        """Every figure of the corpus and the pairs that disagree (built on first use)."""
        from kb.figures import FigureTable

        return FigureTable(self.passages.values())

    def _ranked(self, query: str, mode: str, depth: int, allowed: set[str] | None):
        kw, parsed = self.keyword_hits(query, depth * 2, allowed)
        hits = [Hit(self.passages[pid], score, score, rank) for rank, (pid, score) in enumerate(kw, 1)]
        if mode != "keyword":
            hits = self.vectors.combine(query, hits, mode, depth, allowed)
        return hits, parsed

    @cached_property
    def document_years(self) -> dict[str, set[str]]:
        """The years each document is about: those in its title, and its publication year."""
        return {d.id: set(_YEAR.findall(normalize(d.title))) | ({d.date[:4]} if d.date[:4].isdigit() else set())
                for d in self.documents.values()}

    def documents_of_years(self, years: set[str], allowed: set[str] | None) -> set[str]:
        """Documents about any of `years` (within `allowed`); empty when the question names no
        year or the corpus has no document for it. Only worth it when it narrows the corpus."""
        if not years:
            return set()
        dated = {d for d, ys in self.document_years.items() if ys & years}
        if allowed is not None:
            dated &= allowed
        return dated if dated and len(dated) < len(allowed if allowed is not None else self.documents) else set()

    def normalized_text(self, passage_id: str) -> str:
        if passage_id not in self._normalized:
            self._normalized[passage_id] = normalize(self.passages[passage_id].text)
        return self._normalized[passage_id]

    def keyword_hits(self, query: str, depth: int, allowed: set[str] | None = None
                     ) -> tuple[list[tuple[str, float]], keyword.ParsedQuery]:
        parsed = keyword.parse(query)
        ranked = self.keyword.search(parsed, depth, self.normalized_text, allowed)
        weighted = [(pid, score * KIND_WEIGHT.get(self.passages[pid].kind, 1.0)) for pid, score in ranked]
        weighted.sort(key=lambda item: -item[1])
        return weighted, parsed

    def search(self, query: str, k: int = 10, mode: str = "hybrid", offset: int = 0,
               where: Filter = Filter()) -> Results:
        query = check_query(query, self.settings)
        if mode not in MODES:
            raise BadQuery(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
        if mode != "keyword" and self.vectors is None:
            mode = "keyword"
        depth = max(self.settings.rrf_depth, k + offset)
        allowed = where.allowed(self.documents)
        dated = self.documents_of_years(years_in(query), allowed)
        hits, parsed = self._ranked(query, mode, depth, dated if dated else allowed)
        if dated:  # documents of the years the question names come first, then the rest
            seen = {h.passage.id for h in hits}
            rest, _ = self._ranked(query, mode, depth, allowed)
            hits += [h for h in rest if h.passage.id not in seen]
        page = hits[offset:offset + k]
        # single characters (个, 年) would light up every line; marked only when nothing longer is asked
        marked = [t for t in parsed.terms if len(t) > 1 or t.isdigit()] or parsed.terms
        for hit in page:
            hit.highlights = spans(hit.passage.text, marked, parsed.phrases)
        return Results(query, mode, page, parsed.terms)


def years_in(query: str) -> set[str]:
    """The years whose reports a question is about (2025年, 二〇二五年, in 2025), as digits. When it
    names a report by its year (2025年政府工作报告中，2024年…), that year only: the others are
    years the report speaks of."""
    text = normalize(query)
    return {m.group(1) for m in _REPORT_YEAR.finditer(text)} or {m.group(1) for m in _YEAR.finditer(text)}


_YEAR = re.compile(r"(?<!\d)(19[4-9]\d|20\d\d)(?!\d)")
_REPORT_YEAR = re.compile(r"(?<!\d)(19[4-9]\d|20\d\d)年(?:的|度)?[^\d，,。；;？?！!]{0,6}报告")
_REPORT_NAME = re.compile(_REPORT_YEAR.pattern + r"(?:中|里|说|提出|指出|显示)?")


def without_report_name(query: str) -> str:
    """The question without the words that name a report by its year (2024年政府工作报告说…):
    they choose the document; they are not what its passages say."""
    return _REPORT_NAME.sub(" ", normalize(query))


class Library:
    """The current snapshot of an index folder, reopened when `kb build` publishes a new one."""

    def __init__(self, settings: Settings, opener=Snapshot):
        self.settings = settings
        self._opener = opener
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None

    def snapshot(self) -> Snapshot:
        current = store.require_generation(self.settings.index)
        snap = self._snapshot
        if snap is not None and snap.generation == current:
            return snap
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != current:
                # the old snapshot is left for requests still using it; its files stay on disk
                # because a build keeps the previous generation
                self._snapshot = self._opener(self.settings, current)
            return self._snapshot
