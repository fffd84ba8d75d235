"""kb/document_table.py: metadata held, texts read on demand, equal to the documents written."""
from __future__ import annotations

from conftest import CORPUS
from kb import store
from kb.document_table import DocumentTable, info_of
from kb.documents import Document, load_corpus


def test_documents_read_back_equal_and_texts_on_demand(tmp_path):
    documents, _ = load_corpus(CORPUS)
    documents.append(Document(id="second", title="第二份", text="甲\n乙", date="2023-01-02", heading_levels={1: 2}))
    store.write_generation(tmp_path, {}, documents, [])
    table = DocumentTable(tmp_path / store.DOCUMENTS)
    try:
        assert list(table) == [d.id for d in documents]
        assert all(table[d.id] == info_of(d) and table[d.id].characters == len(d.text) for d in documents)
        assert not table._kept  # nothing but metadata until a text is asked for
        (tmp_path / store.DOCUMENTS).unlink()  # a newer build may drop the generation under a reader
        assert [table.full(d.id) for d in reversed(documents)] == documents[::-1]
        assert table.full("second").heading_levels == {1: 2}
        assert table.full("no-such-document") is None and table.get("no-such-document") is None
    finally:
        table.close()
