"""The bundled model's encoder in plain torch: a BERT forward pass, mean pooling, L2 norm.

Loading sentence-transformers costs ~4 s of imports (transformers' model zoo, scikit-learn, …)
before the first vector; torch, safetensors and tokenizers alone load in ~1.5 s
("Cold start" in docs/benchmarks.md). The converted folder (kb/e5convert.py) is an ordinary
BERT, so this module reads its weights and runs the same arithmetic; tests/test_embeddings.py
checks it against sentence-transformers on the same folder. The 250k-token embedding table is
kept in float16 and memory-mapped (`_half_table`): its values came from 4-bit blocks with a
float16 scale, and only the looked-up rows are turned back into float32. Texts are cut into word
pieces by kb/pieces.py (sentencepiece; the same ids as tokenizer.json in a fifth of the memory).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from kb.pieces import PieceTokenizer

MAX_TOKENS = 512


class BertEncoder:
    """Encodes texts like SentenceTransformer.encode does for the converted folder: BERT, mean
    pooling, normalised (the modules kb/e5convert.py writes)."""

    def __init__(self, folder: Path):
        self.config = json.loads((folder / "config.json").read_text("utf-8"))
        prompts = json.loads((folder / "config_sentence_transformers.json").read_text("utf-8")).get("prompts", {})
        self.prompts = {name: text for name, text in prompts.items() if text}
        self.word_embeddings = _half_table(folder)
        self.weights = _read_weights(folder / "model.safetensors")
        limits = [MAX_TOKENS, self.config["max_position_embeddings"]]
        st_config = folder / "sentence_bert_config.json"
        if st_config.exists():
            limits.append(json.loads(st_config.read_text("utf-8")).get("max_seq_length") or MAX_TOKENS)
        self.tokenizer = PieceTokenizer(folder, min(limits), self.config["pad_token_id"])
        self._english_weights: dict | None = None

    @property
    def english_weights(self) -> dict:
        """The weights English queries run through: kb/english_adapter.py's low-rank changes merged
        in on first use (the base weights when no adapter ships)."""
        if self._english_weights is None:
            from kb import english_adapter

            self.use_english_adapter(english_adapter.read())
        return self._english_weights

    def use_english_adapter(self, deltas: dict) -> None:
        """English queries through these (A, B) pairs from now on (bench/train_english_adapter.py
        measures a new adapter this way before it ships)."""
        from kb import english_adapter

        self._english_weights = english_adapter.adapted(self.weights, deltas)

    def encode(self, texts: list[str], prompt_name: str | None = None, batch_size: int = 32,
               convert_to_numpy: bool = True, normalize_embeddings: bool = True,
               show_progress_bar: bool = False, english: bool = False) -> np.ndarray:
        """Unit vectors of `texts` (float32), `prompt_name`'s prefix put before each. Takes the
        arguments kb/embeddings.py gives SentenceTransformer.encode; results are always numpy
        and kb/vectors.py shows progress itself. `english` runs them through `english_weights`."""
        import torch

        weights = self.english_weights if english else self.weights
        prefix = self.prompts.get(prompt_name, "") if prompt_name else ""
        out = np.zeros((len(texts), self.config["hidden_size"]), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # batches of like length pad less
        with torch.inference_mode():
            for at in range(0, len(texts), batch_size):
                rows = order[at:at + batch_size]
                ids, mask = map(torch.from_numpy, self.tokenizer.batch([prefix + texts[i] for i in rows]))
                pooled = self.pool(self.forward(ids, mask, weights), mask)
                if normalize_embeddings:
                    pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[rows] = pooled.numpy()
        return out

    def forward(self, ids, mask, weights: dict):
        """BERT's last hidden states for word-piece ids, with `weights` (differentiable in them:
        bench/train_english_adapter.py learns the adapter through this pass)."""
        import torch
        from torch.nn.functional import gelu, layer_norm, linear, scaled_dot_product_attention

        w, eps = weights, self.config["layer_norm_eps"]
        heads = self.config["num_attention_heads"]
        words = torch.from_numpy(self.word_embeddings[ids.numpy()].astype(np.float32))
        hidden = (words + w["embeddings.position_embeddings.weight"][:ids.shape[1]]
                  + w["embeddings.token_type_embeddings.weight"][0])
        hidden = layer_norm(hidden, hidden.shape[-1:], w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        blocked = torch.zeros(mask.shape, dtype=hidden.dtype).masked_fill(mask == 0, torch.finfo(hidden.dtype).min)
        blocked = blocked[:, None, None, :]
        for n in range(self.config["num_hidden_layers"]):
            p = f"encoder.layer.{n}."

            def dense(name, x):
                return linear(x, w[p + name + ".weight"], w[p + name + ".bias"])

            split = [dense(f"attention.self.{k}", hidden).unflatten(-1, (heads, -1)).transpose(1, 2)
                     for k in ("query", "key", "value")]
            attended = scaled_dot_product_attention(*split, attn_mask=blocked).transpose(1, 2).flatten(2)
            hidden = layer_norm(dense("attention.output.dense", attended) + hidden, hidden.shape[-1:],
                                w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], eps)
            inner = dense("output.dense", gelu(dense("intermediate.dense", hidden)))
            hidden = layer_norm(inner + hidden, hidden.shape[-1:], w[p + "output.LayerNorm.weight"],
                                w[p + "output.LayerNorm.bias"], eps)
        return hidden

    @staticmethod
    def pool(hidden, mask):
        """Mean of the hidden states over the real (unpadded) tokens."""
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


WORD_TABLE = "embeddings.word_embeddings.weight"
HALF_TABLE = "word_embeddings.f16.npy"  # written beside the model on first load
_DTYPES = {"F32": np.float32, "F16": np.float16}
_SLICE_VALUES = 1 << 22  # 16 MB of float32 read at a time


def _header(path: Path) -> tuple[int, dict]:
    """A safetensors file's layout: an 8-byte header length, a JSON header, then raw data."""
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
    header.pop("__metadata__", None)
    return 8 + size, header


def _read_tensor(handle, data_start: int, meta: dict, dtype) -> np.ndarray:
    """One tensor converted to `dtype` a slice at a time, so the float32 table is never whole."""
    handle.seek(data_start + meta["data_offsets"][0])
    tensor = np.empty(meta["shape"], dtype=dtype)
    flat, stored = tensor.reshape(-1), _DTYPES[meta["dtype"]]
    for at in range(0, flat.size, _SLICE_VALUES):
        flat[at:at + _SLICE_VALUES] = np.fromfile(handle, dtype=stored, count=min(_SLICE_VALUES, flat.size - at))
    return tensor


def _read_weights(path: Path) -> dict:
    """Every tensor but the word table, as float32 torch tensors."""
    import torch

    data_start, header = _header(path)
    with path.open("rb") as handle:
        return {name: torch.from_numpy(_read_tensor(handle, data_start, meta, np.float32))
                for name, meta in header.items() if name != WORD_TABLE}


def _half_table(folder: Path) -> np.ndarray:
    """The word table in float16, memory-mapped: a query touches only its tokens' rows, so the
    table costs neither load time nor resident memory. Written once, atomically."""
    path = folder / HALF_TABLE
    if not path.exists():
        data_start, header = _header(folder / "model.safetensors")
        with (folder / "model.safetensors").open("rb") as handle:
            table = _read_tensor(handle, data_start, header[WORD_TABLE], np.float16)
        partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with partial.open("wb") as out:
            np.save(out, table)
        os.replace(partial, path)
    return np.load(path, mmap_mode="r")
