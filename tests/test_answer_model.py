"""The shipped answer model (kb/data/answer_model.json) loads, fits the features kb computes, and
reproduces the score it records on a public slice small enough for CI."""
import json
import sys
from importlib import resources

import numpy as np
import pytest

from conftest import ROOT, keyword_settings
from kb.answer_model import AnswerModel, Chooser, Trees, answer_model
from kb.errors import ModelError
from kb.build import build
from kb.config import Settings
from kb.features import NAMES
from kb.snapshot import Snapshot
from kb.squad import import_squad

sys.path.insert(0, str(ROOT / "bench"))
import train_answers  # noqa: E402


def _saved() -> dict:
    return json.loads(resources.files("kb.data").joinpath("answer_model.json").read_text("utf-8"))


def test_both_variants_load_score_and_give_a_probability():
    rows = np.zeros((3, len(NAMES)), dtype=np.float32)
    for name in ("kw_passage", "bigram_sentence"):  # a passage and sentence holding the question's words
        rows[1, NAMES.index(name)] = 1.0
        rows[[0, 2], NAMES.index(f"{name}_gap")] = -1.0  # the others' distance to the best, as kb/features.py has it
    for vectors in (True, False):
        model = answer_model(vectors)
        scores = model.scores(rows)
        assert scores.shape == (3,) and scores[1] > scores[0]
        assert 0 < model.answerable(rows, scores, "zh") < 1 and 0 < model.answerable(rows, scores, "en") < 1
        assert 0 < model.threshold("zh") < 1 and 0 < model.threshold("en") < 1


def test_a_model_trained_on_other_features_is_refused():
    data = _saved()["with_vectors"] | {"features": ["something", "else"]}
    with pytest.raises(ModelError, match="retrain"):
        AnswerModel.from_dict(data)


def test_a_model_file_of_an_older_layout_is_refused():
    """The chooser was one line before it was trees and a line: such a file says what to do."""
    saved = _saved()["with_vectors"]
    for older in (saved | {"chooser": saved["chooser"]["linear"]}, {k: v for k, v in saved.items() if k != "thresholds"}):
        with pytest.raises(ModelError, match="retrain"):
            AnswerModel.from_dict(older)


def test_the_recorded_held_out_score_is_reproduced(tmp_path, model_cache):
    recorded = _saved()["check"]
    measured = train_answers.check_slice(tmp_path, {"cache": model_cache})
    assert measured["n"] == recorded["n"]
    assert measured["citation@1"] == pytest.approx(recorded["citation@1"], abs=0.01)
    assert measured["answer_accuracy"] == pytest.approx(recorded["answer_accuracy"], abs=0.01)


def test_each_answerable_question_is_asked_again_without_its_context(tmp_path):
    """The training script's extra unanswerable items: every question of XQuAD-zh asked with its
    own context filtered out of a keyword index of its 100 contexts; no candidate may come from it."""
    folder = tmp_path / "xquad-zh"
    import_squad(train_answers.SETS["xquad-zh"][0], folder)
    build(keyword_settings(folder, folder / "corpus"))
    items = [json.loads(line) for line in (folder / "questions.jsonl").read_text("utf-8").splitlines()]
    part = train_answers.without_context_features("xquad-zh", tmp_path)
    assert len(part["info"]) == len(items) and part["rows"].shape == (len(part["groups"]), len(NAMES))
    assert not part["labels"].any() and all(q["context_filtered"] and not q["answerable"] for q in part["info"])
    own = {item["doc_id"] for item in items}
    for item, q in zip(items, part["info"]):
        assert q["question"] == item["question"].strip()
        doc_ids = {c[3].split(":")[0] for c in q["candidates"]}  # passage ids begin with their document's id
        assert item["doc_id"] not in doc_ids and doc_ids <= own
    assert sum(q["n"] > 0 for q in part["info"]) > 0.9 * len(items)  # the other contexts still answer most


def test_the_best_standing_out_from_the_field_raises_answerability(snapshot):
    """The answerability model reads the chooser's best score, its margin over the second and the
    mean of all (kb/features.py `question_row`); with best and second fixed, a flatter field (the
    others closer to the best) is less likely to hold an answer: the learned weight of the mean is
    negative in both languages."""
    from kb.features import QUESTION_NAMES, candidates_and_rows, question_row

    query = snapshot.parse("美丽庭院示范村有多少个")
    _, rows, _ = candidates_and_rows(snapshot, query, snapshot.search(query, k=8).hits)
    model = answer_model(True)
    scores = model.scores(rows)
    row = dict(zip(QUESTION_NAMES, question_row(rows, scores)))
    top = np.sort(scores)
    assert row["best_score"] == top[-1] and row["score_margin"] == pytest.approx(top[-1] - top[-2])
    assert row["mean_score"] == pytest.approx(scores.mean())
    flatter = scores.copy()
    rest = scores < top[-2]
    assert rest.sum() > 2
    flatter[rest] = top[-2]  # every other candidate as good as the second
    for language in ("zh", "en"):
        assert model.answerable(rows, flatter, language) < model.answerable(rows, scores, language)


def test_a_phrase_counts_when_any_of_its_readings_is_there(snapshot):
    """kb/features.py `Coverage` over alternatives: a group of readings counts when the text holds
    any of them, weighted by the idf of the commonest."""
    from kb.features import Coverage

    idf = snapshot.keyword.idf
    coverage = Coverage([("美好", "美丽"), ("庭院",)], idf)
    assert coverage("开展美丽庭院创建") == pytest.approx(1.0)
    share = min(idf("美好"), idf("美丽")) / (min(idf("美好"), idf("美丽")) + idf("庭院"))
    assert coverage("追求美好生活") == pytest.approx(share) and 0 < share < 1
    assert Coverage(["美丽", "庭院"], idf)("美丽乡村") == pytest.approx(idf("美丽") / (idf("美丽") + idf("庭院")))


def test_a_long_word_the_text_lacks_counts_by_its_parts(snapshot):
    """kb/features.py `word_parts`: 热线电话 is one jieba word, and the review says 12338妇女热线;
    the sentence holds 热线, part of what the question asks about, and no longer counts as holding
    only 妇女."""
    from kb.features import Coverage, question_words, word_parts

    idf = snapshot.keyword.idf
    query = snapshot.parse("妇女热线电话是多少？")
    assert question_words(query) == ["妇女", "热线电话"] and word_parts(query.content) == {"热线电话": ("热线", "电话")}
    sentence = "畅通三级维权站、12338妇女热线，全市妇联系统处理信访案件4308宗"
    whole = Coverage(question_words(query), idf)(sentence)
    parted = Coverage(question_words(query), idf, word_parts(query.content))(sentence)
    share = idf("热线") / (idf("热线") + idf("电话"))
    assert parted == pytest.approx((idf("妇女") + idf("热线电话") * share) / (idf("妇女") + idf("热线电话")))
    assert 0 < whole < parted < 1
    assert Coverage(["热线电话"], idf, {"热线电话": ("热线", "电话")})("拨打热线电话") == 1.0  # the whole word counts whole


def test_dictionary_readings_inform_answerability_and_not_the_chooser(snapshot):
    """An English question's dict_* features (the share of its dictionary phrases any of whose
    readings a text holds) are higher in the passage that answers it; the chooser was trained
    without them and the answerability model with them (bench/train_answers.py `variant`)."""
    from kb.features import QUESTION_NAMES, READINGS, candidates_and_rows

    query = snapshot.parse("How many beautiful courtyard demonstration sites were created?")
    candidates, rows, _ = candidates_and_rows(snapshot, query, snapshot.search(query, k=8).hits)
    column = rows[:, NAMES.index("dict_passage")]
    answering = np.array(["美丽庭院" in snapshot.passages[c.passage_id].text for c in candidates])
    assert answering.any() and (~answering).any()
    assert column[answering].min() > column[~answering].max()
    saved = _saved()["with_vectors"]
    split_on = {NAMES[f] for tree in saved["chooser"]["trees"]["trees"] for f in tree["feature"] if f >= 0}
    assert not split_on & set(READINGS) and len(READINGS) == 6 and len(split_on) > 10
    line = dict(zip(NAMES, saved["chooser"]["linear"]["coef"]))
    assert all(line[name] == 0 for name in READINGS)
    english = dict(zip(QUESTION_NAMES, saved["answerability"]["en"]["coef"]))
    assert english["best_dict_passage"] != 0
    keyword_only = _saved()["keyword_only"]["answerability"]["en"]
    assert all(c == 0 for n, c in zip(QUESTION_NAMES, keyword_only["coef"]) if n.startswith("best_dict_"))


def _figure_questions(count: int) -> dict:
    """Training data shaped as bench/train_answers.py `collect` makes it: each question has a right
    sentence holding a right and a wrong figure (told apart by unit_match alone) and a wrong sentence
    holding one figure that also has the unit asked for."""
    kw, unit, whole, typed = (NAMES.index(n) for n in ("kw_sentence", "unit_match", "sentence", "typed"))
    rows, labels, groups, info = [], [], [], []
    for number in range(count):
        described = [("sentence", 1, "p@0", {kw: 1, whole: 1}), ("quantity", 1, "p@0", {kw: 1, unit: 1, typed: 1}),
                     ("quantity", 0, "p@0", {kw: 1, typed: 1}), ("sentence", 0, "p@9", {whole: 1}),
                     ("quantity", 0, "p@9", {unit: 1, typed: 1})]
        for kind, label, sentence, values in described:
            row = np.zeros(len(NAMES), dtype=np.float32)
            row[list(values)] = list(values.values())
            rows.append(row)
            labels.append(label)
            groups.append(number)
        info.append({"set": "cmrc-dev", "part": "train", "kind": "quantity", "n": len(described),
                     "candidates": [[kind, "", bool(label), sentence] for kind, label, sentence, _ in described]})
    return {"rows": np.asarray(rows), "labels": np.asarray(labels, dtype=np.int8),
            "groups": np.asarray(groups), "info": info}


def test_the_chooser_ranks_the_right_sentence_and_its_right_figure_first():
    """`fit_chooser` puts a question's right candidates first, the trees alone and the sum alike:
    the right sentence and its figure with the unit asked for above that sentence's other figure
    and the other sentence. Two fits of the same data give the same model."""
    data = _figure_questions(200)
    chooser = train_answers.fit_chooser(data)
    for score in (Trees.from_dict(chooser["trees"]), Chooser.from_dict(chooser)):
        scores = score(data["rows"][:5])
        assert min(scores[0], scores[1]) > max(scores[2], scores[3], scores[4])
    assert train_answers.fit_chooser(data) == chooser


def test_the_line_also_learns_which_figure_of_a_sentence_answers(monkeypatch):
    """`kb ask` takes the best figure of the chosen sentence: the line's objective holds each
    sentence's figures as a list of their own, so what tells them apart weighs more."""
    data = _figure_questions(20)
    within = train_answers._sentence_groups(data)
    assert list(within[:5]) == [-1, 0, 0, -1, -1]  # the two figures of the first sentence; one alone is no list
    assert len(set(within[within >= 0])) == 20
    everything = np.ones(len(data["info"]), dtype=bool)
    coefficients = {}
    for weight in (0.0, train_answers.WITHIN_SENTENCE_WEIGHT):
        monkeypatch.setattr(train_answers, "WITHIN_SENTENCE_WEIGHT", weight)
        coefficients[weight] = train_answers.fit_linear(data, everything)["coef"][NAMES.index("unit_match")]
    assert coefficients[train_answers.WITHIN_SENTENCE_WEIGHT] > coefficients[0.0] > 0


def test_the_trees_walked_in_numpy_score_as_lightgbm_does(monkeypatch):
    """kb/answer_model.py `Trees` against LightGBM itself (the reference): the same scores for rows
    on, between and beyond the split thresholds (whole numbers make exact ties)."""
    import lightgbm

    rng = np.random.default_rng(0)

    def rows(count: int) -> np.ndarray:
        x = rng.normal(size=(count, 6))
        x[:, 2] = rng.integers(0, 3, count)
        return x

    x = rows(3000)
    y = (x[:, 0] + x[:, 2] * x[:, 1] > 1).astype(int)
    booster = lightgbm.train(train_answers.CHOOSER_PARAMS, lightgbm.Dataset(x, y, group=[30] * 100), num_boost_round=40)
    trees = Trees.from_dict(train_answers.export_trees(booster))
    new = np.vstack([rows(500), x[:50]])
    assert trees.depth > 2
    np.testing.assert_allclose(trees(new), booster.predict(new, raw_score=True), rtol=0, atol=1e-9)
    monkeypatch.setattr("kb.answer_model.TREE_BLOCK", 64)  # many rows are walked in blocks: the same scores
    np.testing.assert_allclose(trees(new), booster.predict(new, raw_score=True), rtol=0, atol=1e-9)


def test_a_feature_seen_in_too_few_questions_gets_no_answerability_weight():
    """`fit_answerability` leaves out a column whose rarer value stands in fewer than MIN_SUPPORT
    of a language's train questions, however well it predicts there (standardised, such a value
    lies many spreads out, and its weight would decide every new question that has it); a column
    as predictive with enough support keeps its weight. The shipped English model reads no
    unit-family column: XQuAD's English train questions seldom have one."""
    from kb.features import QUESTION_NAMES

    rng = np.random.default_rng(0)
    count, columns = 600, len(QUESTION_NAMES)
    answerable = rng.random(count) < 0.5
    qrows = rng.normal(size=(count, columns))
    qrows[:, 0] += answerable  # the usual evidence
    rare, common = np.zeros(count), np.zeros(count)
    rare[np.flatnonzero(~answerable)[:train_answers.MIN_SUPPORT - 1]] = 1  # only unanswerable questions have it
    common[np.flatnonzero(~answerable)[:train_answers.MIN_SUPPORT * 2]] = 1
    qrows[:, 1], qrows[:, 2] = rare, common
    info = [{"part": "train", "set": "xquad-en", "n": 1, "language": "en", "answerable": bool(a)} for a in answerable]
    data = {"info": info + [dict(q, set="cmrc-dev", language="zh") for q in info]}
    weights = train_answers.fit_answerability(data, np.vstack([qrows, qrows]))["en"]["coef"]
    assert weights[1] == 0 and weights[2] < -0.5 and weights[0] > 0.5
    assert list(train_answers.unsupported(qrows[:, :3])) == [False, True, False]
    english = dict(zip(QUESTION_NAMES, _saved()["with_vectors"]["answerability"]["en"]["coef"]))
    assert english["best_unit_family_match"] == english["best_unit_family_clash"] == 0 and english["best_cos_sentence"] != 0


@pytest.mark.parametrize("semantic", [True, False])
def test_a_corpus_of_fewer_passages_than_the_model_reads_still_answers(tmp_path, model_cache, report_text, semantic):
    """The models learned on five passages a question; a corpus of one paragraph has no other
    passage for the best to stand out from, and must still answer what it holds and refuse what it
    does not. (A field measured by passages read one passage as a flat field and refused it:
    docs/benchmarks.md, "The field by passages: tried, not kept".)"""
    from kb.answers import ask

    paragraph = next(line for line in report_text.splitlines() if "示范村、示范户等64个" in line)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.txt").write_text(f"报告\n{paragraph}\n", "utf-8")
    settings = Settings(index=tmp_path / "index", corpus=corpus, cache=model_cache, semantic=semantic)
    build(settings)
    snap = Snapshot(settings)
    try:
        assert ask(snap, "美丽庭院示范村有多少个").text == "64个"
        assert not ask(snap, "佛山有多少个机场？").found
    finally:
        snap.close()
