import json
import shutil
from dataclasses import replace

import numpy as np
import pytest

from kb import vectors
from kb.build import build
from kb.config import Settings
from kb.fusion import rrf
from kb.errors import ModelMismatch
from kb.search import CHINESE_KEYWORD_WEIGHT, keyword_weight, term_share
from kb.snapshot import Snapshot

from conftest import CORPUS, DATA

COURTYARD = "示范村、示范户等64个"


def test_rrf_matches_its_definition():
    fused = dict(rrf([["a", "b", "c"], ["c", "a"]], k=60))
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert fused["b"] == pytest.approx(1 / 62)
    assert [i for i, _ in rrf([["a", "b", "c"], ["c", "a"]], k=60)] == ["a", "c", "b"]


def test_rrf_depth_cuts_each_list():
    assert dict(rrf([["a", "b", "c"], ["c"]], k=1, depth=2)) == {"a": 0.5, "b": 1 / 3, "c": 0.5}


def test_semantic_search_finds_a_paraphrase(snapshot):
    # shares no word with the source's 贫困低保妇女…两癌保险 but 保险
    semantic = [h.passage.text for h in snapshot.search("低收入女性的癌症保险", k=3, mode="semantic").hits]
    assert any("两癌保险" in t for t in semantic)


@pytest.mark.parametrize("mode,depth", [("semantic", 10), ("hybrid", 3)])
def test_an_english_question_finds_the_chinese_passage(snapshot, mode, depth):
    # the 4-bit e5-small ranks cross-lingual matches loosely (cosines within 0.01 of each other);
    # the glossary brings BM25 in, which is what lifts hybrid
    hits = snapshot.search("How many petition cases did the women's federation handle?", k=depth, mode=mode).hits
    assert any("信访案件4308宗" in h.passage.text for h in hits)


def test_hybrid_hits_carry_both_score_breakdowns(snapshot):
    results = snapshot.search("美丽庭院示范村", k=5, mode="hybrid")
    assert results.mode == "hybrid"
    first = results.hits[0]
    assert COURTYARD in first.passage.text
    assert first.keyword_rank == 1 and first.vector_rank is not None
    # every term of this Chinese query is known: its keyword list counts CHINESE_KEYWORD_WEIGHT
    assert keyword_weight(snapshot, snapshot.parse("美丽庭院示范村")) == pytest.approx(CHINESE_KEYWORD_WEIGHT)
    assert first.score == pytest.approx(CHINESE_KEYWORD_WEIGHT / (60 + first.keyword_rank) + 1 / (60 + first.vector_rank))
    assert [h.score for h in results.hits] == sorted((h.score for h in results.hits), reverse=True)


def test_an_english_question_keyword_list_counts_its_share_alone(snapshot):
    query = snapshot.parse("How many petition cases did the women's federation handle?")
    share = term_share(snapshot, query)
    assert 0 < share < 1 and keyword_weight(snapshot, query) == pytest.approx(share)


def test_semantic_mode_ranks_by_cosine_with_body_text_first(snapshot):
    hits = snapshot.search("妇女儿童权益保护", k=10, mode="semantic").hits
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    body = [h.vector_score for h in hits if h.passage.kind == "body"]
    assert body and body == sorted(body, reverse=True)


def test_headings_count_half_on_the_vector_side(snapshot):
    """KIND_WEIGHT: asked for a chapter title word for word, the raw cosine ranks that heading
    first; weighted by kind, body text that says what the chapter did comes first."""
    title = "佛山妇联在家庭家教家风建设方面有新举措"
    raw_id, raw_cosine = snapshot.vectors.nearest(title, 1)[0]
    assert snapshot.passages[raw_id].kind == "heading" and snapshot.passages[raw_id].text == title
    hits = snapshot.search(title, k=50, mode="semantic").hits
    assert hits[0].passage.kind == "body"
    heading = next(h for h in hits if h.passage.id == raw_id)
    assert heading.vector_score == pytest.approx(0.5 * raw_cosine, rel=1e-5)


def test_a_document_filter_keeps_the_ranking_of_its_rows(snapshot):
    """Restricted to documents, the search is exact over their rows: the review's own rows rank as
    without a filter; an unknown or empty set of documents finds nothing."""
    review = next(iter(snapshot.documents))
    assert snapshot.vectors.nearest("妇女儿童权益保护", 10, {review}) == snapshot.vectors.nearest("妇女儿童权益保护", 10)
    assert snapshot.vectors.nearest("妇女儿童权益保护", 10, {"no-such-document"}) == []
    assert snapshot.vectors.nearest("妇女儿童权益保护", 10, set()) == []


def test_an_index_built_with_another_model_is_refused(semantic_settings, snapshot):
    other = Settings(index=semantic_settings.index, corpus=CORPUS, cache=semantic_settings.cache,
                     model="sentence-transformers/some-other-model")
    with pytest.raises(ModelMismatch, match="kb build"):
        Snapshot(other)


def test_a_rebuild_embeds_only_changed_passages(tmp_path, semantic_settings, snapshot):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("甲\n全市妇女之家1019个。\n城镇新增就业1256万人。\n", "utf-8")
    (corpus / "b.txt").write_text("乙\n创建美丽庭院示范村64个。\n", "utf-8")
    settings = Settings(index=tmp_path / "index", corpus=corpus, cache=semantic_settings.cache)
    build(settings)
    (corpus / "b.txt").write_text("乙\n创建美丽庭院示范村65个。\n", "utf-8")
    build(settings)
    snap = Snapshot(settings)
    assert snap.manifest["vectors"] == {"embedded": 1, "reused": 4, "ann": False}
    # the changed sentence (its own local context) is the one candidate text embedded again
    assert snap.manifest["candidates"]["embedded"] == 1 and snap.manifest["candidates"]["reused"] >= 4
    # the one new word of the corpus (65 is a number, 65个 none) is the lexicon's only change
    assert snap.manifest["lexicon"]["embedded"] == 0 and snap.manifest["lexicon"]["reused"] == snap.manifest["lexicon"]["words"]
    top = snap.search("美丽庭院", k=1, mode="semantic").hits[0]
    assert top.passage.text == "创建美丽庭院示范村65个。"


def test_an_index_below_the_graph_threshold_searches_exactly(snapshot):
    assert snapshot.vectors.index.ann is None
    assert not (snapshot.generation / "vectors" / vectors.ANN_FILE).exists()


def test_the_graph_finds_what_exact_search_finds(snapshot, tmp_path):
    """kb/vectors.py's HNSW graph over the review's real vectors: the same top 10, the same
    cosines (recomputed from the float32 rows), and restricted searches stay exact."""
    folder = tmp_path / "vectors"
    shutil.copytree(snapshot.generation / "vectors", folder)
    meta = json.loads((folder / "ids.json").read_text("utf-8"))
    meta["ann"] = vectors.write_graph(folder, np.load(folder / "vectors.npy"))
    (folder / "ids.json").write_text(json.dumps(meta), "utf-8")
    graph, exact = vectors.VectorIndex(folder), snapshot.vectors.index
    assert graph.ann is not None
    rng = np.random.default_rng(0)
    for row in range(0, len(exact.ids), 7):
        query = exact.matrix[row] + rng.normal(0, 0.02, exact.matrix.shape[1]).astype(np.float32)
        query /= np.linalg.norm(query)
        assert_same_ranking(graph.top(query, 10), exact.top(query, 10))
        assert graph.top(query, 5, rows=[1, 2, 3]) == exact.top(query, 5, rows=[1, 2, 3])


def test_a_build_past_the_threshold_serves_from_the_graph(semantic_settings, snapshot, tmp_path):
    settings = replace(semantic_settings, index=tmp_path / "index", ann_min_passages=50)
    build(settings)
    graphed = Snapshot(settings)
    try:
        assert graphed.vectors.index.ann is not None
        assert graphed.manifest["vectors"]["ann"] is True
        for question in ("美丽庭院示范村", "How many petition cases were handled?"):
            ours = [(h.passage.id, h.vector_score) for h in graphed.search(question, k=10, mode="semantic").hits]
            want = [(h.passage.id, h.vector_score) for h in snapshot.search(question, k=10, mode="semantic").hits]
            assert_same_ranking(ours, want)
    finally:
        graphed.close()


def assert_same_ranking(ours: list[tuple], want: list[tuple]) -> None:
    """The same items in the same order with the same scores (to float32 rounding: a product over
    a few rows and one over all rows may differ in the last bit)."""
    assert [item for item, _ in ours] == [item for item, _ in want]
    assert [score for _, score in ours] == pytest.approx([score for _, score in want], abs=1e-6)


def test_passage_cosines_read_the_stored_vectors(snapshot):
    # keyword-mode answers score their passages as hybrid would, from the vectors the build wrote
    vector = snapshot.question_vector(snapshot.parse("美丽庭院示范村有多少个"))
    passages = [h.passage for h in snapshot.search("美丽庭院", k=5, mode="keyword").hits]
    stored = snapshot.passage_cosines(passages, vector)
    now = snapshot.text_vectors([vectors.embedding_text(p, snapshot.documents[p.doc_id].title) for p in passages]) @ vector
    np.testing.assert_allclose([stored[p.id] for p in passages], now, atol=1e-4)


def write_jsonl(path, rows: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")


# Five CMRC 2018 articles about fish (bench/data): each names its fish in its title and first
# sentence, and gives the length later, in a passage that may not name it again.
FISH = ("DEV_1129", "DEV_1174", "DEV_1590", "DEV_1618", "DEV_1651")


@pytest.fixture(scope="module")
def fish(tmp_path_factory, semantic_settings):
    articles = json.loads((DATA / "cmrc2018" / "cmrc2018_dev.json").read_text("utf-8"))["data"]
    records = [{"id": p["id"], "title": a["title"], "text": p["context"]}
               for a in articles for p in a["paragraphs"] if p["id"] in FISH]
    corpus = tmp_path_factory.mktemp("fish") / "corpus"
    corpus.mkdir()
    write_jsonl(corpus / "fish.jsonl", records)
    settings = Settings(index=corpus.parent / "index", corpus=corpus, cache=semantic_settings.cache)
    build(settings)
    snap = Snapshot(settings)
    yield snap, records
    snap.close()


def test_a_passage_is_found_by_its_documents_title(fish):
    """Each article's length is found by a question that names the fish, as the title does; the
    passage's text alone could not tell the fish apart."""
    snap, records = fish
    found = []
    for record in records:
        hits = snap.search(f"{record['title']}的体长可达多少公分？", k=20, mode="semantic").hits
        length = next(h.passage for h in hits if "体长可达" in h.passage.text)
        found.append((record["id"], length.doc_id, record["title"] in length.text))
    assert [doc for doc, _, _ in found] == [doc for _, doc, _ in found]
    assert any(not named for _, _, named in found)


def test_a_retitled_document_is_embedded_again(tmp_path, semantic_settings, snapshot):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [{"id": "a", "title": "甲", "text": "全市妇女之家1019个。"}, {"id": "b", "title": "乙", "text": "创建美丽庭院示范村64个。"}]
    write_jsonl(corpus / "docs.jsonl", rows)
    settings = Settings(index=tmp_path / "index", corpus=corpus, cache=semantic_settings.cache)
    build(settings)
    rows[1]["title"] = "美丽庭院"
    write_jsonl(corpus / "docs.jsonl", rows)
    build(settings)
    snap = Snapshot(settings)
    try:
        assert snap.manifest["vectors"] == {"embedded": 1, "reused": 1, "ann": False}
    finally:
        snap.close()
