"""`kb import-squad` on the public files in bench/data/ and on files that are not SQuAD."""
import json
import re
from pathlib import Path

import pytest

from kb.cli import main
from kb.squad import BadSquadFile, import_squad

DATA = Path(__file__).resolve().parent.parent / "bench" / "data"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_xquad_without_ids_gets_ids_from_positions(tmp_path):
    report = import_squad(DATA / "xquad" / "xquad-dev-zh-questions.json", tmp_path, contexts=3)
    docs = _lines(tmp_path / "corpus" / "xquad-dev-zh-questions.jsonl")
    questions = _lines(tmp_path / "questions.jsonl")
    assert report.contexts == 3 and [d["id"] for d in docs] == [
        "xquad-dev-zh-questions-0-0", "xquad-dev-zh-questions-0-1", "xquad-dev-zh-questions-0-2"]
    assert {q["doc_id"] for q in questions} == {d["id"] for d in docs}
    text = {d["id"]: d["text"] for d in docs}
    for q in questions:  # every gold span points at its answer in its own context
        assert any(text[q["doc_id"]][s:e] in q["answers"] for s, e in q["spans"])


def test_cmrc_keeps_its_own_ids(tmp_path):
    import_squad(DATA / "cmrc2018" / "cmrc2018_trial.json", tmp_path, contexts=2)
    docs = _lines(tmp_path / "corpus" / "cmrc2018_trial.jsonl")
    assert docs[0]["id"] == json.loads((DATA / "cmrc2018" / "cmrc2018_trial.json").read_text("utf-8"))[
        "data"][0]["paragraphs"][0]["id"]


@pytest.mark.parametrize("content, says", [
    ('{"version": 1}', "no 'data' list"),
    ('[1, 2]', "no 'data' list"),
    ('{"data": [{"title": "x"}]}', "data[0] has no 'paragraphs'"),
    ('{"data": [{"paragraphs": [{"qas": []}]}]}', "has no 'context'"),
    ('{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "1"}]}]}]}', "has no 'question'"),
    ('{"data": [{"paragraphs": [{"context": "c", "qas": [{"question": "q", "answers": [{}]}]}]}]}',
     "answer without 'text'"),
    ('not json', "not JSON"),
])
def test_files_that_are_not_squad_get_a_clear_error_and_write_nothing(tmp_path, content, says):
    source = tmp_path / "in.json"
    source.write_text(content, "utf-8")
    with pytest.raises(BadSquadFile, match=re.escape(says)):
        import_squad(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_import_squad_reports_a_bad_file_without_a_traceback(tmp_path, capsys):
    source = tmp_path / "in.json"
    source.write_text('{"data": 3}', "utf-8")
    code = main(["import-squad", str(source), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code != 0 and "no 'data' list" in err and "Traceback" not in err
