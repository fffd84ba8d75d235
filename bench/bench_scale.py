"""The scale curve: build time, disk, peak memory and query latency at ~1k, 10k and 100k passages.

    python bench/bench_scale.py                 # 1000 10000 100000 passages, table + docs/scale.png
    python bench/bench_scale.py --sizes 1000 10000 --no-plot
    python bench/bench_scale.py --keyword-only --sizes 100000 --work /tmp/scale
    python bench/bench_scale.py --simulate-vectors /tmp/scale/i100000   # hybrid on simulated vectors
    python bench/bench_scale.py --simulate-candidates /tmp/scale/i100000   # answers read stored candidates

The corpora are made of real text: the review, the 72 government work reports and the CMRC 2018
contexts; past what they hold, further copies of the government reports are added, each copy's
sentences shuffled and regrouped into paragraphs of 2–6 sentences (seeded by the copy number), so
that ~97 % of its passages are new text rather than repeats the embedding cache would skip.
(Dropping each paragraph's first sentences instead, as a first version did, left 31k distinct
passages in 110k: windows after the dropped sentence came out the same.)
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_index import GOV_REPORTS, REPORT, ROOT, dev_questions, disk_mb, measure_build  # noqa: E402

CMRC = [ROOT / "bench" / "data" / "cmrc2018" / "cmrc2018_dev.json", ROOT / "bench" / "data" / "cmrc2018" / "cmrc2018_trial.json"]
OUT = ROOT / "bench" / "out"
BULK_FILE_BYTES = 40_000_000
PASSAGE_CHARS = 105  # mean passage length measured on these texts at window 200 (passages / characters)
_SENTENCE = re.compile(r"[^。！？；]*[。！？；]+")


def source_documents() -> list[dict]:
    docs = [{"id": "review", "title": "见证——佛山妇联的2022年", "text": REPORT.read_text("utf-8")}]
    for i, line in enumerate(GOV_REPORTS.read_text("utf-8").splitlines()):
        r = json.loads(line)
        docs.append({"id": f"gov-{r.get('year') or 'x'}-{i}", "title": r["title"], "text": r["content"],
                     "date": str(r.get("year") or "")})
    for path in CMRC:
        for article in json.loads(path.read_text("utf-8"))["data"]:
            for p in article["paragraphs"]:
                docs.append({"id": p["id"], "title": article["title"], "text": p["context"]})
    return docs


def regrouped(text: str, copy: int) -> str:
    """The text's sentences in a shuffled order, in paragraphs of 2–6 sentences (real sentences,
    new passages)."""
    rng = random.Random(copy)
    sentences = [s for paragraph in text.split("\n") for s in _SENTENCE.findall(paragraph)]
    rng.shuffle(sentences)
    paragraphs, i = [], 0
    while i < len(sentences):
        n = rng.randint(2, 6)
        paragraphs.append("".join(sentences[i:i + n]))
        i += n
    return "\n".join(paragraphs)


def make_corpus(target: Path, passages: int) -> dict:
    want = passages * PASSAGE_CHARS
    base = source_documents()
    gov = [d for d in base if d["id"].startswith("gov-")]
    chosen, size, copy = [], 0, 0
    pool = list(base)
    while size < want:
        if not pool:
            copy += 1
            pool = [d | {"id": f"{d['id']}-v{copy}", "title": f"{d['title']} ({copy})", "text": regrouped(d["text"], copy)}
                    for d in gov]
        doc = pool.pop(0)
        chosen.append(doc)
        size += len(doc["text"])
    target.mkdir(parents=True)
    part, written = 0, 0
    handle = (target / "bulk-000.jsonl").open("w", encoding="utf-8")
    for doc in chosen:
        if written > BULK_FILE_BYTES:  # below KB_MAX_FILE_MB: kb build skips larger files
            handle.close()
            part, written = part + 1, 0
            handle = (target / f"bulk-{part:03d}.jsonl").open("w", encoding="utf-8")
        line = json.dumps(doc, ensure_ascii=False) + "\n"
        handle.write(line)
        written += len(line.encode("utf-8"))
    handle.close()
    return {"documents": len(chosen), "characters": size, "copies": copy}


def distinct_passages(index: Path) -> int:
    """Passages of different text: only these are embedded (equal texts share a vector)."""
    from kb import store

    return len({p.text for p in store.read_passages(store.require_generation(index))})


def latencies(index: Path, questions: list[str], semantic: bool = True) -> dict:
    from kb.answers import ask
    from kb.config import Settings
    from kb.evaluate import percentile
    from kb.semantic import query_vector
    from kb.snapshot import Snapshot

    snap = Snapshot(Settings.from_env(index=index, semantic=semantic))
    snap.warm()  # as `kb serve` does before its first request (web/__init__.py)
    out = {}
    # the first keyword pass reads each term's postings from disk (kb/bm25.py caches them); the
    # second pass over the same questions shows the warm cost, which the later passes also enjoy
    runs = [("keyword", lambda q: snap.search(q, k=10, mode="keyword")),
            ("keyword_warm", lambda q: snap.search(q, k=10, mode="keyword"))]
    if semantic:
        runs.append(("hybrid", lambda q: snap.search(q, k=10, mode="hybrid")))
    runs.append(("answer", lambda q: ask(snap, q, mode="hybrid" if semantic else "keyword")))
    for name, run in runs:
        run(questions[0])
        times = []
        for q in questions:
            query_vector.cache_clear()
            began = time.perf_counter()
            run(q)
            times.append((time.perf_counter() - began) * 1000)
        out[name] = {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1)}
    return out


def serve_memory(index: Path, questions: list[str], count: int = 100, semantic: bool = True) -> dict:
    """Resident memory of a `kb serve` process on `index` after `count` answered questions."""
    import http.client
    from urllib.parse import quote, urlparse

    from load import start_server

    proc, url = start_server({"KB_INDEX": str(index), "KB_SEMANTIC": "1" if semantic else "0"})
    try:
        host = urlparse(url)
        started = _rss_mb(proc.pid)
        for i in range(count):
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
            conn.request("GET", f"/api/answer?q={quote(questions[i % len(questions)])}")
            conn.getresponse().read()
        # RssAnon: what the process itself holds; the rest of RSS is mapped files (index, vectors,
        # model table), page cache the kernel can take back
        return {"rss_mb_started": started, f"rss_mb_after_{count}": _rss_mb(proc.pid),
                f"anon_mb_after_{count}": _rss_mb(proc.pid, "RssAnon")}
    finally:
        proc.terminate()
        proc.wait()


def _rss_mb(pid: int, field: str = "VmRSS") -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0]) // 1024


def add_simulated_vectors(index: Path) -> dict:
    """Give a keyword-only index a vectors folder of *simulated* vectors (bench/bench_ann.py's mix
    of real ones), plus the HNSW graph when the size calls for it, so that hybrid and answer latency
    and memory can be measured at sizes that would take hours to embed. The vectors carry no
    meaning: no quality is measured on such an index, and their hashes match no text, so a real
    build never reuses them."""
    import numpy as np

    from bench_ann import real_vectors, simulated
    from kb import store, vectors
    from kb.config import Settings
    from kb.embeddings import model_name

    settings = Settings.from_env()
    gen = store.require_generation(index)
    passages = store.read_passages(gen)
    folder = gen / "vectors"
    folder.mkdir()
    matrix = simulated(real_vectors(), len(passages))
    np.save(folder / "vectors.npy", matrix)
    meta = {"model": model_name(settings), "ids": [p.id for p in passages], "hashes": ["simulated"] * len(passages)}
    began = time.perf_counter()
    if len(passages) >= settings.ann_min_passages:
        meta["ann"] = vectors.write_graph(folder, matrix)
    (folder / "ids.json").write_text(json.dumps(meta), "utf-8")
    return {"vectors": len(passages), "graph": "ann" in meta, "graph_build_s": round(time.perf_counter() - began, 1)}


class SimulatedEmbedder:
    """Stands in for the model when candidate texts are stored for a size that would take hours to
    embed: simulated rows (bench/bench_ann.py's mix of real vectors), named like the real model so
    the snapshot reads them; the texts, their extraction and the files are real."""

    def __init__(self):
        from bench_ann import real_vectors
        from kb.config import Settings
        from kb.embeddings import model_name

        self.real, self.name, self.made = real_vectors(), model_name(Settings.from_env()), 0
        self.dimension = self.real.shape[1]

    def passages(self, texts: list[str]):
        from bench_ann import simulated

        self.made += 1
        return simulated(self.real, len(texts), seed=self.made)


def add_simulated_candidates(index: Path) -> dict:
    """Store the answer candidates of an index with simulated vectors (kb/candidate_store.py), as
    `kb build` does with real ones; times the extraction, which is real."""
    from kb import candidate_store, store

    gen = store.require_generation(index)
    passages = store.read_passages(gen)
    began = time.perf_counter()
    stats = candidate_store.build(gen / candidate_store.FOLDER, passages, SimulatedEmbedder(), None, progress=True)
    return stats | {"seconds": round(time.perf_counter() - began, 1)}


def report(index: Path, questions: list[str], facts: dict, semantic: bool = True, serve: bool = True) -> str:
    """One JSON line: what was done to `index` (facts), its query latency and kb serve's memory;
    also appended to bench/out/measured.jsonl (the plot's hybrid and memory curves)."""
    from kb import store

    passages = store.read_manifest(store.require_generation(index)).get("passages")
    row = {"index": str(index), "passages": passages, "semantic": semantic, **facts, "questions": len(questions),
           "latency": latencies(index, questions, semantic)}
    if serve:
        row["serve"] = serve_memory(index, questions, semantic=semantic)
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "measured.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
    return json.dumps(row)


def copy_to_milvus(index: Path, target: Path) -> dict:
    """A copy of a kept index (its passages, vectors and stored candidates, real or simulated) served
    by the Milvus backend on Milvus Lite (kb/milvus.py): the collection written as `kb build` writes
    it, without re-embedding; times the inserts."""
    import os
    import shutil

    import numpy as np

    from kb import milvus, store
    from kb.config import Settings

    shutil.copytree(index, target, ignore=shutil.ignore_patterns("keyword"))
    os.environ["KB_BACKEND"] = "milvus"  # read by Settings.from_env here and in latencies()
    settings = Settings.from_env(index=target)
    gen = store.require_generation(target)
    titles = {d.id: d.title for d in store.read_documents(gen)}
    began = time.perf_counter()
    facts = milvus.build(settings, gen, store.read_passages(gen), np.load(gen / "vectors" / "vectors.npy"), titles)
    seconds = time.perf_counter() - began
    model = json.loads((gen / "vectors" / "ids.json").read_text("utf-8"))["model"]  # --simulate-vectors names it there only
    manifest = store.read_manifest(gen) | facts | {"model": model}
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    milvus.publish(settings, facts["collection"], {facts["collection"]})
    return {"rows": manifest["passages"], "insert_seconds": round(seconds, 1)}


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for semantic, style in ((True, "o-"), (False, "s:")):
        part = sorted((r for r in rows if r.get("semantic", True) == semantic), key=lambda r: r["passages"])
        if not part:
            continue
        x, tag = [r["passages"] for r in part], "" if semantic else " (keyword only)"
        axes[0].plot(x, [r["build_seconds"] for r in part], style, label=f"build{tag}")
        axes[1].plot(x, [r["peak_mb"] for r in part], style, label=f"peak memory MB{tag}")
        axes[1].plot(x, [r["disk_mb"] for r in part], style, label=f"disk MB{tag}")
        for name in ("keyword", "hybrid", "answer"):
            if all(name in r["latency"] for r in part):
                axes[2].plot(x, [r["latency"][name]["p95_ms"] for r in part], style, label=f"{name} p95{tag}")
    axes[0].set(title="build time (s)", xscale="log", yscale="log", xlabel="passages")
    axes[0].legend(fontsize=8)
    axes[1].set(title="memory and disk", xscale="log", xlabel="passages")
    axes[1].legend(fontsize=8)
    axes[2].set(title="query latency (ms)", xscale="log", xlabel="passages")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_million(rows: list[dict], ann_rows: list[dict], measured: list[dict], path: Path) -> None:
    """Issue 12's curve: keyword and answer latency, kb serve memory and build time against
    passages (bench/out/scale.jsonl), vector search exact vs graph (bench/out/ann.jsonl), and
    the latest `--measure` of each index with vectors (bench/out/measured.jsonl): hybrid search
    and answers, and kb serve's memory with the model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4, figsize=(19, 4.2))
    rows = sorted(rows, key=lambda r: r["passages"])
    x = [r["passages"] for r in rows]
    for name, style in (("keyword", "o-"), ("answer", "s--")):
        for stat in ("p50_ms", "p95_ms"):
            axes[0].plot(x, [r["latency"][name][stat] for r in rows], style, label=f"{name} {stat[:3]} (keyword only)")
    with_vectors = sorted((r for r in measured if r.get("semantic") and r.get("serve")), key=lambda r: r["passages"])
    mx = [r["passages"] for r in with_vectors]
    for name, style in (("hybrid", "^-"), ("answer", "v-")):
        axes[0].plot(mx, [r["latency"][name]["p95_ms"] for r in with_vectors], style,
                     label=f"{'hybrid search' if name == 'hybrid' else 'hybrid answer'} p95 (vectors, >12.6k simulated)")
    axes[0].set(title="query latency (ms)", xscale="log", yscale="log", xlabel="passages")
    vec = sorted(ann_rows, key=lambda r: r["vectors"])
    vx = [r["vectors"] for r in vec]
    for kind, style in (("exact", "o-"), ("ann", "s-")):
        axes[1].plot(vx, [r[f"{kind}@50_ms"][1] for r in vec], style, label=f"{'graph' if kind == 'ann' else kind} top-50 p95")
    axes[1].set(title="vector search (ms; >12.6k simulated)", xscale="log", yscale="log", xlabel="vectors")
    axes[2].plot(x, [r["serve"]["rss_mb_after_100"] for r in rows], "o-", label="kb serve RSS after 100 answers")
    axes[2].plot(mx, [r["serve"]["rss_mb_after_100"] for r in with_vectors], "v-", label="same, with vectors and the model")
    axes[2].plot(x, [r["peak_mb"] for r in rows], "s:", label="build peak")
    axes[2].plot(x, [r["disk_mb"] for r in rows], "^-", label="index on disk")
    axes[2].set(title="memory and disk (MB)", xscale="log", xlabel="passages")
    axes[3].plot(x, [r["build_seconds"] for r in rows], "o-", label="keyword-only build (s)")
    axes[3].set(title="build time (s)", xscale="log", xlabel="passages")
    for axis in axes:
        axis.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument("--keyword-only", action="store_true", help="no vectors (builds in minutes, not hours)")
    parser.add_argument("--plot-only", action="store_true", help="plot bench/out/scale.jsonl")
    parser.add_argument("--plot-million", action="store_true",
                        help="docs/scale-million.png from the keyword-only rows and bench/out/ann.jsonl")
    parser.add_argument("--work", type=Path, help="keep corpora and indexes in this folder (default: a temporary one)")
    parser.add_argument("--measure", type=Path, metavar="INDEX", help="only measure query latency on a kept index")
    parser.add_argument("--simulate-vectors", type=Path, metavar="INDEX",
                        help="add simulated vectors to a kept keyword-only index, then measure it")
    parser.add_argument("--simulate-candidates", type=Path, metavar="INDEX",
                        help="store answer candidates (simulated text vectors) in an index with vectors, then measure it")
    parser.add_argument("--milvus", type=Path, nargs=2, metavar=("INDEX", "TARGET"),
                        help="copy a kept index with vectors into Milvus Lite at TARGET, then measure it")
    parser.add_argument("--questions", type=int, help="measure only the first N questions (Milvus Lite is slow)")
    args = parser.parse_args()
    if args.plot_million:
        rows = [json.loads(line) for line in (OUT / "scale.jsonl").read_text("utf-8").splitlines() if line.strip()]
        latest = {r["target"]: r for r in rows if not r.get("semantic", True)}
        ann = {r["vectors"]: r for r in map(json.loads, (OUT / "ann.jsonl").read_text("utf-8").splitlines())}
        measured_file = OUT / "measured.jsonl"
        measured = {(r["index"], r["semantic"]): r for r in map(json.loads, measured_file.read_text("utf-8").splitlines())
                    } if measured_file.exists() else {}  # the latest of each index and mode
        again = {m["passages"]: m for m in measured.values() if not m["semantic"]}
        for row in latest.values():  # a keyword-only index measured since its build: its latest latency and memory
            if row["passages"] in again:
                row |= {"latency": again[row["passages"]]["latency"], "serve": again[row["passages"]]["serve"]}
        plot_million(list(latest.values()), list(ann.values()), [m for m in measured.values() if m["semantic"]],
                     ROOT / "docs" / "scale-million.png")
        return
    if args.plot_only:
        rows = [json.loads(line) for line in (OUT / "scale.jsonl").read_text("utf-8").splitlines() if line.strip()]
        latest = {(r["target"], r.get("semantic", True)): r for r in rows}  # a rerun replaces its row
        plot(list(latest.values()), ROOT / "docs" / "scale.png")
        return
    questions = dev_questions()[:args.questions]
    if args.milvus:  # Milvus Lite serves in-process: no kb serve memory to read
        print(report(args.milvus[1], questions, {"milvus": copy_to_milvus(*args.milvus)}, serve=False))
        return
    if args.simulate_vectors:
        print(report(args.simulate_vectors, questions, {"simulated_vectors": add_simulated_vectors(args.simulate_vectors)}))
        return
    if args.simulate_candidates:
        made = add_simulated_candidates(args.simulate_candidates)
        print(report(args.simulate_candidates, questions, {"simulated_candidates": made}))
        return
    if args.measure:
        print(report(args.measure, questions, {}, semantic=not args.keyword_only))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.work or Path(tmp)
        for size in args.sizes:
            corpus, index = workdir / f"c{size}", workdir / f"i{size}"
            made = make_corpus(corpus, size)
            stats = measure_build(index, corpus, not args.keyword_only)
            row = {"target": size, "semantic": not args.keyword_only, "passages": stats["passages"],
                   "distinct_passages": distinct_passages(index), "documents": stats["documents"],
                   "characters": made["characters"], "build_seconds": stats["seconds"], "peak_mb": stats["peak_mb"],
                   "disk_mb": round(disk_mb(index), 1), "latency": latencies(index, questions, not args.keyword_only),
                   "serve": serve_memory(index, questions, semantic=not args.keyword_only)}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
            with (OUT / "scale.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    if not args.no_plot:
        plot(rows, ROOT / "docs" / "scale.png")
        print(f"plot: {ROOT / 'docs' / 'scale.png'}")


if __name__ == "__main__":
    main()
