import json
import shutil

import pytest

from kb.cli import main

from conftest import CORPUS

JSON_KEYS = {"id", "text", "score", "doc_id", "title", "section", "paragraph", "start", "end", "highlights"}


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    index = tmp_path_factory.mktemp("cli") / "index"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KB_SEMANTIC", "0")
        assert main(["--index", str(index), "build", "--corpus", str(CORPUS), "--quiet"]) == 0
    return index


@pytest.fixture(autouse=True)
def keyword_only(monkeypatch):
    monkeypatch.setenv("KB_SEMANTIC", "0")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_json_has_the_documented_shape(index_dir, capsys, report_text):
    code, out, _ = run(capsys, "--index", str(index_dir), "search", "美丽庭院示范村", "-k", "3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "美丽庭院示范村" and len(data["results"]) == 3
    first = data["results"][0]
    assert JSON_KEYS <= set(first)
    assert report_text[first["start"]:first["end"]] == first["text"]
    assert "示范村、示范户等64个" in first["text"]
    assert "美丽庭院" in out  # Chinese is printed as is, not \\u-escaped
    for h in first["highlights"]:
        assert first["text"][h["start"]:h["end"]] == h["text"]


def test_search_text_output_has_marks_and_a_citation_line(index_dir, capsys):
    code, out, _ = run(capsys, "--index", str(index_dir), "search", "美丽庭院示范村", "-k", "1")
    assert code == 0
    assert "【美丽庭院】" in out
    assert "见证——佛山妇联的2022年 · 佛山妇联在家庭家教家风建设方面有新举措 / 1 推进传承弘扬好家教好家风行动 · ¶49 · 腾讯网 2023-01-21" in out


def test_index_from_the_environment(index_dir, capsys, monkeypatch):
    monkeypatch.setenv("KB_INDEX", str(index_dir))
    code, out, _ = run(capsys, "search", "妇女之家", "--json")
    assert code == 0 and json.loads(out)["results"]


def test_show_prints_the_passage_and_its_citation(index_dir, capsys):
    _, out, _ = run(capsys, "--index", str(index_dir), "search", "美丽庭院示范村", "-k", "1", "--json")
    pid = json.loads(out)["results"][0]["id"]
    code, out, _ = run(capsys, "--index", str(index_dir), "show", pid)
    assert code == 0 and "示范村、示范户等64个" in out and "¶49" in out
    code, _, err = run(capsys, "--index", str(index_dir), "show", "no-such-id")
    assert code == 1 and "no passage" in err


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_exits_2(index_dir, capsys, query):
    code, out, err = run(capsys, "--index", str(index_dir), "search", query)
    assert code == 2 and "empty" in err and out == ""


def test_long_query_exits_2(index_dir, capsys):
    code, _, err = run(capsys, "--index", str(index_dir), "search", "妇" * 1001)
    assert code == 2 and "limit" in err


def test_missing_index_says_run_kb_build(tmp_path, capsys):
    code, _, err = run(capsys, "--index", str(tmp_path / "none"), "search", "妇联")
    assert code == 1 and "kb build" in err and "Traceback" not in err


def test_build_reports_skipped_files_and_missing_corpus(tmp_path, capsys):
    corpus = tmp_path / "c"
    shutil.copytree(CORPUS, corpus)
    (corpus / "bad.txt").write_bytes(b"\x00\x00binary")
    (corpus / "bulk.jsonl").write_text('{"id": "x", "title": "t", "text": "妇联。"}\n{oops\n', "utf-8")
    code, out, err = run(capsys, "--index", str(tmp_path / "i"), "build", "--corpus", str(corpus), "--quiet")
    assert code == 0
    assert "bad.txt" in err and "bulk.jsonl:2" in err
    assert "2 documents" in out and "2 skipped" in out
    code, out, _ = run(capsys, "--index", str(tmp_path / "i"), "build", "--corpus", str(corpus), "--quiet")
    assert "up to date" in out
    code, _, err = run(capsys, "--index", str(tmp_path / "i"), "build", "--corpus", str(tmp_path / "nope"))
    assert code == 1 and "corpus folder not found" in err


@pytest.mark.parametrize("argv", [
    ["--index", "{index}", "search", "美丽庭院示范村", "--json"],
    ["search", "美丽庭院示范村", "--index", "{index}", "--json"],
    ["--json", "search", "美丽庭院示范村", "--index", "{index}"],
])
def test_common_options_go_before_or_after_the_command(index_dir, capsys, argv):
    code, out, _ = run(capsys, *(a.format(index=index_dir) for a in argv))
    assert code == 0 and "示范村、示范户等64个" in json.loads(out)["results"][0]["text"]


def test_build_after_its_name_takes_the_index_and_prints_json(tmp_path, capsys):
    code, out, _ = run(capsys, "build", "--index", str(tmp_path / "i"), "--corpus", str(CORPUS), "--json")
    report = json.loads(out)
    assert code == 0 and report["documents"] == 1 and report["passages"] > 50 and (tmp_path / "i" / "CURRENT").exists()


def test_json_is_refused_where_a_command_has_none(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--json", "serve"])
    assert stop.value.code == 2 and "no --json" in capsys.readouterr().err


def test_a_bug_keeps_its_traceback(index_dir, monkeypatch):
    """Only kb's own errors become a one-line message; anything else is a bug and propagates."""
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("kb.snapshot.Snapshot.search", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["--index", str(index_dir), "search", "妇女"])


def test_an_eval_set_that_is_missing_is_a_clear_error(index_dir, capsys, tmp_path):
    code, _, err = run(capsys, "--index", str(index_dir), "eval", str(tmp_path / "none.jsonl"))
    assert code == 1 and "no evaluation set" in err
    (tmp_path / "bad.jsonl").write_text("{not json\n", "utf-8")
    code, _, err = run(capsys, "--index", str(index_dir), "eval", str(tmp_path / "bad.jsonl"))
    assert code == 2 and "bad.jsonl:1" in err


def test_a_reader_that_stops_early_gets_no_traceback(index_dir):
    """`kb search … | head -1`: the pipe is closed while kb still has to write; kb stops quietly
    (here it is closed before kb starts writing, so that every write fails). Output buffered as in
    a shell: then kb's last write is the flush, which must fail inside kb, not at exit."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"} | {"KB_SEMANTIC": "0"}
    with subprocess.Popen([sys.executable, "-m", "kb.cli", "--index", str(index_dir), "search", "妇联"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as kb:
        kb.stdout.close()
        err = kb.stderr.read().decode()
        assert kb.wait() == 141 and "Traceback" not in err, err
