"""Wiring of the vector index into build and search (filled in by the semantic-search work)."""
from __future__ import annotations

from kb.config import Settings
from kb.search import Snapshot


def build_steps(settings: Settings, progress: bool = False) -> list:
    return []


def open_snapshot(settings: Settings, generation=None) -> Snapshot:
    return Snapshot(settings, generation)
