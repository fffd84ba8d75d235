"""The keyword index: whoosh behind one small module (schema, incremental build, BM25F search).

whoosh is unmaintained; nothing else in kb imports it except the tokenizer adapter, so it can be
swapped for another engine by rewriting this file.
"""
from __future__ import annotations

import math
import shutil
import threading
import weakref
from pathlib import Path

import numpy as np
from whoosh import index as whoosh_index
from whoosh import scoring
from whoosh.analysis import Analyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.query import And, AndMaybe, Or, Phrase, Term
from whoosh.query import Query as WhooshQuery

from kb import postings
from kb.bm25 import TermScorer
from kb.passages import Passage
from kb.query import Query
from kb.tokenizer import JiebaTokenizer, tokenize

FIELD_BOOSTS = {"text": 1.0, "section": 0.6, "title": 0.3}
PAIR_BOOST = 0.5  # weight of a pair of query words found next to each other
PAIR_SLOP = 1
# Pairs are matched by position in this many best documents by term score, not in all: beyond
# it a pair's bonus (at most PAIR_BOOST × two term scores) rarely lifts a document into a top 100.
PAIR_CANDIDATES = 1000


def analyzer() -> Analyzer:
    return JiebaTokenizer()


def schema() -> Schema:
    text = TEXT(analyzer=analyzer(), phrase=True, stored=False)
    return Schema(id=ID(stored=True, unique=True), doc_id=ID(stored=True), kind=ID(stored=True),
                  text=text, section=TEXT(analyzer=analyzer(), phrase=False),
                  title=TEXT(analyzer=analyzer(), phrase=False))


def _add(writer, passages: list[Passage], titles: dict[str, str]) -> None:
    for p in passages:
        writer.add_document(id=p.id, doc_id=p.doc_id, kind=p.kind, text=p.text,
                            section=" ".join(p.section), title=titles.get(p.doc_id, ""))


def build(target: Path, passages_by_doc: dict[str, list[Passage]], titles: dict[str, str],
          previous: Path | None = None, stale: set[str] = frozenset()) -> None:
    """Write the index into `target`: a copy of `previous` minus `stale` documents, plus the
    documents in `passages_by_doc`, or a fresh index when there is no previous one."""
    if previous is not None and whoosh_index.exists_in(previous):
        shutil.copytree(previous, target)
        ix = whoosh_index.open_dir(target)
    else:
        target.mkdir(parents=True)
        ix = whoosh_index.create_in(target, schema())
    writer = ix.writer()
    try:
        for doc_id in stale | set(passages_by_doc):
            writer.delete_by_term("doc_id", doc_id)
        for doc_passages in passages_by_doc.values():
            _add(writer, doc_passages, titles)
        writer.commit(optimize=len(stale) > 0)
    except BaseException:
        writer.cancel()
        raise
    finally:
        ix.close()
    _write_postings(target)


def _write_postings(target: Path) -> None:
    """kb/postings.py's arrays for the index just committed (rewritten whole: document numbers
    and BM25F statistics change with every commit)."""
    shutil.rmtree(target / postings.FOLDER, ignore_errors=True)
    ix = whoosh_index.open_dir(target)
    try:
        with ix.searcher(weighting=scoring.BM25F()) as searcher:
            postings.write(target / postings.FOLDER, searcher, list(FIELD_BOOSTS))
    finally:
        ix.close()


def _phrase_tokens(phrase: str) -> list[str]:
    return [t.text for t in tokenize(phrase) if t.main]


def _finest_tokens(phrase: str) -> list[str]:
    """The phrase's words, each long word replaced by the dictionary words inside it: the pieces
    most likely to be indexed however the passage around them was cut."""
    tokens = tokenize(phrase)
    parts = {t.position for t in tokens if not t.main}
    return [t.text for t in tokens if (t.main and t.position not in parts) or not t.main]


def document_frequencies(path: Path) -> dict[str, int]:
    """Every word of the passages' text in the index at `path`, and how many passages hold it."""
    return postings.Postings(path / postings.FOLDER, ["text"]).frequencies("text")


class KeywordIndex:
    """An open whoosh index; `search` is safe to call from several threads."""

    def __init__(self, path: Path):
        # whoosh copies a memory-mapped compound segment into a BytesIO (its postings: 700 MB at 854k
        # passages); without mmap it reads the file itself (kb's arrays do the scoring) and keeps
        # it open: closed by `close`, or when this object is collected without it
        self._ix = FileStorage(str(path), supports_mmap=False).open_index()
        self._searcher = self._ix.searcher(weighting=scoring.BM25F())
        self._closer = weakref.finalize(self, _close_whoosh, self._searcher, self._ix)
        stored, fields = path / postings.FOLDER, list(FIELD_BOOSTS)
        # an index built before kb/postings.py existed has no arrays: its postings come from whoosh
        arrays = postings.Postings(stored, fields) if postings.Postings.exists(stored, fields) else None
        self._terms = TermScorer(self._searcher, arrays)
        self._lock = threading.Lock()
        self._last_terms: tuple[tuple, np.ndarray] | None = None

    def close(self) -> None:
        self._closer()

    def warm(self) -> None:
        """Read now the document table a search within some documents needs (`_allowed`)."""
        if self._terms.stored is not None and self._terms.stored.has_documents():
            self._terms.stored.of_documents(set())

    @property
    def size(self) -> int:
        return self._searcher.doc_count()

    def idf(self, term: str) -> float:
        """BM25's idf of a term in passage text; a term the corpus lacks gets the highest."""
        with self._lock:
            df = self._searcher.doc_frequency("text", term)
        n = max(self.size, 1)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(self, parsed: Query, limit: int, normalized_text,
               doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """(passage id, BM25F score) best first, only from `doc_ids` when given.
        `normalized_text(id)` checks quoted phrases when jieba cut a phrase differently in the
        passage than in the query."""
        if doc_ids is not None and not doc_ids:
            return []
        if not parsed.phrases:
            return self._rank_bag_of_words(parsed, limit, doc_ids)
        only = _of_documents(doc_ids) if doc_ids is not None else None
        optional = self._bag_of_words(parsed)
        cut = [tokens for tokens in map(_phrase_tokens, parsed.phrases) if tokens]
        required = [Phrase("text", tokens) if len(tokens) > 1 else Term("text", tokens[0]) for tokens in cut]
        if not required:
            return []
        query = And(required) if optional is None else AndMaybe(And(required), optional)
        hits = self._run(query, limit, only)
        if hits:
            return hits
        loose = And([Term("text", t) for p in parsed.phrases for t in _finest_tokens(p)])
        return [(pid, score) for pid, score in self._run(loose, None, only)
                if all(p in normalized_text(pid) for p in parsed.phrases)][:limit]

    @staticmethod
    def _bag_of_words(parsed: Query) -> WhooshQuery | None:
        """Every term in text, section or title; plus adjacent pairs of query words as phrases
        (a sequential-dependence model), so passages keeping the query's word order rank higher."""
        if not parsed.searched_terms:
            return None
        # one flat Or: whoosh builds a union matcher per Or node, so nesting costs time
        clauses = [Term(field, t, boost=boost) for t in parsed.searched_terms for field, boost in FIELD_BOOSTS.items()]
        clauses += [Phrase("text", list(pair), slop=PAIR_SLOP, boost=PAIR_BOOST) for pair in parsed.pairs]
        query = Or(clauses)
        # whoosh's default union tree skips blocks by max score (WAND-like); in pure Python that
        # costs more than it saves for the dozens of clauses a Chinese question becomes: measured
        # 200 ms against 20 ms for the preloading matcher on 6k passages (docs/benchmarks.md)
        query.matcher_type = Or.ARRAY_MATCHER
        return query

    def _rank_bag_of_words(self, parsed: Query, limit: int, doc_ids: set[str] | None = None) -> list[tuple[str, float]]:
        """What `_run(_bag_of_words(parsed))` returns, scored in numpy (kb/bm25.py): the same
        scores, except that pairs are only looked for among the PAIR_CANDIDATES best documents."""
        if not parsed.searched_terms:
            return []
        weighted = [(field, t, boost) for t in parsed.searched_terms for field, boost in FIELD_BOOSTS.items()]
        pairs = [Phrase("text", list(pair), slop=PAIR_SLOP, boost=PAIR_BOOST) for pair in parsed.pairs]
        with self._lock:
            scores = self._term_scores(weighted)
            if doc_ids is not None:
                scores[~self._allowed(doc_ids, len(scores))] = 0
            candidates = np.sort(_best(scores, max(PAIR_CANDIDATES, limit)))
            self._terms.add_phrases(scores, pairs, candidates)
            best = candidates[_best(scores[candidates], limit)]
            return [(self._searcher.stored_fields(int(d))["id"], float(scores[d])) for d in best]

    def _term_scores(self, weighted: list[tuple[str, str, float]]) -> np.ndarray:
        """The terms' summed scores, a fresh copy. The last query's are kept: a question naming a
        year is ranked twice, within that year's reports and then over all (kb/search.py), and
        at 850k passages summing common words' postings is most of its cost."""
        key = tuple(weighted)
        if self._last_terms is None or self._last_terms[0] != key:
            self._last_terms = (key, self._terms.scores(weighted))
        return self._last_terms[1].copy()

    def _allowed(self, doc_ids: set[str], size: int) -> np.ndarray:
        """Which document numbers belong to `doc_ids`: from the stored table when there is one
        (whoosh's filter walks a posting list per document, half the time of a question naming
        a year at 86k passages), else from whoosh."""
        if self._terms.stored is not None and self._terms.stored.has_documents():
            return self._terms.stored.of_documents(doc_ids)
        allowed = np.zeros(size, dtype=bool)
        allowed[list(self._searcher.docs_for_query(_of_documents(doc_ids)))] = True
        return allowed

    def _run(self, query: WhooshQuery, limit: int | None, only: WhooshQuery | None = None) -> list[tuple[str, float]]:
        # whoosh searchers hold per-search state (matchers, file positions): one search at a time
        with self._lock:
            results = self._searcher.search(query, limit=limit, filter=only)
            return [(hit["id"], hit.score) for hit in results]


def _close_whoosh(searcher, ix) -> None:
    searcher.close()
    ix.close()


def _of_documents(doc_ids: set[str]) -> WhooshQuery:
    """whoosh's filter for the passages of `doc_ids`."""
    return Or([Term("doc_id", d) for d in sorted(doc_ids)])


def _best(scores: np.ndarray, limit: int) -> np.ndarray:
    """Positions of the `limit` highest positive scores, best first; ties by position."""
    matched = np.flatnonzero(scores > 0)
    if limit <= 0:
        return matched[:0]
    if len(matched) > limit:
        matched = matched[np.argpartition(-scores[matched], limit - 1)[:limit]]
    return matched[np.lexsort((matched, -scores[matched]))]
