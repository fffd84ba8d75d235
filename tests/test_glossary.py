from kb.glossary import glossary, translate
from kb.query import parse_query as parse


def test_longest_phrase_wins_and_plurals_fold():
    assert translate("small guaranteed loans") == ["小额担保贷款"]
    assert translate("guaranteed loan") == ["担保贷款"]
    assert translate("Beautiful-Courtyard demonstration villages") == ["美丽庭院", "示范村"]


def test_unknown_words_translate_to_nothing():
    assert translate("zebra quantum") == []
    assert translate("美丽庭院") == []


def test_every_entry_has_chinese_terms():
    table = glossary()
    assert len(table) > 100
    assert all(terms and all(any("\u4e00" <= c <= "\u9fff" for c in t) for t in terms) for terms in table.values())


def test_english_queries_gain_chinese_keyword_terms():
    parsed = parse("How many petition cases were handled?")
    assert {"信访", "案件", "处理"} <= set(parsed.terms)
