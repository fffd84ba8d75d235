"""kb/bm25.py against its reference: whoosh scoring the same query itself."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from whoosh.query import Or, Term

from conftest import QUESTIONS as SETS, keyword_settings
from kb import bm25, keyword, postings, store
from kb.build import build
from kb.query import parse_query
from kb.snapshot import Snapshot

QUESTIONS = [json.loads(line)["question"] for name in ("review-extra-questions.jsonl", "gov-questions.jsonl")
             for line in (SETS / name).read_text("utf-8").splitlines() if line.strip()]


def assert_same_as_whoosh(index: keyword.KeywordIndex, question: str, doc_ids: set[str] | None = None,
                          limit: int = 100) -> list[str]:
    parsed = parse_query(question)
    ours = index._rank_bag_of_words(parsed, limit, doc_ids)
    only = None if doc_ids is None else Or([Term("doc_id", d) for d in sorted(doc_ids)])
    reference = index._run(index._bag_of_words(parsed), limit, only)
    assert [s for _, s in ours] == pytest.approx([s for _, s in reference], rel=1e-5), question
    # the same ids score the same; passages tied on the lowest score kept may differ at the cut
    assert _by_score(ours) == _by_score(reference), question
    return [pid for pid, _ in ours]


def _by_score(ranked: list[tuple[str, float]]) -> list[frozenset[str]]:
    """The ids of each run of equal scores, best first, the last run (cut by the limit) left out."""
    groups: list[tuple[float, set[str]]] = []
    for pid, score in ranked:
        if groups and score == pytest.approx(groups[-1][0], rel=1e-6):
            groups[-1][1].add(pid)
        else:
            groups.append((score, {pid}))
    return [frozenset(ids) for _, ids in groups[:-1]]


@pytest.mark.parametrize("question", QUESTIONS[::3])
def test_scores_and_order_equal_whoosh_on_the_corpus(keyword_snapshot, question):
    assert assert_same_as_whoosh(keyword_snapshot.keyword, question)


def test_document_filter_equals_whoosh_filter(keyword_snapshot):
    doc_id = next(iter(keyword_snapshot.documents))
    hits = assert_same_as_whoosh(keyword_snapshot.keyword, "巾帼志愿服务队", {doc_id})
    assert hits and all(pid.startswith(doc_id) for pid in hits)
    assert keyword_snapshot.keyword._rank_bag_of_words(parse_query("巾帼"), 10, {"nope"}) == []


def test_incremental_index_scores_as_whoosh(corpus_copy, tmp_path, monkeypatch):
    """A changed document is replaced (and the index merged), an added one lands in a segment
    of its own; the cache is kept tiny so that eviction is exercised too."""
    monkeypatch.setattr(bm25, "CACHED_POSTINGS", 500)
    settings = keyword_settings(tmp_path, corpus_copy)
    report = next(corpus_copy.glob("*.txt"))
    build(settings)
    text = report.read_text("utf-8")
    report.write_text(text.replace("64个", "65个"), "utf-8")
    build(settings)
    (corpus_copy / "copy.txt").write_text(text[: len(text) // 2], "utf-8")
    build(settings)
    for stored in (True, False):  # kb/postings.py's files, then an index without them (read from whoosh)
        if not stored:
            shutil.rmtree(store.require_generation(settings.index) / "keyword" / postings.FOLDER)
        snap = Snapshot(settings)
        try:
            assert (snap.keyword._terms.stored is not None) == stored
            assert not stored or snap.keyword._terms.stored.by_document("title")  # two documents' titles
            assert not snap.keyword._searcher.is_atomic()  # several segments
            for question in QUESTIONS[::4] + ["美丽庭院示范点65个"]:
                hits = assert_same_as_whoosh(snap.keyword, question)
                assert all(pid in snap.passages for pid in hits)
            copy = assert_same_as_whoosh(snap.keyword, "美丽庭院示范", {"copy"})
            assert copy and all(snap.passages[pid].doc_id == "copy" for pid in copy)
        finally:
            snap.close()


def test_title_postings_by_document_are_kept_only_when_each_document_scores_alike():
    arrays = {"starts": np.array([0, 3, 5]), "docs": np.array([0, 1, 3, 1, 2], dtype=np.int32),
              "scores": np.array([0.5, 0.5, 0.7, 0.2, 0.2], dtype=np.float32)}
    codes = np.array([0, 0, 1, 1], dtype=np.int32)  # passages 0, 1 of document 0; 2, 3 of document 1
    found = postings._by_document(arrays, codes)
    assert found["document_codes"].tolist() == [0, 1, 0, 1]
    assert found["document_scores"].tolist() == pytest.approx([0.5, 0.7, 0.2, 0.2])
    assert found["document_starts"].tolist() == [0, 2, 4]
    unlike = dict(arrays, scores=np.array([0.5, 0.4, 0.7, 0.2, 0.2], dtype=np.float32))
    assert postings._by_document(unlike, codes) == {}  # two passages of document 0 disagree


def _stored_equals_whoosh(index: keyword.KeywordIndex) -> int:
    """Every term of every field: the stored postings against whoosh's, read term by term."""
    terms, reader, checked = index._terms, index._searcher.reader(), 0
    for field in keyword.FIELD_BOOSTS:
        for btext in reader.lexicon(field):
            docs, scores = terms.stored.get(field, btext.decode("utf-8"))
            want_docs, want_scores = terms._read(field, btext.decode("utf-8"))
            assert docs.tolist() == want_docs.tolist()
            assert scores.tolist() == pytest.approx(want_scores.tolist(), rel=1e-6)
            checked += 1
    return checked


def test_stored_postings_equal_whoosh_term_by_term(keyword_snapshot):
    assert _stored_equals_whoosh(keyword_snapshot.keyword) > 1000
    docs, scores = keyword_snapshot.keyword._terms.stored.get("text", "语料里没有的词")
    assert len(docs) == len(scores) == 0


def test_terms_whose_keys_collide_are_told_apart(corpus_copy, tmp_path, monkeypatch):
    monkeypatch.setattr(postings, "key", lambda term: len(term))  # every term of a length collides
    settings = keyword_settings(tmp_path, corpus_copy)
    build(settings)
    snap = Snapshot(settings)
    try:
        assert _stored_equals_whoosh(snap.keyword) > 1000
        assert snap.keyword._terms.stored.get("text", "庭院")[0].size > 0
        assert snap.keyword._terms.stored.get("text", "院庭")[0].size == 0
    finally:
        snap.close()


class _WithoutPositions:
    """The stored postings with their word positions hidden: pairs then go through whoosh."""

    def __init__(self, stored):
        self._stored = stored

    def get(self, field, term):
        return self._stored.get(field, term)

    def has_positions(self, field):
        return False

    def has_documents(self):
        return False  # the document filter through whoosh too


def test_pairs_among_few_candidates_score_as_whoosh_matches_them(keyword_snapshot, monkeypatch):
    monkeypatch.setattr(keyword, "PAIR_CANDIDATES", 12)  # fewer candidates than passages
    index = keyword_snapshot.keyword
    stored = index._terms.stored
    paired = 0
    for question in QUESTIONS:
        parsed = parse_query(question)
        ours = index._rank_bag_of_words(parsed, 12, None)
        monkeypatch.setattr(index._terms, "stored", _WithoutPositions(stored))
        reference = index._rank_bag_of_words(parsed, 12, None)
        monkeypatch.setattr(index._terms, "stored", stored)
        assert [pid for pid, _ in ours] == [pid for pid, _ in reference], question
        assert [s for _, s in ours] == pytest.approx([s for _, s in reference], rel=1e-6), question
        paired += bool(parsed.pairs)
    assert paired > 10
