"""Reciprocal rank fusion: combine ranked lists by 1 / (k + rank), summed over the lists."""
from __future__ import annotations


def rrf(rankings: list[list[str]], k: int = 60, depth: int | None = None,
        weights: list[float] | None = None) -> list[tuple[str, float]]:
    """(id, fused score) best first. Each ranking lists ids best first; only the first `depth` of
    each count, each weighted by its entry in `weights` (1 by default). Ties keep the order in
    which ids were first seen, lists taken in turn."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, item in enumerate(ranking[:depth] if depth else ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
