"""The vector index: L2-normalised float32 passage vectors (memory-mapped), exact cosine top-k,
and past a size an HNSW graph (usearch) that finds nearly the same top-k in a fraction of the time.

    vectors/vectors.npy   [passages, dimension] float32, rows in the order of ids.json
    vectors/ids.json      {"model": …, "ids": […], "hashes": […], "ann": {…} when there is a graph}
    vectors/ann.usearch   the HNSW graph over the rows (float16 copies), memory-mapped when read

Exact search reads every row: ~11 ms at 100k passages, ~125 ms at 1M (one BLAS thread). The
graph answers in ~2–4 ms with recall@10 0.997 at 100k and 0.987 at 1M against exact
("Approximate nearest neighbours" in docs/benchmarks.md, `python bench/bench_ann.py`), but
costs ~90 s per 100k vectors to build (35 min at 1M), so it is written from
KB_ANN_MIN_PASSAGES (kb/config.py) on. Its cosines are recomputed from the float32 rows, so a
passage found either way gets the same score. Searches restricted to some documents' rows stay
exact.

A row's hash is that of the text that was embedded, so a rebuild re-embeds only passages whose
text changed: the others are copied from the previous generation's matrix.
"""
from __future__ import annotations

import hashlib
import json
import threading
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kb.passages import Passage


RECIPE = 2  # bump when embedding_text changes: indexes built with another recipe re-embed


def embedding_text(passage: Passage, title: str) -> str:
    """What is embedded for a passage: its document's title, then its text. An article's later
    passages rarely repeat what it is about, and the title says it: on the train parts of CMRC 2018
    and XQuAD hybrid MRR@20 rose with it ("What is embedded" in docs/benchmarks.md). The section
    path is left out: prefixed, e5 matched headings rather than facts."""
    return f"{title}\n{passage.text}" if title else passage.text


def text_hash(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\x00{RECIPE}\x00{text}".encode("utf-8")).hexdigest()[:16]


# HNSW parameters, chosen on 100k vectors (bench/bench_ann.py's simulation) with the first 300
# CMRC dev questions: connectivity 16 with a search expansion of 512 reached recall@10 0.996 at
# 2.3 ms p95 (expansion 256: 0.988, 1.2 ms; connectivity 32: 0.999 at 3.2 ms but a 40 % slower
# build). Questions 300–600, held out: 0.997 at 100k; at 1M, 0.987.
ANN = {"connectivity": 16, "expansion_add": 256, "expansion_search": 512, "dtype": "f16"}
ANN_FILE = "ann.usearch"


@lru_cache(maxsize=1)
def one_blas_thread() -> None:
    """Keep numpy's BLAS to one thread in this process. Its idle threads spin for a while after
    each product, and took the cores torch needed to encode the next query: at 86k passages
    hybrid search took 97 ms p50 with two BLAS threads, 41 ms with one (docs/benchmarks.md)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class VectorIndex:
    def __init__(self, folder: Path):
        one_blas_thread()
        self.folder = folder
        meta = json.loads((folder / "ids.json").read_text("utf-8"))
        self.model: str = meta["model"]
        self.ids: list[str] = meta["ids"]
        self.matrix = np.load(folder / "vectors.npy", mmap_mode="r")
        self.ann = _open_graph(folder, meta["ann"]) if meta.get("ann") else None
        self._lock = threading.Lock()

    @cached_property
    def hashes(self) -> list[str]:
        """The hash of each row's text: only a build reads them (~60 MB at 854k rows), so they
        are not held by a server."""
        return json.loads((self.folder / "ids.json").read_text("utf-8"))["hashes"]

    def top(self, query: np.ndarray, k: int, rows: np.ndarray | list[int] | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the k nearest rows (among `rows` when given), best first: from the
        HNSW graph when there is one and no restriction, exact otherwise."""
        if rows is None and self.ann is not None and k <= self.ann.expansion_search:
            with self._lock:  # one search at a time on the memory-mapped graph
                found = np.sort(self.ann.search(query, k).keys.astype(np.int64))
            return _ranked(found, self.matrix[found] @ query, k)
        candidates = np.arange(len(self.ids)) if rows is None else np.asarray(rows, dtype=np.int64)
        scores = (self.matrix @ query) if rows is None else (self.matrix[candidates] @ query)
        return _ranked(candidates, scores, k)


def _ranked(rows: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k best (row, score), best first; ties by row."""
    k = min(k, len(scores))
    if k == 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.lexsort((rows[best], -scores[best]))]
    return [(int(rows[i]), float(scores[i])) for i in best]


def _open_graph(folder: Path, params: dict):
    from usearch.index import Index

    graph = Index.restore(str(folder / ANN_FILE), view=True)
    graph.expansion_search = params["expansion_search"]
    return graph


def write_graph(folder: Path, matrix: np.ndarray) -> dict:
    """An HNSW graph over `matrix`'s rows (keys are row numbers), saved beside it."""
    from usearch.index import Index

    params = dict(ANN)
    graph = Index(ndim=matrix.shape[1], metric="cos", dtype=params["dtype"], connectivity=params["connectivity"],
                  expansion_add=params["expansion_add"], expansion_search=params["expansion_search"])
    # one thread: inserting concurrently made the graph depend on timing, and on the review's 99
    # vectors left some nodes unreachable (3 of 15 test queries missed a top-10 neighbour)
    graph.add(np.arange(len(matrix), dtype=np.uint64), matrix, threads=1)
    graph.save(str(folder / ANN_FILE))
    return params


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


def reusing(texts: list[str], embedder, old_hashes: list[str], old_matrix, dtype, progress: bool = False
            ) -> tuple[np.ndarray, list[str], int, int]:
    """Vectors of `texts` (rows of `dtype`): copied from `old_matrix` where the text hash is one of
    `old_hashes`, embedded otherwise, a text repeated among the new ones once. Returns the matrix,
    the texts' hashes, how many were embedded and how many rows were reused."""
    hashes = [text_hash(embedder.name, t) for t in texts]
    matrix = np.zeros((len(texts), embedder.dimension), dtype=dtype)
    known = {h: row for row, h in enumerate(old_hashes)} if old_matrix is not None and \
        old_matrix.shape[1:] == (embedder.dimension,) else {}
    reused = [i for i, h in enumerate(hashes) if h in known]
    if reused:
        matrix[reused] = old_matrix[[known[hashes[i]] for i in reused]]
    missing = [i for i, h in enumerate(hashes) if h not in known]
    first: dict[str, int] = {}
    for i in missing:
        first.setdefault(hashes[i], i)
    if first:
        unique = list(first.values())
        fresh = embed(embedder, [texts[i] for i in unique], progress)
        row_of = {hashes[i]: row for row, i in enumerate(unique)}
        matrix[missing] = fresh[[row_of[hashes[i]] for i in missing]]
    return matrix, hashes, len(first), len(reused)


def build(folder: Path, passages: list[Passage], titles: dict[str, str], embedder, previous: Path | None,
          progress: bool = False, ann_min: int | None = None) -> dict:
    """Write the vectors of `passages` (`titles` by document id) into `folder`, reusing rows of
    `previous` by text hash, and an HNSW graph when there are at least `ann_min` passages (rebuilt
    whole: ~90 s per 100k)."""
    texts = [embedding_text(p, titles.get(p.doc_id, "")) for p in passages]
    old = VectorIndex(previous) if previous is not None and (previous / "ids.json").exists() else None
    reusable = old is not None and old.model == embedder.name
    matrix, hashes, embedded, reused = reusing(texts, embedder, old.hashes if reusable else [],
                                               old.matrix if reusable else None, np.float32, progress)
    folder.mkdir(parents=True)
    np.save(folder / "vectors.npy", matrix)
    meta = {"model": embedder.name, "ids": [p.id for p in passages], "hashes": hashes}
    if ann_min is not None and len(passages) >= ann_min:
        meta["ann"] = write_graph(folder, matrix)
    (folder / "ids.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    return {"embedded": embedded, "reused": reused, "ann": "ann" in meta}
