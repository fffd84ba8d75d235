"""Embedding models, loaded once per process: the bundled multilingual-e5-small (converted on first
use by kb/e5convert.py) or any sentence-transformers model a user configures, offline."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb.config import BUNDLED_MODEL, Settings
from kb.encoder import BertEncoder
from kb.errors import ModelError

_LOCK = threading.Lock()


def model_name(settings: Settings) -> str:
    """The name an index records for the configured model, known without loading it."""
    if settings.model == BUNDLED_MODEL:
        from kb.e5convert import converted_folder

        return f"{BUNDLED_MODEL}@{converted_folder(settings).name}"
    return settings.model


@dataclass
class Embedder:
    """A loaded model and the name the index records for it."""

    name: str
    model: object
    dimension: int

    def passages(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        prompt = "passage" if "passage" in getattr(self.model, "prompts", {}) else None
        return self._encode(texts, prompt, batch_size, progress)

    def queries(self, texts: list[str]) -> np.ndarray:
        """Query-side vectors; English ones through the bundled model's English adapter
        (kb/english_adapter.py), when the model is the bundled one."""
        prompt = "query" if "query" in getattr(self.model, "prompts", {}) else None
        if not isinstance(self.model, BertEncoder):
            return self._encode(texts, prompt, 32, False)
        from kb.query import language_of

        english = np.array([language_of(t) == "en" for t in texts], dtype=bool)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for wanted in (False, True):
            rows = np.flatnonzero(english == wanted)
            if len(rows):
                out[rows] = self._encode([texts[i] for i in rows], prompt, 32, False, english=wanted)
        return out

    def _encode(self, texts, prompt, batch_size, progress, **options) -> np.ndarray:
        vectors = self.model.encode(texts, prompt_name=prompt, batch_size=batch_size, convert_to_numpy=True,
                                    normalize_embeddings=True, show_progress_bar=progress, **options)
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=2)
def load(model: str, cache: Path) -> Embedder:
    """The model named in the settings, loaded once per process: the bundled one by kb/encoder.py
    (seconds faster to start), any other by sentence-transformers."""
    with _LOCK:
        if model != BUNDLED_MODEL:
            return _sentence_transformer(model, model, model)
        from kb.e5convert import convert_bundled, converted_folder

        folder = converted_folder(Settings(cache=cache))
        if not (folder / "modules.json").exists():
            folder.parent.mkdir(parents=True, exist_ok=True)
            convert_bundled(folder)
        name = f"{BUNDLED_MODEL}@{folder.name}"
        loaded = BertEncoder(folder)  # kb/e5convert.py wrote a plain BERT; tests check both agree
        return Embedder(name, loaded, int(loaded.config["hidden_size"]))


def _sentence_transformer(model: str, name: str, path: str) -> Embedder:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start
    try:
        loaded = SentenceTransformer(path, device="cpu", local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelError(f"cannot load embedding model {model!r} offline: {error}") from error
    dimension = getattr(loaded, "get_embedding_dimension", None) or loaded.get_sentence_embedding_dimension
    return Embedder(name, loaded, int(dimension()))


def embedder(settings: Settings) -> Embedder:
    return load(settings.model, settings.cache)
