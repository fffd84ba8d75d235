"""The Milvus backend (KB_BACKEND=milvus) on Milvus Lite: build the review, search, ask, verify,
filter by document, rebuild incrementally, and survive a build that dies half-way."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

pytest.importorskip("pymilvus", reason="the Milvus backend needs pymilvus[milvus-lite]: pip install -e '.[milvus]' "
                                        "(scripts/setup.sh installs it)")

from conftest import CORPUS, opened  # noqa: E402
from kb import milvus  # noqa: E402
from kb.answers import ask, verify  # noqa: E402
from kb.build import build  # noqa: E402
from kb.config import Settings  # noqa: E402
from kb.cli import main  # noqa: E402
from kb.errors import IndexDamaged  # noqa: E402
from kb.search import Filter  # noqa: E402
from kb.shapes import passage_citation  # noqa: E402
from kb.snapshot import Snapshot  # noqa: E402

COURTYARD = "示范村、示范户等64个"
REVIEW = "foshan-womens-federation-2022-review"


@pytest.fixture(scope="module")
def milvus_settings(tmp_path_factory, semantic_settings, snapshot):
    """The review in Milvus Lite, with the session's model (the default index is built first, so
    the model is converted once)."""
    corpus = tmp_path_factory.mktemp("mv-corpus")
    shutil.copytree(CORPUS, corpus, dirs_exist_ok=True)
    settings = replace(semantic_settings, index=tmp_path_factory.mktemp("mv") / "index", corpus=corpus,
                       backend="milvus")
    build(settings)
    return settings


@pytest.fixture(scope="module")
def mv(milvus_settings):
    yield from opened(milvus_settings)


def test_the_courtyard_question_is_answered_from_milvus(mv):
    answer = ask(mv, "美丽庭院示范村有多少个")
    assert answer.found and answer.text == "64个"
    assert passage_citation(answer.evidence.passage_id, mv)["paragraph"] == 49
    assert mv.vectors is mv.keyword and mv.manifest["backend"] == "milvus"


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
def test_search_in_every_mode(mv, mode):
    hits = mv.search("美丽庭院示范村", k=5, mode=mode).hits
    assert any(COURTYARD in h.passage.text for h in hits)


def test_an_english_question_meets_the_chinese_text(mv):
    question = "how many beautiful-courtyard demonstration sites"
    assert any(COURTYARD in h.passage.text for h in mv.search(question, k=2, mode="hybrid").hits)
    answer = ask(mv, question)
    assert answer.found and answer.text == "64个"
    assert passage_citation(answer.evidence.passage_id, mv)["paragraph"] == 49


def test_claims_are_checked_on_milvus(mv):
    assert verify(mv, "佛山妇联微信公众号粉丝量突破50万").verdict == "contradicted"
    assert verify(mv, "全市妇联系统处理信访案件4,308宗。").verdict == "supported"


def test_a_document_filter_becomes_a_milvus_filter(mv):
    assert mv.search("妇女", k=5, mode="hybrid", where=Filter(frozenset([REVIEW]))).hits
    assert mv.search("妇女", k=5, mode="keyword", where=Filter(frozenset(["nope"]))).hits == []
    assert mv.search("妇女", k=5, mode="semantic", where=Filter(date_from="2024")).hits == []


def test_quoted_phrases_must_appear(mv):
    hits = mv.search('"舒心驿站"', k=5, mode="keyword").hits
    assert hits and all("舒心驿站" in h.passage.text for h in hits)


def test_a_rebuild_makes_a_new_collection_and_moves_the_alias(milvus_settings):
    report = milvus_settings.corpus / "foshan-womens-federation-2022-review.txt"
    text = report.read_text("utf-8")
    before = Snapshot(milvus_settings).manifest["collection"]
    report.write_text(text.replace("示范户等64个", "示范户等65个"), "utf-8")
    try:
        result = build(milvus_settings)
        assert result.changed == [REVIEW]
        snap = Snapshot(milvus_settings)
        assert ask(snap, "美丽庭院示范村有多少个").text == "65个"
        after = snap.manifest["collection"]
        assert after != before and snap.manifest["vectors"]["reused"] >= 90  # only the changed passage re-embedded
        client = milvus.client(milvus_settings)
        assert milvus_settings.milvus_collection in client.list_aliases(after)["aliases"]
        assert before in client.list_collections()  # the previous generation's, for readers in flight
    finally:
        report.write_text(text, "utf-8")
        build(milvus_settings)


def test_a_build_that_dies_leaves_the_serving_collection(milvus_settings, monkeypatch):
    serving = Snapshot(milvus_settings).manifest["collection"]
    current = (milvus_settings.index / "CURRENT").read_text()
    report = milvus_settings.corpus / "foshan-womens-federation-2022-review.txt"
    text = report.read_text("utf-8")
    report.write_text(text.replace("示范户等64个", "示范户等66个"), "utf-8")

    client_class = type(milvus.client(milvus_settings))
    real_insert = client_class.insert
    calls = []

    def insert_then_die(self, *args, **kwargs):
        calls.append(1)
        if len(calls) > 3:  # the new collection exists and holds some rows
            raise RuntimeError("killed while inserting")
        return real_insert(self, *args, **kwargs)

    monkeypatch.setattr(milvus, "BATCH", 10)
    monkeypatch.setattr(client_class, "insert", insert_then_die)
    try:
        with pytest.raises(RuntimeError, match="killed"):
            build(milvus_settings)
    finally:
        report.write_text(text, "utf-8")
    assert (milvus_settings.index / "CURRENT").read_text() == current
    snap = Snapshot(milvus_settings)
    assert snap.manifest["collection"] == serving and ask(snap, "美丽庭院示范村有多少个").text == "64个"


def test_the_cli_builds_and_asks_with_the_milvus_backend(tmp_path, milvus_settings, capsys, monkeypatch):
    monkeypatch.setenv("KB_BACKEND", "milvus")
    monkeypatch.setenv("KB_CACHE", str(milvus_settings.cache))
    index = str(tmp_path / "index")
    assert main(["build", "--index", index, "--corpus", str(CORPUS), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["ask", "美丽庭院示范村有多少个", "--index", index]) == 0
    out = capsys.readouterr().out
    assert out.startswith("64个") and "¶49" in out


def test_an_index_built_for_the_other_backend_is_refused(milvus_settings):
    with pytest.raises(IndexDamaged, match="milvus backend"):
        Snapshot(replace(milvus_settings, backend="whoosh"))


def test_the_web_app_serves_the_milvus_backend(milvus_settings):
    from web import create_app

    client = create_app({"KB_SETTINGS": milvus_settings, "TESTING": True}).test_client()
    answer = client.get("/api/answer?q=美丽庭院示范村有多少个").get_json()
    assert answer["answer"] == "64个" and answer["evidence"]["citation"]["paragraph"] == 49
    assert client.get("/api/health").get_json()["status"] == "ok"
    assert "64个" in client.get("/?q=美丽庭院示范村有多少个").get_data(as_text=True)



@pytest.mark.parametrize("pairs", [True, False])
def test_pair_words_put_words_next_to_each_other_first(tmp_path, monkeypatch, pairs):
    # both passages hold all three words; the shorter one holds them apart, so only the pair words
    # (kb/milvus.py pair_words, the default backend's pair bonus) put the other first
    if not pairs:
        monkeypatch.setattr(milvus, "pair_words", lambda found: [])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "apart.txt").write_text("甲\n公园、学校与医院。\n", "utf-8")
    (corpus / "together.txt").write_text("乙\n新建学校医院公园等设施，各项工作全面落实到位。\n", "utf-8")
    (corpus / "other.txt").write_text("丙\n城市建设与交通运输。\n", "utf-8")
    settings = Settings(index=tmp_path / "index", corpus=corpus, semantic=False, backend="milvus")
    build(settings)
    snap = Snapshot(settings)
    try:
        top = snap.search("学校医院公园", k=2, mode="keyword").hits[0].passage.doc_id
        assert top == ("together" if pairs else "apart")
    finally:
        snap.close()
