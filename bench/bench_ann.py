"""Approximate nearest neighbours (kb/vectors.py's HNSW graph) against exact cosine search.

    python bench/bench_ann.py                          # real vectors, then 100k and 1M simulated
    python bench/bench_ann.py --sizes 100000 --queries 300

Vectors: every passage vector of the indexes kept under bench/out/ (the government reports and
the CMRC/XQuAD answer indexes: ~12.6k distinct real vectors), used as they are for the first
row. Larger sizes are a **simulation**: each vector is a random mix w·a + (1−w)·b of two real
vectors (w uniform in [0.5, 1]) plus Gaussian noise of σ = 0.01 per dimension, normalised; at
20k vectors this gives the same nearest-neighbour cosines as the real ones (median 0.948 vs
0.946). Queries are real: CMRC 2018 dev questions encoded by the bundled model; by default
questions 300–600, since the first 300 were the ones kb/vectors.py's ANN parameters were chosen on.
For each size: the graph's build time and size, search latency p50/p95 of exact and graph search
through `VectorIndex.top` (depth 10 and 50, what hybrid search fuses), and recall of the graph's
top 10 and top 50 against exact.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from kb import vectors  # noqa: E402
from kb.evaluate import percentile  # noqa: E402

OUT = ROOT / "bench" / "out"
CMRC_DEV = ROOT / "bench" / "data" / "cmrc2018" / "cmrc2018_dev.json"
SIGMA = 0.01


def real_vectors() -> np.ndarray:
    folders = sorted({*OUT.glob("*/index/gen-*/vectors"), *OUT.glob("answers/*/index/gen-*/vectors")})
    if not folders:
        raise SystemExit("no vectors under bench/out/: run bench/bench_gov.py or bench/train_answers.py first")
    return np.unique(np.vstack([np.load(f / "vectors.npy") for f in folders]), axis=0)


def simulated(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for at in range(0, n, 100_000):  # in slices: 1M × 384 float64 temporaries would need 3 GB
        m = min(100_000, n - at)
        w = rng.uniform(0.5, 1.0, size=(m, 1))
        mix = w * real[rng.integers(len(real), size=m)] + (1 - w) * real[rng.integers(len(real), size=m)]
        mix += rng.normal(0, SIGMA, size=mix.shape)
        out[at:at + m] = mix / np.linalg.norm(mix, axis=1, keepdims=True)
    return out


def questions(n: int, offset: int = 0) -> np.ndarray:
    from kb.config import Settings
    from kb.embeddings import embedder

    data = json.loads(CMRC_DEV.read_text("utf-8"))["data"]
    asked = [q["question"] for d in data for p in d["paragraphs"] for q in p["qas"]][offset:offset + n]
    return embedder(Settings.from_env()).queries(asked)


def measure(matrix: np.ndarray, queries: np.ndarray, label: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        np.save(folder / "vectors.npy", matrix)
        began = time.perf_counter()
        params = vectors.write_graph(folder, matrix)
        build = time.perf_counter() - began
        meta = {"model": "bench", "ids": [str(i) for i in range(len(matrix))], "hashes": [], "ann": params}
        (folder / "ids.json").write_text(json.dumps(meta), "utf-8")
        index = vectors.VectorIndex(folder)
        graph = index.ann
        row = {"vectors": len(matrix), "source": label, "graph_build_s": round(build, 1),
               "graph_mb": round((folder / vectors.ANN_FILE).stat().st_size / 1e6, 1)}
        _run(index, queries[:50], 50)  # page the memory-mapped graph in, as a serving process has
        for depth in (10, 50):
            index.ann = graph
            approx, approx_ms = _run(index, queries, depth)
            index.ann = None
            exact, exact_ms = _run(index, queries, depth)
            recall = np.mean([len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact)])
            row[f"recall@{depth}"] = round(float(recall), 4)
            row[f"exact@{depth}_ms"] = _percentiles(exact_ms)
            row[f"ann@{depth}_ms"] = _percentiles(approx_ms)
        index.ann = graph
        return row


def _run(index, queries, depth):
    found, times = [], []
    for q in queries:
        began = time.perf_counter()
        found.append([row for row, _ in index.top(q, depth)])
        times.append((time.perf_counter() - began) * 1000)
    return found, times


def _percentiles(times: list[float]) -> list[float]:
    return [round(percentile(times, 50), 2), round(percentile(times, 95), 2)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[0, 100_000, 1_000_000], help="0: the real vectors")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--query-offset", type=int, default=300,
                        help="skip the first questions: the first 300 chose kb/vectors.py's ANN parameters")
    args = parser.parse_args()
    real, queries = real_vectors(), questions(args.queries, args.query_offset)
    OUT.mkdir(exist_ok=True)
    for size in args.sizes:
        matrix, label = (real, "real") if size == 0 else (simulated(real, size), f"simulated from {len(real)} real")
        row = measure(matrix, queries, label) | {"queries": f"CMRC dev questions {args.query_offset}–{args.query_offset + len(queries)}"}
        print(json.dumps(row), flush=True)
        with (OUT / "ann.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
