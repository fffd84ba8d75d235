"""Train the answer scorer (kb/answer_model.py) on public data only, and report it on held-out data.

    python bench/train_answers.py                 # features (cached in bench/out/), fit, report, write the model
    python bench/train_answers.py --report        # and run kb eval on the test part of every set
    python bench/train_answers.py --tune          # only cross-validate the chooser's settings within train
    python bench/train_answers.py --recheck       # the model kept: check slice and test parts measured again

Data (bench/data/): CMRC 2018 trial and dev (Chinese questions) and XQuAD dev (the same Chinese
contexts asked in English and in Chinese). Every context is assigned by a hash of its id to
train, calibrate or test (2:1:1; the CMRC trial set is all train), and one context in five is left
out of the index, so that its questions are unanswerable: they must get "not found"; every other
question is also asked once more with its own context filtered out of the search, which makes
many more unanswerable items of the same kind (sibling paragraphs of the article stay). Both models
(the chooser, ranking trees plus a line, and the answerability model, kb/answer_model.py) are fitted on the train
part of CMRC and XQuAD-English; the "not found" threshold of each language is set on that
language's unanswerable calibration questions by split conformal prediction, to refuse at least
90% of new ones in expectation; test is reported and never used for a choice. Deterministic: same data, same features, same file.
"""
from __future__ import annotations

import argparse
import json
import re
import math
import shutil
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
OUT = ROOT / "bench" / "out"
MODEL = ROOT / "kb" / "data" / "answer_model.json"
WORK = OUT / "answers"  # the imported sets and their indexes (contexts left out), kept for `report`
REJECT_UNANSWERABLE = 0.90
MIN_SUPPORT = 30  # questions a feature's rarer values must stand in to enter an answerability model
SETS = {  # name: (file, language, split by context or all train)
    "cmrc-trial": (DATA / "cmrc2018" / "cmrc2018_trial.json", "zh", False),
    "cmrc-dev": (DATA / "cmrc2018" / "cmrc2018_dev.json", "zh", True),
    "xquad-zh": (DATA / "xquad" / "xquad-dev-zh-questions.json", "zh", True),
    "xquad-en": (DATA / "xquad" / "xquad-dev-en-questions.json", "en", True),
}
TRAIN_SETS = ("cmrc-trial", "cmrc-dev", "xquad-en")  # xquad-zh repeats xquad-en's contexts: kept for comparison


def split_of(doc_id: str, split: bool) -> tuple[str, bool]:
    """(train | calibrate | test, left out of the index) for a context, from a hash of its id.
    XQuAD's two files hold the same contexts in the same order and their ids, derived from the
    position (kb/squad.py), differ only by the file name: the name is left out of the hash so that
    a context falls on the same side in English and in Chinese."""
    key = re.sub(r"^xquad-dev-(?:en|zh)-questions-", "xquad-", doc_id)
    h = zlib.crc32(key.encode("utf-8"))
    part = ("train", "train", "calibrate", "test")[h % 4] if split else "train"
    return part, (h // 4) % 5 == 0


def _corpus_without(folder: Path, removed: set[str]) -> None:
    for path in (folder / "corpus").glob("*.jsonl"):
        lines = [line for line in path.read_text("utf-8").splitlines() if json.loads(line)["id"] not in removed]
        path.write_text("\n".join(lines) + "\n", "utf-8")


def _label(candidate, doc_id: str, item: dict) -> int:
    """1 when the candidate is a right answer: a sentence holding a gold answer span, or a typed
    candidate overlapping a gold span whose text it matches."""
    from kb.evaluate import _same

    if doc_id != item["doc_id"]:
        return 0
    for (s, e), gold in zip(item["spans"], item["span_texts"]):
        if candidate.kind == "sentence":
            if candidate.sentence_start <= s and e <= candidate.sentence_end:
                return 1
        elif candidate.start < e and s < candidate.end and (
                _same(candidate.text, gold) or gold in candidate.text or candidate.text in gold):
            return 1
    return 0


def write_parts(folder: Path, split: bool) -> None:
    """questions-<part>.jsonl beside questions.jsonl: the questions of each part, those of the
    left-out contexts with no answer (kb eval counts them as unanswerable)."""
    items = [json.loads(line) for line in (folder / "questions.jsonl").read_text("utf-8").splitlines()]
    parts: dict[str, list[str]] = {}
    for item in items:
        part, removed = split_of(item["doc_id"], split)
        if removed:
            item = {"id": item["id"], "question": item["question"], "answers": [], "evidence": None}
        parts.setdefault(part, []).append(json.dumps(item, ensure_ascii=False))
    for part, lines in parts.items():
        (folder / f"questions-{part}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")


def features_of_set(name: str, workdir: Path) -> dict:
    """Rows, labels and bookkeeping for every question of one public set."""
    from kb.build import build
    from kb.config import Settings
    from kb.features import candidates_and_rows
    from kb.snapshot import Snapshot
    from kb.squad import import_squad
    from kb.answers import SEARCH_DEPTH
    from kb.errors import BadInput
    from kb.evaluate import _accepted

    source, language, split = SETS[name]
    folder = workdir / name
    import_squad(source, folder)
    write_parts(folder, split)
    docs = {json.loads(line)["id"]: json.loads(line)["text"]
            for path in (folder / "corpus").glob("*.jsonl") for line in path.read_text("utf-8").splitlines()}
    removed = {d for d in docs if split_of(d, split)[1]}
    _corpus_without(folder, removed)
    settings = Settings.from_env(index=folder / "index", corpus=folder / "corpus")
    build(settings)
    snapshot = Snapshot(settings)
    snapshot.warm()
    rows, labels, groups, info = [], [], [], []
    items = [json.loads(line) for line in (folder / "questions.jsonl").read_text("utf-8").splitlines()]
    for number, item in enumerate(items):
        item["span_texts"] = [docs[item["doc_id"]][s:e] for s, e in item["spans"]]
        try:
            query = snapshot.parse(item["question"])
        except BadInput:  # CMRC has a few empty questions; kb refuses them, and so they are left out
            continue
        hits = snapshot.search(query, k=SEARCH_DEPTH).hits
        candidates, x, _ = candidates_and_rows(snapshot, query, hits)
        answerable = item["doc_id"] not in removed
        part = split_of(item["doc_id"], split)[0]
        described = []
        for c, row in zip(candidates, x):
            doc_id = snapshot.passages[c.passage_id].doc_id
            rows.append(row)
            labels.append(_label(c, doc_id, item) if answerable else 0)
            groups.append(len(info))
            cited = c.figure.clause if c.figure else c.sentence  # what `kb ask` shows as its evidence
            described.append([c.kind, c.text, answerable and doc_id == item["doc_id"] and _accepted(cited, item["span_texts"]),
                              f"{c.passage_id}@{c.sentence_start}"])
        info.append({"set": name, "part": part, "answerable": answerable, "language": language, "question": query.text,
                     "kind": query.kind, "golds": item["span_texts"], "n": len(candidates), "candidates": described})
        if number % 200 == 0:
            print(f"{name}: {number}/{len(items)}", file=sys.stderr)
    snapshot.close()
    return {"rows": np.asarray(rows, dtype=np.float32).reshape(-1, len(x[0]) if len(x) else 0),
            "labels": np.asarray(labels, dtype=np.int8), "groups": np.asarray(groups, dtype=np.int32),
            "info": info}


def without_context_features(name: str, workdir: Path) -> dict:
    """Every answerable question of one set asked once more with its own context filtered out of
    the search (the rest of the index, sibling paragraphs of the same article included, stays):
    an unanswerable item for each answerable one, where leaving one context in five out of the
    index gives few (34 English train questions)."""
    from kb.answers import SEARCH_DEPTH
    from kb.config import Settings
    from kb.errors import BadInput
    from kb.features import candidates_and_rows
    from kb.search import Filter
    from kb.snapshot import Snapshot

    split = SETS[name][2]
    folder = workdir / name
    snapshot = Snapshot(Settings.from_env(index=folder / "index", corpus=folder / "corpus"))
    snapshot.warm()
    indexed = set(snapshot.documents)
    rows, info = [], []
    for line in (folder / "questions.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        if item["doc_id"] not in indexed:
            continue  # left out of the index already: among the unanswerable items of features_of_set
        try:
            query = snapshot.parse(item["question"])
        except BadInput:
            continue
        where = Filter(doc_ids=frozenset(indexed - {item["doc_id"]}))
        candidates, x, _ = candidates_and_rows(snapshot, query, snapshot.search(query, k=SEARCH_DEPTH, where=where).hits)
        rows += list(x)
        info.append({"set": name, "part": split_of(item["doc_id"], split)[0], "answerable": False,
                     "context_filtered": True, "language": SETS[name][1], "question": query.text, "kind": query.kind,
                     "golds": [], "n": len(candidates),
                     "candidates": [[c.kind, c.text, False, f"{c.passage_id}@{c.sentence_start}"] for c in candidates]})
    snapshot.close()
    return {"rows": np.asarray(rows, dtype=np.float32).reshape(len(rows), -1), "labels": np.zeros(len(rows), np.int8),
            "groups": np.repeat(np.arange(len(info), dtype=np.int32), [q["n"] for q in info]), "info": info}


def collect() -> dict:
    """Features of every set, each computed once and cached in bench/out/answer-features-<set>.npz,
    then the same sets' questions with their context filtered out (…-<set>-without-context.npz)."""
    rows, labels, groups, info = [], [], [], []
    for name in SETS:
        for part in (_cached_set(name), _cached(f"{name}-without-context", lambda: without_context_features(name, WORK))):
            rows.append(part["rows"])
            labels.append(part["labels"])
            groups.append(part["groups"] + len(info))
            info += part["info"]
    from kb.features import rounded

    return {"rows": rounded(np.concatenate(rows)), "labels": np.concatenate(labels), "groups": np.concatenate(groups),
            "info": info}  # rounded as kb/features.py now computes them: features cached before are too


def _cached_set(name: str) -> dict:
    def compute() -> dict:
        if (WORK / name).exists():
            shutil.rmtree(WORK / name)
        return features_of_set(name, WORK)

    return _cached(name, compute)


def _cached(name: str, compute) -> dict:
    path = OUT / f"answer-features-{name}.npz"
    if path.exists():
        saved = np.load(path, allow_pickle=False)
        return {"rows": saved["rows"], "labels": saved["labels"], "groups": saved["groups"],
                "info": json.loads(str(saved["info"]))}
    part = compute()
    OUT.mkdir(exist_ok=True)
    np.savez_compressed(path, rows=part["rows"], labels=part["labels"], groups=part["groups"],
                        info=json.dumps(part["info"], ensure_ascii=False))
    return part


# The chooser is the sum of two rankers of one question's candidates: regression trees (LightGBM's
# LambdaRank) and a linear score trained listwise. Their settings were chosen by
# `python bench/train_answers.py --tune` (4-fold cross-validation within the train part,
# `tune_chooser`; docs/benchmarks.md, "The chooser as trees and a line"): the trees choose the
# right sentence more often, the line the right figure within it. One thread, fixed seed, full
# batch: the same data gives the same model.
CHOOSER_PARAMS = {"objective": "lambdarank", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 50,
                  "lambdarank_truncation_level": 10, "deterministic": True, "force_col_wise": True,
                  "num_threads": 1, "seed": 0, "verbose": -1}
CHOOSER_ROUNDS = 150
TUNE_GRID = [(leaves, least, rounds) for leaves in (7, 15, 31, 63) for least in (50, 200) for rounds in (150, 300, 600)]
# The line's share of the sum, each ranker's scores first divided by their spread over the train rows.
LINEAR_SHARE = 1.0
TUNE_SHARES = (0.0, 0.25, 0.5, 1.0, 2.0)
# How much each sentence's list of typed candidates weighs in the line's objective against a
# question's list of all its candidates: 1, 2, 3 and 5 tried, 3 best on the train part (docs/benchmarks.md,
# "The chooser learns the figure within the sentence").
WITHIN_SENTENCE_WEIGHT = 3.0


def _train_questions(data: dict) -> np.ndarray:
    return np.array([q["part"] == "train" and q["set"] in TRAIN_SETS for q in data["info"]])


def fit_chooser(data: dict, questions: np.ndarray | None = None, share: float = LINEAR_SHARE) -> dict:
    """Both rankers fitted on `questions` (default: the train part of the training sets), each
    divided by the spread of its scores over those questions' rows and the line weighted by
    `share`, so that kb/answer_model.py `Chooser` only adds them."""
    from kb.answer_model import Linear, Trees

    questions = _train_questions(data) if questions is None else questions
    trees, line = fit_trees(data, questions), fit_linear(data, questions)
    rows = data["rows"][questions[data["groups"]]]
    tree_spread = float(Trees.from_dict(trees)(rows).std()) or 1.0
    line_spread = float(Linear.from_dict(line)(rows).std()) or 1.0
    trees["trees"] = [dict(tree, value=[v / tree_spread for v in tree["value"]]) for tree in trees["trees"]]
    line["coef"] = (np.asarray(line["coef"]) * share / line_spread).round(6).tolist()
    return {"trees": trees, "linear": line}


def fit_trees(data: dict, questions: np.ndarray, params: dict | None = None, rounds: int = CHOOSER_ROUNDS) -> dict:
    """Regression trees that rank each question's right candidates first (LambdaRank over its
    list), exported by `export_trees`; questions without a right candidate teach nothing."""
    import lightgbm

    sizes = np.array([q["n"] for q in data["info"]])
    right = np.zeros(len(sizes), dtype=bool)
    np.logical_or.at(right, data["groups"], data["labels"] > 0)
    use = questions & right
    rows = use[data["groups"]]
    booster = lightgbm.train(CHOOSER_PARAMS | (params or {}),
                             lightgbm.Dataset(data["rows"][rows], data["labels"][rows], group=sizes[use]),
                             num_boost_round=rounds)
    gain = booster.feature_importance("gain")
    return export_trees(booster) | {"gain": (gain / max(gain.sum(), 1e-12)).round(4).tolist()}


def fit_linear(data: dict, questions: np.ndarray, steps: int = 500, rate: float = 0.5, l2: float = 1e-3) -> dict:
    """A linear score trained listwise: for each question with a right candidate, a softmax over
    its candidates is pulled towards the right ones, and so is a softmax over each sentence's
    candidates of the kind the question asks (`_sentence_groups`), which is the choice `kb ask`
    makes in the chosen sentence (full-batch gradient descent from zero: deterministic).
    Standardised by the rows' mean and spread."""
    mask = questions[data["groups"]]
    mean = data["rows"][mask].mean(axis=0)
    scale = data["rows"][mask].std(axis=0)
    scale[scale == 0] = 1.0
    within = _sentence_groups(data)
    extra = mask & (within >= 0)  # a row in a sentence's list too: used twice
    x = ((np.vstack([data["rows"][mask], data["rows"][extra]]) - mean) / scale).astype(np.float64)
    y = np.r_[data["labels"][mask], data["labels"][extra]].astype(np.float64)
    groups = np.r_[data["groups"][mask], within[extra] + data["groups"].max() + 1]
    weights = np.r_[np.ones(mask.sum()), np.full(extra.sum(), WITHIN_SENTENCE_WEIGHT)]
    w = _listwise(x, y, groups, weights, steps, rate, l2)
    return {"mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(), "coef": w.round(6).tolist(), "intercept": 0.0}


def _sentence_groups(data: dict) -> np.ndarray:
    """For each candidate row, a group number shared by the candidates of the question's own kind
    (a figure, date, name or number) in one sentence of one question, for sentences holding two or
    more of them; -1 for every other row."""
    out = np.full(len(data["rows"]), -1)
    numbers: dict[tuple[int, str], list[int]] = {}
    start = 0
    for number, q in enumerate(data["info"]):
        for i, (kind, _, _, sentence) in enumerate(q["candidates"]):
            if kind == q["kind"] and kind != "sentence":
                numbers.setdefault((number, sentence), []).append(start + i)
        start += q["n"]
    for group, rows in enumerate(rows for rows in numbers.values() if len(rows) > 1):
        out[rows] = group
    return out


def _listwise(x: np.ndarray, y: np.ndarray, groups: np.ndarray, weights: np.ndarray,
              steps: int, rate: float, l2: float) -> np.ndarray:
    """Weights of a linear score whose softmax within each group (with a right row) approaches
    its right rows, each group's loss weighted by its rows' `weights`."""
    has_right = np.zeros(groups.max() + 1, dtype=bool)
    np.logical_or.at(has_right, groups, y > 0)
    keep = has_right[groups]
    x, y, weights = x[keep], y[keep], weights[keep]
    groups = np.unique(groups[keep], return_inverse=True)[1]
    n = groups.max() + 1
    group_weight = np.zeros(n)
    group_weight[groups] = weights
    rights = np.zeros(n)
    np.add.at(rights, groups, y)
    target = y / rights[groups]
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        z = x @ w
        top = np.full(n, -np.inf)
        np.maximum.at(top, groups, z)
        e = np.exp(z - top[groups])
        total = np.zeros(n)
        np.add.at(total, groups, e)
        w -= rate * (x.T @ ((e / total[groups] - target) * group_weight[groups]) / group_weight.sum() + l2 * w)
    return w


def export_trees(booster) -> dict:
    """A LightGBM model as the plain node arrays kb/answer_model.py `Trees` walks: per tree, nodes
    numbered from the root, a leaf's feature -1."""
    trees, depth = [], 0
    for tree in booster.dump_model()["tree_info"]:
        nodes = {"feature": [], "threshold": [], "left": [], "right": [], "value": []}

        def add(node: dict, level: int) -> int:
            nonlocal depth
            number = len(nodes["feature"])
            for key, fill in (("feature", -1), ("threshold", 0.0), ("left", 0), ("right", 0), ("value", 0.0)):
                nodes[key].append(fill)
            if "leaf_value" in node:
                nodes["value"][number] = node["leaf_value"]
                depth = max(depth, level)
                return number
            if node["decision_type"] != "<=" or node["missing_type"] not in ("None", "NaN"):
                raise ValueError(f"a split kb/answer_model.py cannot walk: {node['decision_type']}, {node['missing_type']}")
            nodes["feature"][number] = node["split_feature"]
            nodes["threshold"][number] = float(node["threshold"])
            nodes["left"][number] = add(node["left_child"], level + 1)
            nodes["right"][number] = add(node["right_child"], level + 1)
            return number

        add(tree["tree_structure"], 0)
        trees.append(nodes)
    return {"trees": trees, "depth": depth}


def _folds(data: dict, parts: int = 4) -> np.ndarray:
    """A fold number for each train question of the training sets (-1 for the others): each set's
    questions cut into `parts` consecutive runs, so that a context's questions stay together."""
    info = data["info"]
    fold = np.full(len(info), -1)
    for name in TRAIN_SETS:
        mine = np.flatnonzero([q["part"] == "train" and q["set"] == name and not q.get("context_filtered") for q in info])
        for number, run in enumerate(np.array_split(mine, parts)):
            fold[run] = number
    return fold


def tune_chooser(data: dict) -> dict:
    """4-fold cross-validation within the train part. First the trees alone, each setting of
    TUNE_GRID: citation@1 per training set (the best candidate's sentence holds a gold answer; no
    threshold), best by the mean over the sets. Then, with the trees of CHOOSER_PARAMS, each
    share of the line in TUNE_SHARES: citation@1 and figure exact match over all train questions
    (`kb ask` cites a sentence, then answers with the best figure in it), best by their sum."""
    from kb.answer_model import Linear, Trees
    from kb.features import READINGS

    data = _without(data, READINGS)
    fold = _folds(data)
    held_out = [((fold >= 0) & (fold != number), np.isin(data["groups"], np.flatnonzero(fold == number)))
                for number in range(fold.max() + 1)]
    answerable = np.flatnonzero((fold >= 0) & np.array([q["answerable"] for q in data["info"]]))
    settings = {}
    for leaves, least, rounds in TUNE_GRID:
        scores = np.zeros(len(data["rows"]))
        for train, rows in held_out:
            trees = Trees.from_dict(fit_trees(data, train, {"num_leaves": leaves, "min_data_in_leaf": least}, rounds))
            scores[rows] = trees(data["rows"][rows])
        cited = _cited(data, scores, answerable)
        settings[(leaves, least, rounds)] = {name: round(float(np.mean([c for c, q in cited if q["set"] == name])), 3)
                                             for name in TRAIN_SETS}
        print((leaves, least, rounds), settings[(leaves, least, rounds)], flush=True)
    print("trees, best by the mean over the sets (num_leaves, min_data_in_leaf, rounds):",
          max(settings, key=lambda key: np.mean(list(settings[key].values()))))
    tree_scores, line_scores = np.zeros(len(data["rows"])), np.zeros(len(data["rows"]))
    for train, rows in held_out:
        chooser = fit_chooser(data, train, share=1.0)
        tree_scores[rows] = Trees.from_dict(chooser["trees"])(data["rows"][rows])
        line_scores[rows] = Linear.from_dict(chooser["linear"])(data["rows"][rows])
    shares = {}
    for share in TUNE_SHARES:
        scores = tree_scores + share * line_scores
        shares[share] = (round(float(np.mean([c for c, _ in _cited(data, scores, answerable)])), 4),
                         round(_figure_exact(data, scores, answerable), 4))
        print("share of the line", share, "citation@1, figure EM:", shares[share], flush=True)
    print("share, best by citation@1 + figure EM:", max(shares, key=lambda share: sum(shares[share])))
    return {"settings": settings, "shares": shares}


def _starts(data: dict) -> np.ndarray:
    """Where each question's candidate rows begin (and, last, where the rows end)."""
    return np.r_[0, np.cumsum([q["n"] for q in data["info"]])]


def _cited(data: dict, scores: np.ndarray, questions: np.ndarray) -> list[tuple[bool, dict]]:
    """For each of `questions`: whether its best candidate is a right one, and the question."""
    starts = _starts(data)
    out = []
    for i in questions:
        q = data["info"][i]
        out.append((bool(q["n"] and q["candidates"][int(np.argmax(scores[starts[i]:starts[i + 1]]))][2]), q))
    return out


def _figure_exact(data: dict, scores: np.ndarray, questions: np.ndarray) -> float:
    """Exact match over `questions` that ask for a figure or date and have one as a gold answer,
    answered as kb/answers.py `ask` does: the best candidate, then the best of the kind asked in
    its sentence (without `ask`'s preference for the unit family asked, which needs the text)."""
    from kb.evaluate import _same, is_figure

    starts = _starts(data)
    right = []
    for i in questions:
        q = data["info"][i]
        if not q["n"] or q["kind"] not in ("quantity", "date") or not any(is_figure(g) for g in q["golds"]):
            continue
        mine, candidates = scores[starts[i]:starts[i + 1]], q["candidates"]
        best = int(np.argmax(mine))
        typed = [j for j, c in enumerate(candidates) if c[0] == q["kind"] and c[3] == candidates[best][3]]
        text = candidates[max(typed, key=lambda j: mine[j])][1] if typed else candidates[best][1]
        right.append(any(_same(text, gold) for gold in q["golds"]))
    return float(np.mean(right)) if right else 0.0


def question_rows(data: dict, scores: np.ndarray) -> np.ndarray:
    """kb/features.py `question_row` for every question (zeros for one without candidates)."""
    from kb.features import QUESTION_NAMES, question_row

    out, start = [], 0
    for q in data["info"]:
        rows, s = data["rows"][start:start + q["n"]], scores[start:start + q["n"]]
        out.append(question_row(rows, s) if q["n"] else np.zeros(len(QUESTION_NAMES)))
        start += q["n"]
    return np.asarray(out)


def fit_answerability(data: dict, qrows: np.ndarray) -> dict:
    """Logistic regression per question language: does the index hold the question's context?
    Train questions of that language only (Chinese: CMRC; English: XQuAD-English). A feature is
    left out (weight 0) where it is `unsupported`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    info = data["info"]
    labels = np.array([q["answerable"] for q in info])
    out = {}
    for language in ("zh", "en"):
        mask = np.array([q["part"] == "train" and q["set"] in TRAIN_SETS and q["n"] > 0 and q["language"] == language
                         for q in info])
        scaler = StandardScaler().fit(qrows[mask])
        kept = ~unsupported(qrows[mask])
        model = LogisticRegression(C=1.0, max_iter=5000).fit(scaler.transform(qrows[mask]) * kept, labels[mask])
        out[language] = {"mean": scaler.mean_.round(6).tolist(), "scale": scaler.scale_.round(6).tolist(),
                         "coef": (model.coef_[0] * kept).round(6).tolist(), "intercept": round(float(model.intercept_[0]), 6)}
    return out


def unsupported(rows: np.ndarray) -> np.ndarray:
    """The columns whose less common values stand in fewer than MIN_SUPPORT rows. Standardised, a
    value seen in 12 of 596 questions lies 7 spreads from the mean, and its weight, fitted on those
    few, decides every question that has it: English best_unit_family_match (12 XQuAD train
    questions) took −3 off the log-odds of every English question of the review whose figure has
    the unit family asked for, and refused most of them (docs/benchmarks.md, "Rare features leave the
    answerability model")."""
    return np.array([len(column) - np.unique(column, return_counts=True)[1].max() < MIN_SUPPORT for column in rows.T])


def chances_of(data: dict, answerability: dict, qrows: np.ndarray) -> np.ndarray:
    """Each question's answerability, by the model of its language."""
    from kb.answer_model import Linear

    by_language = {language: 1 / (1 + np.exp(-Linear.from_dict(part)(qrows))) for language, part in answerability.items()}
    return np.array([by_language[q["language"]][i] for i, q in enumerate(data["info"])])


def choose_thresholds(data: dict, chances: np.ndarray) -> dict[str, float]:
    """Per question language, the split-conformal threshold: it says "not found" to the
    ceil((n + 1) × REJECT_UNANSWERABLE) lowest of the n unanswerable calibration questions, which
    refuses at least REJECT_UNANSWERABLE of new ones in expectation. (The plain quantile, used
    before, refuses that share of the calibration questions only: 0.899 there, 0.867 on test.)"""
    out = {}
    for language in ("zh", "en"):
        pool = np.sort([p for q, p in zip(data["info"], chances) if q["part"] == "calibrate"
                        and q["set"] in TRAIN_SETS and not q["answerable"] and q["language"] == language])
        refused = min(math.ceil((len(pool) + 1) * REJECT_UNANSWERABLE), len(pool))
        above = pool[refused] if refused < len(pool) else pool[-1] + 1e-4
        out[language] = round(float(pool[refused - 1] + above) / 2, 4)  # between the last refused and the next
    return out


def _without(data: dict, names: tuple[str, ...]) -> dict:
    """`data` with the columns `names` set to 0 (a copy)."""
    from kb.features import NAMES

    data = dict(data, rows=data["rows"].copy())
    data["rows"][:, [NAMES.index(name) for name in names]] = 0.0
    return data


def variant(data: dict, zeroed: tuple[str, ...]) -> dict:
    """Both models of one variant (the columns named in `zeroed` set to 0), and their thresholds."""
    from kb.answer_model import AnswerModel, Chooser
    from kb.features import NAMES, QUESTION_NAMES, READINGS

    data = _without(data, zeroed)
    # The answerability model reads how much of an English question's dictionary readings the best
    # passage holds; the chooser does not: with them it picked the right candidate less often on
    # train and calibrate (docs/benchmarks.md, "Dictionary readings tell answerable English questions apart").
    chooser = fit_chooser(_without(data, READINGS))
    scores = Chooser.from_dict(chooser)(data["rows"])
    qrows = question_rows(data, scores)
    answerability = fit_answerability(data, qrows)
    chances = chances_of(data, answerability, qrows)
    saved = {"features": list(NAMES), "question_features": list(QUESTION_NAMES), "chooser": chooser,
             "answerability": answerability,
             "thresholds": choose_thresholds(data, chances)}
    AnswerModel.from_dict(saved)  # the file must load
    return saved


def check_slice(workdir: Path, settings_overrides: dict | None = None) -> dict:
    """`kb eval`'s answer scores on the test part of XQuAD-zh, every context indexed: small
    enough for CI to rerun (tests/test_answer_model.py) against what the model file records."""
    from kb.build import build
    from kb.config import Settings
    from kb.evaluate import evaluate
    from kb.snapshot import Snapshot
    from kb.squad import import_squad

    import_squad(SETS["xquad-zh"][0], workdir)
    items = [json.loads(line) for line in (workdir / "questions.jsonl").read_text("utf-8").splitlines()]
    chosen = workdir / "test-questions.jsonl"
    chosen.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items
                              if split_of(i["doc_id"], True)[0] == "test"), "utf-8")
    settings = Settings.from_env(index=workdir / "index", corpus=workdir / "corpus", **(settings_overrides or {}))
    build(settings)
    snapshot = Snapshot(settings)
    try:
        summary = evaluate(snapshot, chosen)[1]
    finally:
        snapshot.close()
    return {k: summary[k] for k in ("n", "answer_accuracy", "citation@1")}


def simulate(data: dict, saved: dict) -> dict:
    """Scores of every part from the cached features, with the rule of kb/answers.py `ask` (the
    best candidate answers if the question clears its language's threshold); a candidate counts
    as cited when its sentence (a figure: its clause) holds a gold answer. Fast; `--report` runs
    the real `kb eval` instead."""
    from kb.answer_model import AnswerModel

    model = AnswerModel.from_dict(saved)
    table: dict[str, dict] = {}
    start = 0
    for q in data["info"]:
        rows = data["rows"][start:start + q["n"]]
        start += q["n"]
        scores = model.scores(rows)
        found = q["n"] > 0 and model.answerable(rows, scores, q["language"]) >= model.threshold(q["language"])
        key = f"{q['set']}/{q['part']}" + ("/context filtered out" if q.get("context_filtered") else "")
        row = table.setdefault(key, {"answerable": 0, "cited": 0, "cited_without_threshold": 0,
                                                             "unanswerable": 0, "refused": 0})
        if q["answerable"]:
            cited = q["n"] > 0 and bool(q["candidates"][int(np.argmax(scores))][2])
            row["answerable"] += 1
            row["cited"] += cited and found
            row["cited_without_threshold"] += cited
        else:
            row["unanswerable"] += 1
            row["refused"] += not found
    return {key: {"citation@1": round(r["cited"] / max(r["answerable"], 1), 4),
                  "citation@1_without_threshold": round(r["cited_without_threshold"] / max(r["answerable"], 1), 4),
                  "unanswerable_not_found": round(r["refused"] / max(r["unanswerable"], 1), 4),
                  "answerable": r["answerable"], "unanswerable": r["unanswerable"]} for key, r in table.items()}


def report(parts: tuple[str, ...] = ("test",)) -> dict:
    """`kb eval` (the real `kb ask`, with the model file just written) on `parts` of every set."""
    from kb.answer_model import answer_model
    from kb.config import Settings
    from kb.evaluate import evaluate
    from kb.snapshot import Snapshot

    answer_model.cache_clear()
    table = {}
    for name in SETS:
        folder = WORK / name
        snapshot = Snapshot(Settings.from_env(index=folder / "index", corpus=folder / "corpus"))
        for part in parts:
            path = folder / f"questions-{part}.jsonl"
            if path.exists():
                summary = evaluate(snapshot, path)[1]
                table[f"{name}/{part}"] = {k: summary[k] for k in (
                    "n", "hit@5", "answer_accuracy", "citation@1", "figure_questions", "figure_exact_match",
                    "unanswerable_correct", "answer_latency_ms_p50", "answer_latency_ms_p95")}
                print(name, part, json.dumps(table[f"{name}/{part}"]), flush=True)
        snapshot.close()
    return table


def recheck() -> None:
    """The model file with its check slice and held-out report measured again, the model kept."""
    saved = json.loads(MODEL.read_text("utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        saved["check"] = {"what": saved["check"]["what"]} | check_slice(Path(tmp))
    saved["held_out"] = report()
    write_model(saved)
    print(f"wrote {MODEL}; check slice: {saved['check']}")


def write_model(saved: dict) -> None:
    """kb/data/answer_model.json, indented, each list of numbers on one line (the trees are long)."""
    text = re.sub(r"\[[^\[\]{}\"]*\]", lambda m: re.sub(r"\s+", "", m.group(0)), json.dumps(saved, indent=1))
    MODEL.write_text(text + "\n", "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="also run kb eval on the test part of every set (slow)")
    parser.add_argument("--tune", action="store_true", help="only cross-validate the chooser's settings (TUNE_GRID)")
    parser.add_argument("--recheck", action="store_true",
                        help="keep the model; measure the check slice and the test parts again (after a change to kb ask)")
    args = parser.parse_args()
    if args.tune:
        tune_chooser(collect())
        return
    if args.recheck:
        recheck()
        return
    from kb.answer_model import NEED_VECTORS, answer_model
    from kb.features import NAMES

    data = collect()
    saved = {"made_by": "python bench/train_answers.py",
             "trained_on": f"{', '.join(TRAIN_SETS)} (bench/data/): the train part of the contexts, split by a hash "
                           "of their id; thresholds from the calibrate part",
             "with_vectors": variant(data, ()), "keyword_only": variant(data, NEED_VECTORS)}
    write_model(saved)
    answer_model.cache_clear()
    chooser = saved["with_vectors"]["chooser"]
    gains = sorted(zip(NAMES, chooser["trees"]["gain"]), key=lambda ng: -ng[1])
    print("chooser: share of the trees' gain:", ", ".join(f"{n} {g:.3f}" for n, g in gains if g))
    weights = sorted(zip(NAMES, chooser["linear"]["coef"]), key=lambda nw: -abs(nw[1]))
    print("chooser: the line's weights (standardised):", ", ".join(f"{n} {w:+.3f}" for n, w in weights if w))
    print("thresholds:", saved["with_vectors"]["thresholds"], "keyword-only:", saved["keyword_only"]["thresholds"])
    for name in ("with_vectors", "keyword_only"):
        saved[name]["simulated"] = simulate(data, saved[name])
        print(name, json.dumps(saved[name]["simulated"], indent=1))
    with tempfile.TemporaryDirectory() as tmp:
        saved["check"] = {"what": "kb eval on the test part of XQuAD-zh (bench/train_answers.py check_slice)"} | check_slice(Path(tmp))
    if args.report:
        saved["held_out"] = report()
    write_model(saved)
    print(f"wrote {MODEL}; check slice: {saved['check']}")


if __name__ == "__main__":
    main()
