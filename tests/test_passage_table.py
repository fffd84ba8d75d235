"""kb/passage_table.py: passages read from disk on demand are the passages that were written."""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import CORPUS
from kb import passage_table
from kb.documents import load_corpus
from kb.passages import split_document


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    documents, _ = load_corpus(CORPUS)
    passages = [p for doc in documents for p in split_document(doc)]
    path = tmp_path_factory.mktemp("table") / passage_table.FILE
    passage_table.write(path, passages)
    table = passage_table.PassageTable.open(path)
    yield passages, table
    table.close()


def test_every_passage_reads_back_equal_and_in_order(written):
    passages, table = written
    assert len(table) == len(passages) > 90
    assert list(table.values()) == passages
    assert list(table) == [p.id for p in passages]
    assert all(table[p.id] == p for p in passages)
    assert any(p.section for p in passages) and any(p.kind == "heading" for p in passages)


def test_a_missing_id_is_a_key_error_and_get_gives_none(written):
    _, table = written
    with pytest.raises(KeyError):
        table["no-such-passage"]
    assert table.get("no-such-passage") is None and "no-such-passage" not in table


def test_kinds_are_read_without_the_passages_and_match_them(written, monkeypatch):
    passages, _ = written
    table = passage_table.PassageTable.holding(passages)  # nothing read yet, so nothing kept
    try:
        ids = [p.id for p in passages]
        assert table.kinds(ids + ids[:3]) == {p.id: p.kind for p in passages}
        assert not table._kept
        assert table.kinds(ids[:1]) == {ids[0]: passages[0].kind}  # kept from the first read
        with pytest.raises(KeyError):
            table.kinds([ids[1], "no-such-passage"])
    finally:
        table.close()


def test_counts_and_documents_come_from_the_file(written):
    passages, table = written
    assert table.count_by_document() == Counter(p.doc_id for p in passages)
    assert all(table.count_of(doc) == n for doc, n in Counter(p.doc_id for p in passages).items())
    assert table.count_of("no-such-document") == 0
    assert table.doc_ids() == {p.id: p.doc_id for p in passages}


def test_a_table_in_memory_answers_as_the_file_does(written):
    """What a generation written before the file existed (passages.jsonl) is served from."""
    passages, table = written
    held = passage_table.PassageTable.holding(passages)
    try:
        assert len(held) == len(table) and list(held.values()) == passages
        assert held[passages[5].id] == table[passages[5].id]
        assert held.count_by_document() == table.count_by_document()
    finally:
        held.close()


def test_threads_read_the_same_table_at_once(written, monkeypatch):
    passages, table = written
    monkeypatch.setattr(passage_table, "KEPT", 8)  # most reads go to the file, and the kept ones churn
    ids = [p.id for p in passages] * 5
    with ThreadPoolExecutor(8) as pool:
        read = list(pool.map(table.__getitem__, ids))
        listed = list(pool.map(lambda _: list(table.values()), range(4)))
    assert [p.id for p in read] == ids
    assert all(found == passages for found in listed)
