"""Shared fixtures: heavy things (jieba, the model, a built index) load once per test session."""
from __future__ import annotations

import os

# Tests never reach a model hub: everything they load ships in installed packages.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_proxy, None)

import shutil
from pathlib import Path

import pytest

from kb.build import build
from kb.config import Settings
from kb.snapshot import Snapshot

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
REPORT = CORPUS / "foshan-womens-federation-2022-review.txt"
QUESTIONS = ROOT / "bench" / "questions"  # the project's own question and claim sets
DATA = ROOT / "bench" / "data"  # public benchmark data, copied with its licences (bench/data/README.md)


def keyword_settings(tmp: Path, corpus: Path, **extra) -> Settings:
    """Settings for a throw-away keyword-only index (fast: no model)."""
    return Settings(index=tmp / "index", corpus=corpus, semantic=False, **extra)


@pytest.fixture(scope="session")
def report_text() -> str:
    return REPORT.read_text("utf-8")


def opened(settings: Settings):
    """For a fixture to `yield from`: the index generation opened, closed after the tests."""
    snap = Snapshot(settings)
    yield snap
    snap.close()


@pytest.fixture(scope="session")
def keyword_snapshot(tmp_path_factory) -> Snapshot:
    """The real corpus built into a keyword-only index, once."""
    settings = keyword_settings(tmp_path_factory.mktemp("kw"), CORPUS)
    build(settings)
    yield from opened(settings)


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """A fresh cache: the bundled model is converted once per test session, for real."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def semantic_settings(tmp_path_factory, model_cache) -> Settings:
    return Settings(index=tmp_path_factory.mktemp("full") / "index", corpus=CORPUS, cache=model_cache)


@pytest.fixture(scope="session")
def snapshot(semantic_settings) -> Snapshot:
    """The real corpus with keyword and vector indexes, built once per session."""
    build(semantic_settings)
    yield from opened(semantic_settings)


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the corpus for tests that change it."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
