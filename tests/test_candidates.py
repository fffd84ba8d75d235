"""Answer candidates (kb/candidates.py) on real sentences of the review."""
import pytest

from kb.candidates import candidates_of, within
from kb.figures import figures_of
from kb.passages import Passage


def _candidates(report_text: str, sentence: str):
    start = report_text.index(sentence)
    passage = Passage("p", "review", sentence, start, start + len(sentence))
    return passage, candidates_of(passage, figures_of(passage))


def _one(found, kind: str, text: str):
    matches = [c for c in found if c.kind == kind and c.text == text]
    assert len(matches) == 1, [(c.kind, c.text) for c in found]
    return matches[0]


def test_a_list_item_figure_belongs_to_its_own_item(report_text):
    _, found = _candidates(report_text, "申报首批省级儿童友好示范区1个、示范镇街8个、示范基地15个。")
    assert "示范镇街" in _one(found, "quantity", "8个").local
    assert "示范基地" not in _one(found, "quantity", "8个").local
    assert "示范基地" in _one(found, "quantity", "15个").local


def test_in_a_list_whose_figures_lead_their_items_each_gets_its_own_words(report_text):
    """评选出1名一级收藏作品、5名二级收藏作品: the 5 counts 二级收藏作品; the words of the item before it
    are not its own, the lead-in is every item's."""
    _, found = _candidates(report_text, "评选出1名一级收藏作品、5名二级收藏作品、10名三级收藏作品和150名优秀作品")
    second, last = _one(found, "quantity", "5名"), _one(found, "quantity", "150名")
    assert "二级收藏作品" in second.local and "一级" not in second.local and "评选出" in second.local
    assert "优秀作品" in last.local and "三级" not in last.local and "评选出" in last.local


def test_offsets_point_at_the_text_in_the_document(report_text):
    sentence = "畅通三级维权站、12338妇女热线，全市妇联系统处理信访案件4308宗，服务4644人次，处理率100%。"
    _, found = _candidates(report_text, sentence)
    for c in found:
        assert report_text[c.start:c.end] == c.text
        assert report_text[c.sentence_start:c.sentence_end] == c.sentence


def test_a_hotline_number_is_an_identifier_not_a_count(report_text):
    _, found = _candidates(report_text, "畅通三级维权站、12338妇女热线，全市妇联系统处理信访案件4308宗，服务4644人次，处理率100%。")
    assert _one(found, "identifier", "12338").local.endswith("妇女热线")
    assert not [c for c in found if c.kind == "quantity" and "12338" in c.text]
    assert {c.text for c in found if c.kind == "quantity"} == {"4308宗", "4644人次", "100%"}


def test_new_and_existing_figures_keep_their_own_cue_words(report_text):
    sentence = next(s for s in report_text.split("。") if "全年新增“舒心驿站”心理咨询室5间" in s) + "。"
    _, found = _candidates(report_text, sentence)
    assert "新增" in _one(found, "quantity", "5间").local
    existing = _one(found, "quantity", "21间")
    assert "现全市" in existing.local and "新增" not in existing.local


def test_a_name_beside_a_role_word_is_a_person(report_text):
    _, found = _candidates(report_text, "市妇联主席甘绮霞带队到禅城区")
    person = _one(found, "person", "甘绮霞")
    assert person.role


def test_words_jieba_tags_as_names_are_not_persons(report_text):
    """jieba's dictionary tags 弘扬 as a name (CC-CEDICT knows it as a common word) and 二十大 as a
    transliterated name, here beside the role word 代表."""
    for sentence in ("发布“传承弘扬好家教好家风”研学线路23条", "推进传承弘扬好家教好家风行动",
                     "组织全市各级妇联、各界妇女代表收看党的二十大开幕会"):
        _, found = _candidates(report_text, sentence)
        assert not [c.text for c in found if c.kind == "person"]


def test_a_well_known_full_name_is_a_person(report_text):
    """习近平 carries jieba's tag for a well-known person's full name (nrfg), not the plain one."""
    _, found = _candidates(report_text, "推动习近平新时代中国特色社会主义思想传遍千家万户")
    assert _one(found, "person", "习近平")


@pytest.mark.parametrize("sentence, date", [
    ("2022年7月下旬，佛山市正式颁布实施“两个规划”。", "2022年7月下旬"),
])
def test_a_date_as_written(report_text, sentence, date):
    _, found = _candidates(report_text, sentence)
    assert _one(found, "date", date).sentence == sentence
    assert not [c for c in found if c.kind == "quantity"]


def test_a_figure_stands_in_the_part_of_a_sentence_that_holds_it(report_text):
    """Sentence candidates end at a semicolon; a figure's own sentence does not. A sentence chosen
    as the answer offers the figures inside it, not those of the other parts."""
    start = report_text.index("深化与三大主流媒体的合作互动")
    sentence = report_text[start:report_text.index("。", report_text.index("短视频60条；")) + 1]
    _, found = _candidates(report_text, sentence)
    figure = _one(found, "quantity", "60条")
    parts = [c for c in found if c.kind == "sentence"]
    assert [p.text[-3:] for p in parts] == ["0条；", "访谈；", "新闻。"]
    assert [within(figure, p) for p in parts] == [True, False, False]
    assert within(figure, figure) and figure.sentence == sentence
