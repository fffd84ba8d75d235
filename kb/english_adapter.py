"""The English query adapter of the bundled model: low-rank changes to its attention, learned so that
an English query lands where its Chinese translation does (world cup → 世界杯), while passages and
Chinese queries keep the model's own vectors, so no index is embedded again.

The adapter is LoRA (Hu et al. 2021): each adapted matrix W of kb/encoder.py's BERT is read as
W + B·A, A of shape rank × in and B of shape out × rank. `bench/train_english_adapter.py` learns A and
B from CC-CEDICT (kb/dictionary.py) alone, the frozen model's vector of each Chinese word the target
for its English gloss, and writes them to kb/data/english_adapter.npz; the measured effect is in
docs/benchmarks.md, "An English query adapter learned from a dictionary".
"""
from __future__ import annotations

from importlib import resources

import numpy as np

from kb.errors import ModelError

FILE = "english_adapter.npz"
_A, _B = ".lora_a", ".lora_b"


def save(path, deltas: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Write each adapted weight's (A, B) pair as float32 arrays named `<weight>.lora_a` / `.lora_b`."""
    arrays = {}
    for name, (a, b) in sorted(deltas.items()):
        arrays[name + _A], arrays[name + _B] = np.asarray(a, np.float32), np.asarray(b, np.float32)
    with open(path, "wb") as out:
        np.savez(out, **arrays)


def read(path=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The (A, B) pair of every adapted weight; the shipped file unless `path` is given, {} when
    there is none."""
    source = resources.files("kb.data").joinpath(FILE) if path is None else path
    try:
        handle = source.open("rb")
    except FileNotFoundError:
        return {}
    with handle, np.load(handle) as stored:
        return {name[:-len(_A)]: (stored[name], stored[name[:-len(_A)] + _B]) for name in stored.files
                if name.endswith(_A)}


def adapted(weights: dict, deltas: dict) -> dict:
    """`weights` (name → float32 torch tensor) with W + B·A in place of each adapted W; the other
    tensors are shared, not copied. A and B are numpy arrays, or torch tensors being learned
    (bench/train_english_adapter.py), whose gradients pass through."""
    import torch

    missing = sorted(set(deltas) - set(weights))
    if missing:
        raise ModelError(f"the English adapter changes weights the model does not have: {missing[:3]}")
    out = dict(weights)
    for name, (a, b) in deltas.items():
        out[name] = weights[name] + torch.as_tensor(b) @ torch.as_tensor(a)
    return out
