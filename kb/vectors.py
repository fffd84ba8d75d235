"""The vector index: L2-normalised float32 passage vectors (memory-mapped) and exact cosine top-k.

    vectors/vectors.npy   [passages, dimension] float32, rows in the order of ids.json
    vectors/ids.json      {"model": …, "ids": […], "hashes": […]}

A row's hash is that of the text that was embedded, so a rebuild re-embeds only passages whose
text changed: the others are copied from the previous generation's matrix.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kb.passages import Passage


RECIPE = 1  # bump when embedding_text changes: indexes built with another recipe re-embed


def embedding_text(passage: Passage) -> str:
    """What is embedded for a passage: its text alone. Prefixing the section path or the title
    was measured and lowered MRR ("What is embedded" in docs/benchmarks.md): e5 then matches headings,
    not facts."""
    return passage.text


def text_hash(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\x00{RECIPE}\x00{text}".encode("utf-8")).hexdigest()[:16]


class VectorIndex:
    def __init__(self, folder: Path):
        meta = json.loads((folder / "ids.json").read_text("utf-8"))
        self.model: str = meta["model"]
        self.ids: list[str] = meta["ids"]
        self.hashes: list[str] = meta["hashes"]
        self.matrix = np.load(folder / "vectors.npy", mmap_mode="r")

    def top(self, query: np.ndarray, k: int, rows: list[int] | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the k nearest rows (among `rows` when given), best first; exact."""
        candidates = np.arange(len(self.ids)) if rows is None else np.asarray(rows, dtype=np.int64)
        if len(candidates) == 0:
            return []
        scores = (self.matrix @ query) if rows is None else (self.matrix[candidates] @ query)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(candidates[i]), float(scores[i])) for i in best]


EMBED_CHUNK = 512  # texts per encode call: the progress bar moves, and says how long is left, per chunk


def embed(embedder, texts: list[str], progress: bool = False) -> np.ndarray:
    """Vectors of `texts` in their order, encoded shortest first (batches of like length pad less),
    with a progress bar in passages and an estimate of the time left."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    with tqdm(total=len(texts), desc="embedding", unit="passage", disable=not progress) as bar:
        for at in range(0, len(order), EMBED_CHUNK):
            rows = order[at:at + EMBED_CHUNK]
            out[rows] = embedder.passages([texts[i] for i in rows])
            bar.update(len(rows))
    return out


def build(folder: Path, passages: list[Passage], embedder, previous: Path | None, progress: bool = False) -> dict:
    """Write the vectors of `passages` into `folder`, reusing rows of `previous` by text hash."""
    texts = [embedding_text(p) for p in passages]
    hashes = [text_hash(embedder.name, t) for t in texts]
    matrix = np.zeros((len(passages), embedder.dimension), dtype=np.float32)
    known: dict[str, int] = {}
    old = None
    if previous is not None and (previous / "ids.json").exists():
        old = VectorIndex(previous)
        if old.model == embedder.name and old.matrix.shape[1:] == (embedder.dimension,):
            known = {h: row for row, h in enumerate(old.hashes)}
    for i, h in enumerate(hashes):
        if h in known:
            matrix[i] = old.matrix[known[h]]
    missing = [i for i, h in enumerate(hashes) if h not in known]
    first: dict[str, int] = {}  # a text repeated in the corpus is embedded once
    for i in missing:
        first.setdefault(hashes[i], i)
    if first:
        unique = list(first.values())
        vectors = embed(embedder, [texts[i] for i in unique], progress)
        row_of = {hashes[i]: row for row, i in enumerate(unique)}
        matrix[missing] = vectors[[row_of[hashes[i]] for i in missing]]
    folder.mkdir(parents=True)
    np.save(folder / "vectors.npy", matrix)
    meta = {"model": embedder.name, "ids": [p.id for p in passages], "hashes": hashes}
    (folder / "ids.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    return {"embedded": len(first), "reused": len(passages) - len(missing)}
