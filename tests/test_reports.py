"""Reports of several years side by side: year words choose the report, and a question about a
year's outcome is answered from the report that names it (real text: the 2024 and 2025
government work reports beside the review)."""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import CORPUS, DATA, opened
from kb.config import Settings
from kb.answers import ask
from kb.build import build
from kb.documents import Document
from kb.query import report_years, without_report_name, years_in

REPORTS = DATA / "gov-work-reports" / "government_work_reports.jsonl"


def cited_doc(snapshot, answer) -> str:
    return snapshot.passages[answer.evidence.passage_id].doc_id


@pytest.fixture(scope="module")
def reports(tmp_path_factory, model_cache):
    """The review and the 2024 and 2025 reports, with vectors: the answer model's keyword-only
    variant is weaker (docs/benchmarks.md), and the product builds vectors by default."""
    corpus = tmp_path_factory.mktemp("reports-corpus")
    for path in CORPUS.iterdir():
        shutil.copy(path, corpus / path.name)
    rows = [json.loads(line) for line in REPORTS.read_text("utf-8").splitlines()]
    with (corpus / "reports.jsonl").open("w", encoding="utf-8") as handle:
        for r in rows:
            if str(r.get("year")) in ("2024", "2025"):
                doc = {"id": f"gov-{r['year']}", "title": r["title"], "text": r["content"], "date": str(r["year"])}
                handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    settings = Settings(index=tmp_path_factory.mktemp("reports") / "index", corpus=corpus, cache=model_cache)
    build(settings)
    yield from opened(settings)


def test_a_report_named_by_its_year_is_the_only_year_that_filters():
    assert years_in("2025年政府工作报告中，2024年城镇新增就业多少人？") == {"2025"}
    assert years_in("二〇二四年的工作报告提出了什么") == {"2024"}
    assert years_in("2024年城镇新增就业目标") == {"2024"}
    assert years_in("2023年和2024年的粮食产量") == {"2023", "2024"}
    assert "报告" not in without_report_name("2024年政府工作报告说上一年粮食产量是多少")


def test_only_reports_are_about_a_year():
    """A dated report, or an edition of a series, is about its years; an undated article whose
    title holds a year (as in an encyclopedia) is not, so a question naming the year is not
    confined to it."""
    docs = [Document("review", "见证——佛山妇联的2022年", "", date="2023-01-21"),
            Document("gd-2023", "2023年广东省政府工作报告", ""), Document("gd-2024", "2024年广东省政府工作报告", ""),
            Document("election", "2009年马其顿总统选举", ""), Document("pageant", "香港小姐竞选", "")]
    assert report_years(docs) == {"review": {"2022", "2023"}, "gd-2023": {"2023"}, "gd-2024": {"2024"},
                                  "election": set(), "pageant": set()}


def test_year_words_rank_that_years_report_first(reports):
    hits = reports.search("2025年居民消费价格涨幅", k=5, mode="keyword").hits
    assert hits[0].passage.doc_id == "gov-2025"
    hits = reports.search("2024年居民消费价格涨幅", k=5, mode="keyword").hits
    assert hits[0].passage.doc_id == "gov-2024"


def test_the_named_report_answers_for_the_year_it_looks_back_on(reports):
    answer = ask(reports, "2025年政府工作报告中，2024年城镇调查失业率平均是多少？", mode="keyword")
    assert answer.found and answer.value == 5.1 and cited_doc(reports, answer) == "gov-2025"


def test_an_outcome_question_gets_the_outcome_not_the_target(reports):
    answer = ask(reports, "2024年政府工作报告中，上一年粮食产量是多少？", mode="keyword")
    assert answer.found and answer.value == 1.39e12
    assert cited_doc(reports, answer) == "gov-2024"
    answer = ask(reports, "2024年政府工作报告里，2023年城镇调查失业率平均是多少？", mode="keyword")
    assert answer.found and answer.value == 5.2 and answer.unit == "%"


def test_a_target_question_gets_the_target(reports):
    answer = ask(reports, "2024年粮食产量目标是多少？", mode="keyword")
    assert answer.found and answer.value == 1.3e12 and answer.qualifier == "以上"
    assert cited_doc(reports, answer) == "gov-2024"
