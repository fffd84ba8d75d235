import json
import threading
from dataclasses import replace

import pytest

from kb import figure_table, keyword, store
from kb.build import build
from kb.errors import EmptyCorpus, ModelError, NotFound
from kb.snapshot import Library, Snapshot

from conftest import keyword_settings

REPORT_A = "甲报告\n一、就业\n城镇新增就业1256万人。\n全市妇女之家1019个。\n"
REPORT_B = "乙报告\n家庭建设\n创建美丽庭院示范村64个。\n"


@pytest.fixture
def small(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(REPORT_A, "utf-8")
    (corpus / "b.txt").write_text(REPORT_B, "utf-8")
    return keyword_settings(tmp_path, corpus)


def top_text(settings, query):
    snap = Snapshot(settings)
    try:
        hits = snap.search(query, k=1).hits
        return hits[0].passage.text if hits else None
    finally:
        snap.close()


def test_build_then_search(small):
    report = build(small)
    assert (report.documents, report.added) == (2, ["a", "b"])
    assert top_text(small, "美丽庭院") == "创建美丽庭院示范村64个。"


def test_unchanged_corpus_is_not_rebuilt(small):
    first = build(small)
    second = build(small)
    assert second.up_to_date and second.generation == first.generation
    assert second.unchanged == 2


def test_a_generation_written_before_the_figure_file_is_rebuilt_once(small):
    """It serves as it is (figures found when it opens); the next build writes a complete one."""
    first = build(small)
    old = small.index / first.generation
    (old / figure_table.FILE).unlink()
    assert Snapshot(small).figures.matching("美丽庭院")  # still served
    second = build(small)
    assert not second.up_to_date and second.generation != first.generation
    assert (small.index / second.generation / figure_table.FILE).exists()
    assert build(small).up_to_date


def test_changed_document_is_replaced_and_deleted_one_removed(small):
    build(small)
    before = {p.id for p in Snapshot(small).passages.values() if p.doc_id == "a"}
    (small.corpus / "b.txt").write_text(REPORT_B.replace("64", "65"), "utf-8")
    report = build(small)
    assert (report.changed, report.added, report.removed) == (["b"], [], [])
    snap = Snapshot(small)
    assert {p.id for p in snap.passages.values() if p.doc_id == "a"} == before  # reused, not re-split
    assert top_text(small, "美丽庭院") == "创建美丽庭院示范村65个。"
    assert snap.keyword.size == len(snap.passages)  # the old version of b is gone from the index
    (small.corpus / "b.txt").unlink()
    report = build(small)
    assert report.removed == ["b"]
    assert top_text(small, "美丽庭院") is None
    assert Snapshot(small).keyword.size == len(Snapshot(small).passages)


def test_a_build_that_dies_leaves_the_old_index_serving(small, monkeypatch):
    build(small)
    current = (small.index / "CURRENT").read_text()
    (small.corpus / "b.txt").write_text(REPORT_B.replace("64", "99"), "utf-8")

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(keyword, "build", crash)
    with pytest.raises(RuntimeError):
        build(small)
    assert (small.index / "CURRENT").read_text() == current
    assert top_text(small, "美丽庭院") == "创建美丽庭院示范村64个。"
    assert list(small.index.glob("gen-*.partial"))
    monkeypatch.undo()
    build(small)
    assert not list(small.index.glob("gen-*.partial"))
    assert top_text(small, "美丽庭院") == "创建美丽庭院示范村99个。"


def test_a_failing_embedding_also_leaves_the_old_index(small, monkeypatch):
    build(small)
    current = (small.index / "CURRENT").read_text()
    (small.corpus / "a.txt").write_text(REPORT_A + "新增一段。\n", "utf-8")

    def refuse(*args, **kwargs):
        raise ModelError("model refused")

    monkeypatch.setattr("kb.embeddings.embedder", refuse)
    with pytest.raises(ModelError):
        build(replace(small, semantic=True))
    assert (small.index / "CURRENT").read_text() == current


def test_only_one_writer_at_a_time(small):
    with store.build_lock(small.index):
        with pytest.raises(store.BuildInProgress):
            build(small)


def test_empty_or_missing_corpus_changes_nothing(small, tmp_path):
    build(small)
    current = (small.index / "CURRENT").read_text()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EmptyCorpus):
        build(type(small)(index=small.index, corpus=empty, semantic=False))
    with pytest.raises(NotFound):
        build(type(small)(index=small.index, corpus=tmp_path / "missing", semantic=False))
    assert (small.index / "CURRENT").read_text() == current


def test_missing_index_says_to_build(tmp_path):
    with pytest.raises(store.IndexMissing, match="kb build"):
        Snapshot(keyword_settings(tmp_path, tmp_path))


def test_readers_keep_their_snapshot_while_a_new_one_is_published(small):
    build(small)
    library = Library(small)
    old = library.snapshot()
    (small.corpus / "b.txt").write_text(REPORT_B.replace("64", "77"), "utf-8")
    build(small)
    assert old.search("美丽庭院", k=1).hits[0].passage.text == "创建美丽庭院示范村64个。"
    new = library.snapshot()
    assert new is not old
    assert new.search("美丽庭院", k=1).hits[0].passage.text == "创建美丽庭院示范村77个。"
    assert library.snapshot() is new


def test_concurrent_searches_on_one_snapshot(small):
    build(small)
    snap = Snapshot(small)
    errors, answers = [], []

    def worker():
        try:
            for _ in range(20):
                answers.append(snap.search("美丽庭院示范村", k=1).hits[0].passage.paragraph)
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and set(answers) == {3}


def test_manifest_records_documents_and_counts(small):
    build(small)
    manifest = json.loads((store.require_generation(small.index) / "manifest.json").read_text())
    assert set(manifest["documents"]) == {"a", "b"}
    assert manifest["passages"] == len(Snapshot(small).passages)
