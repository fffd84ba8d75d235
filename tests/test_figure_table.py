"""kb/figure_table.py: the figures and conflicts `kb build` stores are those found from the passages."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from conftest import opened
from kb import figure_table
from kb.figures import figures_of, find_conflicts
from kb.normalize import normalize


@pytest.fixture(scope="module")
def found(keyword_snapshot):
    """The review's figures and conflicts found in memory: the reference the file must equal."""
    passages = list(keyword_snapshot.passages.values())
    figures = [f for p in passages for f in figures_of(p)]
    return passages, figures, find_conflicts(figures)


def test_every_figure_reads_back_equal_in_order_and_by_passage(keyword_snapshot, found):
    passages, figures, _ = found
    table = keyword_snapshot.figures
    assert (keyword_snapshot.generation / figure_table.FILE).exists()
    assert list(table) == figures and len(figures) > 50
    assert all(table.of_passage(p.id) == figures_of(p) for p in passages)
    assert table.of_passage("no-such-passage") == []


@pytest.mark.parametrize("words", ["示范", "巾帼 志愿", "妇女之家", "１２３３８", "no-such-word", ""])
@pytest.mark.parametrize("field", ["clause", "context"])
def test_matching_equals_a_scan_of_the_normalised_texts(keyword_snapshot, found, words, field):
    _, figures, _ = found
    wanted = normalize(words).split()
    expected = [f for f in figures if all(w in normalize(getattr(f, field)) for w in wanted)]
    assert keyword_snapshot.figures.matching(words, field) == expected


def test_matching_another_field_is_an_error(keyword_snapshot):
    with pytest.raises(ValueError, match="clause or context"):
        keyword_snapshot.figures.matching("示范", "text) > 0 OR (1")


def test_conflicts_are_those_found_and_are_symmetric(keyword_snapshot, found):
    _, figures, pairs = found
    table = keyword_snapshot.figures
    assert [(a, b, s) for a, b, s in table.conflicts] == [(figures[i], figures[j], s) for i, j, s in pairs]
    assert {("1108支", "1208支")} <= {tuple(sorted((a.text, b.text))) for a, b, _ in table.conflicts}
    for a, b, _ in table.conflicts:
        assert b in table.conflicting(a) and a in table.conflicting(b)
    in_pairs = [x for a, b, _ in table.conflicts for x in (a, b)]
    lone = next(f for f in figures if f not in in_pairs)
    assert table.conflicting(lone) == []


def test_a_generation_without_the_file_finds_its_figures_at_open(keyword_snapshot, tmp_path):
    """Generations written before figures.sqlite existed still serve figures and conflicts."""
    settings = keyword_snapshot.settings
    index = tmp_path / "index"
    shutil.copytree(settings.index, index)
    old = index / keyword_snapshot.generation.name
    (old / figure_table.FILE).unlink()
    for snap in opened(replace(settings, index=index)):
        assert list(snap.figures) == list(keyword_snapshot.figures)
        assert snap.figures.conflicts == keyword_snapshot.figures.conflicts
        assert not (old / figure_table.FILE).exists()  # found in memory, the generation left as it was
