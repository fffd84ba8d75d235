"""int8 or not: dynamic int8 quantisation of the model's Linear layers, decided on public data.

    python bench/bench_int8.py          # needs the indexes of `python bench/train_answers.py`

For CMRC 2018 (dev and trial) and XQuAD (Chinese and English questions over the same Chinese
contexts), every passage of the set's index (bench/out/answers/<set>/index) and every answerable
question are embedded twice, by the float32 model and by its int8 copy (torch's
quantize_dynamic on the same sentence-transformers folder). Semantic hit@5: one of the five
nearest passages is the question's own context's passage holding the answer's first character.
The rule set in the issue: adopt int8 only if hit@5 stays within 0.005 on every set.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_index import _quantized  # noqa: E402

from kb import store  # noqa: E402

SETS = ("cmrc-dev", "cmrc-trial", "xquad-zh", "xquad-en")
ANSWERS = ROOT / "bench" / "out" / "answers"


def gold_rows(passages, items) -> list[set[int]]:
    """Per question, the passages (rows) of its own context that hold an answer's first character."""
    by_doc: dict[str, list[tuple[int, object]]] = {}
    for row, p in enumerate(passages):
        by_doc.setdefault(p.doc_id, []).append((row, p))
    return [{row for row, p in by_doc.get(item["doc_id"], []) for s, _ in item["spans"] if p.start <= s < p.end}
            for item in items]


def hit_at_5(passage_vectors: np.ndarray, question_vectors: np.ndarray, golds: list[set[int]]) -> float:
    top = np.argsort(-(question_vectors @ passage_vectors.T), axis=1)[:, :5]
    return float(np.mean([bool(gold & set(row.tolist())) for row, gold in zip(top, golds)]))


def main() -> None:
    from sentence_transformers import SentenceTransformer

    from kb.config import Settings
    from kb.e5convert import converted_folder

    fp32 = SentenceTransformer(str(converted_folder(Settings.from_env())), device="cpu")
    models = {"fp32": fp32, "int8": _quantized(fp32)}
    for name in SETS:
        folder = ANSWERS / name
        passages = store.read_passages(store.require_generation(folder / "index"))
        lines = (folder / "questions.jsonl").read_text("utf-8").splitlines()
        items = [i for i in map(json.loads, lines) if i.get("doc_id") and i.get("spans")]
        golds = gold_rows(passages, items)
        keep = [i for i, g in enumerate(golds) if g]
        row = {"set": name, "passages": len(passages), "questions": len(keep)}
        for label, model in models.items():
            began = time.perf_counter()
            pv = model.encode([p.text for p in passages], prompt_name="passage", normalize_embeddings=True)
            row[f"{label}_passages_per_s"] = round(len(passages) / (time.perf_counter() - began), 1)
            qv = model.encode([items[i]["question"] for i in keep], prompt_name="query", normalize_embeddings=True)
            row[f"{label}_hit@5"] = round(hit_at_5(pv, qv, [golds[i] for i in keep]), 4)
        row["difference"] = round(row["int8_hit@5"] - row["fp32_hit@5"], 4)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
