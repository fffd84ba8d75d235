"""Passages read from disk by id: SQLite (kb/passage_table.py) against memory-mapped arrays with an
offset table, the two ways issue 12 asked to measure.

    python bench/bench_passages.py INDEX [--lookups 200]

The arrays are written from the generation's passages.sqlite into a temporary folder: every
passage's JSON end to end (`data.bin`), where each starts (`offsets.npy`), and the ids' 64-bit
hashes sorted with their rows (`keys.npy`, `rows.npy`; an id is found by binary search and its
JSON checked, as kb/postings.py finds terms). Each lookup asks for 120 random ids (a ranking's
keyword and vector lists) and builds the Passage objects; both ways read from the OS cache once
the first pass has paged in what they touch, so a first and a second pass are reported. Memory
is the resident growth of opening each store (the arrays are mapped, not read).
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from kb import store  # noqa: E402
from kb.evaluate import percentile  # noqa: E402
from kb.passage_table import FILE, PassageTable  # noqa: E402
from kb.passages import Passage  # noqa: E402
from kb.postings import key  # noqa: E402

BATCH = 120


def write_arrays(sqlite_path: Path, folder: Path) -> int:
    """The arrays for every passage of `sqlite_path`; returns how many."""
    db = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    keys, offsets = [], [0]
    with (folder / "data.bin").open("wb") as out:
        for pid, data in db.execute("SELECT id, data FROM passages ORDER BY row"):
            encoded = data.encode("utf-8")
            out.write(encoded)
            offsets.append(offsets[-1] + len(encoded))
            keys.append(key(pid))
    db.close()
    keys = np.array(keys, dtype=np.uint64)
    order = np.argsort(keys, kind="stable")
    np.save(folder / "keys.npy", keys[order])
    np.save(folder / "rows.npy", order.astype(np.int64))
    np.save(folder / "offsets.npy", np.array(offsets, dtype=np.int64))
    return len(keys)


class ArrayPassages:
    """Passage id → Passage from the arrays of `write_arrays`."""

    def __init__(self, folder: Path):
        self.keys = np.load(folder / "keys.npy", mmap_mode="r")
        self.rows = np.load(folder / "rows.npy", mmap_mode="r")
        self.offsets = np.load(folder / "offsets.npy", mmap_mode="r")
        self.data = np.memmap(folder / "data.bin", dtype=np.uint8, mode="r")

    def __getitem__(self, pid: str) -> Passage:
        wanted = np.uint64(key(pid))
        at = int(np.searchsorted(self.keys, wanted))
        while at < len(self.keys) and self.keys[at] == wanted:  # equal hashes: told apart by the id
            row = int(self.rows[at])
            fields = json.loads(self.data[self.offsets[row]:self.offsets[row + 1]].tobytes())
            if fields["id"] == pid:
                return Passage(**fields)
            at += 1
        raise KeyError(pid)


def rss_mb() -> float:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


def timed_batches(read, batches: list[list[str]]) -> dict:
    times = []
    for ids in batches:
        began = time.perf_counter()
        for pid in ids:
            read(pid)
        times.append((time.perf_counter() - began) * 1000)
    return {"p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--lookups", type=int, default=200, help="batches of 120 ids")
    args = parser.parse_args()
    sqlite_path = store.require_generation(args.index) / FILE
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        count = write_arrays(sqlite_path, folder)
        write_s = time.perf_counter() - began
        disk = {"sqlite_mb": round(sqlite_path.stat().st_size / 2**20),
                "arrays_mb": round(sum(f.stat().st_size for f in folder.iterdir()) / 2**20)}
        ids = [row[0] for row in sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True).execute("SELECT id FROM passages")]
        rng = random.Random(0)
        batches = [rng.sample(ids, BATCH) for _ in range(args.lookups)]
        del ids
        before = rss_mb()
        table = PassageTable.open(sqlite_path)
        sqlite_open = rss_mb() - before
        before = rss_mb()
        arrays = ArrayPassages(folder)
        arrays_open = rss_mb() - before
        # the table keeps recent passages as objects; bypassed here so that every read is a read
        sqlite_read = table._db.execute
        ways = {"sqlite": lambda pid: Passage(**json.loads(sqlite_read("SELECT data FROM passages WHERE id = ?", (pid,)).fetchone()[0])),
                "arrays": arrays.__getitem__}
        assert all(ways["sqlite"](pid) == arrays[pid] for pid in batches[0])
        result = {"passages": count, "arrays_write_s": round(write_s, 1), "disk": disk,
                  "open_rss_mb": {"sqlite": round(sqlite_open, 1), "arrays": round(arrays_open, 1)}}
        for name, read in ways.items():
            result[name] = {"first_pass": timed_batches(read, batches), "second_pass": timed_batches(read, batches)}
        table.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
