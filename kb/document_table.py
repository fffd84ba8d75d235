"""A generation's documents: every document's metadata held (titles and dates are what filters,
years and citations read), its full text read from documents.jsonl when a page, a series or an
evidence span needs it. The texts of 8,065 documents (105M characters, 854k passages) had been
~220 MB of the server's memory (docs/benchmarks.md)."""
from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from kb.documents import Document

KEPT = 64  # full documents kept: those of recent answers and pages


@dataclass(frozen=True)
class DocumentInfo:
    """A document without its text: what a citation, a filter or a listing shows."""

    id: str
    title: str
    characters: int
    source: str = ""
    publisher: str = ""
    outlet: str = ""
    date: str = ""
    language: str = ""
    url: str = ""


def document_of(row: dict) -> Document:
    """A document from its stored JSON row (line numbers of headings are stored as strings)."""
    return Document(**row | {"heading_levels": {int(k): v for k, v in row.get("heading_levels", {}).items()}})


class DocumentTable(Mapping):
    """Document id → DocumentInfo, in the order they were written; `full(id)` reads the whole
    document. Safe to share between threads."""

    def __init__(self, path: Path):
        self._file = path.open("rb")  # held open: a generation's files may go while requests still read it
        weakref.finalize(self, self._file.close)  # a snapshot dropped without close() lets it go too
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, Document] = OrderedDict()
        self._info: dict[str, DocumentInfo] = {}
        self._lines: dict[str, tuple[int, int]] = {}  # id → (byte offset, length) of its line
        offset = 0
        for line in self._file:
            if line.strip():
                doc = document_of(json.loads(line))
                self._info[doc.id] = info_of(doc)
                self._lines[doc.id] = offset, len(line)
            offset += len(line)

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def __getitem__(self, doc_id: str) -> DocumentInfo:
        return self._info[doc_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._info)

    def __len__(self) -> int:
        return len(self._info)

    def full(self, doc_id: str) -> Document | None:
        """The whole document, text included; None for an unknown id."""
        if doc_id not in self._lines:
            return None
        with self._lock:
            if doc_id in self._kept:
                self._kept.move_to_end(doc_id)
                return self._kept[doc_id]
            offset, length = self._lines[doc_id]
            self._file.seek(offset)
            line = self._file.read(length)
        doc = document_of(json.loads(line))
        with self._lock:
            self._kept[doc_id] = doc
            if len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        return doc


def info_of(doc: Document) -> DocumentInfo:
    return DocumentInfo(doc.id, doc.title, len(doc.text), doc.source, doc.publisher, doc.outlet, doc.date,
                        doc.language, doc.url)
