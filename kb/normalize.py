"""One normalisation for index and query: NFKC, traditional → simplified, Chinese numerals → digits.

`normalize_with_map` also returns, for every output character, the span of input characters it
came from, so tokens found in normalised text can be pointed back at the original document.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import cn2an
import opencc

_DIGITS = "〇零一二三四五六七八九两"
_UNITS = "十百千万亿"
# A numeral run is converted when it is unambiguously a number: it holds a unit character and is
# at least two characters long (六十四, 一千零一十九), or it spells digits one by one (二〇二二).
# Single characters stay: 一 in 一起 or 万 in 千家万户 are words, not quantities.
_NUMERAL_RUN = re.compile(f"[{_DIGITS}{_UNITS}]{{2,}}")
_DIGIT_VALUE = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "两": "2"}


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _nfkc_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch)


def chinese_number(run: str) -> str | None:
    """Arabic form of a run of Chinese numeral characters, or None when it is not one number."""
    if not any(u in run for u in _UNITS):
        if len(run) >= 3 and any(c in run for c in "〇零"):
            return "".join(_DIGIT_VALUE[c] for c in run)
        return None
    try:
        value = cn2an.cn2an(run, "smart")
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _fold_chars(text: str) -> tuple[list[str], list[int]]:
    """NFKC and t2s character by character; returns output pieces and their source index."""
    if len(text) == 0:
        return [], []
    simplified = _t2s().convert(text)
    if len(simplified) != len(text):  # a phrase rule changed the length: fall back to per-char
        simplified = "".join(_t2s().convert(c) if len(_t2s().convert(c)) == 1 else c for c in text)
    pieces, sources = [], []
    for i, ch in enumerate(simplified):
        folded = _nfkc_char(ch)
        for out in folded:
            pieces.append(out)
            sources.append(i)
    return pieces, sources


def normalize_with_map(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Normalised text plus, per output character, the (start, end) input span it stands for."""
    pieces, sources = _fold_chars(text)
    folded = "".join(pieces)
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _NUMERAL_RUN.finditer(folded):
        number = chinese_number(match.group())
        if number is None:
            continue
        for k in range(pos, match.start()):
            out.append(folded[k])
            spans.append((sources[k], sources[k] + 1))
        span = (sources[match.start()], sources[match.end() - 1] + 1)
        out.extend(number)
        spans.extend([span] * len(number))
        pos = match.end()
    for k in range(pos, len(folded)):
        out.append(folded[k])
        spans.append((sources[k], sources[k] + 1))
    return "".join(out), spans


def normalize(text: str) -> str:
    """Normalised form of `text` (see module doc)."""
    return normalize_with_map(text)[0]


def is_text(text: str) -> bool:
    """Whether `text` can be written as UTF-8. Unpaired surrogates (a JSON \\ud800 escape, or bytes
    that were not UTF-8 in a command line) cannot, and would break OpenCC and every encoder after."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
