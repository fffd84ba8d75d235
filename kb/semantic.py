"""The semantic searcher of one index generation: its vectors (kb/vectors.py) and the embedding
model (kb/embeddings.py), which loads on the first query, not when the generation opens."""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from kb import vectors
from kb.config import Settings
from kb.errors import ModelMismatch


@lru_cache(maxsize=1024)
def query_vector(model: str, cache: Path, text: str) -> np.ndarray:
    """A query's vector, cached: the home page runs a search and an answer for the same words, and
    people repeat queries. Kept per model, outside any generation, so a new build keeps the cache
    and an old generation holds no reference to it."""
    from kb.embeddings import load

    return load(model, cache).queries([text])[0]


_TEXT_VECTORS: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_TEXT_VECTORS_MAX = 50_000  # sentences and clauses of recently answered passages (~75 MB at 384 dims)
_TEXT_LOCK = threading.Lock()


def text_vectors(model: str, cache: Path, texts: list[str]) -> np.ndarray:
    """Passage-side vectors of short texts (the sentences and clauses answers are chosen from),
    the ones seen recently kept: the same passages answer many questions."""
    from kb.embeddings import load

    with _TEXT_LOCK:
        known = {t: _TEXT_VECTORS[(model, t)] for t in texts if (model, t) in _TEXT_VECTORS}
    missing = [t for t in dict.fromkeys(texts) if t not in known]
    if missing:
        known |= dict(zip(missing, load(model, cache).passages(missing)))
        with _TEXT_LOCK:
            for t in missing:
                _TEXT_VECTORS[(model, t)] = known[t]
            while len(_TEXT_VECTORS) > _TEXT_VECTORS_MAX:
                _TEXT_VECTORS.popitem(last=False)
    return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)


def forget_text_vectors() -> None:
    """Empty the cache of `text_vectors` (kb eval times answers as if their passages were new)."""
    with _TEXT_LOCK:
        _TEXT_VECTORS.clear()


def require_model(recorded: str | None, settings: Settings) -> None:
    """ModelMismatch unless the index was embedded with the configured model (whichever backend
    holds the vectors): query and passage vectors must share one space."""
    from kb.embeddings import model_name

    wanted = model_name(settings)
    if recorded != wanted:
        raise ModelMismatch(f"the index was embedded with {recorded!r} but the configured model is "
                            f"{wanted!r}: run `kb build` to re-embed, or set KB_MODEL to the index's model")


class SemanticSearcher:
    """Nearest passages to a query by cosine. Opening checks that the index was embedded with the
    configured model (ModelMismatch otherwise): query and passage vectors must share one space."""

    def __init__(self, folder: Path, settings: Settings, doc_of: dict[str, str]):
        self.index = vectors.VectorIndex(folder)
        self.settings = settings
        # for document filters: each row's document as a number (a list of 854k strings was ~60 MB)
        self._doc_numbers = {doc: n for n, doc in enumerate(dict.fromkeys(doc_of.values()))}
        self._row_docs = np.fromiter((self._doc_numbers[doc_of[pid]] for pid in self.index.ids), dtype=np.int32,
                                     count=len(self.index.ids))
        require_model(self.index.model, settings)

    def cosines(self, passage_ids: list[str], vector: np.ndarray) -> dict[str, float]:
        """Cosine of `vector` with each passage's stored vector."""
        rows = [self._row_of[pid] for pid in passage_ids]
        return dict(zip(passage_ids, (self.index.matrix[rows] @ vector).tolist()))

    @cached_property
    def _row_of(self) -> dict[str, int]:
        return {pid: row for row, pid in enumerate(self.index.ids)}

    def encode(self, text: str) -> np.ndarray:
        return query_vector(self.settings.model, self.settings.cache, text)

    def nearest(self, text: str, depth: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(passage id, cosine) of the `depth` nearest passages, best first; only of the `allowed`
        documents when given."""
        rows = None if allowed is None else np.flatnonzero(
            np.isin(self._row_docs, [self._doc_numbers[d] for d in allowed if d in self._doc_numbers]))
        found = self.index.top(self.encode(text), depth, rows)
        return [(self.index.ids[row], score) for row, score in found]
