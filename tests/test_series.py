"""Figures across years and whole articles checked, on real text: the review beside the 72
government work reports (bench/data), and an article written for this test (tests/data)."""
from __future__ import annotations

import csv
import io
import json
import re
import sys

import pytest

from conftest import ROOT, keyword_settings, opened
from kb.answers import ask, verify
from kb.articles import check_article
from kb.build import build
from kb.cli import main
from kb.series import OUTCOME, PERIOD, TARGET, build_series, read_figure
from web import create_app

ARTICLE = (ROOT / "tests" / "data" / "article.txt").read_text("utf-8")
EXPECTED = {k: v for k, v in json.loads((ROOT / "tests" / "data" / "article-verdicts.json").read_text("utf-8")).items()
            if not k.startswith("_")}


@pytest.fixture(scope="module")
def reports_settings(tmp_path_factory):
    """The review and every government work report, keyword-only (built once, ~20 s)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_gov import make_corpus

    corpus = tmp_path_factory.mktemp("gov-corpus")
    make_corpus(corpus)
    settings = keyword_settings(tmp_path_factory.mktemp("gov"), corpus)
    build(settings)
    return settings


@pytest.fixture(scope="module")
def reports(reports_settings):
    yield from opened(reports_settings)


def by_year(points) -> dict:
    return {p.year: p for p in points}


def test_urban_jobs_year_by_year_from_the_reports(reports):
    series = build_series(reports, reports.parse("城镇新增就业"))
    outcomes, targets = by_year(series.outcomes), by_year(series.targets)
    assert len(outcomes) >= 10 and len(targets) >= 10 and series.unit == "人"
    # each checked against the report that states it (bench/data/gov-work-reports)
    for year, value, doc in [(2023, 12_440_000, "gov-2024"), (2017, 13_510_000, "gov-2018"),
                             (2015, 13_120_000, "gov-2016"), (2020, 11_860_000, "gov-2021"),
                             (2010, 11_680_000, "gov-2011")]:
        point = outcomes[year]
        assert point.figure.value == value and point.figure.doc_id.startswith(doc), year
        assert str(int(value / 10_000)) in point.figure.clause
    assert targets[2024].figure.text == "1200万人以上" and targets[2024].figure.doc_id.startswith("gov-2024")
    assert targets[2016].figure.text == "1000万人以上"
    # a target is never listed as an outcome, and five-year totals stand apart
    assert all(read_figure(reports, p.figure).stance == OUTCOME for p in series.outcomes)
    assert {p.figure.text for p in series.periods} >= {"超过6000万人", "6600万人以上"}
    assert not {p.figure.text for p in series.periods} & {p.figure.text for p in series.outcomes}


def test_values_are_shown_in_one_unit(reports):
    from kb.series import value_in

    series = build_series(reports, reports.parse("粮食产量"))
    point = by_year(series.outcomes)[2014]
    assert point.figure.text == "6.07亿吨" and series.unit == "斤"
    assert value_in(point.figure, "斤") == pytest.approx(1.214e12)


def test_what_a_figure_is_and_the_year_it_is_about(reports):
    def reading(doc_prefix: str, text: str):
        figure = next(f for f in reports.figures if f.doc_id.startswith(doc_prefix) and f.text == text)
        return read_figure(reports, figure)

    assert (reading("gov-2024", "1244万人").stance, reading("gov-2024", "1244万人").year) == (OUTCOME, 2023)
    assert (reading("gov-2024", "1200万人以上").stance, reading("gov-2024", "1200万人以上").year) == (TARGET, 2024)
    assert reading("gov-2021", "超过6000万人").stance == PERIOD
    # the review is published in 2023 about the year its title names
    assert reading("foshan-womens-federation-2022-review", "64个").year == 2022


def test_a_paragraph_that_opens_on_the_targets_holds_targets(reports):
    """The 2025 report lists its targets (城镇调查失业率5.5%左右，…), then explains them in a
    paragraph that opens 提出上述预期目标 and names no year: both are the 2025 target."""
    found = [f for f in reports.figures if f.doc_id.startswith("gov-2025") and f.text == "5.5%左右"]
    assert len(found) == 2
    assert {(read_figure(reports, f).stance, read_figure(reports, f).year) for f in found} == {(TARGET, 2025)}
    # a paragraph that opens on a goal reached (国内生产总值增长率达到预期目标，…) goes on with outcomes
    [profit] = [f for f in reports.figures if f.doc_id.startswith("gov-2000") and f.text == "2202亿元"]
    assert read_figure(reports, profit).stance == OUTCOME


def test_the_corpus_own_disagreement_for_a_year_is_flagged(reports):
    series = build_series(reports, reports.parse("巾帼志愿服务队"))
    [point] = [p for p in series.outcomes if p.year == 2022]
    assert {point.figure.text} | {o.text for o in point.others} == {"1208支", "1108支"}


@pytest.mark.parametrize("question,answer,stance", [
    ("2019年政府工作报告说去年城镇新增就业多少人？", "1361万人", "outcome"),
    pytest.param("2019年政府工作报告提出的城镇新增就业预期目标是多少？", "1100万人以上", "target", marks=pytest.mark.xfail(
        strict=True, reason="keyword-only, the chooser ranks the sentence after the target list "
                            "(今年城镇新增就业要在实现预期目标的基础上，力争达到近几年的实际规模…) above the figure; it has "
                            "flipped with retraining (linear models before 24dfbdb chose the sentence, 24dfbdb the figure, "
                            "the trees plus line of docs/benchmarks.md 'The chooser as trees and a line' the sentence "
                            "again). With vectors, "
                            "test_reports.py checks target questions")),
    ("2018年政府工作报告中，上一年城镇新增就业实际是多少？", "1351万人", "outcome"),
    # the review of five years (五年来 … 830万人), not this year's plan beside it (今年 … 280万人)
    ("2018年政府工作报告说五年来易地扶贫搬迁多少人？", "830万人", "period"),
])
def test_an_outcome_question_gets_an_outcome_and_a_target_question_a_target(reports, question, answer, stance):
    result = ask(reports, question, mode="keyword")
    assert result.found and result.text == answer and result.stance == stance


@pytest.mark.parametrize("claim,verdict", [
    ("2019年政府工作报告说，去年新增高速铁路运营里程4100公里", "supported"),
    ("2019年政府工作报告说，去年新增高速铁路运营里程410万米", "supported"),  # the same length in metres
    ("2019年政府工作报告说，去年新增高速铁路运营里程4100米", "contradicted"),
])
def test_a_claim_in_another_unit_of_the_same_family_is_converted(reports, claim, verdict):
    result = verify(reports, claim, mode="keyword")
    assert result.verdict == verdict and result.evidence[0].figure == "4100公里"


def test_kb_series_json_and_csv(reports_settings, capsys):
    index = str(reports_settings.index)
    assert main(["series", "城镇新增就业", "--index", index, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["outcomes"]) >= 10 and data["targets"] and data["unit"] == "人"
    first = data["outcomes"][0]
    assert {"year", "value", "unit", "figure", "citation", "citation_line", "passage_id"} <= set(first)
    assert main(["series", "城镇新增就业", "--index", index, "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == ["kind", "year", "value"] and {r[0] for r in rows[1:]} == {"outcome", "target", "period"}


def test_series_page_draws_a_chart_that_links_every_point(reports_settings):
    client = create_app({"KB_SETTINGS": reports_settings, "TESTING": True}).test_client()
    html = client.get("/series?q=城镇新增就业").get_data(as_text=True)
    data = client.get("/series.json?q=城镇新增就业").get_json()
    svg = html[html.index("<svg"):html.index("</svg>")]
    points = len(data["outcomes"]) + len(data["targets"])
    assert svg.count("<circle") == points and svg.count('<a href="/doc/') == points
    assert "<polyline" in svg and "实际完成" in html and "预期目标" in html
    api = client.get("/api/series?q=城镇新增就业&format=csv")
    assert api.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert client.get("/api/series?q=").status_code == 400


# --- articles --------------------------------------------------------------------------------


def verdicts_right(sentences: list[dict]) -> tuple[int, int]:
    right = 0
    for key, verdict in EXPECTED.items():
        [sentence] = [s for s in sentences if key in s["claim"]]
        right += sentence["verdict"] == verdict
    return right, len(EXPECTED)


def test_an_article_is_checked_sentence_by_sentence(snapshot):
    from kb.shapes import article_dict

    data = article_dict(check_article(snapshot, ARTICLE), snapshot)
    right, total = verdicts_right(data["sentences"])
    assert right / total >= 0.9, (right, total)
    assert data["summary"]["sentences_checked"] == len(EXPECTED)  # the sentence without a figure is left alone
    for s in data["sentences"]:
        for f in s["figures"]:
            assert data["text"][f["start"]:f["end"]] == f["figure"]


def test_an_english_article_is_checked_against_the_chinese_review(snapshot):
    from kb.shapes import article_dict

    text = ("The women's federation system handled 4,308 petition cases in 2022. Its work went on all year. "
            "It also mobilised 1,108 volunteer teams. Foshan built 50 new kindergartens.")
    data = article_dict(check_article(snapshot, text), snapshot)
    assert [s["verdict"] for s in data["sentences"]] == ["supported", "conflicting", "not_found"]  # 1108支 and 1208支
    for s in data["sentences"]:
        for f in s["figures"]:
            assert data["text"][f["start"]:f["end"]] == f["figure"]


def test_kb_verify_reads_an_article_from_standard_input(semantic_settings, snapshot, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(ARTICLE.encode("gb18030")), encoding="gb18030"))
    assert main(["verify", "--file", "-", "--index", str(semantic_settings.index), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    right, total = verdicts_right(data["sentences"])
    assert right / total >= 0.9
    assert main(["verify", "--index", str(semantic_settings.index)]) == 2  # neither a claim nor a file


def test_the_article_page_and_api(semantic_settings, snapshot):
    client = create_app({"KB_SETTINGS": semantic_settings, "TESTING": True}).test_client()
    api = client.post("/api/verify", json={"text": ARTICLE}).get_json()
    assert verdicts_right(api["sentences"])[0] / len(EXPECTED) >= 0.9
    page = client.post("/article", data={"text": ARTICLE}).get_data(as_text=True)
    # each checked figure is marked by colour and by a word
    assert re.search(r'<mark class="checked contradicted">4,380宗<small class="verdict-word">与来源不符</small></mark>', page)
    assert page.count('<mark class="checked') == sum(len(s["figures"]) for s in api["sentences"])
    twin = client.post("/article.json", data={"text": ARTICLE}).get_json()
    assert twin["summary"] == api["summary"]
    too_long = client.post("/api/verify", json={"text": "妇女" * 10001})
    assert too_long.status_code == 413 and "20000" in too_long.get_json()["error"]["message"]
    csv_rows = client.post("/api/verify?format=csv", json={"text": ARTICLE}).get_data(as_text=True).splitlines()
    assert csv_rows[0].lstrip("\ufeff").startswith("sentence,verdict") and len(csv_rows) == len(EXPECTED) + 1
