"""Answer candidates stored at build time (kb/candidate_store.py): the same candidates and cosines
as those found at query time, reused across builds, and not needed to answer."""
import json
import shutil
from dataclasses import replace

import numpy as np
import pytest

from kb import candidate_store
from kb.answers import ask
from kb.build import build
from kb.candidates import candidates_of
from kb.config import Settings
from kb.errors import IndexDamaged
from kb.snapshot import Snapshot


def test_stored_candidates_equal_those_found_at_query_time(snapshot):
    assert snapshot.candidate_store is not None
    for passage in snapshot.passages.values():
        stored = snapshot.candidates(passage)
        assert all(c.rows is not None for c in stored)
        assert [replace(c, rows=None) for c in stored] == candidates_of(
            passage, snapshot.figures.of_passage(passage.id))


def test_stored_cosines_equal_embedding_now(snapshot):
    vector = snapshot.question_vector(snapshot.parse("美丽庭院示范村有多少个"))
    passage = snapshot.search("美丽庭院示范村", k=1).hits[0].passage
    stored = snapshot.candidate_store.cosines(snapshot.candidates(passage), vector)
    now = snapshot.text_vectors(list(stored)) @ vector
    assert len(stored) >= 2
    np.testing.assert_allclose(list(stored.values()), now, atol=2e-3)  # float16 rows


def test_a_generation_without_stored_candidates_gives_the_same_answer(tmp_path, semantic_settings, snapshot):
    index = tmp_path / "index"
    shutil.copytree(semantic_settings.index, index)
    shutil.rmtree(index / snapshot.generation.name / "candidates")
    bare = Snapshot(Settings(index=index, corpus=semantic_settings.corpus, cache=semantic_settings.cache))
    try:
        assert bare.candidate_store is None
        question = "美丽庭院示范村有多少个"
        with_store, without = ask(snapshot, question), ask(bare, question)
        assert with_store.text == without.text == "64个"
        assert with_store.evidence.passage_id == without.evidence.passage_id
        assert with_store.confidence == pytest.approx(without.confidence, abs=0.01)
    finally:
        bare.close()


def test_a_store_of_an_older_recipe_is_rebuilt_by_the_next_build(tmp_path, semantic_settings, snapshot):
    """Ignored when the generation opens (candidates found at each question), so an unchanged
    corpus is built again rather than left on the slow path."""
    index = tmp_path / "index"
    shutil.copytree(semantic_settings.index, index)
    meta = index / snapshot.generation.name / "candidates" / "meta.json"
    meta.write_text(json.dumps(json.loads(meta.read_text("utf-8")) | {"recipe": candidate_store.RECIPE - 1}), "utf-8")
    settings = Settings(index=index, corpus=semantic_settings.corpus, cache=semantic_settings.cache)
    old = Snapshot(settings)
    try:
        assert old.candidate_store is None
    finally:
        old.close()
    report = build(settings)
    assert not report.up_to_date and report.generation != snapshot.generation.name
    assert candidate_store.current(index / report.generation)
    assert build(settings).up_to_date


def test_a_keyword_only_generation_stores_no_candidates(keyword_snapshot):
    assert keyword_snapshot.candidate_store is None
    assert not (keyword_snapshot.generation / "candidates").exists()


def test_a_damaged_store_is_a_damaged_index_at_open(tmp_path, semantic_settings, snapshot):
    index = tmp_path / "index"
    shutil.copytree(semantic_settings.index, index)
    (index / snapshot.generation.name / "candidates" / "candidates.sqlite").write_bytes(b"SQLite format 3\x00 cut")
    with pytest.raises(IndexDamaged, match="cannot be opened"):
        Snapshot(Settings(index=index, corpus=semantic_settings.corpus, cache=semantic_settings.cache))
