from kb.tokenizer import terms, tokenize, user_words


def test_single_digits_are_indexed():
    assert "5" in terms("5个示范点")


def test_numbers_stay_whole_and_lose_thousands_separators():
    texts = [t.text for t in tokenize("处理信访案件4,308宗，覆盖逾53.4万人次")]
    assert "4308" in texts and "53.4" in texts


def test_positions_are_ordinal_and_subwords_share_their_word_position():
    tokens = tokenize("美丽庭院示范村")
    main = [t for t in tokens if t.main]
    assert [t.text for t in main] == ["美丽庭院", "示范村"]
    assert [t.position for t in main] == [0, 1]
    subs = {t.text: t.position for t in tokens if not t.main}
    assert subs["美丽"] == 0 and subs["庭院"] == 0


def test_offsets_point_into_the_original_text():
    text = "創建美麗庭院六十四個"
    for token in tokenize(text):
        assert 0 <= token.start < token.end <= len(text)
    by_text = {t.text: text[t.start:t.end] for t in tokenize(text)}
    assert by_text["美丽庭院"] == "美麗庭院"
    assert by_text["64"] == "六十四"


def test_english_is_lowercased_and_punctuation_dropped():
    assert terms("How many, SITES?") == ["how", "many", "sites"]


def test_user_dictionary_keeps_domain_terms_whole():
    words = {w for w, _, _ in user_words()}
    assert {"美丽庭院", "舒心驿站", "巾帼志愿者", "妇女之家", "儿童友好城市", "两癌"} <= words
    for word in ("舒心驿站", "巾帼志愿者", "两癌"):
        assert [t.text for t in tokenize(word) if t.main] == [word]
