"""The bundled model's word pieces through sentencepiece: tokenizer.json's ids in a fifth of its memory.

tokenizers holds the 250k-piece Unigram vocabulary of tokenizer.json in a trie of hash maps: 281 MB
resident in every process that embeds ("Memory" in docs/benchmarks.md). sentencepiece holds the same
pieces and scores in a double-array trie: 54 MB. So kb writes a sentencepiece model from
tokenizer.json once, beside the converted model, and encodes as tokenizer.json does: its own
normaliser (control characters dropped, other white space a space, NFKC, runs of spaces one), a
leading "▁" unless the text starts with one (Metaspace, prepend "always"), the Unigram pieces
(sentencepiece, no normaliser of its own), then <s> … </s> (its template), truncated and padded.
One known difference: a text that spells out a special token ("<s>", "<mask>") gets the token's
id from tokenizers and its characters' pieces here. tests/test_pieces.py checks the ids equal
tokenizer.json's on the review, CMRC 2018 and XQuAD texts and on edge cases.
"""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np

from kb.errors import ModelError

PIECE_MODEL = "pieces-v1.model"  # sentencepiece's ModelProto
PIECE_SETTINGS = "pieces-v1.json"  # the normaliser and the template's ids
_NORMAL, _UNKNOWN, _CONTROL = 1, 2, 3  # sentencepiece's piece types
_UNIGRAM = 1


class PieceTokenizer:
    """tokenizer.json's encoding of texts, as padded id and attention-mask arrays."""

    def __init__(self, folder: Path, max_tokens: int, pad_id: int):
        import sentencepiece
        from tokenizers import Tokenizer

        if not (folder / PIECE_MODEL).exists():
            write_piece_files(folder)
        settings = json.loads((folder / PIECE_SETTINGS).read_text("utf-8"))
        self.pieces = sentencepiece.SentencePieceProcessor(model_file=str(folder / PIECE_MODEL))
        self.normalizer = Tokenizer.from_str(json.dumps(_bare_tokenizer(settings["normalizer"]))).normalizer
        self.bos, self.eos, self.pad = settings["bos"], settings["eos"], pad_id
        self.max_pieces = max_tokens - 2

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's ids, <s> and </s> included, truncated to `max_tokens`."""
        normalized = [self._normalize(text) for text in texts]
        return [[self.bos, *ids[:self.max_pieces], self.eos] for ids in self.pieces.encode(normalized)]

    def batch(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Ids padded to the longest text, and the attention mask (1 for a real token)."""
        rows = self.ids(texts)
        width = max(map(len, rows))
        ids = np.full((len(rows), width), self.pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for n, row in enumerate(rows):
            ids[n, :len(row)], mask[n, :len(row)] = row, 1
        return ids, mask

    def _normalize(self, text: str) -> str:
        text = self.normalizer.normalize_str(text)
        return text if not text or text.startswith((" ", "▁")) else " " + text


def write_piece_files(folder: Path) -> None:
    """The sentencepiece model and settings for folder's tokenizer.json, written atomically."""
    spec = json.loads((folder / "tokenizer.json").read_text("utf-8"))
    model = spec["model"]
    if model.get("type") != "Unigram" or spec["pre_tokenizer"].get("type") != "Metaspace":
        raise ModelError(f"{folder}: kb/pieces.py reads only a Unigram tokenizer with Metaspace")
    special = {token["content"] for token in spec["added_tokens"] if token["special"]}
    template = spec["post_processor"]["special_tokens"]
    settings = {"normalizer": spec["normalizer"], "bos": template["<s>"]["ids"][0], "eos": template["</s>"]["ids"][0]}
    _write_atomically(folder / PIECE_MODEL, model_proto(model["vocab"], model["unk_id"], special))
    _write_atomically(folder / PIECE_SETTINGS, json.dumps(settings, ensure_ascii=False).encode("utf-8"))


def model_proto(vocab: list, unk_id: int, special: set[str]) -> bytes:
    """sentencepiece's ModelProto (sentencepiece_model.proto) for a Unigram vocabulary, spaces
    escaped to "▁" and no normaliser, written field by field (no protobuf dependency)."""
    def kind(n: int, piece: str) -> int:
        return _UNKNOWN if n == unk_id else _CONTROL if piece in special else _NORMAL

    pieces = b"".join(_message(1, _string(1, piece) + _float(2, score) + _varint_field(3, kind(n, piece)))
                      for n, (piece, score) in enumerate(vocab))
    trainer = (_varint_field(3, _UNIGRAM) + _varint_field(40, unk_id)
               + b"".join(_varint_field(field, -1) for field in (41, 42, 43)))  # no bos, eos, pad pieces
    normalizer = (_string(1, "identity") + _varint_field(3, 0) + _varint_field(4, 0)
                  + _varint_field(5, 1))  # no dummy prefix, keep spaces, escape them
    return pieces + _message(2, trainer) + _message(3, normalizer)


def _bare_tokenizer(normalizer: dict) -> dict:
    """A tokenizer.json with one piece: enough for tokenizers to build `normalizer` alone."""
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": normalizer,
            "pre_tokenizer": None, "post_processor": None, "decoder": None,
            "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0]], "byte_fallback": False}}


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int32s are written as 10-byte two's complement
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _varint_field(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _float(field: int, value: float) -> bytes:
    return _varint(field << 3 | 5) + struct.pack("<f", value)


def _string(field: int, text: str) -> bytes:
    return _message(field, text.encode("utf-8"))


def _message(field: int, body: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(body)) + body


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    partial.write_bytes(data)
    os.replace(partial, path)
