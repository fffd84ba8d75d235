"""`kb build`: corpus → documents → passages → keyword index and, when semantic search is on,
vector index; incrementally and atomically (kb/store.py)."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from kb import candidate_store, keyword, lexicon, store, vectors
from kb.config import Settings
from kb.documents import Document, Skipped, load_corpus
from kb.errors import EmptyCorpus
from kb.passages import Passage, split_document
from kb.tokenizer import user_words

# 2: figures read with more units, a second magnitude and unit families (kb/figures.py): the figure
# table (which stores each figure's family) and the answer candidates of an older generation are stale.
# 3: lengths in 公分 / 公尺 / 英里 …, a space between number and unit (15 个), 四周 is not a figure
# 4: a figure that leads its list item (5名二级收藏作品) has its own item's words as its context (kb/figures.py slot)
FORMAT_VERSION = 4


@dataclass
class BuildReport:
    documents: int = 0
    passages: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    generation: str = ""
    up_to_date: bool = False  # nothing to do: the current generation was kept


def settings_fingerprint(settings: Settings) -> str:
    """What, besides a document's own content, decides its passages and tokens."""
    words = "\n".join(w for w, _, _ in user_words())
    raw = f"{FORMAT_VERSION}|{settings.window}|{settings.backend}|{words}"
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()


def build(settings: Settings, progress: bool = False) -> BuildReport:
    """Bring the index in `settings.index` up to date with `settings.corpus`, embedding the
    passages when `settings.semantic`. An exception at any point leaves the old index serving."""
    began = time.perf_counter()
    documents, skipped = load_corpus(settings.corpus, settings.max_file_mb * 1_000_000)
    if not documents:
        raise EmptyCorpus(f"no readable document in {settings.corpus}/; the index was left as it was")
    report = BuildReport(documents=len(documents), skipped=skipped)
    with store.build_lock(settings.index):
        store.remove_partials(settings.index)
        previous = store.current_generation(settings.index)
        manifest = store.read_manifest(previous) if previous else {}
        fingerprint = settings_fingerprint(settings)
        reusable = manifest.get("settings") == fingerprint
        old_docs = manifest.get("documents", {}) if reusable else {}
        new_docs = {d.id: d.fingerprint for d in documents}
        report.added = [i for i in new_docs if i not in old_docs]
        report.changed = [i for i in new_docs if i in old_docs and old_docs[i] != new_docs[i]]
        report.removed = [i for i in old_docs if i not in new_docs]
        report.unchanged = len(documents) - len(report.added) - len(report.changed)
        unchanged = not (report.added or report.changed or report.removed)
        if previous and reusable and unchanged and _derived_current(previous, manifest, settings) and store.complete(previous):
            report.up_to_date = True
            report.passages = manifest.get("passages", 0)
            report.generation = previous.name
            report.seconds = time.perf_counter() - began
            return report
        passages = _passages(documents, previous if reusable else None, set(report.added + report.changed),
                             settings.window, progress)
        gen = store.new_generation(settings.index)
        fresh = {d.id for d in documents if d.id in report.added or d.id in report.changed}
        by_doc: dict[str, list[Passage]] = {}
        for p in passages:
            if p.doc_id in fresh:
                by_doc.setdefault(p.doc_id, []).append(p)
        titles = {d.id: d.title for d in documents}
        if settings.backend == "whoosh":
            keyword.build(gen / "keyword", by_doc, titles,
                          previous=previous / "keyword" if previous and reusable else None,
                          stale=set(report.removed) | set(report.changed))
        step_info = _embed(settings, gen, passages, titles, previous, progress) if settings.semantic else {}
        if settings.semantic:
            step_info |= _store_candidates(settings, gen, passages, previous, progress)
        if settings.backend == "milvus":
            step_info |= _milvus_collection(settings, gen, passages, titles)
        if settings.semantic:
            step_info |= _write_lexicon(settings, gen, previous, progress)
        new_manifest = {"format": FORMAT_VERSION, "settings": fingerprint, "window": settings.window,
                        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                        "documents": new_docs, "passages": len(passages)} | step_info
        store.write_generation(gen, new_manifest, documents, passages)
        report.generation = store.publish(settings.index, gen).name
        if settings.backend == "milvus":
            from kb import milvus

            keep = {new_manifest["collection"], manifest.get("collection", "")}
            milvus.publish(settings, new_manifest["collection"], keep)
    report.passages = len(passages)
    report.seconds = time.perf_counter() - began
    return report


def _derived_current(gen: Path, manifest: dict, settings: Settings) -> bool:
    """Whether what the generation derives from its passages is current (with semantic search on):
    its vectors from the configured model, and its stored answer candidates from this code's
    extraction (an older store is ignored when the generation opens, and its candidates found at
    each question, far slower)."""
    if not settings.semantic:
        return True
    from kb.embeddings import model_name

    return (manifest.get("model") == model_name(settings) and manifest.get("vector_recipe") == vectors.RECIPE
            and candidate_store.current(gen))


def _milvus_collection(settings: Settings, gen: Path, passages: list[Passage], titles: dict[str, str]) -> dict:
    """The generation's Milvus collection, from its passages and the vectors just written."""
    import numpy as np

    from kb import milvus

    folder = gen / "vectors"
    matrix = np.load(folder / "vectors.npy") if (folder / "vectors.npy").exists() else None
    return milvus.build(settings, gen, passages, matrix, titles)


def _embed(settings: Settings, gen: Path, passages: list[Passage], titles: dict[str, str], previous: Path | None,
           progress: bool) -> dict:
    """Write `gen/vectors`, reusing the previous generation's rows by text hash; facts for the manifest."""
    from kb.embeddings import embedder

    model = embedder(settings)
    old = previous / "vectors" if previous else None
    stats = vectors.build(gen / "vectors", passages, titles, model, old, progress, settings.ann_min_passages)
    return {"model": model.name, "dimension": model.dimension, "vector_recipe": vectors.RECIPE, "vectors": stats}


def _store_candidates(settings: Settings, gen: Path, passages: list[Passage], previous: Path | None,
                      progress: bool) -> dict:
    """Write `gen/candidates` (kb/candidate_store.py), reusing the previous generation's text vectors."""
    from kb.embeddings import embedder

    old = previous / candidate_store.FOLDER if previous else None
    return {"candidates": candidate_store.build(gen / candidate_store.FOLDER, passages, embedder(settings), old, progress)}


def _write_lexicon(settings: Settings, gen: Path, previous: Path | None, progress: bool) -> dict:
    """Write `gen/lexicon` (kb/lexicon.py) from the words of the index just written."""
    from kb.embeddings import embedder

    if settings.backend == "milvus":
        from kb.milvus import stored_frequencies

        frequencies = stored_frequencies(gen)
    else:
        frequencies = keyword.document_frequencies(gen / "keyword")
    old = previous / lexicon.FOLDER if previous else None
    return {"lexicon": lexicon.build(gen / lexicon.FOLDER, lexicon.frequent_words(frequencies), embedder(settings),
                                     old, progress)}


def _passages(documents: list[Document], previous: Path | None, fresh: set[str], window: int,
              progress: bool) -> list[Passage]:
    """Passages of every document: re-split the fresh ones, reuse the rest from `previous`."""
    kept: dict[str, list[Passage]] = {}
    if previous is not None:
        for p in store.read_passages(previous):
            kept.setdefault(p.doc_id, []).append(p)
    passages: list[Passage] = []
    for doc in tqdm(documents, desc="passages", unit="doc", disable=not progress):
        if doc.id in fresh or doc.id not in kept:
            passages.extend(split_document(doc, window))
        else:
            passages.extend(kept[doc.id])
    return passages
