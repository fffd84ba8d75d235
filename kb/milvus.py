"""The scale-out backend (KB_BACKEND=milvus): keyword (BM25 over a jieba analyzer) and vector
retrieval in a Milvus collection, through pymilvus's MilvusClient. A URI that is a file path runs
Milvus Lite in-process (tests, one machine); an http(s) URI with KB_MILVUS_TOKEN reaches a cluster.

Each index generation gets a collection of its own, named in its manifest and written before the
generation is published, so a build that fails leaves the generation that was serving, and its
collection, untouched; the alias KB_MILVUS_COLLECTION then points at the new collection for other
clients, and collections older than the previous generation's are dropped. The stored text is kb's
normalised text (kb/normalize.py), so the query, normalised the same way, meets the same words.
Milvus Lite returns BM25 scores negative and keeps statistics per segment: results are ranked by
the order Milvus returns, never by the sign or size of a score (docs/scale-out.md).
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import threading
from collections import Counter
from pathlib import Path

import numpy as np

from kb.config import Settings
from kb.errors import MilvusError
from kb.normalize import normalize
from kb.passages import Passage
from kb.query import Query
from kb.tokenizer import adjacent_pairs, tokenize

TEXT_LIMIT = 8192  # characters of passage text stored (a passage is at most KB_WINDOW long)
BATCH = 512
TERMS_FILE = "terms.json"  # document frequencies, for the answers' idf weights (kb/answers.py)


def client(settings: Settings):
    try:
        from pymilvus import MilvusClient
    except ImportError as error:
        raise MilvusError("KB_BACKEND=milvus needs pymilvus: pip install -e '.[milvus]'") from error
    import jieba

    jieba.setLogLevel(60)  # Milvus Lite cuts with jieba too, and would log its dictionary load
    # kb reports Milvus's errors itself (MilvusError); pymilvus would also log each with a traceback
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    uri = settings.milvus_uri or str(settings.index / "milvus.db")
    if "://" not in uri:
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(uri, token=settings.milvus_token) if settings.milvus_token else MilvusClient(uri)
    except Exception as error:  # noqa: BLE001 — connection errors differ between Lite and a server
        raise MilvusError(f"cannot open Milvus at {uri}: {error}") from error


def collection_for(settings: Settings, generation: str) -> str:
    """A collection name Milvus accepts (letters, digits, underscores) for a generation."""
    return re.sub(r"\W", "_", f"{settings.milvus_collection}_{generation.removesuffix('.partial')}")


# --- build --------------------------------------------------------------------------------------


def build(settings: Settings, gen: Path, passages: list[Passage], vectors: np.ndarray | None,
          titles: dict[str, str]) -> dict:
    """Write the generation's collection (text, BM25 sparse field, dense vectors, filters) and its
    document-frequency table; facts for the manifest."""
    from pymilvus import DataType, Function, FunctionType

    milvus = client(settings)
    name = collection_for(settings, gen.name)
    if milvus.has_collection(name):
        milvus.drop_collection(name)  # left by a build that died
    schema = milvus.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
    schema.add_field("text", DataType.VARCHAR, max_length=TEXT_LIMIT * 4, enable_analyzer=True,
                     analyzer_params={"tokenizer": "jieba"})  # Lite refuses {"type": "chinese"}
    schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
    schema.add_field("kind", DataType.VARCHAR, max_length=16)
    if vectors is not None:
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=int(vectors.shape[1]))
    schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                 output_field_names=["sparse"]))
    index = milvus.prepare_index_params()
    index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    if vectors is not None:
        index.add_index(field_name="dense", index_type="FLAT", metric_type="IP")
    milvus.create_collection(name, schema=schema, index_params=index)
    for at in range(0, len(passages), BATCH):
        rows = [{"id": p.id, "text": searched_text(p, titles), "doc_id": p.doc_id, "kind": p.kind}
                | ({"dense": vectors[at + i].tolist()} if vectors is not None else {})
                for i, p in enumerate(passages[at:at + BATCH])]
        milvus.insert(name, rows)
    (gen / TERMS_FILE).write_text(json.dumps(document_frequencies(passages), ensure_ascii=False), "utf-8")
    return {"backend": "milvus", "collection": name}


def stored_frequencies(gen: Path) -> dict[str, int]:
    """The document-frequency table `build_collection` wrote for generation `gen`."""
    return json.loads((gen / TERMS_FILE).read_text("utf-8"))["df"]


def searched_text(passage: Passage, titles: dict[str, str]) -> str:
    """What BM25 reads for a passage: its document's title and its section, then its text, normalised,
    then its adjacent word pairs (pair_words). The default backend scores title and section as
    fields of their own (kb/keyword.py); Milvus's BM25 reads one field, and without them a question
    naming a report or an article's subject ranks that document's passages no higher (CMRC trial
    keyword hit@5 0.87 without, see docs/scale-out.md)."""
    text = normalize(f"{titles.get(passage.doc_id, '')} {' '.join(passage.section)}\n{passage.text}")[:TEXT_LIMIT]
    pairs = adjacent_pairs(tokenize(passage.text))
    return f"{text}\n{' '.join(pair_words(pairs))[:TEXT_LIMIT]}"


def pair_words(pairs: list[tuple[str, str]]) -> list[str]:
    """Each pair of adjacent words as one ASCII word, which jieba keeps whole: Milvus's BM25 then
    scores a question's words found next to each other, as the default backend's pair bonus
    (whoosh phrases at slop 1, kb/keyword.py) does."""
    return ["kbp" + hashlib.blake2b(f"{a}\x00{b}".encode("utf-8"), digest_size=5).hexdigest() for a, b in pairs]


def document_frequencies(passages: list[Passage]) -> dict:
    df: Counter[str] = Counter()
    for p in passages:
        df.update({t.text for t in tokenize(p.text)})
    return {"passages": len(passages), "df": dict(df)}


def publish(settings: Settings, current: str, keep: set[str]) -> None:
    """Point the alias at the published collection; drop this index's collections not in `keep`."""
    milvus = client(settings)
    alias = settings.milvus_collection
    prefix = collection_for(settings, "")
    ours = [name for name in milvus.list_collections() if name.startswith(prefix)]
    if any(alias in milvus.list_aliases(name).get("aliases", []) for name in ours):
        milvus.alter_alias(current, alias)
    else:
        milvus.create_alias(current, alias)
    for name in ours:
        if name not in keep:
            milvus.drop_collection(name)


# --- search -------------------------------------------------------------------------------------


class MilvusIndex:
    """One generation's collection, searched for keywords (BM25) and for vectors; the same methods
    kb/search.py calls on the default backend's KeywordIndex and SemanticSearcher."""

    def __init__(self, settings: Settings, generation: Path, manifest: dict):
        self.settings = settings
        self.collection = manifest["collection"]
        self.client = client(settings)
        if not self.client.has_collection(self.collection):
            raise MilvusError(f"the collection {self.collection} of generation {generation.name} is not in "
                              f"Milvus at {settings.milvus_uri or settings.index / 'milvus.db'}: run `kb build`")
        self.client.load_collection(self.collection)
        stats = json.loads((generation / TERMS_FILE).read_text("utf-8"))
        self.size, self._df = stats["passages"], stats["df"]
        self.has_vectors = "dense" in {f["name"] for f in self.client.describe_collection(self.collection)["fields"]}
        self._lock = threading.Lock()  # Milvus Lite runs in-process and is not meant for concurrent calls

    def close(self) -> None:
        self.client.close()

    def warm(self) -> None:
        """Nothing to read ahead: the collection's server holds what a search needs."""

    def idf(self, term: str) -> float:
        n = max(self.size, 1)
        df = self._df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(self, query: Query, limit: int, normalized_text, doc_ids: set[str] | None = None
               ) -> list[tuple[str, float]]:
        """(passage id, rank score) best first by BM25; quoted phrases must appear in the passage."""
        # the query's own terms (question words out, the glossary's Chinese for English words in),
        # as the default backend scores them; Milvus's jieba analyzer cuts them again
        words = " ".join(query.searched_terms + query.phrases + pair_words(query.pairs))
        if doc_ids is not None and not doc_ids or not words.strip():
            return []
        fetch = limit * 4 if query.phrases else limit
        found = self._search([words], "sparse", fetch, doc_ids)
        if query.phrases:
            found = [pid for pid in found if all(p in normalized_text(pid) for p in query.phrases)]
        return _by_order(found[:limit])

    def nearest(self, text: str, depth: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        from kb.semantic import query_vector

        if allowed is not None and not allowed:
            return []
        vector = query_vector(self.settings.model, self.settings.cache, text)
        return self._search([vector.tolist()], "dense", depth, allowed, scores=True)

    def _search(self, data, field: str, limit: int, doc_ids: set[str] | None, scores: bool = False):
        where = f"doc_id in {json.dumps(sorted(doc_ids), ensure_ascii=False)}" if doc_ids is not None else ""
        try:
            with self._lock:
                result = self.client.search(self.collection, data=data, anns_field=field, limit=min(limit, 16384),
                                            filter=where, output_fields=["id"])
        except Exception as error:  # noqa: BLE001
            raise MilvusError(f"Milvus search failed: {error}") from error
        hits = result[0] if result else []
        return [(h["id"], float(h["distance"])) for h in hits] if scores else [h["id"] for h in hits]


def _by_order(ids: list[str]) -> list[tuple[str, float]]:
    """Scores from rank alone (Lite's BM25 scores are negative and per segment)."""
    return [(pid, 1.0 / rank) for rank, pid in enumerate(ids, 1)]
