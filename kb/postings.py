"""Each field's postings with their BM25F term scores as numpy arrays, written at build time
beside whoosh's segment (which stays the index of record) and memory-mapped when read.

    keyword/postings/<field>.keys.npy     uint64 hash of each term, ascending (a term's row i)
    keyword/postings/<field>.spelling.npy the terms' UTF-8 bytes end to end, in key order, and
    keyword/postings/<field>.spelled.npy  int64 [terms + 1] where each starts: a key is checked
                                          against its term, so a hash collision cannot mislead
    keyword/postings/<field>.starts.npy   int64 [terms + 1]: term i owns rows starts[i]:starts[i+1]
    keyword/postings/<field>.docs.npy     int32 whoosh document numbers, ascending per term
    keyword/postings/<field>.scores.npy   float32 BM25F score of the term in that document
    keyword/postings/text.positions.npy   int32 word positions of each posting, end to end
    keyword/postings/text.position_starts.npy  int64 [postings + 1] where each posting's start
    keyword/postings/documents.json       the kb document ids, and documents.npy: for each whoosh
                                          document number, its document's place in that list
    keyword/postings/title.document_*.npy the title's postings by kb document (codes, scores, starts
                                          per term): a title is its document's, the same in each of
                                          its passages, so a word of every report title is a few
                                          thousand documents, not 850k passages to sum

Read from whoosh, a term costs one Python call per posting (~0.1 s for a title word in 80k
passages), and matching a pair of adjacent words several per candidate document; read from
here, a term costs two binary searches and a slice, a pair a few array operations. The scores are
whoosh's own (its idf, quantised field lengths, B and K1), computed once per generation:
tests/test_bm25.py checks them against whoosh scoring the same queries.
"""
from __future__ import annotations

import hashlib
import json
from array import array
from dataclasses import dataclass
from dataclasses import field as default
from pathlib import Path

import numpy as np
from whoosh.scoring import BM25F

FOLDER = "postings"
PARTS = ("keys", "spelling", "spelled", "starts", "docs", "scores")
POSITION_PARTS = ("positions", "position_starts")  # fields indexed with positions only
DOCUMENT_PARTS = ("document_codes", "document_scores", "document_starts")
DOCUMENT_FIELDS = ("title",)  # the same in every passage of a document: also kept by document


def write(folder: Path, searcher, fields: list[str]) -> None:
    """Write every field's postings of `searcher` (BM25F weighting, deleted documents skipped),
    with word positions for the fields whose format keeps them."""
    if not isinstance(searcher.weighting, BM25F):
        raise TypeError("the postings file holds BM25F scores")
    folder.mkdir(parents=True, exist_ok=True)
    reader = searcher.reader()
    names, codes = _documents(searcher)
    for name in fields:
        arrays = _field_arrays(searcher, reader, name)
        if name in DOCUMENT_FIELDS:
            arrays |= _by_document(arrays, codes)
        for part, values in arrays.items():
            np.save(folder / f"{name}.{part}.npy", values)
    np.save(folder / "documents.npy", codes)
    (folder / "documents.json").write_text(json.dumps(names, ensure_ascii=False), "utf-8")


def _by_document(arrays: dict[str, np.ndarray], codes: np.ndarray) -> dict[str, np.ndarray]:
    """A field's postings by kb document: each term's (document code, score), when the term
    scores the same in every passage of a document (else nothing: the field is read by passage)."""
    starts, docs, scores = arrays["starts"], arrays["docs"], arrays["scores"]
    terms = np.repeat(np.arange(len(starts) - 1, dtype=np.int64), np.diff(starts))
    doc_codes = codes[docs].astype(np.int64)
    pairs, first, which = np.unique(terms * (int(codes.max(initial=0)) + 2) + doc_codes + 1,
                                    return_index=True, return_inverse=True)
    if len(docs) and (np.any(doc_codes < 0) or not np.array_equal(scores, scores[first][which])):
        return {}
    counts = np.bincount(terms[first], minlength=len(starts) - 1)
    return {"document_codes": doc_codes[first].astype(np.int32), "document_scores": scores[first],
            "document_starts": _offsets(counts)}


def _documents(searcher) -> tuple[list[str], np.ndarray]:
    """The kb documents (doc_id) in order, and per whoosh document number the position of its
    document in that list (-1: deleted)."""
    codes = np.full(searcher.doc_count_all(), -1, dtype=np.int32)
    names: dict[str, int] = {}
    for docnum, stored in searcher.reader().iter_docs():
        codes[docnum] = names.setdefault(stored["doc_id"], len(names))
    return list(names), codes


def key(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass
class _Term:
    """One term's postings, in typed arrays: at 1M passages Python lists of ints took 9.8 GB."""

    key: int
    spelling: bytes
    idf: float
    docs: array = default(default_factory=lambda: array("i"))
    tfs: array = default(default_factory=lambda: array("d"))
    positions: array = default(default_factory=lambda: array("i"))
    position_counts: array = default(default_factory=lambda: array("i"))


def _read_terms(searcher, reader, field: str, positional: bool) -> list[_Term]:
    found = []
    for btext in reader.lexicon(field) if field in reader.indexed_field_names() else ():
        term = btext.decode("utf-8")
        matcher = searcher.postings(field, term)
        row = _Term(key(term), btext, searcher.idf(field, term))
        while matcher.is_active():
            row.docs.append(matcher.id())
            row.tfs.append(matcher.weight())
            if positional:
                positions = matcher.value_as("positions")
                row.positions.extend(positions)
                row.position_counts.append(len(positions))
            matcher.next()
        if row.docs:
            found.append(row)
    found.sort(key=lambda t: t.key)
    return found


def _joined(parts: list[array], dtype) -> np.ndarray:
    return np.concatenate([np.frombuffer(p, dtype=dtype) for p in parts]) if parts else np.zeros(0, dtype=dtype)


def _offsets(lengths) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)


def _field_arrays(searcher, reader, field: str) -> dict[str, np.ndarray]:
    weighting = searcher.weighting
    b, k1 = weighting._field_B.get(field, weighting.B), weighting.K1
    avgfl = searcher.avg_field_length(field) or 1
    positional = field in searcher.schema and searcher.schema[field].format.supports("positions")
    lengths = np.array([searcher.doc_field_length(d, field, 1) for d in range(searcher.doc_count_all())], dtype=np.float64)
    found = _read_terms(searcher, reader, field, positional)
    counts = [len(t.docs) for t in found]
    docs = _joined([t.docs for t in found], np.int32)
    tf = _joined([t.tfs for t in found], np.float64)
    idf = np.repeat(np.array([t.idf for t in found], dtype=np.float64), counts)
    fl = lengths[docs] if len(docs) else np.zeros(0)
    scores = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))  # whoosh.scoring.bm25
    arrays = {"keys": np.array([t.key for t in found], dtype=np.uint64),
              "spelling": np.frombuffer(b"".join(t.spelling for t in found), dtype=np.uint8),
              "spelled": _offsets([len(t.spelling) for t in found]), "starts": _offsets(counts),
              "docs": docs, "scores": scores.astype(np.float32)}
    if positional:
        arrays["positions"] = _joined([t.positions for t in found], np.int32)
        arrays["position_starts"] = _offsets(_joined([t.position_counts for t in found], np.int32))
    return arrays


class Postings:
    """The memory-mapped postings of one generation's keyword index."""

    def __init__(self, folder: Path, fields: list[str]):
        self._folder, self._documents = folder, None
        self._fields = {field: {part: np.load(folder / f"{field}.{part}.npy", mmap_mode="r")
                                for part in PARTS + POSITION_PARTS + DOCUMENT_PARTS
                                if (folder / f"{field}.{part}.npy").exists()}
                        for field in fields}

    @staticmethod
    def exists(folder: Path, fields: list[str]) -> bool:
        return all((folder / f"{field}.{part}.npy").exists() for field in fields for part in PARTS)

    def has_documents(self) -> bool:
        """Whether the document table was written (postings files of earlier builds lack it)."""
        return (self._folder / "documents.json").exists()

    def of_documents(self, doc_ids: set[str]) -> np.ndarray:
        """One bool per whoosh document number: whether it is a passage of `doc_ids`."""
        codes_of, codes = self.document_table()
        wanted = np.array([codes_of[d] for d in doc_ids if d in codes_of], dtype=np.int32)
        return np.isin(codes, wanted)

    def document_table(self) -> tuple[dict[str, int], np.ndarray]:
        """kb document id → code, and each whoosh document number's code (-1: deleted)."""
        if self._documents is None:
            names = json.loads((self._folder / "documents.json").read_text("utf-8"))
            self._documents = ({name: code for code, name in enumerate(names)}, np.load(self._folder / "documents.npy"))
        return self._documents

    def by_document(self, field: str) -> bool:
        """Whether `field`'s postings were also written by kb document."""
        return "document_codes" in self._fields[field] and self.has_documents()

    def get_by_document(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(document codes, BM25F scores) of `term` in `field`, one per kb document."""
        arrays = self._fields[field]
        at = self._term(arrays, term)
        if at is None:
            return arrays["document_codes"][:0], arrays["document_scores"][:0]
        begin, end = int(arrays["document_starts"][at]), int(arrays["document_starts"][at + 1])
        return arrays["document_codes"][begin:end], arrays["document_scores"][begin:end]

    def frequencies(self, field: str) -> dict[str, int]:
        """Every term of `field` and the number of documents it is in."""
        arrays = self._fields[field]
        spelling, spelled = np.asarray(arrays["spelling"]).tobytes(), np.asarray(arrays["spelled"])
        counts = np.diff(np.asarray(arrays["starts"])).tolist()
        return {spelling[spelled[i]:spelled[i + 1]].decode("utf-8"): counts[i] for i in range(len(counts))}

    def has_positions(self, field: str) -> bool:
        return "positions" in self._fields[field]

    def get(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, BM25F scores) of `term` in `field`; empty when it is not there."""
        arrays = self._fields[field]
        begin, end = self._rows(arrays, term)
        return arrays["docs"][begin:end], arrays["scores"][begin:end]

    def followed(self, field: str, first: str, second: str, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Documents among `candidates` (ascending) where `second` stands right after `first`,
        with the sum of both terms' scores there: whoosh's score of Phrase([first, second]) at
        slop 1, which adds the scores of its terms where the phrase matches."""
        arrays = self._fields[field]
        sides = []
        for term in (first, second):
            begin, end = self._rows(arrays, term)
            rows = begin + _positions_of(arrays["docs"][begin:end], candidates)
            sides.append((rows, np.asarray(arrays["docs"][rows]), np.asarray(arrays["scores"][rows])))
        (rows_a, docs_a, scores_a), (rows_b, docs_b, scores_b) = sides
        both, ia, ib = np.intersect1d(docs_a, docs_b, assume_unique=True, return_indices=True)
        if not len(both):
            return both, scores_a[:0]
        after_a = self._position_keys(arrays, rows_a[ia], both, 1)
        found = np.unique(after_a[np.isin(after_a, self._position_keys(arrays, rows_b[ib], both, 0))] >> 32)
        matched = np.isin(both, found)
        return both[matched], (scores_a[ia] + scores_b[ib])[matched]

    @staticmethod
    def _position_keys(arrays: dict, rows: np.ndarray, docs: np.ndarray, shift: int) -> np.ndarray:
        """document << 32 | (position + shift) for every position of the postings `rows`."""
        starts = arrays["position_starts"]
        begin, end = np.asarray(starts[rows]), np.asarray(starts[rows + 1])
        counts = end - begin
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        positions = np.asarray(arrays["positions"][np.repeat(begin, counts) + within]).astype(np.int64) + shift
        return (np.repeat(docs.astype(np.int64), counts) << 32) | positions

    @classmethod
    def _rows(cls, arrays: dict, term: str) -> tuple[int, int]:
        """The posting rows of `term`: (begin, end), empty when it is not in the field."""
        at = cls._term(arrays, term)
        return (0, 0) if at is None else (int(arrays["starts"][at]), int(arrays["starts"][at + 1]))

    @staticmethod
    def _term(arrays: dict, term: str) -> int | None:
        """The row of `term` among the field's terms; None when it is not in the field."""
        keys, spelling, spelled = arrays["keys"], arrays["spelling"], arrays["spelled"]
        wanted, encoded = np.uint64(key(term)), term.encode("utf-8")
        at = int(np.searchsorted(keys, wanted))
        while at < len(keys) and keys[at] == wanted:  # equal keys: a collision, told apart by spelling
            if spelling[spelled[at]:spelled[at + 1]].tobytes() == encoded:
                return at
            at += 1
        return None


def _positions_of(docs: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Where each of `candidates` stands in `docs` (both ascending), for those it holds. A binary
    search per candidate: a common word's 800k postings are not read whole for 1,000 candidates."""
    at = np.searchsorted(docs, candidates)
    inside = at < len(docs)
    at, wanted = at[inside], candidates[inside]
    return at[np.asarray(docs[at]) == wanted]
