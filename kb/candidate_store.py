"""Answer candidates stored with a generation: every passage's candidates (kb/candidates.py),
extracted at `kb build`, with the vectors of their sentences and local contexts, so `kb ask`
reads them instead of part-of-speech tagging and embedding the top passages at query time
(issue 11's item 1; the latency it buys is in docs/benchmarks.md).

    gen-…/candidates/candidates.sqlite  candidates(passage TEXT PRIMARY KEY, data TEXT)
    gen-…/candidates/vectors.npy        float16, one row per distinct sentence or local context
    gen-…/candidates/meta.json          recipe, model and the rows' text hashes (the next build reuses them)

Written only for generations with vectors: there embedding dominates the build anyway; a keyword-only
generation extracts its top passages' candidates when asked.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kb import vectors
from kb.candidates import Candidate, candidates_of
from kb.figures import Figure, figures_of
from kb.passages import Passage

FOLDER = "candidates"
# bump when kb/candidates.py extracts differently: stored candidates of another recipe are ignored
# (2: person names read with CC-CEDICT's common words and jieba's nrfg tag, kb/candidates.py `_names`)
RECIPE = 2


def build(folder: Path, passages: list[Passage], embedder, previous: Path | None, progress: bool = False) -> dict:
    """Extract and write every passage's candidates and embed their texts, reusing the rows of
    `previous` (an earlier generation's candidates folder) by text hash; facts for the manifest."""
    rows: dict[str, int] = {}  # text → row: a sentence repeated across passages is one row
    stored: list[tuple[str, str]] = []
    for p in tqdm(passages, desc="candidates", unit="passage", disable=not progress):
        figures = figures_of(p)
        found = candidates_of(p, figures)
        stored.append((p.id, json.dumps([_row(c, figures, rows) for c in found], ensure_ascii=False)))
    texts = list(rows)
    old = _previous(previous, embedder.name)
    old_matrix = np.load(previous / "vectors.npy", mmap_mode="r") if old else None
    matrix, hashes, embedded, reused = vectors.reusing(texts, embedder, old["hashes"] if old else [], old_matrix,
                                                       np.float16, progress)
    folder.mkdir(parents=True)
    db = sqlite3.connect(folder / "candidates.sqlite")
    with db:
        db.execute("CREATE TABLE candidates (passage TEXT PRIMARY KEY, data TEXT NOT NULL)")
        db.executemany("INSERT INTO candidates VALUES (?, ?)", stored)
    db.close()
    np.save(folder / "vectors.npy", matrix)
    meta = {"recipe": RECIPE, "model": embedder.name, "hashes": hashes}
    (folder / "meta.json").write_text(json.dumps(meta), "utf-8")
    return {"texts": len(texts), "embedded": embedded, "reused": reused}


def _row(c: Candidate, figures: list[Figure], rows: dict[str, int]) -> list:
    """A candidate as stored: what cannot be read back from its passage, and its texts' rows."""
    figure = next(i for i, f in enumerate(figures) if f is c.figure) if c.figure else -1
    local = rows.setdefault(c.local, len(rows))
    sentence = rows.setdefault(c.sentence, len(rows))
    return [c.kind, c.text, c.start, c.end, c.local, c.sentence_start, c.sentence_end, figure, c.role,
            local, sentence]


def current(gen: Path) -> bool:
    """Whether generation `gen` holds candidates extracted by this RECIPE."""
    meta = gen / FOLDER / "meta.json"
    return meta.exists() and json.loads(meta.read_text("utf-8")).get("recipe") == RECIPE


def _previous(folder: Path | None, model: str) -> dict | None:
    """The meta of an earlier generation's store whose rows this build can reuse."""
    if folder is None or not (folder / "meta.json").exists():
        return None
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    return meta if meta.get("recipe") == RECIPE and meta.get("model") == model else None


class CandidateStore:
    """One generation's stored candidates and their text vectors; safe to share between threads."""

    def __init__(self, folder: Path):
        self._db = sqlite3.connect(f"file:{folder / 'candidates.sqlite'}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        self.model: str = meta["model"]
        self.matrix = np.load(folder / "vectors.npy", mmap_mode="r")
        if len(self.matrix) != len(meta["hashes"]):
            raise ValueError(f"{folder / 'vectors.npy'} has {len(self.matrix)} rows, meta.json {len(meta['hashes'])}")
        self._db.execute("SELECT passage FROM candidates LIMIT 1").fetchall()  # a damaged file fails here, not mid-answer

    @classmethod
    def open(cls, generation: Path) -> "CandidateStore | None":
        """The generation's store, or None when it has none this code can read (older generations,
        keyword-only ones, another extraction recipe)."""
        return cls(generation / FOLDER) if current(generation) else None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def candidates(self, passage: Passage, figures: list[Figure]) -> list[Candidate]:
        """The passage's candidates as kb/candidates.py found them at build time; `figures` are the
        passage's figures from the figure table (the same extraction, in the same order)."""
        with self._lock:
            row = self._db.execute("SELECT data FROM candidates WHERE passage = ?", (passage.id,)).fetchone()
        if row is None:
            return candidates_of(passage, figures)
        base = passage.start
        found = []
        for kind, text, start, end, local, s0, s1, figure, role, local_row, sentence_row in json.loads(row[0]):
            found.append(Candidate(kind, text, start, end, local, passage.text[s0 - base:s1 - base], s0, s1,
                                   passage.id, figures[figure] if figure >= 0 else None, role,
                                   (local_row, sentence_row)))
        return found

    def cosines(self, candidates: list[Candidate], vector: np.ndarray) -> dict[str, float]:
        """Cosine of `vector` with each candidate's local context and sentence, by text; candidates
        not read from this store are left out."""
        texts: dict[str, int] = {}
        for c in candidates:
            if c.rows is not None:
                texts.setdefault(c.local, c.rows[0])
                texts.setdefault(c.sentence, c.rows[1])
        if not texts:
            return {}
        scores = self.matrix[list(texts.values())].astype(np.float32) @ vector
        return dict(zip(texts, scores.tolist()))
