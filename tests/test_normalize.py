from kb.normalize import chinese_number, normalize, normalize_with_map


def test_full_width_becomes_half_width():
    assert normalize("ＡＢＣ１２３，（") == "ABC123,("


def test_traditional_becomes_simplified():
    assert normalize("美麗庭院示範村") == "美丽庭院示范村"


def test_chinese_numerals_become_digits():
    assert normalize("六十四个") == "64个"
    assert normalize("一千零一十九个妇女之家") == "1019个妇女之家"
    assert normalize("二〇二二年") == "2022年"
    assert normalize("两千人") == "2000人"


def test_single_numeral_characters_stay_words():
    # 一 in 一起, 万 in 千家万户, 五 in 五大行动 are not quantities on their own
    assert normalize("一起向未来") == "一起向未来"
    assert normalize("传遍千家万户") == "传遍千家万户"
    assert normalize("第八个五年规划") == "第八个五年规划"


def test_runs_that_are_not_one_number_are_left_alone():
    assert chinese_number("一一") is None
    assert chinese_number("百万") is None  # cn2an refuses it; better kept than guessed


def test_map_points_every_output_character_at_its_source():
    text = "覆蓋六十四個（示範村）"
    norm, spans = normalize_with_map(text)
    assert norm == "覆盖64个(示范村)"
    assert len(spans) == len(norm)
    assert text[spans[2][0]:spans[3][1]] == "六十四"
    assert text[spans[-1][0]:spans[-1][1]] == "）"
