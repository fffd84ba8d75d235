"""A whole article checked: every sentence that states a figure is verified against the corpus
(kb/answers.py `verify`), and the verdicts are summed up."""
from __future__ import annotations

from dataclasses import dataclass, field

from kb.answers import Verdict, verify
from kb.figures import parse_english_quantities, parse_quantities
from kb.query import check_text, language_of
from kb.snapshot import Snapshot
from kb.textspans import english_sentence_spans, sentence_spans

MAX_ARTICLE_CHARS = 20_000
VERDICTS = ("supported", "contradicted", "conflicting", "not_found")


@dataclass
class CheckedSentence:
    start: int  # offsets in the article's text
    end: int
    verdict: Verdict


@dataclass
class ArticleReport:
    text: str
    sentences: list[CheckedSentence] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(VERDICTS, 0)
        for s in self.sentences:
            counts[s.verdict.verdict] = counts.get(s.verdict.verdict, 0) + 1
        return counts | {"sentences_checked": len(self.sentences)}


def check_article(snapshot: Snapshot, text: str, mode: str = "hybrid") -> ArticleReport:
    """The article's sentences that state figures, each with its verdict. BadInput when the text
    is empty, TooLarge over MAX_ARTICLE_CHARS characters."""
    text = check_text(text, "the article", MAX_ARTICLE_CHARS)
    report = ArticleReport(text)
    chinese = language_of(text) == "zh"  # else an English article, read as kb/answers.py reads English claims
    figures_in = parse_quantities if chinese else parse_english_quantities
    for start, end in sentence_spans(text, semicolons=False) if chinese else english_sentence_spans(text):
        sentence = text[start:end]
        if not figures_in(sentence) or len(sentence.strip()) > snapshot.settings.max_query_chars:
            continue
        lead = len(sentence) - len(sentence.lstrip())
        verdict = verify(snapshot, snapshot.parse(sentence), mode)
        report.sentences.append(CheckedSentence(start + lead, start + lead + len(sentence.strip()), verdict))
    return report
