"""The learned answer scorer, trained on public data only by bench/train_answers.py and shipped as
kb/data/answer_model.json. Two models over kb/features.py's features:

- the chooser scores each candidate of a question; the best one answers, and the best of the
  kind asked within its sentence is the figure given. Its score is the sum of two rankers, each
  trained to put a question's right candidates first (so scores compare candidates of one
  question): regression trees (LightGBM's LambdaRank, exported as plain arrays and walked here in
  numpy: kb needs no LightGBM to answer), which choose the right sentence more often, and a
  linear score trained also on each sentence's figures, which chooses the right one of them more
  often;
- the answerability model, a logistic regression, one per question language (an English question's word overlap with
  Chinese text means less than a Chinese one's), reads the question's best scores and gives the
  calibrated probability that the corpus holds the answer at all; below the threshold for the
  question's language (chosen on held-out data to refuse 90% of questions whose context is
  absent) `kb ask` says "not found".

Two variants of both: one for generations with vectors, one trained without what needs the model
(the cosine features, and the dictionary readings the lexicon gives) for keyword-only generations."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from kb.errors import ModelError
from kb.features import NAMES, QUESTION_NAMES, READINGS, question_row

MODEL_FILE = "answer_model.json"
# What a keyword-only generation cannot compute: cosines need the model, and an English question's
# dictionary readings (the dict_* features) the lexicon, which is embedded by it.
NEED_VECTORS = tuple(n for n in NAMES if "cos" in n) + READINGS
TREE_BLOCK = 8192  # rows walked through the trees at once


@dataclass(frozen=True)
class Linear:
    """w · (x - mean) / scale + intercept."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return ((rows - self.mean) / self.scale) @ self.coef + self.intercept

    @classmethod
    def from_dict(cls, data: dict) -> "Linear":
        return cls(np.asarray(data["mean"]), np.asarray(data["scale"]), np.asarray(data["coef"]),
                   float(data.get("intercept", 0.0)))


@dataclass(frozen=True)
class Trees:
    """A sum of binary regression trees, all walked at once. Node arrays are (trees, nodes): a
    node splits on `feature` (x <= threshold goes to `left`, else to `right`) or, with feature
    -1, is a leaf worth `value`. Rows must be finite (kb/features.py gives no NaN)."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray
    depth: int

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        x = np.asarray(rows, dtype=np.float64)
        if len(x) > TREE_BLOCK:  # the walk holds (rows, trees) arrays: bounded for training's 100k rows
            return np.concatenate([self(x[i:i + TREE_BLOCK]) for i in range(0, len(x), TREE_BLOCK)])
        trees = np.arange(len(self.feature))
        node = np.zeros((len(x), len(trees)), dtype=np.int64)
        for _ in range(self.depth):
            feature = self.feature[trees, node]
            below = x[np.arange(len(x))[:, None], np.maximum(feature, 0)] <= self.threshold[trees, node]
            step = np.where(below, self.left[trees, node], self.right[trees, node])
            node = np.where(feature < 0, node, step)
        return self.value[trees, node].sum(axis=1)

    @classmethod
    def from_dict(cls, data: dict) -> "Trees":
        """From {"trees": [{"feature": [...], "threshold": [...], "left": [...], "right": [...],
        "value": [...]}, ...], "depth": n}, each tree's nodes numbered from its root, 0."""
        width = max(len(tree["feature"]) for tree in data["trees"])

        def table(key: str, fill, dtype) -> np.ndarray:
            return np.array([tree[key] + [fill] * (width - len(tree[key])) for tree in data["trees"]], dtype=dtype)

        return cls(table("feature", -1, np.int64), table("threshold", 0.0, np.float64), table("left", 0, np.int64),
                   table("right", 0, np.int64), table("value", 0.0, np.float64), int(data["depth"]))


@dataclass(frozen=True)
class Chooser:
    """trees(x) + line(x); each was divided by its spread and weighted when it was trained."""

    trees: Trees
    line: Linear

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return self.trees(rows) + self.line(rows)

    @classmethod
    def from_dict(cls, data: dict) -> "Chooser":
        return cls(Trees.from_dict(data["trees"]), Linear.from_dict(data["linear"]))


@dataclass(frozen=True)
class AnswerModel:
    chooser: Chooser
    answerability: dict[str, Linear]  # by question language
    thresholds: dict[str, float]  # by question language: below this probability, "not found"

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """A score per candidate row; only their order within one question means anything."""
        return self.chooser(rows) if len(rows) else np.zeros(0)

    def answerable(self, rows: np.ndarray, scores: np.ndarray, language: str) -> float:
        """P(the corpus holds the answer), from the question's candidates and their scores."""
        if not len(rows):
            return 0.0
        model = self.answerability.get(language) or self.answerability["zh"]
        return float(1.0 / (1.0 + np.exp(-model(question_row(rows, scores)[None, :])[0])))

    def threshold(self, language: str) -> float:
        return self.thresholds.get(language, max(self.thresholds.values()))

    @classmethod
    def from_dict(cls, data: dict) -> "AnswerModel":
        for key, names in (("features", NAMES), ("question_features", QUESTION_NAMES)):
            if tuple(data.get(key, ())) != names:
                raise ModelError(f"the answer model was trained on {key} {tuple(data.get(key, ()))}, kb computes "
                                 f"{names}: run bench/train_answers.py to retrain it")
        try:
            return cls(Chooser.from_dict(data["chooser"]),
                       {language: Linear.from_dict(part) for language, part in data["answerability"].items()},
                       {k: float(v) for k, v in data["thresholds"].items()})
        except (KeyError, TypeError, ValueError) as error:  # a file of another layout (an older chooser)
            raise ModelError(f"the answer model file lacks or misreads {error}: run bench/train_answers.py "
                             "to retrain it") from error


@lru_cache(maxsize=2)
def answer_model(vectors: bool = True) -> AnswerModel:
    """The model shipped in kb/data/answer_model.json: the one with cosine features, or the
    keyword-only one."""
    data = json.loads(resources.files("kb.data").joinpath(MODEL_FILE).read_text("utf-8"))
    return AnswerModel.from_dict(data["with_vectors" if vectors else "keyword_only"])
