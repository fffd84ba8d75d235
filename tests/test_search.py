
import pytest

from kb.build import build
from kb.errors import BadInput, TooLarge
from kb.snapshot import Snapshot

from conftest import CORPUS, keyword_settings

COURTYARD = "示范村、示范户等64个"


def test_courtyard_query_ranks_the_courtyard_passage_first(keyword_snapshot):
    for query in ("美丽庭院示范村", "美麗庭院示範村", "美丽庭院示范村有多少个"):
        hits = keyword_snapshot.search(query, k=3, mode="keyword").hits
        assert COURTYARD in hits[0].passage.text, query


def test_gbk_copy_of_the_report_is_found_the_same_way(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in CORPUS.iterdir():
        data = path.read_bytes()
        if path.suffix == ".txt":
            data = data.decode("utf-8").encode("gbk")
        (corpus / path.name).write_bytes(data)
    settings = keyword_settings(tmp_path, corpus)
    build(settings)
    hits = Snapshot(settings).search("美丽庭院示范村", k=1).hits
    assert COURTYARD in hits[0].passage.text


def test_chinese_numerals_in_the_query_find_digits(keyword_snapshot):
    hits = keyword_snapshot.search("六十四个", k=1).hits
    assert COURTYARD in hits[0].passage.text


def test_quoted_phrase_requires_the_phrase(keyword_snapshot):
    hits = keyword_snapshot.search("“美丽庭院”", k=10).hits
    assert hits and all("美丽庭院" in h.passage.text for h in hits)
    assert keyword_snapshot.search("“庭院美丽”", k=10).hits == []


def test_phrase_cut_differently_in_the_passage_still_matches(keyword_snapshot):
    # 儿童友好 is a dictionary word inside 儿童友好城市; the fallback checks the text itself
    hits = keyword_snapshot.search("“友好城市建设”", k=10).hits
    assert hits and all("友好城市建设" in h.passage.text for h in hits)


def test_highlights_mark_query_words_in_the_passage(keyword_snapshot):
    hit = keyword_snapshot.search("美丽庭院示范村", k=1).hits[0]
    marked = {hit.passage.text[a:b] for a, b in hit.highlights}
    assert {"美丽庭院", "示范村"} <= marked


def test_body_text_outranks_captions_that_repeat_the_words(keyword_snapshot):
    hits = keyword_snapshot.search("舒心驿站心理咨询室", k=3).hits
    assert hits[0].passage.kind == "body"


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_refused(keyword_snapshot, query):
    with pytest.raises(BadInput, match="empty"):
        keyword_snapshot.search(query)


def test_over_long_query_is_refused(keyword_snapshot):
    with pytest.raises(TooLarge, match="1000"):
        keyword_snapshot.search("妇" * 1001)
    with pytest.raises(TooLarge):
        keyword_snapshot.search("妇" * 10_000_000)


def test_query_of_only_punctuation_finds_nothing(keyword_snapshot):
    assert keyword_snapshot.search("，。？！", k=5).hits == []


def test_unknown_mode_is_refused(keyword_snapshot):
    with pytest.raises(BadInput, match="mode"):
        keyword_snapshot.search("妇联", mode="fuzzy")
