"""A generation's figures and the pairs that disagree, found at build time and read on demand.

    gen-…/figures.sqlite   figures(row INTEGER PRIMARY KEY, passage_id, clause, context, data)
                           conflicts(a, b, score): rows of two figures that disagree

`clause` and `context` are the figure's normalised texts (what `matching` searches), `data` the
figure as JSON. Finding the figures and their conflicts takes ~12 s per 86k passages (jieba cuts
every figure's context) and held ~430 MB of Python objects at 854k passages: a server opening a
generation did both before its first answer; now `kb build` does it once.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from functools import cached_property
from pathlib import Path

from kb import sqlite_file
from kb.figures import Figure, figures_of, find_conflicts
from kb.normalize import normalize
from kb.passages import Passage

FILE = "figures.sqlite"
FIELDS = ("clause", "context")  # what `matching` can search


def write(path: Path, passages: Iterable[Passage]) -> None:
    """Write the figures of `passages` and their conflicts to a new SQLite file at `path`."""
    sqlite_file.write(path, _fill, passages)


def _fill(db: sqlite3.Connection, passages: Iterable[Passage]) -> None:
    figures = [f for p in passages for f in figures_of(p)]
    db.execute("CREATE TABLE figures (row INTEGER PRIMARY KEY, passage_id TEXT NOT NULL, clause TEXT NOT NULL, "
               "context TEXT NOT NULL, data TEXT NOT NULL)")
    db.execute("CREATE INDEX figures_by_passage ON figures (passage_id)")
    db.execute("CREATE TABLE conflicts (a INTEGER NOT NULL, b INTEGER NOT NULL, score REAL NOT NULL)")
    db.executemany("INSERT INTO figures (row, passage_id, clause, context, data) VALUES (?, ?, ?, ?, ?)",
                   ((row, f.passage_id, normalize(f.clause), normalize(f.context),
                     json.dumps(asdict(f), ensure_ascii=False)) for row, f in enumerate(figures)))
    db.executemany("INSERT INTO conflicts (a, b, score) VALUES (?, ?, ?)", find_conflicts(figures))


def _key(figure: Figure) -> tuple[str, int, int]:
    return figure.passage_id, figure.start, figure.end


class FigureTable:
    """Every figure of a generation, by passage or by words, and the pairs that disagree; safe to
    share between threads."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._lock = threading.Lock()
        self._query("SELECT count(*) FROM conflicts")  # fails now on a damaged file

    @classmethod
    def open(cls, path: Path) -> "FigureTable":
        return cls(sqlite_file.read_only(path))

    @classmethod
    def holding(cls, passages: Iterable[Passage]) -> "FigureTable":
        """A table in memory: for generations written before the file existed."""
        return cls(sqlite_file.in_memory(_fill, passages))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def of_passage(self, passage_id: str) -> list[Figure]:
        """The figures of one passage, in the order they stand."""
        return self._figures("SELECT data FROM figures WHERE passage_id = ? ORDER BY row", (passage_id,))

    def matching(self, words: str | list[str], field: str = "clause") -> list[Figure]:
        """Figures whose `field` (clause, or context: the clause up to the neighbouring figures)
        holds every word of `words` (a list, or a text split at spaces), normalised; all of them
        when there is no word."""
        if field not in FIELDS:
            raise ValueError(f"figures can be matched by {' or '.join(FIELDS)}, not {field!r}")
        wanted = list(dict.fromkeys(normalize(words).split() if isinstance(words, str) else words))
        where = " AND ".join([f"instr({field}, ?) > 0"] * len(wanted)) or "1"
        return self._figures(f"SELECT data FROM figures WHERE {where} ORDER BY row", tuple(wanted))

    def __iter__(self) -> Iterator[Figure]:
        return iter(self.matching([]))

    @cached_property
    def conflicts(self) -> list[tuple[Figure, Figure, float]]:
        """(figure, figure, similarity of their contexts) of every pair that disagrees, most alike first."""
        rows = self._query("SELECT x.data, y.data, c.score FROM conflicts c JOIN figures x ON x.row = c.a "
                           "JOIN figures y ON y.row = c.b ORDER BY c.rowid")
        return [(Figure(**json.loads(a)), Figure(**json.loads(b)), score) for a, b, score in rows]

    def warm(self) -> None:
        """Read the conflicts now, not on the first answer."""
        self._conflicting

    def conflicting(self, figure: Figure) -> list[Figure]:
        """The figures that disagree with `figure`."""
        return self._conflicting.get(_key(figure), [])

    @cached_property
    def _conflicting(self) -> dict[tuple[str, int, int], list[Figure]]:
        found: dict[tuple[str, int, int], list[Figure]] = {}
        for a, b, _ in self.conflicts:
            found.setdefault(_key(a), []).append(b)
            found.setdefault(_key(b), []).append(a)
        return found

    def _figures(self, sql: str, args: tuple) -> list[Figure]:
        return [Figure(**json.loads(data)) for data, in self._query(sql, args)]

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()
