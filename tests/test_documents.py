import json
import sys
from pathlib import Path

import docx
import pytest

from kb.documents import decode_bytes, load_corpus, load_file
from kb.errors import NotFound, UnreadableFile

from conftest import CORPUS, REPORT, ROOT

sys.path.insert(0, str(ROOT / "bench"))
from fuzz_build import tiny_pdf  # noqa: E402  (one PDF writer for the tests and the fuzz bench)

SAMPLE = "美丽庭院示范村64个\n全市1019个妇女之家联动发力。"


def test_report_loads_with_catalogue_metadata():
    docs, skipped = load_corpus(CORPUS)
    assert skipped == []
    [doc] = docs
    assert doc.id == "foshan-womens-federation-2022-review"
    assert doc.title == "见证——佛山妇联的2022年"
    assert (doc.outlet, doc.date, doc.publisher, doc.language) == ("腾讯网", "2023-01-21", "佛山市妇联", "zh-Hans")
    assert doc.text == REPORT.read_text("utf-8")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "big5"])
def test_encodings_are_detected(encoding):
    text = "美丽庭院示范村、示范户等64个" if encoding != "big5" else "美麗庭院示範村、示範戶等64個"
    assert decode_bytes(text.encode(encoding)) == text


def test_the_whole_report_round_trips_through_gbk():
    text = REPORT.read_text("utf-8")
    assert decode_bytes(text.encode("gb18030")) == text


def test_binary_data_named_txt_is_refused(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnreadableFile, match="photo.txt"):
        load_file(path)


def test_markdown_headings_are_marked_and_stripped(tmp_path):
    path = tmp_path / "r.md"
    path.write_text("# 年度报告\n\n## 家庭建设\n- 创建美丽庭院示范村64个。\n", "utf-8")
    [doc], _ = load_file(path)
    assert doc.text.split("\n") == ["年度报告", "", "家庭建设", "创建美丽庭院示范村64个。", ""]
    assert doc.heading_levels == {0: 1, 2: 2}
    assert doc.title == "年度报告"


def test_html_blocks_headings_and_no_script(tmp_path):
    path = tmp_path / "r.html"
    path.write_text("<html><head><title>t</title><script>alert(1)</script></head><body>"
                    "<h2>家庭建设</h2><p>创建美丽庭院<b>示范村</b>64个。</p><p>第二段&amp;。</p></body></html>", "utf-8")
    [doc], _ = load_file(path)
    assert doc.text == "家庭建设\n创建美丽庭院示范村64个。\n第二段&。"
    assert doc.heading_levels == {0: 2}


def test_docx_paragraphs_and_heading_styles(tmp_path):
    document = docx.Document()
    document.add_heading("家庭建设", level=1)
    document.add_paragraph("创建美丽庭院示范村64个。")
    path = tmp_path / "r.docx"
    document.save(path)
    [doc], _ = load_file(path)
    assert doc.text == "家庭建设\n创建美丽庭院示范村64个。"
    assert doc.heading_levels == {0: 1}


def test_pdf_text_is_extracted(tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(tiny_pdf(["Annual report", "We created 64 demonstration sites."]))
    [doc], _ = load_file(path)
    assert "64 demonstration sites" in doc.text


def test_broken_docx_and_pdf_are_reported(tmp_path):
    for name in ("bad.docx", "bad.pdf"):
        (tmp_path / name).write_bytes(b"not really")
        with pytest.raises(UnreadableFile, match=name):
            load_file(tmp_path / name)


def test_jsonl_reports_malformed_lines_by_number_and_keeps_the_rest(tmp_path):
    path = tmp_path / "bulk.jsonl"
    rows = [json.dumps({"id": "a", "title": "甲", "text": SAMPLE, "date": "2023-01-01"}, ensure_ascii=False),
            "{not json",
            json.dumps({"id": "b", "title": "乙"}),
            json.dumps({"id": "a", "title": "甲2", "text": "重复"}, ensure_ascii=False),
            json.dumps({"id": "c", "title": "丙", "text": "第三篇。", "url": "http://x"}, ensure_ascii=False)]
    path.write_text("\n".join(rows) + "\n", "utf-8")
    docs, skipped = load_file(path)
    assert [d.id for d in docs] == ["a", "c"]
    assert docs[0].date == "2023-01-01" and docs[1].url == "http://x"
    assert [s.path for s in skipped] == ["bulk.jsonl:2", "bulk.jsonl:3", "bulk.jsonl:4"]
    assert "text" in skipped[1].reason and "duplicate" in skipped[2].reason


def test_corpus_skips_bad_files_by_name_and_loads_the_others(tmp_path):
    (tmp_path / "good.txt").write_text(SAMPLE, "utf-8")
    (tmp_path / "gbk.txt").write_bytes(SAMPLE.replace("64", "65").encode("gbk"))
    (tmp_path / "blob.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "empty.txt").write_text("  \n", "utf-8")
    (tmp_path / "notes.xyz").write_text("?", "utf-8")
    docs, skipped = load_corpus(tmp_path)
    assert sorted(d.id for d in docs) == ["gbk", "good"]
    assert {Path(s.path).name for s in skipped} == {"blob.txt", "empty.txt", "notes.xyz"}


def test_missing_corpus_folder_is_an_error(tmp_path):
    with pytest.raises(NotFound, match="corpus folder not found"):
        load_corpus(tmp_path / "nowhere")
