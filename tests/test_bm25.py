"""kb/bm25.py against its reference: whoosh scoring the same query itself."""
from __future__ import annotations

import json

import pytest

from conftest import SHARED, keyword_settings
from kb import bm25, keyword
from kb.build import build
from kb.search import Snapshot

QUESTIONS = [json.loads(line)["question"] for line in (SHARED / "eval" / "dev-questions.jsonl").read_text("utf-8").splitlines() if line.strip()]


def assert_same_as_whoosh(index: keyword.KeywordIndex, question: str, only=None, limit: int = 100) -> list[str]:
    parsed = keyword.parse(question)
    ours = index._rank_bag_of_words(parsed, limit, only)
    reference = index._run(index._bag_of_words(parsed), limit, only)
    assert [pid for pid, _ in ours] == [pid for pid, _ in reference], question
    assert [s for _, s in ours] == pytest.approx([s for _, s in reference], rel=1e-5), question
    return [pid for pid, _ in ours]


@pytest.mark.parametrize("question", QUESTIONS[::3])
def test_scores_and_order_equal_whoosh_on_the_corpus(keyword_snapshot, question):
    assert assert_same_as_whoosh(keyword_snapshot.keyword, question)


def test_document_filter_equals_whoosh_filter(keyword_snapshot):
    from whoosh.query import Term

    doc_id = next(iter(keyword_snapshot.documents))
    hits = assert_same_as_whoosh(keyword_snapshot.keyword, "巾帼志愿服务队", only=Term("doc_id", doc_id))
    assert hits and all(pid.startswith(doc_id) for pid in hits)
    assert keyword_snapshot.keyword._rank_bag_of_words(keyword.parse("巾帼"), 10, Term("doc_id", "nope")) == []


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
    snap = Snapshot(settings)
    try:
        assert not snap.keyword._searcher.is_atomic()  # several segments
        for question in QUESTIONS[::4] + ["美丽庭院示范点65个"]:
            hits = assert_same_as_whoosh(snap.keyword, question)
            assert all(pid in snap.passages for pid in hits)
    finally:
        snap.close()
