"""Shared fixtures: heavy things (jieba, the model, a built index) load once per test session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kb.build import build
from kb.config import Settings
from kb.search import Snapshot

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REPORT = CORPUS / "foshan-womens-federation-2022-review.txt"
SHARED = ROOT.parent / "shared"


def keyword_settings(tmp: Path, corpus: Path, **extra) -> Settings:
    """Settings for a throw-away keyword-only index (fast: no model)."""
    return Settings(index=tmp / "index", corpus=corpus, semantic=False, **extra)


@pytest.fixture(scope="session")
def report_text() -> str:
    return REPORT.read_text("utf-8")


@pytest.fixture(scope="session")
def keyword_snapshot(tmp_path_factory) -> Snapshot:
    """The real corpus built into a keyword-only index, once."""
    settings = keyword_settings(tmp_path_factory.mktemp("kw"), CORPUS)
    build(settings)
    snap = Snapshot(settings)
    yield snap
    snap.close()


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the corpus for tests that change it."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
