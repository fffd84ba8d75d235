"""The semantic searcher of one index generation: its vectors (kb/vectors.py) and the embedding
model (kb/embeddings.py), which loads on the first query, not when the generation opens."""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb import vectors
from kb.config import Settings
from kb.errors import ModelMismatch


class SemanticSearcher:
    """Nearest passages to a query by cosine. Opening checks that the index was embedded with the
    configured model (ModelMismatch otherwise): query and passage vectors must share one space."""

    def __init__(self, folder: Path, settings: Settings):
        from kb.embeddings import model_name

        self.index = vectors.VectorIndex(folder)
        self.settings = settings
        wanted = model_name(settings)
        if self.index.model != wanted:
            raise ModelMismatch(f"the index was embedded with {self.index.model!r} but the configured model is "
                                f"{wanted!r}: run `kb build` to re-embed, or set KB_MODEL to the index's model")
        self._model = None
        self._lock = threading.Lock()
        # the home page runs a search and an answer for the same words, and pages repeat it
        self.encode = lru_cache(maxsize=1024)(self._encode)

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    from kb.embeddings import embedder

                    self._model = embedder(self.settings)
        return self._model

    def _encode(self, text: str) -> np.ndarray:
        return self.model.queries([text])[0]

    def nearest(self, text: str, depth: int, rows: list[int] | None = None) -> list[tuple[str, float]]:
        """(passage id, cosine) of the `depth` nearest passages, best first; among `rows` when given."""
        found = self.index.top(self.encode(text), depth, rows)
        return [(self.index.ids[row], score) for row, score in found]
