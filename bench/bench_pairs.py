"""PAIR_CANDIDATES (kb/keyword.py): how many of the best documents by term score are searched
for adjacent query-word pairs, against keyword latency and the top 10 it changes.

    python bench/bench_pairs.py INDEX            # e.g. a kept bench_scale.py index of 100k passages

For each value, the dev + government questions are searched twice (the second pass timed: the
postings are memory-mapped, so the first pass only pages them in); top 10s are compared with
those of the largest value.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_index import dev_questions  # noqa: E402

from kb import keyword  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.evaluate import percentile  # noqa: E402
from kb.snapshot import Snapshot  # noqa: E402

VALUES = (3000, 1000, 300, 100)


def main() -> None:
    snap = Snapshot(Settings.from_env(index=Path(sys.argv[1]), semantic=False))
    questions = dev_questions()
    reference = None
    for value in VALUES:
        keyword.PAIR_CANDIDATES = value
        for q in questions:
            snap.search(q, k=10, mode="keyword")
        tops, times = [], []
        for q in questions:
            began = time.perf_counter()
            tops.append([h.passage.id for h in snap.search(q, k=10, mode="keyword").hits])
            times.append((time.perf_counter() - began) * 1000)
        reference = reference or tops
        same = sum(a == b for a, b in zip(tops, reference))
        print(json.dumps({"pair_candidates": value, "p50_ms": round(percentile(times, 50), 1),
                          "p95_ms": round(percentile(times, 95), 1),
                          "top10_same_as_3000": f"{same}/{len(questions)}"}), flush=True)
    snap.close()


if __name__ == "__main__":
    main()
