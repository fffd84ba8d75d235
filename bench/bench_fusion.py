"""How much the keyword list should count in hybrid fusion (kb/search.py `keyword_weight`).

    python bench/bench_fusion.py                       # XQuAD en + zh, CMRC 2018 trial + dev

For every question the keyword and vector rankings are computed once; fusion is then replayed
with the keyword list weighted by (share of query terms the index knows) ** power, for several
powers, and with the plain unweighted RRF; then at the kept power with the share times a weight w,
for several w (kb/search.py CHINESE_KEYWORD_WEIGHT). hit@5 and MRR@20 are reported per set and per
part (contexts split as in bench/train_answers.py): the power and the weight are chosen on the
train parts, the test parts are reported.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from train_answers import SETS, split_of  # noqa: E402

POWERS = (0.0, 0.5, 1.0, 2.0, 4.0)  # 0.0: weight 1 always, the plain RRF of before
WEIGHTS = (1.0, 0.8, 0.6, 0.4)


def opened_set(name: str, workdir: Path):
    """One public set imported into `workdir`, every context indexed: its snapshot and folder."""
    from kb.build import build
    from kb.config import Settings
    from kb.snapshot import Snapshot
    from kb.squad import import_squad

    folder = workdir / name
    import_squad(SETS[name][0], folder)
    settings = Settings.from_env(index=folder / "index", corpus=folder / "corpus")
    build(settings)
    return Snapshot(settings), folder


def rankings(name: str, workdir: Path) -> list[dict]:
    from kb.errors import BadInput
    from kb.evaluate import is_relevant
    from kb.search import by_kind, term_share

    split = SETS[name][2]
    snapshot, folder = opened_set(name, workdir)
    settings = snapshot.settings
    depth = settings.rrf_depth
    out = []
    for line in (folder / "questions.jsonl").read_text("utf-8").splitlines():
        item = json.loads(line)
        try:
            query = snapshot.parse(item["question"])
        except BadInput:  # CMRC has a few empty questions, which kb refuses
            continue
        keyword = [p for p, _ in by_kind(snapshot, snapshot.keyword.search(query, depth * 2, snapshot.normalized_text))]
        near = [p for p, _ in by_kind(snapshot, snapshot.vectors.nearest(query.text, depth * 2))][:depth]
        share = term_share(snapshot, query)
        relevant = {p for p in set(keyword) | set(near) if is_relevant(snapshot.passages[p], item)}
        out.append({"part": split_of(item["doc_id"], split)[0], "keyword": keyword, "near": near,
                    "share": share, "relevant": sorted(relevant)})
    snapshot.close()
    return out, settings


def fused(rows: list[dict], power: float, settings, weight: float = 1.0) -> list[float]:
    """[hit@5, MRR@20] of the fusion with the keyword list weighted weight × share ** power."""
    from kb.fusion import rrf

    orders = [[p for p, _ in rrf([r["keyword"], r["near"]], k=settings.rrf_k, depth=settings.rrf_depth,
                                 weights=[weight * r["share"] ** power, 1.0])]  # 0 ** 0 = 1: the plain RRF
              for r in rows]
    return _scores(rows, orders)


def _scores(rows: list[dict], orders: list[list[str]]) -> list[float]:
    hits = reciprocal = 0.0
    for r, order in zip(rows, orders):
        relevant = set(r["relevant"])
        hits += bool(set(order[:5]) & relevant)
        reciprocal += next((1 / rank for rank, p in enumerate(order[:20], 1) if p in relevant), 0.0)
    return [round(hits / len(rows), 4), round(reciprocal / len(rows), 4)]


def main() -> None:
    from kb.search import KEYWORD_TRUST_POWER

    table = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in SETS:
            rows, settings = rankings(name, Path(tmp))
            for part in ("train", "calibrate", "test"):
                chosen = [r for r in rows if r["part"] == part]
                if not chosen:
                    continue
                line = {"n": len(chosen), "keyword": _scores(chosen, [r["keyword"] for r in chosen]),
                        "semantic": _scores(chosen, [r["near"] for r in chosen])}
                line |= {f"hybrid^{p}": fused(chosen, p, settings) for p in POWERS}
                line |= {f"hybrid w{w}": fused(chosen, KEYWORD_TRUST_POWER, settings, w) for w in WEIGHTS}
                table[f"{name}/{part}"] = line
                print(f"{name}/{part}", json.dumps(line), flush=True)
    print(json.dumps(table, indent=1))


if __name__ == "__main__":
    main()
