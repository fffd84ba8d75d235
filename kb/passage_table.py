"""A generation's passages in SQLite, read on demand: a search touches a hundred passages, not
all of them, so holding every passage as a Python object (~3.4 KB each: 290 MB at 86k passages,
docs/benchmarks.md) is memory the corpus size pays for nothing.

    gen-…/passages.sqlite   passages(row INTEGER PRIMARY KEY, id TEXT UNIQUE, doc_id TEXT, data TEXT)

`data` is the passage as JSON (its dataclass fields); rows keep the build's order.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from pathlib import Path

from kb import sqlite_file
from kb.passages import Passage

FILE = "passages.sqlite"
KEPT = 4096  # passages kept as objects: those of recent results, which the answer step reads again
KINDS_KEPT = 1 << 17  # kinds kept (a few MB): a ranking weighs ~200 passages by kind, a page reads 10


def write(path: Path, passages: list[Passage]) -> None:
    """Write `passages` to a new SQLite file at `path`."""
    sqlite_file.write(path, _fill, passages)


def _fill(db: sqlite3.Connection, passages: list[Passage]) -> None:
    db.execute("CREATE TABLE passages (row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, "
               "doc_id TEXT NOT NULL, data TEXT NOT NULL)")
    db.execute("CREATE INDEX passages_by_doc ON passages (doc_id)")
    db.executemany("INSERT INTO passages (id, doc_id, data) VALUES (?, ?, ?)",
                   ((p.id, p.doc_id, json.dumps(asdict(p), ensure_ascii=False)) for p in passages))


class PassageTable(Mapping):
    """Passage id → Passage, read from the file; safe to share between threads."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, Passage] = OrderedDict()
        self._kinds: dict[str, str] = {}
        self._size = self._one("SELECT count(*) FROM passages")[0]  # also fails now on a damaged file

    @classmethod
    def open(cls, path: Path) -> "PassageTable":
        return cls(sqlite_file.read_only(path))

    @classmethod
    def holding(cls, passages: list[Passage]) -> "PassageTable":
        """A table in memory: for generations written before the file existed (passages.jsonl)."""
        return cls(sqlite_file.in_memory(_fill, passages))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __getitem__(self, passage_id: str) -> Passage:
        with self._lock:
            if passage_id in self._kept:
                self._kept.move_to_end(passage_id)
                return self._kept[passage_id]
            row = self._db.execute("SELECT data FROM passages WHERE id = ?", (passage_id,)).fetchone()
            if row is None:
                raise KeyError(passage_id)
            passage = self._kept[passage_id] = Passage(**json.loads(row[0]))
            if len(self._kept) > KEPT:
                self._kept.popitem(last=False)
            return passage

    def kinds(self, passage_ids: list[str]) -> dict[str, str]:
        """Passage id → kind (body, heading, caption), read without building the passages."""
        with self._lock:
            found = {pid: self._kinds[pid] for pid in passage_ids if pid in self._kinds}
        missing = [pid for pid in dict.fromkeys(passage_ids) if pid not in found]
        for at in range(0, len(missing), 500):  # within SQLite's limit on parameters
            part = missing[at:at + 500]
            sql = f"SELECT id, json_extract(data, '$.kind') FROM passages WHERE id IN ({','.join('?' * len(part))})"
            with self._lock:
                read = dict(self._db.execute(sql, part).fetchall())
                if len(self._kinds) + len(read) > KINDS_KEPT:
                    self._kinds.clear()
                self._kinds.update(read)
            found.update(read)
        if len(found) < len(set(passage_ids)):
            raise KeyError(next(pid for pid in passage_ids if pid not in found))
        return found

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[str]:
        return (row[0] for row in self._rows("SELECT id FROM passages ORDER BY row"))

    def values(self) -> Iterator[Passage]:
        """Every passage in build order, read in batches (not kept)."""
        return (Passage(**json.loads(row[0])) for row in self._rows("SELECT data FROM passages ORDER BY row"))

    def doc_ids(self) -> dict[str, str]:
        """Passage id → document id, for every passage."""
        return dict(self._rows("SELECT id, doc_id FROM passages ORDER BY row"))

    def count_by_document(self) -> dict[str, int]:
        return dict(self._rows("SELECT doc_id, count(*) FROM passages GROUP BY doc_id"))

    def count_of(self, doc_id: str) -> int:
        return self._one("SELECT count(*) FROM passages WHERE doc_id = ?", (doc_id,))[0]

    def _one(self, sql: str, args: tuple = ()) -> tuple:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _rows(self, sql: str, batch: int = 2000) -> Iterator[tuple]:
        # a cursor of its own, fetched in batches under the lock: other threads' lookups go between
        with self._lock:
            cursor = self._db.execute(sql)
        while True:
            with self._lock:
                rows = cursor.fetchmany(batch)
            if not rows:
                return
            yield from rows
