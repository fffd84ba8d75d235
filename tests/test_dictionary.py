"""CC-CEDICT read backwards (kb/dictionary.py), and an English question read through it (kb/lexicon.py)."""
from __future__ import annotations

from kb import dictionary
from kb.lexicon import stop_words


def test_a_gloss_leads_to_the_words_it_glosses():
    glosses = dictionary.glosses()
    assert "人口" in glosses[("population",)]
    assert "世界杯" in glosses[("world", "cup")]
    assert "城市" in glosses[("city",)]  # /city; town/: one slot of the entry, two glosses
    assert "得分" in glosses[("score",)]  # /to score/: the leading "to" is dropped
    assert "总统" in glosses[("president",)]  # /president (of a country)/: the parentheses too


def test_measure_words_and_cross_references_are_no_glosses():
    glosses = dictionary.glosses()
    assert not any(words[0] == "cl" for words in glosses)  # CL:座[zuo4] names a measure word
    assert not any(words[:2] == ("variant", "of") for words in glosses)
    assert all(0 < len(words) <= dictionary.MAX_PHRASE for words in glosses)
    assert all(len(word) > 1 for chinese in glosses.values() for word in chinese)  # no single characters


def test_the_longest_phrase_at_each_word_is_looked_up_first():
    found = dict(dictionary.phrases("Which country hosted the World Cup in 2002?", stop_words()))
    assert "世界杯" in found["world cup"] and "world" not in found and "cup" not in found
    assert "国家" in found["country"]
    assert "2002" not in found  # numbers are matched by keyword search as they are


def test_plurals_find_their_singular_and_stop_words_are_not_looked_up():
    found = dict(dictionary.phrases("How many cities were there?", stop_words()))
    assert "城市" in found["cities"]
    assert list(found) == ["cities"]  # "how many" and "there" are stop words only
    assert dictionary.covered_words(list(found.items())) >= {"cities", "city"}
    assert "妇女" in dict(dictionary.phrases("women", stop_words()))["women"]  # an irregular plural


def test_an_english_question_reads_the_dictionary_translation_the_corpus_has(snapshot):
    """The nearest corpus word to "demonstration" alone is 展示 (display); CC-CEDICT's
    translations of it include 示范, which the review uses (示范村, 示范户)."""
    query = snapshot.parse("Which demonstration villages were created?")
    assert "示范" in query.translations and "展示" not in query.translations
    assert "家庭" in snapshot.parse("How many families took part?").translations
    top = snapshot.search(query, k=3, mode="keyword").hits
    assert any("示范" in h.passage.text for h in top)


def test_each_phrase_keeps_every_reading_the_corpus_has(snapshot, keyword_snapshot):
    """Beside the one translation searched for, a query keeps all of each dictionary phrase's
    translations that the corpus has (kb/lexicon.py `readings`): the answer features count the
    phrase found when any of them is. A phrase none of whose translations the corpus has keeps
    them all: it counts as a phrase the text does not say."""
    query = snapshot.parse("How many beautiful courtyard demonstration sites were created?")
    words = set(snapshot.lexicon.words)
    assert query.readings and all(group and set(group) <= words for group in query.readings)
    beautiful = next(group for group in query.readings if "美丽" in group)
    assert len(beautiful) > 1  # 美丽 and 美好 both gloss "beautiful"
    assert ("庭院",) in query.readings and ("示范",) in query.readings
    absent = snapshot.parse("How many kindergartens were opened?").readings
    assert "幼儿园" in absent[0] and not set(absent[0]) & words  # the review never says 幼儿园
    assert set(absent[1]) <= words  # opened: 开展, 开设 …
    assert snapshot.parse("美丽庭院示范村有多少个").readings == ()
    assert keyword_snapshot.parse("How many beautiful courtyards?").readings == ()  # no lexicon without the model


def test_inflected_words_find_their_base_form():
    assert dictionary.base_forms("cities")[:2] == ["cities", "city"]
    assert {"play", "create", "stop", "make", "large", "busy"} <= {
        form for word in ("played", "created", "stopped", "making", "largest", "busiest")
        for form in dictionary.base_forms(word)}
    found = dict(dictionary.phrases("Who created the largest stadium?", stop_words()))
    assert "创造" in found["created"] and "大型" in found["largest"]
    assert dictionary.covered_words(list(found.items())) >= {"created", "create"}


def test_a_word_the_dictionary_holds_as_written_keeps_its_base_form_too():
    """CC-CEDICT glosses 城邑 as "cities" and 城市 as "city": a plural is read as both."""
    found = dict(dictionary.phrases("cities", stop_words()))
    assert ("cities",) in dictionary.glosses() and {"城邑", "城市"} <= set(found["cities"])


def test_a_name_glossed_with_its_description_is_found_by_the_name():
    """/Warsaw, capital of Poland/: the part before the comma is a gloss too."""
    assert "华沙" in dictionary.glosses()[("warsaw",)]
    assert "华沙" in dict(dictionary.phrases("How many people lived in Warsaw?", stop_words()))["warsaw"]
