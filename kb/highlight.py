"""Highlights: where the query's words stand in a passage, as character spans of its text."""
from __future__ import annotations

from functools import lru_cache

from kb.normalize import normalize_with_map
from kb.tokenizer import tokenize


def spans(text: str, terms: list[str], phrases: list[str] = ()) -> list[tuple[int, int]]:
    """Merged (start, end) spans of `text` that match a query term or quoted phrase."""
    wanted = set(terms)
    matching = [t for t in _tokens(text) if t.text in wanted]
    found = [(t.start, t.end) for t in matching]
    if phrases:
        norm, where = normalize_with_map(text)
        for phrase in phrases:
            at = norm.find(phrase)
            while at >= 0 and phrase:
                found.append((where[at][0], where[at + len(phrase) - 1][1]))
                at = norm.find(phrase, at + len(phrase))
    return _merge(found)


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple:
    """Passages come back again and again: their tokens are kept for the next query."""
    return tuple(tokenize(text))


def _merge(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def mark(text: str, where: list[tuple[int, int]], before: str = "【", after: str = "】",
         escape=lambda s: s) -> str:
    """`text` with each span wrapped in `before`/`after`; other text passed through `escape`."""
    out, pos = [], 0
    for start, end in where:
        out.append(escape(text[pos:start]))
        out.append(before + escape(text[start:end]) + after)
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)
