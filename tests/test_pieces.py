"""kb/pieces.py gives tokenizer.json's ids (tokenizers is the reference) in less memory."""
import json

import pytest
from tokenizers import Tokenizer

from conftest import DATA, REPORT
from kb.e5convert import converted_folder
from kb.pieces import PIECE_MODEL, PieceTokenizer, write_piece_files

EDGES = ["", " ", "  a  b ", "\tx\ny", "\u200b零宽", "\ufeff过去，体罚", " 1788 年新南威尔士州", "尾随  ",
         "ＡＢＣ１２３：（全角）", "a\u0000b", "▁▁x", "▁", "emoji 😀 ok", "Привет мир", "مرحبا", "巾幗志願者",
         "妇女之家" * 300]  # the last one is past 512 tokens: both truncate


def squad_texts(path) -> list[str]:
    texts = []
    for article in json.loads(path.read_text("utf-8"))["data"]:
        for paragraph in article["paragraphs"]:
            texts += [paragraph["context"]] + [qa["question"] for qa in paragraph["qas"]]
    return texts


@pytest.fixture(scope="module")
def folder(semantic_settings, model):
    return converted_folder(semantic_settings)


@pytest.fixture(scope="module")
def model(semantic_settings):
    from kb.embeddings import embedder

    return embedder(semantic_settings)


@pytest.fixture(scope="module")
def reference(folder):
    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tok.enable_truncation(512)
    return tok


def test_ids_equal_tokenizer_json_on_real_and_awkward_text(folder, reference):
    texts = (REPORT.read_text("utf-8").splitlines() + squad_texts(DATA / "cmrc2018" / "cmrc2018_trial.json")
             + squad_texts(DATA / "xquad" / "xquad-dev-en-questions.json")
             + squad_texts(DATA / "xquad" / "xquad-dev-zh-questions.json") + EDGES)
    ours = PieceTokenizer(folder, 512, pad_id=1).ids(texts)
    theirs = [encoded.ids for encoded in reference.encode_batch(texts)]
    differing = [(text[:40], a[:8], b[:8]) for text, a, b in zip(texts, ours, theirs) if a != b]
    assert len(texts) > 2500 and not differing


def test_batches_are_padded_and_masked(folder):
    ids, mask = PieceTokenizer(folder, 512, pad_id=1).batch(["美丽庭院示范村", "美"])
    assert ids.shape == mask.shape and mask[0].all()
    short = int(mask[1].sum())
    assert ids[1, 0] == 0 and ids[1, short - 1] == 2 and (ids[1, short:] == 1).all() and not mask[1, short:].any()


def test_full_width_punctuation_and_traditional_characters_are_known_pieces(folder):
    tokenizer = PieceTokenizer(folder, 512, pad_id=1)
    unk = tokenizer.pieces.unk_id()
    for text in ("妇女之家，（全角）１２３：", "美麗庭院示範村", "巾幗志願者"):
        assert unk not in tokenizer.ids([text])[0], text
    assert "," in [tokenizer.pieces.id_to_piece(n) for n in tokenizer.ids(["之家，"])[0]]  # NFKC


def test_the_piece_files_are_rewritten_when_missing(tmp_path, folder):
    copy = tmp_path / "model"
    copy.mkdir()
    (copy / "tokenizer.json").write_bytes((folder / "tokenizer.json").read_bytes())
    PieceTokenizer(copy, 512, pad_id=1)
    assert (copy / PIECE_MODEL).read_bytes() == (folder / PIECE_MODEL).read_bytes()
    assert not list(copy.glob("*.tmp"))


def test_a_tokenizer_it_cannot_read_is_a_model_error(tmp_path, folder):
    from kb.errors import ModelError

    spec = json.loads((folder / "tokenizer.json").read_text("utf-8"))
    spec["model"]["type"] = "BPE"
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec), "utf-8")
    with pytest.raises(ModelError, match="Unigram"):
        write_piece_files(tmp_path)
