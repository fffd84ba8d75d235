"""The semantic side wired into build and search: a vector build step, and a snapshot whose
searches can run semantic-only or hybrid (keyword and vector lists fused by RRF)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from kb import vectors
from kb.build import StepInput
from kb.config import BUNDLED_MODEL, Settings
from kb.fusion import rrf
from kb.search import KIND_WEIGHT, Hit, Snapshot


class ModelMismatch(Exception):
    """The index was embedded with another model than the one configured."""


def model_name(settings: Settings) -> str:
    """The name an index records for the configured model, known without loading it."""
    if settings.model == BUNDLED_MODEL:
        from kb.embeddings import converted_folder

        return f"{BUNDLED_MODEL}@{converted_folder(settings).name}"
    return settings.model


class VectorStep:
    """Build step: embed the passages (reusing unchanged ones) into `generation/vectors`."""

    def __init__(self, settings: Settings, progress: bool = False):
        self.settings, self.progress = settings, progress

    def is_current(self, manifest: dict) -> bool:
        return manifest.get("model") == model_name(self.settings) and manifest.get("vector_recipe") == vectors.RECIPE

    def __call__(self, step: StepInput) -> dict:
        from kb.embeddings import embedder

        model = embedder(self.settings)
        previous = step.previous / "vectors" if step.previous else None
        stats = vectors.build(step.generation / "vectors", step.passages, model, previous, self.progress)
        return {"model": model.name, "dimension": model.dimension, "vector_recipe": vectors.RECIPE, "vectors": stats}


def build_steps(settings: Settings, progress: bool = False) -> list:
    return [VectorStep(settings, progress)] if settings.semantic else []


class SemanticSide:
    """Query encoding, vector top-k and fusion for one snapshot."""

    def __init__(self, snapshot: Snapshot, index: vectors.VectorIndex, model):
        self.snapshot, self.index, self.model = snapshot, index, model
        # the home page runs a search and an answer for the same words, and pages repeat it
        self.encode = lru_cache(maxsize=1024)(lambda text: self.model.queries([text])[0])

    def nearest(self, query: str, depth: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(passage id, cosine) best first, body text before headings and captions (KIND_WEIGHT);
        only passages of the `allowed` documents when given."""
        vector = self.encode(query)
        rows = None
        if allowed is not None:
            rows = [i for i, pid in enumerate(self.index.ids) if self.snapshot.passages[pid].doc_id in allowed]
        found = [(self.index.ids[row], score) for row, score in self.index.top(vector, depth * 2, rows)]
        weight = {pid: KIND_WEIGHT.get(self.snapshot.passages[pid].kind, 1.0) for pid, _ in found}
        found.sort(key=lambda item: -item[1] * weight[item[0]])
        return found[:depth]

    def combine(self, query: str, keyword_hits: list[Hit], mode: str, depth: int,
                allowed: set[str] | None = None) -> list[Hit]:
        near = self.nearest(query, depth, allowed)
        by_id = {h.passage.id: h for h in keyword_hits}
        for rank, (pid, score) in enumerate(near, 1):
            hit = by_id.setdefault(pid, Hit(self.snapshot.passages[pid], 0.0))
            hit.vector_score, hit.vector_rank = score, rank
        if mode == "semantic":
            ranked = [(pid, score) for pid, score in near]
        else:
            settings = self.snapshot.settings
            ranked = rrf([[h.passage.id for h in keyword_hits], [pid for pid, _ in near]],
                         k=settings.rrf_k, depth=depth)
        hits = []
        for pid, score in ranked:
            hit = by_id[pid]
            hit.score = score
            hits.append(hit)
        return hits


def open_snapshot(settings: Settings, generation: Path | None = None) -> Snapshot:
    """A snapshot with its semantic side when the index has vectors and semantic search is on."""
    snapshot = Snapshot(settings, generation)
    folder = snapshot.generation / "vectors"
    if settings.semantic and folder.exists():
        index = vectors.VectorIndex(folder)
        wanted = model_name(settings)
        if index.model != wanted:
            snapshot.close()
            raise ModelMismatch(f"the index was embedded with {index.model!r} but the configured model is "
                                f"{wanted!r}: run `kb build` to re-embed, or set KB_MODEL to the index's model")
        from kb.embeddings import embedder

        snapshot.vectors = SemanticSide(snapshot, index, embedder(settings))
    return snapshot
