"""English questions on the keyword side: the field's English terms looked up in a glossary and
added to the query as Chinese words (dictionary-based query translation). The semantic side needs
no help; this lets BM25 take part in hybrid ranking for English questions too."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from kb.dictionary import base_forms

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")  # hyphens split words: child-friendly = child friendly


@lru_cache(maxsize=1)
def glossary() -> dict[tuple[str, ...], list[str]]:
    """English phrase (as a tuple of words) → Chinese terms, from kb/data/glossary.txt."""
    entries: dict[tuple[str, ...], list[str]] = {}
    text = resources.files("kb.data").joinpath("glossary.txt").read_text("utf-8")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" not in line:
            continue
        english, chinese = (part.strip() for part in line.split("=", 1))
        key = tuple(_WORD.findall(english.lower().replace("’", "'")))
        entries.setdefault(key, []).extend(t.strip() for t in chinese.split("|") if t.strip())
    return entries


def translate(query: str) -> list[str]:
    """Chinese terms for the English phrases in `query`, longest phrase first at each word."""
    found: list[str] = []
    for _, chinese in _matches(query):
        found.extend(t for t in chinese if t not in found)
    return found


def covered(query: str) -> set[str]:
    """The English words of `query` (lower case, as `_WORD` cuts them) that a glossary phrase covers."""
    return {part for words, _ in _matches(query) for word in words for part in word.split("'")}


def _matches(query: str) -> list[tuple[list[str], list[str]]]:
    """(English words, Chinese terms) of each glossary phrase found in `query`, longest first at each word."""
    words = _WORD.findall(query.lower().replace("’", "'"))
    table = glossary()
    longest = max((len(k) for k in table), default=1)
    found = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            match = _lookup(table, words[i:i + n])
            if match:
                found.append((words[i:i + n], match))
                i += n
                break
        else:
            i += 1
    return found


def _lookup(table, words: list[str]) -> list[str] | None:
    heads, last = words[:-1], words[-1]
    for variant in base_forms(last):
        hit = table.get(tuple(heads + [variant]))
        if hit:
            return hit
    return None
