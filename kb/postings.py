"""Each field's postings with their BM25F term scores as numpy arrays, written at build time
beside whoosh's segment (which stays the index of record) and memory-mapped when read.

    keyword/postings/<field>.keys.npy     uint64 hash of each term, ascending (a term's row i)
    keyword/postings/<field>.spelling.npy the terms' UTF-8 bytes end to end, in key order, and
    keyword/postings/<field>.spelled.npy  int64 [terms + 1] where each starts: a key is checked
                                          against its term, so a hash collision cannot mislead
    keyword/postings/<field>.starts.npy   int64 [terms + 1]: term i owns rows starts[i]:starts[i+1]
    keyword/postings/<field>.docs.npy     int32 whoosh document numbers, ascending per term
    keyword/postings/<field>.scores.npy   float32 BM25F score of the term in that document

Read from whoosh, a term costs one Python call per posting (~0.1 s for a title word in 80k
passages); read from here, any term costs two binary searches and a slice. The scores are
whoosh's own (its idf, quantised field lengths, B and K1), computed once per generation:
tests/test_bm25.py checks them against whoosh scoring the same queries.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from whoosh.scoring import BM25F

FOLDER = "postings"
PARTS = ("keys", "spelling", "spelled", "starts", "docs", "scores")


def write(folder: Path, searcher, fields: list[str]) -> None:
    """Write every field's postings of `searcher` (BM25F weighting, deleted documents skipped)."""
    if not isinstance(searcher.weighting, BM25F):
        raise TypeError("the postings file holds BM25F scores")
    folder.mkdir(parents=True, exist_ok=True)
    reader = searcher.reader()
    for field in fields:
        arrays = _field_arrays(searcher, reader, field)
        for part, array in zip(PARTS, arrays):
            np.save(folder / f"{field}.{part}.npy", array)


def key(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def _field_arrays(searcher, reader, field: str) -> tuple[np.ndarray, ...]:
    weighting = searcher.weighting
    b, k1 = weighting._field_B.get(field, weighting.B), weighting.K1
    avgfl = searcher.avg_field_length(field) or 1
    lengths = np.array([searcher.doc_field_length(d, field, 1) for d in range(searcher.doc_count_all())], dtype=np.float64)
    found: list[tuple[int, bytes, list[int], list[float], float]] = []
    for btext in reader.lexicon(field) if field in reader.indexed_field_names() else ():
        term = btext.decode("utf-8")
        matcher = searcher.postings(field, term)
        docs, tfs = [], []
        while matcher.is_active():
            docs.append(matcher.id())
            tfs.append(matcher.weight())
            matcher.next()
        if docs:
            found.append((key(term), btext, docs, tfs, searcher.idf(field, term)))
    found.sort(key=lambda row: row[0])
    counts = [len(row[2]) for row in found]
    docs = np.array([d for row in found for d in row[2]], dtype=np.int32)
    tf = np.array([t for row in found for t in row[3]], dtype=np.float64)
    idf = np.repeat(np.array([row[4] for row in found], dtype=np.float64), counts)
    fl = lengths[docs] if len(docs) else np.zeros(0)
    scores = idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * fl / avgfl)))  # whoosh.scoring.bm25
    spelling = b"".join(row[1] for row in found)
    return (np.array([row[0] for row in found], dtype=np.uint64), np.frombuffer(spelling, dtype=np.uint8),
            np.concatenate([[0], np.cumsum([len(row[1]) for row in found])]).astype(np.int64),
            np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), docs, scores.astype(np.float32))


class Postings:
    """The memory-mapped postings of one generation's keyword index."""

    def __init__(self, folder: Path, fields: list[str]):
        self._fields = {field: [np.load(folder / f"{field}.{part}.npy", mmap_mode="r") for part in PARTS]
                        for field in fields}

    @staticmethod
    def exists(folder: Path, fields: list[str]) -> bool:
        return all((folder / f"{field}.{part}.npy").exists() for field in fields for part in PARTS)

    def get(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(document numbers, BM25F scores) of `term` in `field`; empty when it is not there."""
        keys, spelling, spelled, starts, docs, scores = self._fields[field]
        wanted, encoded = np.uint64(key(term)), term.encode("utf-8")
        at = int(np.searchsorted(keys, wanted))
        while at < len(keys) and keys[at] == wanted:  # equal keys: a collision, told apart by spelling
            if spelling[spelled[at]:spelled[at + 1]].tobytes() == encoded:
                return docs[starts[at]:starts[at + 1]], scores[starts[at]:starts[at + 1]]
            at += 1
        return docs[:0], scores[:0]
