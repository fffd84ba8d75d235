"""Tokens for search: normalised text cut by jieba, with ordinal positions and source offsets.

Each main word gets the next ordinal position, so phrase queries work; inside a long word the
dictionary words it contains (美丽 and 庭院 in 美丽庭院) are emitted at the same position, as
jieba's search mode does, so a query for a part still matches. Numbers are kept whole (53.4,
4308 from 4,308, single digits too) and English words are lowercased. `start`/`end` are offsets
into the text as given, before normalisation, so highlights land on the original characters.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import jieba
from whoosh.analysis import Token as WhooshToken
from whoosh.analysis import Tokenizer as WhooshTokenizer

from kb.normalize import normalize_with_map

RUNS = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"|(?P<word>[A-Za-z]+)"
    r"|(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
)
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Token:
    text: str  # normalised, lowercased
    position: int  # ordinal position of the main word this token belongs to
    start: int  # offsets into the original text
    end: int
    main: bool  # False for a dictionary word found inside a longer main word


@lru_cache(maxsize=1)
def segmenter() -> jieba.Tokenizer:
    """The process-wide jieba instance with kb's user dictionary (loaded once: ~1 s, ~80 MB)."""
    with _LOCK:
        tk = jieba.Tokenizer()
        jieba.setLogLevel(60)  # jieba logs its cache use at INFO on every load
        tk.initialize()
        for word, freq, tag in user_words():
            tk.add_word(word, freq, tag or "n")  # domain terms are names of things
        return tk


@lru_cache(maxsize=1)
def pos_tagger():
    """jieba's part-of-speech tagger over the same dictionary. Importing jieba.posseg already
    parsed the dictionary's tag table for its default tagger; `POSTokenizer(segmenter())` would
    parse it again (0.45 s of a cold `kb ask`), so the table is shared."""
    import jieba.posseg

    if segmenter().dictionary != jieba.posseg.dt.tokenizer.dictionary:
        return jieba.posseg.POSTokenizer(segmenter())
    tagger = object.__new__(jieba.posseg.POSTokenizer)
    tagger.tokenizer, tagger.word_tag_tab = segmenter(), jieba.posseg.dt.word_tag_tab
    return tagger


def user_words() -> list[tuple[str, int | None, str | None]]:
    """Domain terms from kb/data/userdict.txt: `word [freq] [tag]`, `#` starts a comment."""
    text = resources.files("kb.data").joinpath("userdict.txt").read_text("utf-8")
    words = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        words.append((parts[0], freq, tag))
    return words


def _subwords(tk: jieba.Tokenizer, word: str) -> list[tuple[int, str]]:
    """Dictionary words of length 2 and 3 inside `word` (jieba's search mode), with their offset."""
    found = []
    for n in (2, 3):
        if len(word) <= n:
            continue
        for i in range(len(word) - n + 1):
            gram = word[i:i + n]
            if tk.FREQ.get(gram):
                found.append((i, gram))
    return found


def tokenize(text: str) -> list[Token]:
    """All tokens of `text` (see module doc)."""
    norm, spans = normalize_with_map(text)
    tk = segmenter()
    tokens: list[Token] = []
    position = 0

    def emit(word: str, begin: int, main: bool) -> None:
        start, end = spans[begin][0], spans[begin + len(word) - 1][1]
        tokens.append(Token(word.lower(), position, start, end, main))

    for match in RUNS.finditer(norm):
        kind, run, base = match.lastgroup, match.group(), match.start()
        if kind == "num":
            start, end = spans[base][0], spans[match.end() - 1][1]
            tokens.append(Token(run.replace(",", ""), position, start, end, True))
            position += 1
            continue
        if kind == "word":
            emit(run, base, True)
            position += 1
            continue
        offset = 0
        for word in tk.cut(run, HMM=False):
            emit(word, base + offset, True)
            for sub_offset, sub in _subwords(tk, word):
                emit(sub, base + offset + sub_offset, False)
            offset += len(word)
            position += 1
    return tokens


def adjacent_pairs(tokens: list[Token]) -> list[tuple[str, str]]:
    """Each pair of main words that stand next to each other (consecutive positions), in order."""
    main = [t for t in tokens if t.main]
    return [(a.text, b.text) for a, b in zip(main, main[1:]) if b.position == a.position + 1]


def terms(text: str) -> list[str]:
    """Distinct token texts, main words first, in order of appearance."""
    seen: dict[str, None] = {}
    for token in sorted(tokenize(text), key=lambda t: not t.main):
        seen.setdefault(token.text, None)
    return list(seen)


class JiebaTokenizer(WhooshTokenizer):
    """whoosh adapter for `tokenize`. Holds no state, so whoosh can pickle it into the schema."""

    def __eq__(self, other):
        return other.__class__ is self.__class__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize_=True, mode="", **kwargs):
        token = WhooshToken(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for item in tokenize(value):
            token.text = item.text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = item.text
            if positions:
                token.pos = start_pos + item.position
            if chars:
                token.startchar = start_char + item.start
                token.endchar = start_char + item.end
            yield token
