"""Sentences and dates in Chinese text, as offsets: the one definition that passages, figures and
answers share; and the sentences of an English article (kb/articles.py)."""
from __future__ import annotations

import re

_ENDS = "。！？!?…"
_SEMICOLONS = "；;"
_CLOSERS = "”’」』）)\"'"
_STRIP = " \t\u3000\ufeff"


def _sentence_pattern(ends: str) -> re.Pattern:
    return re.compile(rf"[^{ends}\n]*[{ends}]+[{_CLOSERS}]*|[^{ends}\n]+")


SENTENCE_END = _ENDS + _SEMICOLONS
_SENTENCES = _sentence_pattern(SENTENCE_END)
_FULL_SENTENCES = _sentence_pattern(_ENDS)

# A calendar date as reports write it: 2022年7月下旬, 2022年底, 3月8日, 2023-01-21; a lone 3月 or 8日
# too (figures must not read them as counts).
DATE = re.compile(r"\d{4}\s*[-/.]\s*\d{1,2}\s*[-/.]\s*\d{1,2}"
                  r"|(?:19|20)\d{2}年(?:\d{1,2}月)?(?:\d{1,2}[日号]|上旬|中旬|下旬|底|初)?"
                  r"|\d{1,2}月(?:\d{1,2}[日号]|上旬|中旬|下旬)?|\d{1,2}[日号]")


def sentence_spans(text: str, semicolons: bool = True) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, its end punctuation and closing quotes included.
    With `semicolons=False` a semicolon does not end a sentence: in 预期目标是：增长5%左右；新增就业
    1200万人以上； the lead-in belongs to every item."""
    pattern = _SENTENCES if semicolons else _FULL_SENTENCES
    return [(m.start(), m.end()) for m in pattern.finditer(text) if m.group().strip(_STRIP)]


# English ends a sentence with . ! or ? before a space or the end; 12.68 and U.S.-made go on.
_ENGLISH_SENTENCES = re.compile(r"\S.*?(?:[.!?]+[\"')\]]*(?=\s|$)|(?=\n)|$)")


def english_sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of an English text, its end punctuation included."""
    return [m.span() for m in _ENGLISH_SENTENCES.finditer(text)]


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of the full sentence (semicolons do not end it) holding text[start:end]."""
    for s0, s1 in sentence_spans(text, semicolons=False):
        if s0 <= start and end <= s1:
            return s0, s1
    return 0, len(text)
