"""The review beside the 72 government work reports: do the dev sets score the same with these
distractors, and how does kb do on questions about the reports themselves?

    python bench/bench_gov.py            # builds bench/out/gov/index (incremental), prints the evals

    python bench/bench_gov.py --sets ../shared/eval/dev-questions.jsonl   # and any other set

The reports are bench/data/gov-work-reports/ (sources and licence: bench/data/README.md); each
becomes a document titled as published, dated by its year.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOV = ROOT / "bench" / "data" / "gov-work-reports" / "government_work_reports.jsonl"
OUT = ROOT / "bench" / "out" / "gov"
SETS = [ROOT / "bench" / "questions" / "review-extra-questions.jsonl",
        ROOT / "bench" / "questions" / "review-extra-claims.jsonl",
        ROOT / "bench" / "questions" / "gov-questions.jsonl", ROOT / "bench" / "questions" / "gov-claims.jsonl",
        ROOT / "bench" / "questions" / "gov-questions-heldout.jsonl"]


def make_corpus(corpus: Path) -> int:
    """The repository's corpus plus one JSONL of the reports (ids gov-YEAR-N, date = year)."""
    corpus.mkdir(parents=True, exist_ok=True)
    for path in (ROOT / "corpus").iterdir():
        shutil.copy(path, corpus / path.name)
    rows = []
    for i, line in enumerate(GOV.read_text("utf-8").splitlines()):
        r = json.loads(line)
        rows.append({"id": f"gov-{r.get('year') or 'resolution'}-{i}", "title": r["title"], "text": r["content"],
                     "date": str(r.get("year") or ""), "url": r.get("url") or "", "source": "zh.wikisource"})
    with (corpus / "gov-work-reports.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", type=Path, nargs="*", default=[], help="more question or claim sets to run")
    args = parser.parse_args()
    from kb.build import build
    from kb.config import Settings
    from kb.evaluate import evaluate
    from kb.snapshot import Snapshot

    reports = make_corpus(OUT / "corpus")
    settings = Settings.from_env(index=OUT / "index", corpus=OUT / "corpus")
    report = build(settings, progress=sys.stderr.isatty())
    print(f"{reports} reports + the review: {report.documents} documents, {report.passages} passages, "
          f"built in {report.seconds:.0f} s")
    snapshot = Snapshot(settings)
    for path in SETS + args.sets:
        for mode in ("keyword", "semantic", "hybrid") if "questions" in path.name else ("hybrid",):
            results, summary = evaluate(snapshot, path, mode)
            print(json.dumps(summary, ensure_ascii=False), flush=True)
            if mode == "hybrid":
                for r in results:
                    if r.passed is False:
                        print(f"  miss {r.id}: {r.returned}")


if __name__ == "__main__":
    main()
