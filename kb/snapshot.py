"""One index generation, opened once, and everything served from it: documents, passages, the
keyword index, the semantic searcher (when the generation has vectors and semantic search is on)
and the figure table. `Library` follows an index folder from one generation to the next."""
from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

from kb import figure_table, keyword, passage_table, store
from kb.config import Settings
from kb.errors import IndexDamaged, KbError
from kb.document_table import DocumentTable
from kb.documents import Document
from kb.normalize import normalize
from kb.passages import Passage
from kb.dictionary import common_words, glosses
from kb.lexicon import Lexicon, stop_words
from kb.query import Query, parse_query, report_years, with_translations
from kb.search import Filter, Results, search
from kb.candidate_store import CandidateStore
from kb.candidates import Candidate, candidates_of
from kb.semantic import SemanticSearcher, query_vector, require_model, text_vectors
from kb.vectors import embedding_text


KEPT_PER_PASSAGE = 100_000  # normalised texts and answer candidates kept, then dropped all at once


class Snapshot:
    """One index generation: opened once, read-only, safe to share between threads."""

    def __init__(self, settings: Settings, generation: Path | None = None):
        self.settings = settings
        self.generation = generation or store.require_generation(settings.index)
        self._normalized: dict[str, str] = {}
        self._candidates: dict[str, list[Candidate]] = {}
        self.keyword = self.vectors = self.candidate_store = None
        try:
            self._open()
        except KbError:
            self.close()
            raise
        except Exception as error:  # noqa: BLE001 — a truncated or missing file fails in many ways
            self.close()
            raise IndexDamaged(f"the index generation {self.generation.name} cannot be opened "
                               f"({type(error).__name__}: {str(error)[:200]}); run `kb build` to write a new one") from error

    def _open(self) -> None:
        self.manifest = store.read_manifest(self.generation)
        self.documents = DocumentTable(self.generation / store.DOCUMENTS)
        self.passages = self._passage_table()
        built_for = self.manifest.get("backend", "whoosh")
        if built_for != self.settings.backend:
            raise IndexDamaged(f"the index was built for the {built_for} backend, but KB_BACKEND is "
                               f"{self.settings.backend}: run `kb build` to build it for {self.settings.backend}")
        if self.settings.backend == "milvus":
            self._open_milvus()
        else:
            self.keyword = keyword.KeywordIndex(self.generation / "keyword")
            folder = self.generation / "vectors"
            if self.settings.semantic and folder.exists():
                self.vectors = SemanticSearcher(folder, self.settings, self.passages.doc_ids())
        if self.vectors is not None:  # its text vectors are in the same space as the passages' (model checked)
            self.candidate_store = CandidateStore.open(self.generation)

    def _open_milvus(self) -> None:
        """One collection serves both sides (kb/milvus.py); its vectors must come from the configured model."""
        from kb.milvus import MilvusIndex

        self.keyword = MilvusIndex(self.settings, self.generation, self.manifest)
        if self.settings.semantic and self.keyword.has_vectors:
            require_model(self.manifest.get("model"), self.settings)
            self.vectors = self.keyword

    def _passage_table(self) -> passage_table.PassageTable:
        """The passages, read on demand from SQLite (kb/passage_table.py); a generation written
        before that file existed is loaded into a table in memory."""
        path = self.generation / passage_table.FILE
        if path.exists():
            return passage_table.PassageTable.open(path)
        return passage_table.PassageTable.holding(store.read_passages(self.generation))

    def close(self) -> None:
        """Let the generation's files go: whoosh's handles and the passage file now, the vector
        matrix's memory map with the last reference."""
        if self.keyword is not None:
            self.keyword.close()
        if getattr(self, "passages", None) is not None:  # None: the generation failed to open before them
            self.passages.close()
        if self.candidate_store is not None:
            self.candidate_store.close()
        if "figures" in self.__dict__:
            self.figures.close()
        if getattr(self, "documents", None) is not None:
            self.documents.close()
        self.keyword = self.vectors = self.candidate_store = None

    def warm(self) -> None:
        """Do now what the first question would wait for: the figures' conflicts, the part-of-speech
        tagger (names among answer candidates), the years of each document and the keyword
        index's document table (a question naming a year), and the model."""
        from kb.tokenizer import pos_tagger

        self.figures.warm()
        self.document_years
        self.keyword.warm()
        pos_tagger()
        if self.candidate_store is None:  # candidates, person names among them, are found at each question
            common_words()
        if self.vectors is not None:
            query_vector(self.settings.model, self.settings.cache, "预热")
        if self.lexicon is not None:
            stop_words()
            glosses()

    def document(self, doc_id: str) -> Document | None:
        """A whole document, its text included (read from the generation's file, recent ones kept)."""
        return self.documents.full(doc_id)

    def candidates(self, passage: Passage) -> list[Candidate]:
        """The answer candidates of a passage (kb/candidates.py), kept once found."""
        found = self._candidates.get(passage.id)
        if found is None:
            if len(self._candidates) > KEPT_PER_PASSAGE:
                self._candidates.clear()
            figures = self.figures.of_passage(passage.id)
            found = self._candidates[passage.id] = (
                candidates_of(passage, figures) if self.candidate_store is None
                else self.candidate_store.candidates(passage, figures))
        return found

    def candidate_cosines(self, candidates: list[Candidate], vector) -> dict[str, float]:
        """Cosines of `vector` with the candidates' local contexts and sentences, by text: read from
        the stored vectors where there are some, embedded now for the rest."""
        found = self.candidate_store.cosines(candidates, vector) if self.candidate_store is not None else {}
        texts = list(dict.fromkeys(t for c in candidates for t in (c.sentence, c.local) if t not in found))
        for text, row in zip(texts, self.text_vectors(texts)):
            found[text] = float(row @ vector)
        return found

    def question_vector(self, query: Query):
        """The query's embedding, or None when this generation has no vectors."""
        return None if self.vectors is None else query_vector(self.settings.model, self.settings.cache, query.text)

    def passage_cosines(self, passages: list[Passage], vector) -> dict[str, float]:
        """Cosine of `vector` with each passage's vector: the stored one (embedded now on the Milvus
        backend, which keeps its vectors in the collection)."""
        if isinstance(self.vectors, SemanticSearcher):
            return self.vectors.cosines([p.id for p in passages], vector)
        rows = self.text_vectors([embedding_text(p, self.documents[p.doc_id].title) for p in passages])
        return {p.id: float(row @ vector) for p, row in zip(passages, rows)}

    def text_vectors(self, texts: list[str]):
        return text_vectors(self.settings.model, self.settings.cache, texts)

    def parse(self, text: str) -> Query:
        """A question or claim read once, under this index's length limit; an English one also in
        the corpus's words, where the generation has a lexicon (kb/lexicon.py)."""
        query = parse_query(text, self.settings.max_query_chars)
        if query.language == "en" and self.lexicon is not None:
            query = with_translations(query, *self.lexicon.read(query.text))
        return query

    @cached_property
    def lexicon(self) -> Lexicon | None:
        """The generation's cross-lingual lexicon; None without one or without semantic search
        (it needs the model)."""
        return Lexicon.open(self.generation, self.text_vectors) if self.vectors is not None else None

    def search(self, query: Query | str, k: int = 10, mode: str = "hybrid", offset: int = 0,
               where: Filter = Filter()) -> Results:
        return search(self, query if isinstance(query, Query) else self.parse(query), k, mode, offset, where)

    @cached_property
    def figures(self) -> figure_table.FigureTable:
        """Every figure of the corpus and the pairs that disagree: read from the file `kb build`
        wrote, or found now for a generation written before it (kb/figure_table.py)."""
        path = self.generation / figure_table.FILE
        return figure_table.FigureTable.open(path) if path.exists() else \
            figure_table.FigureTable.holding(self.passages.values())

    @cached_property
    def document_years(self) -> dict[str, set[str]]:
        """The years each report is about (kb/query.py `report_years`)."""
        return report_years(list(self.documents.values()))

    def documents_of_years(self, years: set[str], allowed: set[str] | None) -> set[str]:
        """Documents about any of `years` (within `allowed`); empty when the question names no
        year or the corpus has no document for it. Only worth it when it narrows the corpus."""
        if not years:
            return set()
        dated = {d for d, ys in self.document_years.items() if ys & years}
        if allowed is not None:
            dated &= allowed
        return dated if dated and len(dated) < len(allowed if allowed is not None else self.documents) else set()

    def normalized_text(self, passage_id: str) -> str:
        found = self._normalized.get(passage_id)
        if found is None:
            if len(self._normalized) > KEPT_PER_PASSAGE:  # passages are read on demand; so is this
                self._normalized.clear()
            found = self._normalized[passage_id] = normalize(self.passages[passage_id].text)
        return found


class Library:
    """The current snapshot of an index folder, reopened when `kb build` publishes a new one.

    A server takes a snapshot per request with `acquire` and gives it back with `release`; a
    replaced generation is closed when its last request ends, so the process holds one
    generation, plus those that requests in flight still read."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self._users: dict[Snapshot, int] = {}

    def snapshot(self) -> Snapshot:
        """The current generation, for one-shot use (the CLI); not counted."""
        current = store.require_generation(self.settings.index)
        with self._lock:
            return self._refresh(current)

    def acquire(self) -> Snapshot:
        current = store.require_generation(self.settings.index)
        with self._lock:
            snap = self._refresh(current)
            self._users[snap] = self._users.get(snap, 0) + 1
            return snap

    def release(self, snap: Snapshot) -> None:
        with self._lock:
            self._users[snap] -= 1
            if not self._users[snap]:
                del self._users[snap]
                if snap is not self._current:
                    snap.close()

    def open_generations(self) -> list[str]:
        """Names of the generations this library holds open: the current one and any in use."""
        with self._lock:
            held = ([self._current] if self._current else []) + [s for s in self._users if s is not self._current]
            return [s.generation.name for s in held]

    def _refresh(self, current: Path) -> Snapshot:
        if self._current is None or self._current.generation != current:
            fresh = Snapshot(self.settings, current)
            old, self._current = self._current, fresh
            if old is not None and old not in self._users:
                old.close()
        return self._current
