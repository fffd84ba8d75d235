"""The cross-lingual lexicon (kb/lexicon.py): an English question read in the corpus's own words."""
from __future__ import annotations

from kb import lexicon
from kb.features import question_words
from kb.query import parse_query
from kb.search import term_share


def test_english_words_are_the_content_words():
    assert lexicon.english_words("How many people lived in the city of Warsaw in 1939?") == [
        "people", "lived", "city", "warsaw"]
    assert lexicon.english_words("全市有多少个妇女之家") == []


def test_frequent_words_are_chinese_words_most_frequent_first(monkeypatch):
    frequencies = {"妇女": 5, "儿童": 9, "女": 50, "covid": 40, "2022": 30, "家庭": 5}
    assert lexicon.frequent_words(frequencies) == ["儿童", "妇女", "家庭"]  # ties by spelling: deterministic
    monkeypatch.setattr(lexicon, "MAX_WORDS", 2)
    assert lexicon.frequent_words(frequencies) == ["儿童", "妇女"]


def test_the_lexicon_holds_the_corpus_words(snapshot):
    words = snapshot.lexicon.words
    assert {"妇女", "志愿者", "美丽", "庭院"} <= set(words)
    assert snapshot.manifest["lexicon"]["words"] == len(words)


def test_an_english_question_is_read_in_the_corpus_words(snapshot):
    query = snapshot.parse("How many volunteers took part in epidemic prevention?")
    assert {"志愿者", "防控"} <= set(query.translations) and {"志愿者", "防控"} <= set(query.searched_terms)
    assert {"志愿者", "防控"} <= set(question_words(query))  # the answer features compare these too
    top = snapshot.search(query, k=3, mode="keyword").hits
    assert any("巾帼志愿者参与防疫支援" in h.passage.text for h in top)


def test_the_words_read_in_do_not_count_as_the_question_known(snapshot):
    """Fusion trusts the keyword list by the share of the query's own terms the index knows: the
    nearest words would make every English question look fully known."""
    text = "How many volunteers took part in epidemic prevention?"
    assert snapshot.parse(text).translations
    assert term_share(snapshot, snapshot.parse(text)) == term_share(snapshot, parse_query(text)) < 1


def test_chinese_questions_and_keyword_only_indexes_are_not_translated(snapshot, keyword_snapshot):
    assert snapshot.parse("全市有多少名巾帼志愿者").translations == ()
    assert keyword_snapshot.lexicon is None
    assert keyword_snapshot.parse("How many volunteers took part?").translations == ()
