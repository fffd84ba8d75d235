"""The English query adapter (kb/english_adapter.py): English queries only, and nearer their
Chinese contexts on XQuAD questions the adapter never saw (bench/train_english_adapter.py)."""
import sys

import numpy as np
import pytest
from conftest import ROOT

from kb import english_adapter
from kb.embeddings import embedder
from kb.errors import ModelError

sys.path.insert(0, str(ROOT / "bench"))


@pytest.fixture(scope="module")
def model(semantic_settings):
    return embedder(semantic_settings)


def test_only_english_queries_change(model):
    english, chinese = "How many women obtained small loans?", "多少妇女获得了小额贷款？"
    adapted = model.queries([english, chinese])
    base = model.model.encode([english, chinese], prompt_name="query")
    assert adapted[0] @ base[0] < 0.999  # the English query moved
    assert np.abs(adapted[1] - base[1]).max() < 1e-5  # the Chinese one did not
    assert np.abs(model.passages([english]) - model.model.encode([english], prompt_name="passage")).max() < 1e-5


def test_an_english_query_moves_toward_its_chinese_twin(model):
    # a sentence, not a dictionary gloss: the adapter was trained on words and short phrases
    english, chinese = model.queries(["How many letters and visits cases did the women's federation handle?",
                                      "妇联处理了多少信访案件？"])
    base = model.model.encode(["How many letters and visits cases did the women's federation handle?"],
                              prompt_name="query")[0]
    assert english @ chinese > base @ chinese


def test_the_adapter_ranks_xquad_contexts_better_than_the_base_model(model):
    from train_english_adapter import measure

    scores = measure(model.model, ("calibrate", "test"))
    for part in ("calibrate", "test"):  # held out from the adapter's training and settings
        assert scores[f"en adapted {part}"]["mrr"] > scores[f"en base {part}"]["mrr"]


def test_an_adapter_for_other_weights_is_refused(model):
    deltas = {"encoder.layer.99.attention.self.query.weight": (np.zeros((8, 384), np.float32),
                                                               np.zeros((384, 8), np.float32))}
    with pytest.raises(ModelError, match="does not have"):
        english_adapter.adapted(model.model.weights, deltas)


def test_the_adapter_file_round_trips(tmp_path):
    deltas = {"w": (np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((4, 2), np.float32))}
    english_adapter.save(tmp_path / "a.npz", deltas)
    back = english_adapter.read(tmp_path / "a.npz")
    assert set(back) == {"w"} and (back["w"][0] == deltas["w"][0]).all() and back["w"][1].shape == (4, 2)
    assert english_adapter.read(tmp_path / "none.npz") == {}
