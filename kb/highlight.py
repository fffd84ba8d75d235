"""Highlights: where the query's words stand in a passage, as character spans of its text.

Found in the passage's normalised text without cutting it into words: numbers and English words
where a whole run equals a term (64 not inside 164, 4,308 as 4308), Chinese terms wherever their
characters stand (美丽 inside 美丽庭院, as jieba's search mode also finds it). Cutting the ten
passages of a page with jieba cost more than the keyword search itself on a cold process.
"""
from __future__ import annotations

from kb.normalize import normalize_with_map
from kb.tokenizer import RUNS


def spans(text: str, terms: list[str], phrases: list[str] = ()) -> list[tuple[int, int]]:
    """Merged (start, end) spans of `text` that match a query term or quoted phrase."""
    norm, where = normalize_with_map(text)
    wanted = set(terms)
    chinese = [t for t in wanted if _is_chinese(t)]
    found: list[tuple[int, int]] = []
    for run in RUNS.finditer(norm):
        if run.lastgroup != "cjk":
            if run.group().replace(",", "").lower() in wanted:
                found.append((where[run.start()][0], where[run.end() - 1][1]))
            continue
        found += _occurrences(run.group(), chinese, where, run.start())
    return _merge(found + _occurrences(norm, [p for p in phrases if p], where, 0))


def _is_chinese(term: str) -> bool:
    run = RUNS.fullmatch(term)
    return run is not None and run.lastgroup == "cjk"


def _occurrences(haystack: str, needles: list[str], where: list[tuple[int, int]], base: int) -> list[tuple[int, int]]:
    """Source spans of every occurrence of each needle in `haystack`, which starts at `base`."""
    found = []
    for needle in needles:
        at = haystack.find(needle)
        while at >= 0:
            found.append((where[base + at][0], where[base + at + len(needle) - 1][1]))
            at = haystack.find(needle, at + len(needle))
    return found


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
