"""The cross-lingual lexicon (kb/lexicon.py): an English question read in the corpus's own words."""
from __future__ import annotations

import shutil

from kb import lexicon
from kb.build import build
from kb.config import Settings
from kb.features import question_words
from kb.query import parse_query
from kb.search import term_share
from kb.snapshot import Snapshot


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


def test_a_generation_with_vectors_but_no_lexicon_serves_and_is_rebuilt_once(tmp_path, semantic_settings, snapshot):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("甲\n全市妇女之家1019个，巾帼志愿者3万人。\n", "utf-8")
    settings = Settings(index=tmp_path / "index", corpus=corpus, cache=semantic_settings.cache)
    first = build(settings)
    shutil.rmtree(settings.index / first.generation / lexicon.FOLDER)
    old = Snapshot(settings)
    assert old.lexicon is None and old.parse("How many volunteers?").translations == ()
    assert old.search("How many volunteers?", k=1).hits  # still serves
    old.close()
    second = build(settings)
    assert not second.up_to_date
    snap = Snapshot(settings)
    assert snap.manifest["vectors"]["embedded"] == 0 and "志愿者" in snap.parse("How many volunteers?").translations
    snap.close()
    assert build(settings).up_to_date
