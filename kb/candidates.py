"""Answer candidates of a passage: every figure, date, person name, identifier and sentence, each
with its local context (the words it belongs to inside its list item or clause) and the sentence
it stands in. `kb/answers.py` scores them with the model of `kb/answer_model.py`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kb.dictionary import common_words
from kb.figures import CLAUSE_END, Figure
from kb.passages import Passage
from kb.textspans import DATE, sentence_around, sentence_spans
from kb.tokenizer import pos_tagger

KINDS = ("quantity", "date", "person", "identifier", "sentence")
# hotline and telephone numbers, codes: five digits or more, maybe with an area code (0757-83xxxxxx)
IDENTIFIER = re.compile(r"(?<![\d.,])(?:\d{3,4}-)?\d{5,}(?![\d.,])")
# jieba's person tags: a name, and a well-known person's full name (李强). Not nrt, "transliterated
# name": its dictionary entries are mostly places and nationalities (乌兰巴托, 乌克兰人), and in the
# public government work reports its commonest words are 努力提高, 在城镇, 二十大 (docs/benchmarks.md, "Names").
_NAME_TAGS = frozenset({"nr", "nrfg"})
# a name is more likely next to a role word; the words themselves are common Chinese job titles
_ROLE = re.compile(r"主席|书记|局长|主任|部长|市长|县长|区长|镇长|院长|校长|会长|理事长|负责人|代表|委员|"
                   r"总经理|董事长|经理|队长|社长|所长|处长|科长|厅长|省长|总统|总理|首相|教授|博士|导演|作者")


@dataclass
class Candidate:
    """One possible answer: `text` at document offsets start:end, in `local` (its list item or
    clause slot) and in the sentence sentence_start:sentence_end of passage `passage_id`."""

    kind: str  # quantity | date | person | identifier | sentence
    text: str
    start: int
    end: int
    local: str
    sentence: str
    sentence_start: int
    sentence_end: int
    passage_id: str
    figure: Figure | None = None  # for quantities: the parsed figure (value, unit, qualifier)
    role: bool = False  # for persons: a role word stands in the same clause
    rows: tuple[int, int] | None = None  # local context's and sentence's rows in the stored vectors (kb/candidate_store.py)


def within(c: Candidate, around: Candidate) -> bool:
    """Whether `c` stands in the sentence of `around`: a sentence candidate ends at a semicolon,
    a figure's sentence does not (sentence_around), so spans are compared, not starts."""
    return c.passage_id == around.passage_id and around.sentence_start <= c.start and c.end <= around.sentence_end


def candidates_of(passage: Passage, figures: list[Figure]) -> list[Candidate]:
    """Every candidate of `passage`; `figures` are its figures from the figure table."""
    text, base = passage.text, passage.start
    found = [_sentence(passage, s0, s1) for s0, s1 in sentence_spans(text)]
    for f in figures:
        found.append(_typed(passage, "quantity", f.start - base, f.end - base, f.context, figure=f))
    taken = [(f.start - base, f.end - base) for f in figures]
    for m in DATE.finditer(text):
        found.append(_typed(passage, "date", m.start(), m.end(), _clause(text, m.start(), m.end())))
        taken.append(m.span())
    for m in IDENTIFIER.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e in taken):
            found.append(_typed(passage, "identifier", m.start(), m.end(), _clause(text, m.start(), m.end())))
    for start, end in _names(text):
        clause = _clause(text, start, end)
        found.append(_typed(passage, "person", start, end, clause, role=bool(_ROLE.search(clause))))
    return found


def _sentence(passage: Passage, s0: int, s1: int) -> Candidate:
    sentence = passage.text[s0:s1]
    return Candidate("sentence", sentence.strip(), passage.start + s0, passage.start + s1, sentence, sentence,
                     passage.start + s0, passage.start + s1, passage.id)


def _typed(passage: Passage, kind: str, start: int, end: int, local: str, **extra) -> Candidate:
    s0, s1 = sentence_around(passage.text, start, end)
    return Candidate(kind, passage.text[start:end], passage.start + start, passage.start + end, local,
                     passage.text[s0:s1], passage.start + s0, passage.start + s1, passage.id, **extra)


def _clause(text: str, start: int, end: int) -> str:
    """The clause around text[start:end]: out to the nearest clause ends."""
    left = max((text.rfind(c, 0, start) for c in CLAUSE_END + "\n"), default=-1) + 1
    rights = [i for i in (text.find(c, end) for c in CLAUSE_END + "\n") if i >= 0]
    return text[left:min(rights, default=len(text))]


def _names(text: str) -> list[tuple[int, int]]:
    """Offsets of person names by jieba's POS tags; a surname and given name tagged apart
    (甘 + 绮霞) are joined. jieba's dictionary tags many common words as names (弘扬, 智慧): a
    word CC-CEDICT knows only as a common word is not taken."""
    spans, at, current = [], 0, None
    for w in pos_tagger().cut(text):
        if w.flag in _NAME_TAGS:
            current = (current[0] if current else at, at + len(w.word))
        elif current:
            spans.append(current)
            current = None
        at += len(w.word)
    spans += [current] if current else []
    common = common_words()
    return [(s, e) for s, e in spans if e - s >= 2 and text[s:e] not in common]
