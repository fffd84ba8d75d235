"""`kb eval`: run a question or claim set against the index and report the metrics.

Formats are those of `../shared/eval/README.md`: a question set has `question`, `answers` and
`evidence`; a claim set has `claim`, `verdict` and `evidence`. A retrieved passage is relevant
when it contains the evidence string (compared without spaces).
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from kb.search import Snapshot


class BadEvalSet(ValueError):
    """An evaluation file that cannot be read; the message names the line."""


@dataclass
class ItemResult:
    id: str
    passed: bool | None  # None: nothing to find (an unanswerable question, for retrieval)
    rank: int | None  # rank of the first relevant passage, 1-based
    returned: str  # what the system gave, for the per-item listing
    latency_ms: float
    extra: dict = field(default_factory=dict)


def load_set(path: Path) -> tuple[str, list[dict]]:
    """('questions' | 'claims', items) from a JSONL file."""
    items = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadEvalSet(f"{path.name}:{number}: not JSON ({error})") from error
        if not isinstance(item, dict) or not ({"question", "claim"} & set(item)):
            raise BadEvalSet(f"{path.name}:{number}: needs a 'question' or 'claim' field")
        items.append(item)
    if not items:
        raise BadEvalSet(f"{path.name}: no items")
    kind = "questions" if "question" in items[0] else "claims"
    if any(("question" in i) != (kind == "questions") for i in items):
        raise BadEvalSet(f"{path.name}: mixes questions and claims")
    return kind, items


def _squash(text: str) -> str:
    return "".join(text.split())


def relevant_rank(texts: list[str], evidence: str | None) -> int | None:
    if not evidence:
        return None
    wanted = _squash(evidence)
    for rank, text in enumerate(texts, 1):
        if wanted in _squash(text):
            return rank
    return None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def retrieval_results(snapshot: Snapshot, items: list[dict], mode: str, depth: int = 10) -> list[ItemResult]:
    results = []
    for item in items:
        began = time.perf_counter()
        found = snapshot.search(item["question"], k=depth, mode=mode)
        latency = (time.perf_counter() - began) * 1000
        rank = relevant_rank([h.passage.text for h in found.hits], item.get("evidence"))
        top = found.hits[0].passage.text[:60] if found.hits else ""
        passed = (rank == 1) if item.get("evidence") else None
        results.append(ItemResult(item.get("id", ""), passed, rank, top, latency))
    return results


def retrieval_summary(items: list[dict], results: list[ItemResult]) -> dict:
    answerable = [r for item, r in zip(items, results) if item.get("evidence")]
    n = len(answerable) or 1
    return {"hit@1": round(sum(1 for r in answerable if r.rank == 1) / n, 4),
            "hit@5": round(sum(1 for r in answerable if r.rank and r.rank <= 5) / n, 4),
            "mrr": round(sum(1 / r.rank for r in answerable if r.rank) / n, 4)}


def latency_summary(results: list[ItemResult]) -> dict:
    latencies = [r.latency_ms for r in results]
    return {"latency_ms_p50": round(statistics.median(latencies), 1) if latencies else 0.0,
            "latency_ms_p95": round(percentile(latencies, 95), 1)}


def evaluate(snapshot: Snapshot, path: Path, mode: str = "hybrid") -> tuple[list[ItemResult], dict]:
    """Per-item results and the summary object `kb eval --json` prints last."""
    kind, items = load_set(path)
    summary = {"set": path.name, "kind": kind, "mode": mode, "n": len(items)}
    if kind == "questions":
        results = retrieval_results(snapshot, items, mode)
        summary |= retrieval_summary(items, results)
    else:
        raise BadEvalSet(f"{path.name}: claim sets are not supported yet")
    summary |= latency_summary(results)
    return results, summary
