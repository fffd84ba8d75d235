"""Train the answer scorer (kb/answer_model.py) on public data only, and report it on held-out data.

    python bench/train_answers.py                 # features (cached in bench/out/), fit, report, write the model
    python bench/train_answers.py --report        # and run kb eval on the test part of every set

Data (bench/data/): CMRC 2018 trial and dev (Chinese questions) and XQuAD dev (the same Chinese
contexts asked in English and in Chinese). Every context is assigned by a hash of its id to
train, calibrate or test (2:1:1; the CMRC trial set is all train), and one context in five is left
out of the index, so that its questions are unanswerable: they must get "not found"; every other
question is also asked once more with its own context filtered out of the search, which makes
many more unanswerable items of the same kind (sibling paragraphs of the article stay). Both models
(the listwise chooser and the answerability model, kb/answer_model.py) are fitted on the train
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
    return {"rows": np.concatenate(rows), "labels": np.concatenate(labels), "groups": np.concatenate(groups),
            "info": info}


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


def _train_mask(data: dict) -> np.ndarray:
    """Which candidate rows belong to the train part of the training sets."""
    info = data["info"]
    return np.array([info[g]["part"] == "train" and info[g]["set"] in TRAIN_SETS for g in data["groups"]])


# How much each sentence's list of typed candidates weighs in the chooser's objective against a
# question's list of all its candidates: 1, 2, 3 and 5 tried, 3 best on the train part (docs/benchmarks.md,
# "The chooser learns the figure within the sentence").
WITHIN_SENTENCE_WEIGHT = 3.0


def fit_chooser(data: dict, steps: int = 500, rate: float = 0.5, l2: float = 1e-3) -> dict:
    """A linear score trained listwise: for each train question with a right candidate, a softmax
    over its candidates is pulled towards the right ones, and so is a softmax over each sentence's
    candidates of the kind the question asks (`_sentence_groups`), which is the choice `kb ask`
    makes in the chosen sentence (full-batch gradient descent from zero: deterministic).
    Standardised by the train rows' mean and spread."""
    mask = _train_mask(data)
    mean = data["rows"][mask].mean(axis=0)
    scale = data["rows"][mask].std(axis=0)
    scale[scale == 0] = 1.0
    within = _sentence_groups(data)
    extra = mask & (within >= 0)  # a train row in a sentence's list too: used twice
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
    Train questions of that language only (Chinese: CMRC; English: XQuAD-English)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    info = data["info"]
    labels = np.array([q["answerable"] for q in info])
    out = {}
    for language in ("zh", "en"):
        mask = np.array([q["part"] == "train" and q["set"] in TRAIN_SETS and q["n"] > 0 and q["language"] == language
                         for q in info])
        scaler = StandardScaler().fit(qrows[mask])
        model = LogisticRegression(C=1.0, max_iter=5000).fit(scaler.transform(qrows[mask]), labels[mask])
        out[language] = {"mean": scaler.mean_.round(6).tolist(), "scale": scaler.scale_.round(6).tolist(),
                         "coef": model.coef_[0].round(6).tolist(), "intercept": round(float(model.intercept_[0]), 6)}
    return out


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
    from kb.answer_model import AnswerModel, Linear
    from kb.features import NAMES, QUESTION_NAMES, READINGS

    data = _without(data, zeroed)
    # The answerability model reads how much of an English question's dictionary readings the best
    # passage holds; the chooser does not: with them it picked the right candidate less often on
    # train and calibrate (docs/benchmarks.md, "Dictionary readings tell answerable English questions apart").
    chooser = fit_chooser(_without(data, READINGS))
    scores = Linear.from_dict(chooser)(data["rows"])
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="also run kb eval on the test part of every set (slow)")
    args = parser.parse_args()
    from kb.answer_model import NEED_VECTORS, answer_model
    from kb.features import NAMES

    data = collect()
    saved = {"made_by": "python bench/train_answers.py",
             "trained_on": f"{', '.join(TRAIN_SETS)} (bench/data/): the train part of the contexts, split by a hash "
                           "of their id; thresholds from the calibrate part",
             "with_vectors": variant(data, ()), "keyword_only": variant(data, NEED_VECTORS)}
    MODEL.write_text(json.dumps(saved, indent=1) + "\n", "utf-8")
    answer_model.cache_clear()
    weights = sorted(zip(NAMES, saved["with_vectors"]["chooser"]["coef"]), key=lambda nw: -abs(nw[1]))
    print("chooser weights (standardised):", ", ".join(f"{n} {w:+.2f}" for n, w in weights))
    print("thresholds:", saved["with_vectors"]["thresholds"], "keyword-only:", saved["keyword_only"]["thresholds"])
    for name in ("with_vectors", "keyword_only"):
        saved[name]["simulated"] = simulate(data, saved[name])
        print(name, json.dumps(saved[name]["simulated"], indent=1))
    with tempfile.TemporaryDirectory() as tmp:
        saved["check"] = {"what": "kb eval on the test part of XQuAD-zh (bench/train_answers.py check_slice)"} | check_slice(Path(tmp))
    if args.report:
        saved["held_out"] = report()
    MODEL.write_text(json.dumps(saved, indent=1) + "\n", "utf-8")
    print(f"wrote {MODEL}; check slice: {saved['check']}")


if __name__ == "__main__":
    main()
