import numpy as np
import pytest

from kb.alignment import alignments, recall
from kb.e5convert import converted_folder
from kb.embeddings import embedder


@pytest.fixture(scope="module")
def model(semantic_settings):
    return embedder(semantic_settings)


def test_recall_is_the_mean_best_match_of_each_question_piece():
    question = np.array([[1.0, 0.0], [0.0, 1.0]])
    sentence = np.array([[0.6, 0.8], [1.0, 0.0], [0.0, -1.0]])
    best = [max(float(q @ s) for s in sentence) for q in question]  # 1.0 and 0.8
    assert recall(question, sentence) == pytest.approx(sum(best) / len(best))
    assert recall(question, np.zeros((0, 2))) == 0.0


def test_token_vectors_are_sentence_transformers_token_embeddings_without_the_prompt(semantic_settings, model):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(converted_folder(semantic_settings)), device="cpu")
    text = "全市妇联系统处理信访案件4308宗。"
    ours = model.model.token_vectors([text], "passage", depth=model.model.config["num_hidden_layers"])[0]
    theirs = reference.encode([text], prompt_name="passage", output_value="token_embeddings")[0].numpy()
    theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
    pieces = len(model.model.tokenizer.ids([text])[0]) - 2  # the text's own pieces, <s> and </s> out
    assert ours.shape == (pieces, 384)
    assert np.abs(ours - theirs[-1 - pieces:-1]).max() < 1e-4  # the prompt's pieces come first
    assert model.token_vectors(["How many petition cases?"], "query")[0].shape[0] == \
        len(model.model.tokenizer.ids(["How many petition cases?"])[0]) - 2


def test_an_english_question_aligns_with_the_chinese_sentence_that_holds_its_words(semantic_settings):
    held = "全市妇联系统处理信访案件4308宗。"
    other = "发布研学线路23条，开展亲子活动。"
    scores = alignments(semantic_settings.model, semantic_settings.cache, "How many petition cases were handled?",
                        [held, other])
    assert scores[held] > scores[other]


def test_a_sentence_that_lacks_a_word_of_the_question_aligns_less(semantic_settings):
    # both sentences are about petition cases; only one says who handled them
    full = "全市妇联系统处理信访案件4308宗。"
    partial = "信访案件数量有所下降。"
    scores = alignments(semantic_settings.model, semantic_settings.cache, "妇联系统处理了多少宗信访案件？", [full, partial])
    assert scores[full] > scores[partial]
