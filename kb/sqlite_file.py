"""A generation's SQLite files (passages.sqlite, figures.sqlite): written once by a build, then
opened read-only and shared between a server's threads (each table guards its connection with
a lock); a generation written before a file existed gets the same tables in memory."""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path


def write(path: Path, fill: Callable, items) -> None:
    """A new SQLite file at `path`, its tables made and filled by `fill(db, items)` in one transaction."""
    db = sqlite3.connect(path)
    with db:
        fill(db, items)
    db.close()


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def in_memory(fill: Callable, items) -> sqlite3.Connection:
    """The tables `fill(db, items)` makes, in memory."""
    db = sqlite3.connect(":memory:", check_same_thread=False)
    with db:
        fill(db, items)
    return db
