"""How much of a question a sentence holds, word by word, read from the model's token vectors.

Each word piece of the question is matched to its nearest word piece of the sentence (cosine of
contextual vectors, kb/embeddings.py `token_vectors`), and the sentence's score is the mean of those
best matches (BERTScore's recall). Unlike one cosine between two whole texts, a sentence that lacks
one word of the question scores lower; unlike the keyword share, "population" meets 人口 without a
dictionary, so an English question is matched to Chinese text word by word.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

_KEPT = 2048  # sentences' token vectors kept (~40 pieces × 384 floats each: ~125 MB at most)
_SENTENCES: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
_LOCK = threading.Lock()


def recall(question: np.ndarray, sentence: np.ndarray) -> float:
    """The mean over the question's pieces of their best cosine with a piece of the sentence."""
    if not len(question) or not len(sentence):
        return 0.0
    return float((question @ sentence.T).max(axis=1).mean())


def alignments(model: str, cache: Path, question: str, sentences: list[str]) -> dict[str, float]:
    """`recall` of the question in each sentence, by sentence text."""
    from kb.embeddings import load

    embedder = load(model, cache)
    asked = embedder.token_vectors([question], "query")[0]
    return {text: recall(asked, tokens) for text, tokens in zip(sentences, _sentence_tokens(embedder, sentences))}


def _sentence_tokens(embedder, sentences: list[str]) -> list[np.ndarray]:
    """Token vectors of the sentences, the ones seen recently kept: the same passages answer many
    questions."""
    with _LOCK:
        known = {t: _SENTENCES[(embedder.name, t)] for t in sentences if (embedder.name, t) in _SENTENCES}
    missing = [t for t in dict.fromkeys(sentences) if t not in known]
    if missing:
        known |= dict(zip(missing, embedder.token_vectors(missing, "passage")))
        with _LOCK:
            for t in missing:
                _SENTENCES[(embedder.name, t)] = known[t]
            while len(_SENTENCES) > _KEPT:
                _SENTENCES.popitem(last=False)
    return [known[t] for t in sentences]


def forget_sentence_tokens() -> None:
    """Empty the cache of sentences' token vectors (kb eval times answers as if their passages were new)."""
    with _LOCK:
        _SENTENCES.clear()
