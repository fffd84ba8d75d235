"""A cross-lingual lexicon of one index generation: the corpus's own Chinese words, embedded by the
generation's model, so that an English question is read in the words of the text. A phrase that
CC-CEDICT translates (kb/dictionary.py: world cup → 世界杯, season → 季节 | 赛季 …) is read as the
nearest of its translations among the corpus's words; any other content word as the nearest
corpus word of all (defense → 防守). Keyword search and the answer features (kb/features.py) then
see an English question in the words of the text, with no hand-written translation (kb/glossary.py
still serves keyword-only generations, which have no model).

    gen-…/lexicon/words.json    the words, most frequent first (at most MAX_WORDS)
    gen-…/lexicon/vectors.npy   float32, one unit row per word (passage side of the model)
    gen-…/lexicon/meta.json     model and the rows' text hashes (the next build reuses them)

Written by `kb build` for generations with vectors; the measured effect is in docs/benchmarks.md.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from kb import dictionary, store, vectors
from kb.query import QUERY_STOPWORDS
from kb.tokenizer import tokenize

FOLDER = store.LEXICON
# The most frequent words of the corpus: a word met in fewer passages than the 50,000th is rarely
# what an English question is about, and each row is 1.5 kB of memory map (not tuned).
MAX_WORDS = 50_000
_CHINESE_WORD = re.compile(r"^[\u4e00-\u9fff]{2,}$")  # single characters are too ambiguous to translate to


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words (imported on first use: scikit-learn takes a second to load)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def english_words(text: str) -> list[str]:
    """The content words of an English text, lower-cased: stop words and words of one or two
    letters out (numbers are matched by keyword search as they are)."""
    stop = stop_words()
    return list(dict.fromkeys(t.text for t in tokenize(text)
                              if t.text.isascii() and t.text.isalpha() and len(t.text) > 2 and t.text not in stop))


def frequent_words(frequencies: dict[str, int]) -> list[str]:
    """The Chinese words of a word → document-frequency table, most frequent first, at most MAX_WORDS."""
    words = [w for w in frequencies if _CHINESE_WORD.match(w)]
    words.sort(key=lambda w: (-frequencies[w], w))
    return words[:MAX_WORDS]


def build(folder: Path, words: list[str], embedder, previous: Path | None, progress: bool = False) -> dict:
    """Write the lexicon of `words` into `folder`, reusing the rows of `previous` by text hash."""
    old = json.loads((previous / "meta.json").read_text("utf-8")) if previous and (previous / "meta.json").exists() else None
    usable = old is not None and old.get("model") == embedder.name
    old_matrix = np.load(previous / "vectors.npy", mmap_mode="r") if usable else None
    matrix, hashes, embedded, reused = vectors.reusing(words, embedder, old["hashes"] if usable else [], old_matrix,
                                                       np.float32, progress)
    folder.mkdir(parents=True)
    np.save(folder / "vectors.npy", matrix)
    (folder / "words.json").write_text(json.dumps(words, ensure_ascii=False), "utf-8")
    (folder / "meta.json").write_text(json.dumps({"model": embedder.name, "hashes": hashes}), "utf-8")
    return {"words": len(words), "embedded": embedded, "reused": reused}


class Lexicon:
    """An open lexicon; `translate` is safe to call from several threads (it only reads)."""

    def __init__(self, folder: Path, embed):
        self.words = json.loads((folder / "words.json").read_text("utf-8"))
        self._row = {word: i for i, word in enumerate(self.words)}
        self._matrix = np.load(folder / "vectors.npy", mmap_mode="r")
        self._embed = embed  # texts → unit rows on the passage side of the model the rows came from
        vectors.one_blas_thread()  # idle BLAS threads after the product would slow the next encoding

    @classmethod
    def open(cls, generation: Path, embed) -> "Lexicon | None":
        folder = generation / FOLDER
        return cls(folder, embed) if (folder / "words.json").exists() else None

    def read(self, text: str) -> tuple[list[str], tuple[tuple[str, ...], ...]]:
        """`translate` and `readings` of one text, its dictionary phrases looked up once."""
        if not self.words:
            return [], ()
        phrases = dictionary.phrases(text, stop_words())
        return self.translate(text, phrases), self.readings(text, phrases)

    def readings(self, text: str, phrases: list | None = None) -> tuple[tuple[str, ...], ...]:
        """For each phrase of `text` the dictionary holds, every translation of it the corpus has,
        or all its translations when the corpus has none: a phrase the text never says counts
        as missing (kindergartens, 幼儿园, over a corpus without it), not as absent from the question.
        `phrases`: `dictionary.phrases(text, …)` when the caller has them."""
        if not self.words:
            return ()
        out = []
        for _, chinese in dictionary.phrases(text, stop_words()) if phrases is None else phrases:
            chinese = tuple(c for c in chinese if c not in QUERY_STOPWORDS)
            out.append(tuple(c for c in chinese if c in self._row) or chinese)
        return tuple(group for group in out if group)

    def translate(self, text: str, phrases: list | None = None) -> list[str]:
        """The Chinese words an English text is read as, in order, each once: for each phrase the
        dictionary holds, the nearest of its translations the corpus has; for each other content
        word, the nearest corpus word."""
        if not self.words:
            return []
        phrases = dictionary.phrases(text, stop_words()) if phrases is None else phrases
        found = [(phrase, rows) for phrase, chinese in phrases
                 if (rows := [self._row[c] for c in chinese if c in self._row and c not in QUERY_STOPWORDS])]
        covered = dictionary.covered_words(found)
        rest = [word for word in english_words(text) if word not in covered]
        if not found and not rest:
            return []
        embedded = np.asarray(self._embed([phrase for phrase, _ in found] + rest), dtype=np.float32)
        read = [rows[int(np.argmax(self._matrix[rows] @ row))] for (_, rows), row in zip(found, embedded)]
        read += list(np.argmax(embedded[len(found):] @ self._matrix.T, axis=1)) if rest else []
        return list(dict.fromkeys(self.words[i] for i in read))
