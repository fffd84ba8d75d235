
from kb.documents import Document, load_file
from kb.passages import split_document, windows

from conftest import REPORT


def report_passages(window=200):
    [doc], _ = load_file(REPORT)
    return doc, split_document(doc, window)


def test_every_passage_is_exactly_its_slice_of_the_document():
    doc, passages = report_passages()
    assert len(passages) > 50
    for p in passages:
        assert doc.text[p.start:p.end] == p.text, p.id


def test_offsets_hold_for_every_window_size():
    doc, _ = report_passages()
    for size in (50, 120, 400):
        for p in split_document(doc, size):
            assert doc.text[p.start:p.end] == p.text


def test_chapters_numbered_heads_and_titles_make_the_section_path():
    _, passages = report_passages()
    by_text = {p.text: p for p in passages}
    courtyard = next(p for p in passages if "示范村、示范户等64个" in p.text)
    assert courtyard.section == ["佛山妇联在家庭家教家风建设方面有新举措", "1 推进传承弘扬好家教好家风行动"]
    assert courtyard.kind == "body" and courtyard.paragraph == 49
    lecturers = next(p for p in passages if "汇聚79名讲师" in p.text)
    assert lecturers.section == ["佛山市妇联在团结引领妇女群众听党话、跟党走上有新作为", "学好党的最新理论"]
    chapters = [p for p in passages if p.kind == "heading" and len(p.section) == 0 and p.paragraph > 1]
    assert len(chapters) == 6  # the six "这一年" chapters
    assert "这一年" not in by_text  # the marker line itself is no passage
    party = next(p for p in passages if p.text.startswith("印发市妇联《关于认真学习"))
    assert party.section[-1] == "一 坚持“党建带妇建”"


def test_photo_captions_are_captions_and_multi_line_ones_stay_together():
    doc, passages = report_passages()
    caption = next(p for p in passages if "市妇联组织收听收看全省妇联系统\n学习宣传贯彻党的二十大精神会议" in p.text)
    assert caption.kind == "caption" and caption.paragraph == 10
    assert caption.text.startswith("市妇联举办") and caption.text.endswith("精神会议")
    assert not any(p.kind == "caption" and "。" in p.text for p in passages)


def test_long_paragraphs_split_at_sentence_ends_within_the_window():
    _, passages = report_passages(120)
    media = [p for p in passages if p.paragraph == 24]
    assert len(media) > 2
    for p in media:
        assert p.text.endswith(("。", "；", "！", "？")) or p is media[-1]
        assert len(p.text) <= 120 or p.text.count("。") <= 1


def test_windows_keep_an_over_long_sentence_whole():
    text = "短句一。" + "长" * 50 + "。短句二。"
    assert [text[a:b] for a, b in windows(text, 20)] == ["短句一。", "长" * 50 + "。", "短句二。"]


def test_ids_are_stable_and_follow_text_and_place():
    doc, first = report_passages()
    _, second = report_passages()
    assert [p.id for p in first] == [p.id for p in second]
    assert len({p.id for p in first}) == len(first)
    edited = Document(id=doc.id, title=doc.title, text=doc.text.replace("64个", "65个"))
    changed = {p.id for p in split_document(edited)} ^ {p.id for p in first}
    assert len(changed) == 2  # only the edited passage's id differs


def test_explicit_headings_from_markdown_are_used(tmp_path):
    path = tmp_path / "r.md"
    path.write_text("# 报告\n## 一、就业\n城镇新增就业1256万人。\n## 二、物价\n居民消费价格上涨0.2%。\n", "utf-8")
    [doc], _ = load_file(path)
    passages = split_document(doc)
    body = [p for p in passages if p.kind == "body"]
    assert [p.section for p in body] == [["报告", "一、就业"], ["报告", "二、物价"]]
