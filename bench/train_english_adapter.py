"""Learn the English query adapter (kb/english_adapter.py) from a public dictionary, and measure it
on XQuAD, which it never sees.

    python bench/train_english_adapter.py            # train, measure, write kb/data/english_adapter.npz
    python bench/train_english_adapter.py --measure  # only measure the shipped adapter

Data: CC-CEDICT read backwards (kb/dictionary.py): for each English gloss the Chinese word it
glosses that jieba's dictionary counts most frequent, the PAIRS glosses whose word is most frequent.
The frozen model's query vector of the Chinese word is the target of the English gloss's vector
through the adapter (in-batch contrastive loss plus a cosine term). Only LoRA matrices of the
attention are learned; passages and Chinese queries keep the model's own vectors.

Measured: each XQuAD question (bench/data/xquad/) ranks the 120 XQuAD contexts by cosine, in
English with and without the adapter and in Chinese, per part of bench/train_answers.py's split
by context (the adapter's settings were chosen on train and calibrate). Deterministic on one
machine: seeded, two torch threads.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from kb import dictionary, english_adapter  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.embeddings import embedder  # noqa: E402
from train_answers import split_of  # noqa: E402

OUT = ROOT / "kb" / "data" / english_adapter.FILE
XQUAD = ROOT / "bench" / "data" / "xquad"
PAIRS = 20_000  # dictionary pairs trained on (50,000 measured no better: docs/benchmarks.md)
RANK = 8
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense")
EPOCHS = 1
BATCH = 64
RATE = 5e-4
TEMPERATURE = 0.05
COSINE_WEIGHT = 10.0
SEED = 0


def dictionary_pairs(count: int = PAIRS) -> list[tuple[str, str]]:
    """(English gloss, Chinese word) pairs: per gloss its most frequent word by jieba's counts, the
    `count` glosses with the most frequent words, shuffled."""
    import jieba

    jieba.initialize()
    frequency = jieba.dt.FREQ
    best = {}
    for words, chinese in dictionary.glosses().items():
        word = max(chinese, key=lambda c: frequency.get(c, 0))
        if frequency.get(word, 0) > 0:
            best[" ".join(words)] = (word, frequency[word])
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][1], kv[0]))[:count]
    pairs = [(english, word) for english, (word, _) in ranked]
    random.Random(SEED).shuffle(pairs)
    return pairs


def train(encoder, pairs: list[tuple[str, str]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """LoRA matrices of TARGETS in every layer, learned on `pairs`."""
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    targets = torch.from_numpy(encoder.encode([zh for _, zh in pairs], prompt_name="query"))
    lora = _new_lora(encoder)
    optimiser = torch.optim.AdamW([m for ab in lora.values() for m in ab], lr=RATE, weight_decay=0.0)
    steps = EPOCHS * -(-len(pairs) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1, (s + 1) / 50) * max(0.0, 1 - s / steps))
    for epoch in range(EPOCHS):
        order = list(range(len(pairs)))
        random.Random(SEED + epoch).shuffle(order)
        for at in range(0, len(order), BATCH):
            rows = order[at:at + BATCH]
            vectors, wanted = _adapted_vectors(encoder, lora, [pairs[i][0] for i in rows]), targets[rows]
            loss = (torch.nn.functional.cross_entropy(vectors @ wanted.T / TEMPERATURE, torch.arange(len(rows)))
                    + COSINE_WEIGHT * (1 - (vectors * wanted).sum(-1)).mean())
            loss.backward()
            optimiser.step()
            optimiser.zero_grad()
            schedule.step()
    return {name: (a.detach().numpy(), b.detach().numpy()) for name, (a, b) in lora.items()}


def _new_lora(encoder) -> dict:
    """(A, B) per adapted weight: A random, B zero, so training starts from the model itself."""
    import torch

    lora = {}
    for layer in range(encoder.config["num_hidden_layers"]):
        for target in TARGETS:
            name = f"encoder.layer.{layer}.{target}.weight"
            out_size, in_size = encoder.weights[name].shape
            lora[name] = ((torch.randn(RANK, in_size) / in_size ** 0.5).requires_grad_(),
                          torch.zeros(out_size, RANK, requires_grad=True))
    return lora


def _adapted_vectors(encoder, lora: dict, texts: list[str]):
    """Unit query vectors of `texts` through the model with `lora` added (differentiable)."""
    import torch

    weights = english_adapter.adapted(encoder.weights, lora)
    ids, mask = map(torch.from_numpy, encoder.tokenizer.batch([encoder.prompts["query"] + t for t in texts]))
    return torch.nn.functional.normalize(encoder.pool(encoder.forward(ids, mask, weights), mask), dim=-1)


def xquad_questions(language: str) -> list[tuple[str, str, str]]:
    """(question, context text, part) of every XQuAD question."""
    data = json.loads((XQUAD / f"xquad-dev-{language}-questions.json").read_text("utf-8"))
    rows = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            part = split_of(f"xquad-{a}-{p}", True)[0]
            rows += [(qa["question"], paragraph["context"], part) for qa in paragraph["qas"]]
    return rows


def measure(encoder, parts: tuple[str, ...] = ("train", "calibrate", "test")) -> dict:
    """hit@1 and MRR of the right context among XQuAD's 120, per part: English through the
    adapter, English through the base model, Chinese."""
    english, chinese = xquad_questions("en"), xquad_questions("zh")
    contexts = list(dict.fromkeys(c for _, c, _ in english))
    english, chinese = [r for r in english if r[2] in parts], [r for r in chinese if r[2] in parts]
    matrix = encoder.encode(contexts, prompt_name="passage")
    gold = np.array([contexts.index(c) for _, c, _ in english])
    part_of = np.array([p for _, _, p in english])
    runs = {"en adapted": encoder.encode([q for q, _, _ in english], prompt_name="query", english=True),
            "en base": encoder.encode([q for q, _, _ in english], prompt_name="query"),
            "zh": encoder.encode([q for q, _, _ in chinese], prompt_name="query")}
    report = {}
    for name, vectors in runs.items():
        scores = vectors @ matrix.T
        ranks = (scores > scores[np.arange(len(gold)), gold][:, None]).sum(1) + 1
        for part in parts:
            chosen = part_of == part
            report[f"{name} {part}"] = {"n": int(chosen.sum()), "hit@1": round(float((ranks[chosen] == 1).mean()), 3),
                                        "mrr": round(float((1 / ranks[chosen]).mean()), 3)}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--measure", action="store_true", help="only measure the shipped adapter")
    args = parser.parse_args()
    encoder = embedder(Settings()).model
    if not args.measure:  # trained from the base model: the targets are Chinese, never adapted
        deltas = train(encoder, dictionary_pairs())
        english_adapter.save(OUT, deltas)
        encoder.use_english_adapter(deltas)
    for name, scores in measure(encoder).items():
        print(f"{name:22} n={scores['n']:4}  hit@1 {scores['hit@1']:.3f}  MRR {scores['mrr']:.3f}")


if __name__ == "__main__":
    main()
