"""BM25F over whoosh's postings, scored with numpy.

whoosh scores every posting of every query term with a few Python calls; a question of a dozen
words whose postings cover a fifth of 100k passages then takes seconds. Here each term's
postings are arrays of (document number, BM25F score): memory-mapped from the files written at
build time (kb/postings.py), or, for an index built before those existed, read from whoosh once
per generation and cached. A query is a handful of numpy additions. The formula, idf, length quantisation and
field statistics are whoosh's own (tests compare both on the corpus), so results do not change.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
from whoosh.query import Phrase
from whoosh.scoring import BM25F, bm25

# Postings kept in memory (8 bytes each: 64 MB); the common words of questions recur, and the
# least recently used terms are dropped first.
CACHED_POSTINGS = 8_000_000


class TermScorer:
    """Sums of boosted BM25F term scores for all documents at once. Not thread-safe: the caller
    holds the lock that guards the searcher."""

    def __init__(self, searcher, stored=None):
        if not isinstance(searcher.weighting, BM25F):
            raise TypeError("TermScorer reproduces BM25F only")
        self._searcher = searcher
        self.stored = stored  # kb/postings.py's arrays, written at build time; None: read whoosh's
        self._reader = searcher.reader()
        self._cache: OrderedDict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._cached = 0

    @property
    def doc_count_all(self) -> int:
        return self._searcher.doc_count_all()

    def scores(self, weighted_terms: list[tuple[str, str, float]]) -> np.ndarray:
        """One score per document number: Σ boost × BM25F(field, term) over the terms it holds."""
        total = np.zeros(self.doc_count_all, dtype=np.float32)  # float64 doubled the memory traffic
        by_document = None
        for field, term, boost in weighted_terms:
            if self.stored is not None and self.stored.by_document(field):
                codes, term_scores = self.stored.get_by_document(field, term)
                if by_document is None:
                    by_document = np.zeros(len(self.stored.document_table()[0]) + 1, dtype=np.float32)
                by_document[codes] += boost * term_scores
                continue
            docnums, term_scores = self._postings(field, term)
            total[docnums] += boost * term_scores  # a term occurs once per document: no repeats
        if by_document is not None:  # each passage gets its document's sum (code -1, deleted: the 0 at the end)
            total += by_document[self.stored.document_table()[1]]
        return total

    def add_phrases(self, total: np.ndarray, phrases: list[Phrase], docnums: np.ndarray) -> None:
        """Add each phrase's whoosh score to `total`, visiting only `docnums` (ascending):
        matching positions is the expensive part, so it is done for candidates only."""
        for phrase in phrases:
            if self.stored is not None and self.stored.has_positions(phrase.fieldname) \
                    and phrase.slop == 1 and len(phrase.words) == 2:
                docs, scores = self.stored.followed(phrase.fieldname, *phrase.words, docnums)
                total[docs] += phrase.boost * scores
                continue
            matcher = phrase.matcher(self._searcher)
            for docnum in docnums.tolist():
                if not matcher.is_active():
                    break
                if matcher.id() < docnum:
                    matcher.skip_to(docnum)
                    if not matcher.is_active():
                        break
                if matcher.id() == docnum:
                    total[docnum] += matcher.score()

    def _postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        if self.stored is not None:
            return self.stored.get(field, term)
        key = (field, term)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        found = self._read(field, term)
        self._cache[key] = found
        self._cached += len(found[0])
        while self._cached > CACHED_POSTINGS and len(self._cache) > 1:
            self._cached -= len(self._cache.popitem(last=False)[1][0])
        return found

    def _read(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        searcher = self._searcher
        if (field, term) not in self._reader:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        weighting = searcher.weighting
        b = weighting._field_B.get(field, weighting.B)
        idf, avgfl = searcher.idf(field, term), searcher.avg_field_length(field) or 1
        docnums, term_scores = [], []
        matcher = searcher.postings(field, term)
        while matcher.is_active():
            docnum = matcher.id()
            length = searcher.doc_field_length(docnum, field, 1)
            docnums.append(docnum)
            term_scores.append(bm25(idf, matcher.weight(), length, avgfl, b, weighting.K1))
            matcher.next()
        return np.array(docnums, dtype=np.int32), np.array(term_scores, dtype=np.float32)
