"""What the answer model (kb/answer_model.py) sees of a candidate (kb/candidates.py) for a question:
word overlap and embedding cosine with its local context, sentence and passage, its passage's
rank, and whether its type, unit and increment-or-total cue agree with what the question asks.
One definition, read both by `kb ask` and by the training script (bench/train_answers.py)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from kb.candidates import Candidate, within
from kb.normalize import normalize
from kb.query import QUERY_STOPWORDS, Query
from kb.search import KIND_WEIGHT
from kb.tokenizer import tokenize

BASE = ("kw_local", "kw_near", "kw_sentence", "kw_passage", "bigram_local", "bigram_sentence", "cos_local",
        "cos_sentence", "cos_passage", "inv_rank", "en", "en_cos_local", "en_cos_sentence", "typed", "sentence",
        "has_wanted", "unit_family_match", "unit_family_clash", "unit_match", "counted", "head_agrees",
        "cue_agree", "cue_clash", "role", "log_len", "in_question", "dict_local", "dict_sentence", "dict_passage")
# Each also as its distance to the best candidate of the same question: how a candidate compares
# with the others matters more than its own value.
GAPPED = ("kw_local", "kw_near", "kw_sentence", "kw_passage", "bigram_sentence", "cos_local", "cos_sentence",
          "cos_passage", "dict_local", "dict_sentence", "dict_passage")
NAMES = BASE + tuple(f"{name}_gap" for name in GAPPED)
READINGS = tuple(name for name in NAMES if name.startswith("dict_"))  # need an English question's readings
DECIMALS = 3  # feature values are rounded to this many decimals (`rounded`); LightGBM's bins are coarser
NEAR = 12  # characters either side of a candidate that count as its neighbourhood (kw_near; not tuned)
_HAN_PAIR = re.compile(r"(?=([\u4e00-\u9fff]{2}))")
_LONGEST_FIRST = sorted(QUERY_STOPWORDS, key=lambda word: (-len(word), word))
# A figure newly added in a year and the total that exists are different answers; these cue words
# say which one a clause (or a question) is about.
_INCREMENT = re.compile(r"新增|新建|新创建|新培育|新设|新开|新发展|新招|新认定|增加|增长|提高|提升|净增")
_TOTAL = re.compile(r"现有|共有|共计|总共|累计|总数|总计|总量|达到|已有|存量")


def words_of(text: str) -> list[str]:
    """The content words of a question: main tokens, question words out, English lower-cased."""
    return list(dict.fromkeys(t.text.lower() for t in tokenize(text) if t.main and t.text not in QUERY_STOPWORDS))


def word_parts(text: str) -> dict[str, tuple[str, ...]]:
    """The dictionary words inside each longer main word of `text` (热线电话: 热线, 电话), question
    words out: a text that says 妇女热线 holds part of what 妇女热线电话 asks about."""
    tokens = tokenize(text)
    parts: dict[str, list[str]] = {}
    for main in (t for t in tokens if t.main and t.text not in QUERY_STOPWORDS):
        inside = [t.text for t in tokens if not t.main and t.position == main.position and t.text not in QUERY_STOPWORDS]
        if inside:
            parts[main.text.lower()] = inside
    return {word: tuple(dict.fromkeys(inside)) for word, inside in parts.items()}


def question_words(query: Query) -> list[str]:
    """The words of a question a text is searched for: its own, and for an English question the
    Chinese words they were read as (kb/lexicon.py)."""
    return list(dict.fromkeys(words_of(query.content) + list(query.translations)))


class Coverage:
    """How much of a set of words a text holds, each word weighted by its idf in the index. A
    word may be a tuple of alternatives (the readings of one English phrase): it counts when any
    of them is there, weighted by the commonest. Lives for one question: a passage or sentence
    shared by many candidates is measured once."""

    def __init__(self, words: list[str] | list[tuple[str, ...]], idf, parts: dict[str, tuple[str, ...]] | None = None):
        groups = [(w,) if isinstance(w, str) else tuple(w) for w in words]
        self.weights = {g: min(idf(w) for w in g) for g in groups if g}
        self.total = sum(self.weights.values())
        # a word the text lacks counts by the idf-weighted share of its parts (word_parts) the text has
        self.parts = {(word,): [(part, idf(part)) for part in inside] for word, inside in (parts or {}).items()
                      if (word,) in self.weights}
        self._seen: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        if not self.total:
            return 0.0
        if text not in self._seen:
            norm = normalize(text).lower()
            self._seen[text] = sum(weight * self._share(group, norm) for group, weight in self.weights.items()) / self.total
        return self._seen[text]

    def _share(self, group: tuple[str, ...], norm: str) -> float:
        if any(word in norm for word in group):
            return 1.0
        parts = self.parts.get(group)
        return sum(weight for part, weight in parts if part in norm) / sum(weight for _, weight in parts) if parts else 0.0


def cue(text: str) -> int:
    """+1 for an increment cue, -1 for a total cue, 0 for neither or both."""
    return bool(_INCREMENT.search(text)) - bool(_TOTAL.search(text))


def bigrams(text: str) -> set[str]:
    """Adjacent pairs of Chinese characters: overlap that does not depend on how jieba cuts words."""
    return set(_HAN_PAIR.findall(normalize(text)))


@dataclass
class Question:
    """What features need of the question, computed once per question."""

    query: Query
    words: Coverage
    counted: Coverage
    readings: Coverage  # an English question's dictionary phrases, any of each one's translations
    cue: int
    vector: np.ndarray | None  # the question's embedding (None on an index without vectors)
    pairs: set[str] = field(default_factory=set)  # character bigrams of its content, question words out
    _shares: dict[str, float] = field(default_factory=dict, repr=False)  # bigram_share by text, measured once

    def bigram_share(self, text: str) -> float:
        if not self.pairs:
            return 0.0
        if text not in self._shares:
            self._shares[text] = len(self.pairs & bigrams(text)) / len(self.pairs)
        return self._shares[text]


def question_pairs(query: Query) -> set[str]:
    content = " ".join((query.content,) + query.translations)
    for word in _LONGEST_FIRST:  # 哪些 before 哪: otherwise 些 would stay, and the set's order vary by process
        content = content.replace(word, " ")
    return bigrams(content)


def feature_rows(question: Question, candidates: list[Candidate], ranks: dict[str, int],
                 passages: dict[str, str], cosines: dict[str, float], passage_cosines: dict[str, float]) -> np.ndarray:
    """One row of NAMES per candidate. `ranks` and `passages` by passage id (fused rank, text);
    `cosines` by text (local or sentence), `passage_cosines` by passage id."""
    wanted: dict[str, list[Candidate]] = {}  # by passage: a sentence is only compared with its own passage's
    for c in candidates:
        if c.kind == question.query.kind:
            wanted.setdefault(c.passage_id, []).append(c)
    base = np.asarray([_base_row(question, c, ranks, passages, cosines, passage_cosines, wanted)
                       for c in candidates], dtype=np.float32).reshape(len(candidates), len(BASE))
    gapped = base[:, [BASE.index(name) for name in GAPPED]]
    if not len(base):
        return np.zeros((0, len(NAMES)))
    return rounded(np.hstack([base, gapped - gapped.max(axis=0, initial=-np.inf)]))


def rounded(rows: np.ndarray) -> np.ndarray:
    """Rows on a grid of DECIMALS. Cosines of one text differ by up to 6e-6 between runs (the
    encoder's float sums), and regression trees fitted on rows that differ only so chose other
    answers for up to 0.02 of the calibration questions (docs/benchmarks.md, "Names"): on the grid,
    the same data makes the same model."""
    return np.round(np.asarray(rows, dtype=np.float64), DECIMALS).astype(np.float32)


def _base_row(question: Question, c: Candidate, ranks, passages, cosines, passage_cosines, wanted) -> list:
    query, figure = question.query, c.figure
    cs = cosines.get(c.sentence, 0.0)
    cl = cosines.get(c.local, cs)
    at = c.start - c.sentence_start
    near = c.sentence[max(0, at - NEAR):at + len(c.text) + NEAR]
    en = float(query.language == "en")
    family_given = bool(query.unit_family and figure)
    c_cue = cue(c.local)
    return [
        question.words(c.local), question.words(near), question.words(c.sentence),
        question.words(passages[c.passage_id]), question.bigram_share(c.local), question.bigram_share(c.sentence),
        cl, cs, passage_cosines.get(c.passage_id, 0.0), 1.0 / ranks[c.passage_id],
        en, en * cl, en * cs, float(c.kind == query.kind), float(c.kind == "sentence"),
        float(c.kind == "sentence" and any(within(w, c) for w in wanted.get(c.passage_id, ()))),
        float(family_given and figure.family == query.unit_family),
        float(family_given and figure.family != query.unit_family),
        float(bool(query.unit and figure and figure.unit == query.unit)),
        question.counted(figure.counts if figure else c.local),
        float(bool(figure and head_agrees(figure.counts, query.target))),
        float(question.cue != 0 and c_cue == question.cue), float(question.cue * c_cue < 0),
        float(c.role), math.log1p(len(c.sentence)) / 5, float(normalize(c.text) in query.normalized),
        question.readings(c.local), question.readings(c.sentence), question.readings(passages[c.passage_id]),
    ]


def head_agrees(counts: str, target: list[str]) -> bool:
    """Whether the last word of what a figure counts is one of the words the question counts."""
    words = [t.text for t in tokenize(counts) if t.main and not t.text.isascii()]
    return bool(words) and words[-1] in target


CANDIDATE_DEPTH = 5  # passages whose candidates are scored: retrieval hit@5 is 0.95 on CMRC 2018


def candidates_and_rows(snapshot, query: Query, hits: list, depth: int = CANDIDATE_DEPTH) -> tuple[list[Candidate], np.ndarray, bool]:
    """The candidates of the top `depth` passages that can answer `query` (its answer kind, and
    sentences), their feature rows, and whether the cosine features were computed (the generation
    has vectors)."""
    top = hits[:depth]
    candidates = [c for hit in top for c in snapshot.candidates(hit.passage) if c.kind in (query.kind, "sentence")]
    target = query.target
    idf = snapshot.keyword.idf
    question = Question(query, Coverage(question_words(query), idf, word_parts(query.content)), Coverage(target, idf),
                        Coverage(list(query.readings), idf), cue(query.normalized), snapshot.question_vector(query),
                        question_pairs(query))
    cosines: dict[str, float] = {}
    passage_cosines: dict[str, float] = {}
    if question.vector is not None:
        cosines = snapshot.candidate_cosines(candidates, question.vector)
        # the cosine itself, not the ranking's weighted score (kb/search.py KIND_WEIGHT): the model
        # was trained on body passages, where the two are the same
        passage_cosines = {h.passage.id: h.vector_score / KIND_WEIGHT.get(h.passage.kind, 1.0)
                           for h in top if h.vector_score is not None}
        if not passage_cosines:  # keyword mode on a generation with vectors: score the passages as hybrid would
            passage_cosines = snapshot.passage_cosines([h.passage for h in top], question.vector)
    rows = feature_rows(question, candidates, {h.passage.id: rank for rank, h in enumerate(top, 1)},
                        {h.passage.id: h.passage.text for h in top}, cosines, passage_cosines)
    return candidates, rows, question.vector is not None


# What the answerability model reads of a question: the best value of each base feature over its
# candidates, the chooser's best score, and how far the best stands out: the chooser's best score
# over its second and over the mean of all its candidates, and the best passage's cosine and word
# share over the next passage's (a question whose context is absent tends to find several passages
# about equally near).
QUESTION_NAMES = tuple(f"best_{name}" for name in BASE) + ("best_score", "score_margin", "cos_passage_margin",
                                                           "kw_passage_margin", "mean_score")


def question_row(rows: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """One row of QUESTION_NAMES for a question's candidate rows and chooser scores."""
    top = np.sort(scores)
    margin = top[-1] - top[-2] if len(top) > 1 else 0.0
    return np.r_[rows[:, :len(BASE)].max(axis=0), top[-1], margin,
                 _runner_up_gap(rows[:, NAMES.index("cos_passage")]), _runner_up_gap(rows[:, NAMES.index("kw_passage")]),
                 scores.mean()]


def _runner_up_gap(values: np.ndarray) -> float:
    """The largest distinct value minus the next one (candidates of one passage share its value)."""
    distinct = np.unique(values)
    return float(distinct[-1] - distinct[-2]) if len(distinct) > 1 else 0.0
