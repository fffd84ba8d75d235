"""Benchmarks of building and searching: printed numbers, never asserted (see docs/benchmarks.md).

    python bench/bench_index.py corpus              # the corpus: builds, peak memory, query latency
    python bench/bench_index.py scale --factor 100  # a corpus 100× larger, made of real reports
    python bench/bench_index.py model               # conversion, load, encode speed, int8 vs fp32
    python bench/bench_index.py exact               # exact cosine top-k at 10k … 1M vectors

Each build runs in a child process so that its peak memory (ru_maxrss) is its own.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kb.evaluate import percentile
from kb.semantic import query_vector

ROOT = Path(__file__).resolve().parent.parent
QUESTION_SETS = [ROOT / "bench" / "questions" / "review-extra-questions.jsonl",
                 ROOT / "bench" / "questions" / "gov-questions.jsonl"]  # the project's own, for timing
DEV_QUESTIONS = QUESTION_SETS[0]
GOV_REPORTS = ROOT / "bench" / "data" / "gov-work-reports" / "government_work_reports.jsonl"
REPORT = ROOT / "corpus" / "foshan-womens-federation-2022-review.txt"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_build(index: str, corpus: str, semantic: bool) -> None:
    """Run in a child: build and print seconds, counts and peak memory as JSON."""
    from kb.build import build
    from kb.config import Settings
    settings = Settings.from_env(index=Path(index), corpus=Path(corpus), semantic=semantic)
    began = time.perf_counter()
    report = build(settings)
    print(json.dumps({"seconds": round(time.perf_counter() - began, 2), "documents": report.documents,
                      "passages": report.passages, "peak_mb": round(peak_mb())}))


def measure_build(index: Path, corpus: Path, semantic: bool) -> dict:
    out = subprocess.run([sys.executable, __file__, "_build", str(index), str(corpus), str(int(semantic))],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def query_latency(index: Path, mode: str, questions: list[str], repeat: int = 3) -> dict:
    from kb.config import Settings
    from kb.snapshot import Snapshot

    snap = Snapshot(Settings.from_env(index=index))
    snap.search(questions[0], k=10, mode=mode)  # warm up
    times = []
    for _ in range(repeat):
        for q in questions:
            query_vector.cache_clear()  # measure the encoder, not the query cache
            began = time.perf_counter()
            snap.search(q, k=10, mode=mode)
            times.append((time.perf_counter() - began) * 1000)
    return {"p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1), "queries": len(times)}


def dev_questions() -> list[str]:
    """The questions latency is measured on: the project's own sets."""
    return [json.loads(line)["question"] for path in QUESTION_SETS
            for line in path.read_text("utf-8").splitlines() if line.strip()]


def make_scaled_corpus(target: Path, factor: int) -> dict:
    """Real text `factor` times the review's size: the 72 government work reports, then copies of
    the review (each its own document) until the size is reached."""
    target.mkdir(parents=True)
    review = REPORT.read_text("utf-8")
    want = len(review) * factor
    size = len(review)
    shutil.copy(REPORT, target / REPORT.name)
    rows = []
    for i, line in enumerate(GOV_REPORTS.read_text("utf-8").splitlines()):
        record = json.loads(line)
        if size >= want:
            break
        rows.append({"id": f"gov-{record.get('year') or 'x'}-{i}", "title": record["title"],
                     "text": record["content"], "date": str(record.get("year") or "")})
        size += len(record["content"])
    copies = 0
    while size < want:
        copies += 1
        rows.append({"id": f"review-copy-{copies}", "title": f"review copy {copies}", "text": review})
        size += len(review)
    with (target / "bulk.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return {"characters": size, "gov_reports": len(rows) - copies, "review_copies": copies}


def bench_corpus(args) -> None:
    questions = dev_questions()
    with tempfile.TemporaryDirectory() as tmp:
        for semantic in (False, True):
            index = Path(tmp) / f"index-{semantic}"
            stats = measure_build(index, ROOT / "corpus", semantic)
            again = measure_build(index, ROOT / "corpus", semantic)
            print(f"corpus build semantic={semantic}: {stats}  rebuild unchanged: {again['seconds']} s  "
                  f"disk {disk_mb(index):.1f} MB")
        index = Path(tmp) / "index-True"
        for mode in ("keyword", "semantic", "hybrid"):
            print(f"query latency {mode}: {query_latency(index, mode, questions)}")


def bench_scale(args) -> None:
    questions = dev_questions()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        print(f"corpus ×{args.factor}: {make_scaled_corpus(corpus, args.factor)}")
        for semantic in (False, True) if args.semantic else (False,):
            index = Path(tmp) / f"index-{semantic}"
            stats = measure_build(index, corpus, semantic)
            print(f"build semantic={semantic}: {stats}  disk {disk_mb(index):.1f} MB", flush=True)
            for mode in ("keyword", "hybrid") if semantic else ("keyword",):
                print(f"query latency {mode}: {query_latency(index, mode, questions, repeat=2)}", flush=True)


def bench_model(args) -> None:

    from kb.config import Settings
    from kb.e5convert import convert_bundled
    from kb.embeddings import embedder
    from kb.passages import split_document
    from kb.documents import load_file

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        convert_bundled(Path(tmp) / "model")
        print(f"conversion (first use): {time.perf_counter() - began:.1f} s")
    settings = Settings.from_env()
    began = time.perf_counter()
    model = embedder(settings)
    print(f"model load (converted, cached): {time.perf_counter() - began:.2f} s, peak {peak_mb():.0f} MB")
    questions = dev_questions()
    times = []
    for q in questions * 3:
        began = time.perf_counter()
        model.queries([q])
        times.append((time.perf_counter() - began) * 1000)
    print(f"query encode: p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 95):.1f} ms")
    [doc], _ = load_file(REPORT)
    texts = [p.text for p in split_document(doc)]
    began = time.perf_counter()
    model.passages(texts)
    seconds = time.perf_counter() - began
    chars = sum(map(len, texts)) / len(texts)
    print(f"passage encode: {len(texts) / seconds:.1f} passages/s (mean {chars:.0f} characters)")
    if args.int8:
        bench_int8(settings, model, texts, questions)


def bench_int8(settings, model, texts, questions) -> None:
    """Dynamic int8 quantisation of the Linear layers: speed and dev-set retrieval against fp32."""
    import numpy as np

    from kb.evaluate import relevant_rank

    items = [json.loads(l) for l in DEV_QUESTIONS.read_text("utf-8").splitlines() if l.strip()]
    items = [i for i in items if i.get("evidence")]
    from sentence_transformers import SentenceTransformer

    from kb.e5convert import converted_folder

    reference = SentenceTransformer(str(converted_folder(settings)), device="cpu")  # torch's quantiser needs nn.Linear
    for label, st in (("fp32", reference), ("int8", _quantized(reference))):
        began = time.perf_counter()
        passages = st.encode(texts, prompt_name="passage", normalize_embeddings=True)
        rate = len(texts) / (time.perf_counter() - began)
        began = time.perf_counter()
        queries = st.encode([i["question"] for i in items], prompt_name="query", normalize_embeddings=True)
        per_query = (time.perf_counter() - began) * 1000 / len(items)
        hits5 = 0
        for item, q in zip(items, queries):
            order = np.argsort(-(passages @ q))[:5]
            hits5 += relevant_rank([texts[j] for j in order], item["evidence"]) is not None
        print(f"{label}: {rate:.1f} passages/s, {per_query:.1f} ms/query (batched), "
              f"semantic hit@5 over raw passages {hits5 / len(items):.3f}")


def _quantized(st):
    import copy
    import warnings

    import torch

    clone = copy.deepcopy(st)
    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao (not installed)
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(clone, {torch.nn.Linear}, dtype=torch.qint8)


def bench_exact(args) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    for n in (10_000, 100_000, 1_000_000):
        matrix = rng.standard_normal((n, 384), dtype=np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        query = matrix[0]
        times = []
        for _ in range(20):
            began = time.perf_counter()
            scores = matrix @ query
            best = np.argpartition(-scores, 50)[:50]
            best[np.argsort(-scores[best])]
            times.append((time.perf_counter() - began) * 1000)
        print(f"exact top-50 over {n:>9,} × 384: p50 {statistics.median(times):.2f} ms, "
              f"matrix {matrix.nbytes / 1e6:.0f} MB")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_build":
        child_build(sys.argv[2], sys.argv[3], sys.argv[4] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("corpus")
    scale = sub.add_parser("scale")
    scale.add_argument("--factor", type=int, default=100)
    scale.add_argument("--semantic", action="store_true", help="also embed (slow: ~30 passages/s)")
    model = sub.add_parser("model")
    model.add_argument("--int8", action="store_true")
    sub.add_parser("exact")
    args = parser.parse_args()
    {"corpus": bench_corpus, "scale": bench_scale, "model": bench_model, "exact": bench_exact}[args.what](args)


if __name__ == "__main__":
    main()
