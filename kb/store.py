"""The index folder: generations written beside each other and swapped in atomically.

    index/CURRENT            name of the generation being served
    index/gen-…/             one complete build: manifest.json, documents.jsonl, passages.sqlite,
                             figures.sqlite, keyword/ (whoosh) and vectors/ when semantic search is on
    index/gen-….partial/     a build in progress; never read, removed by the next build

A build writes a new generation, then replaces CURRENT with one `os.replace`, so a reader sees
either the old index or the new one, and a build that dies half-way leaves the old one serving.
The generation before the current one is kept, so readers still holding it finish their work.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Iterator

from kb import figure_table, passage_table
from kb.document_table import document_of
from kb.documents import Document
from kb.errors import BuildInProgress, IndexMissing
from kb.passages import Passage

CURRENT = "CURRENT"
PARTIAL = ".partial"
DOCUMENTS = "documents.jsonl"
LEXICON = "lexicon"  # the folder kb/lexicon.py writes in a generation with vectors


def current_generation(index_dir: Path) -> Path | None:
    try:
        name = (index_dir / CURRENT).read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    path = index_dir / name
    return path if name and path.is_dir() else None


def require_generation(index_dir: Path) -> Path:
    path = current_generation(index_dir)
    if path is None:
        raise IndexMissing(f"no index in {index_dir}/: run `kb build` first")
    return path


def new_generation(index_dir: Path) -> Path:
    """A fresh, empty `.partial` folder for a build."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = index_dir / f"gen-{stamp}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}{PARTIAL}"
    path.mkdir(parents=True)
    return path


def publish(index_dir: Path, partial: Path) -> Path:
    """Make a finished build the current generation and drop all but the previous one."""
    final = partial.with_name(partial.name.removesuffix(PARTIAL))
    partial.rename(final)
    previous = current_generation(index_dir)
    pointer = index_dir / f"{CURRENT}.tmp"
    pointer.write_text(final.name + "\n", "utf-8")
    with pointer.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer, index_dir / CURRENT)
    keep = {final.name, previous.name if previous else ""}
    for old in index_dir.glob("gen-*"):
        if old.name not in keep and not old.name.endswith(PARTIAL):
            shutil.rmtree(old, ignore_errors=True)
    return final


def remove_partials(index_dir: Path) -> None:
    """Left-overs of builds that died; call only while holding the build lock."""
    for old in index_dir.glob(f"gen-*{PARTIAL}"):
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time, across processes."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".build.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BuildInProgress(f"another `kb build` is writing {index_dir}/; try again when it ends") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- files of one generation -------------------------------------------------------------------


def write_jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def write_generation(gen: Path, manifest: dict, documents: list[Document], passages: list[Passage]) -> None:
    write_jsonl(gen / DOCUMENTS, [asdict(d) | {"heading_levels": {str(k): v for k, v in d.heading_levels.items()}} for d in documents])
    passage_table.write(gen / passage_table.FILE, passages)
    figure_table.write(gen / figure_table.FILE, passages)
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")


def complete(gen: Path) -> bool:
    """Whether `gen` has every file a build now writes: one written before the passage or figure
    files (or, with vectors, the lexicon) existed still serves (they are found in memory when it
    opens; English questions go without the lexicon) but is rebuilt by the next build."""
    names = [DOCUMENTS, passage_table.FILE, figure_table.FILE]
    if "model" in read_manifest(gen):
        names.append(LEXICON + "/words.json")
    return all((gen / name).exists() for name in names)


def read_manifest(gen: Path) -> dict:
    return json.loads((gen / "manifest.json").read_text("utf-8"))


def read_documents(gen: Path) -> list[Document]:
    return [document_of(row) for row in read_jsonl(gen / DOCUMENTS)]


def read_passages(gen: Path) -> list[Passage]:
    """Every passage of a generation, in build order (generations before issue 12 kept a
    passages.jsonl instead of the SQLite file)."""
    if (gen / passage_table.FILE).exists():
        table = passage_table.PassageTable.open(gen / passage_table.FILE)
        try:
            return list(table.values())
        finally:
            table.close()
    return [Passage(**row) for row in read_jsonl(gen / "passages.jsonl")]
