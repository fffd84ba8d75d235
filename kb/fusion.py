"""Reciprocal rank fusion: combine ranked lists by 1 / (k + rank), summed over the lists."""
from __future__ import annotations


def rrf(rankings: list[list[str]], k: int = 60, depth: int | None = None) -> list[tuple[str, float]]:
    """(id, fused score) best first. Each ranking lists ids best first; only the first `depth` of
    each count. Ties keep the order in which ids were first seen, lists taken in turn."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking[:depth] if depth else ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
