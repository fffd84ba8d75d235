"""What a passage's vector is made from (kb/vectors.py `embedding_text`): its text alone, or its
document's title and then its text.

    python bench/bench_embedding_text.py          # XQuAD en + zh, CMRC 2018 trial + dev

Each set is imported and built (the vectors as kb embeds them now); the passages are embedded a
second time from their text alone, and every question is ranked against both matrices, semantic
alone and hybrid (kb/search.py `ranked`, fused as `kb search` fuses). hit@1, hit@5 and MRR over the
top 20 are reported per set and per part (contexts split as in bench/train_answers.py): the choice
was made on the train parts.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_fusion import opened_set  # noqa: E402
from train_answers import SETS, split_of  # noqa: E402

DEPTH = 20


def scores(name: str, workdir: Path) -> dict[str, dict]:
    """Per part, per variant (title+text, text) and mode: hit@1, hit@5, MRR@20."""
    from kb.embeddings import embedder
    from kb.errors import BadInput
    from kb.evaluate import is_relevant
    from kb.search import ranked

    split = SETS[name][2]
    snapshot, folder = opened_set(name, workdir)
    index = snapshot.vectors.index
    index.ann = None  # both matrices searched exactly
    text_only = embedder(snapshot.settings).passages([snapshot.passages[pid].text for pid in index.ids])
    items = [json.loads(line) for line in (folder / "questions.jsonl").read_text("utf-8").splitlines()]
    ranks: dict[str, dict[str, list]] = {}
    for variant, matrix in (("title+text", np.asarray(index.matrix)), ("text", text_only)):
        index.matrix = matrix
        for item in items:
            try:
                query = snapshot.parse(item["question"])
            except BadInput:  # CMRC has a few empty questions, which kb refuses
                continue
            part = split_of(item["doc_id"], split)[0]
            for mode in ("semantic", "hybrid"):
                hits = ranked(snapshot, query, mode, DEPTH, None)[:DEPTH]
                rank = next((r for r, h in enumerate(hits, 1) if is_relevant(h.passage, item)), None)
                ranks.setdefault(f"{part} {variant} {mode}", []).append(rank)
    snapshot.close()
    return {key: _summary(found) for key, found in ranks.items()}


def _summary(ranks: list) -> dict:
    n = len(ranks)
    return {"n": n, "hit@1": round(sum(r == 1 for r in ranks if r) / n, 4),
            "hit@5": round(sum(r <= 5 for r in ranks if r) / n, 4),
            "mrr@20": round(sum(1 / r for r in ranks if r) / n, 4)}


def main() -> None:
    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in SETS:
            for key, line in scores(name, Path(tmp)).items():
                table[f"{name} {key}"] = line
                print(f"{name} {key}", json.dumps(line), flush=True)
    print(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
