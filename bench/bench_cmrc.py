"""CMRC 2018 (SQuAD format, simplified Chinese Wikipedia): retrieval and citation quality.

    python bench/bench_cmrc.py --set dev                  # 848 contexts, 3,219 questions, three modes
    python bench/bench_cmrc.py --set trial --contexts 256 --modes hybrid
    python bench/bench_cmrc.py --set trial --update       # write the scores into bench/expected.json

A passage is relevant when it lies in the gold context and covers a gold answer's offsets;
citation@1: the clause or sentence `kb ask` cites contains a gold answer. Scores are compared with
bench/expected.json (the regression test in tests/test_benchmarks.py runs the trial slice).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data" / "cmrc2018"
EXPECTED = ROOT / "bench" / "expected.json"
TOLERANCE = 0.02
WATCHED = ("hit@5", "citation@1")


def key(which: str, contexts: int | None) -> str:
    return f"cmrc2018-{which}" + (f"-{contexts}" if contexts else "")


def run(which: str, contexts: int | None, modes: list[str], workdir: Path, settings_overrides: dict | None = None) -> dict:
    """Import, build and evaluate; returns {mode: summary}."""
    from kb.build import build
    from kb.config import Settings
    from kb.evaluate import evaluate
    from kb.snapshot import Snapshot
    from kb.squad import import_squad

    import_squad(DATA / f"cmrc2018_{which}.json", workdir, contexts)
    settings = Settings.from_env(index=workdir / "index", corpus=workdir / "corpus", **(settings_overrides or {}))
    build(settings)
    snapshot = Snapshot(settings)
    return {mode: evaluate(snapshot, workdir / "questions.jsonl", mode)[1] for mode in modes}


def regressions(name: str, scores: dict, expected: dict | None = None) -> list[str]:
    """Watched scores more than TOLERANCE below the expected ones."""
    expected = expected if expected is not None else json.loads(EXPECTED.read_text("utf-8"))
    found = []
    for mode, wanted in expected.get(name, {}).items():
        for metric in WATCHED:
            if mode in scores and metric in wanted and scores[mode][metric] < wanted[metric] - TOLERANCE:
                found.append(f"{name} {mode} {metric}: {scores[mode][metric]} < {wanted[metric]} - {TOLERANCE}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=["trial", "dev"], default="dev")
    parser.add_argument("--contexts", type=int)
    parser.add_argument("--modes", nargs="*", default=["keyword", "semantic", "hybrid"])
    parser.add_argument("--update", action="store_true", help="record these scores in bench/expected.json")
    args = parser.parse_args()
    name = key(args.set, args.contexts)
    with tempfile.TemporaryDirectory() as tmp:
        scores = run(args.set, args.contexts, args.modes, Path(tmp))
    metrics = ["hit@1", "hit@5", "hit@10", "mrr", "citation@1", "figure_exact_match", "latency_ms_p50", "answer_latency_ms_p50"]
    print(f"| {name} | " + " | ".join(metrics) + " |")
    print("|---" * (len(metrics) + 1) + "|")
    for mode, summary in scores.items():
        print(f"| {mode} | " + " | ".join(str(summary.get(m)) for m in metrics) + " |")
    print(json.dumps({"set": name, "n": next(iter(scores.values()))["n"],
                      "figure_questions": next(iter(scores.values()))["figure_questions"]}))
    expected = json.loads(EXPECTED.read_text("utf-8")) if EXPECTED.exists() else {}
    if args.update:
        expected[name] = expected.get(name, {}) | {  # modes not run this time keep their record
            mode: {m: s[m] for m in ("hit@1", "hit@5", "hit@10", "mrr", "citation@1")} for mode, s in scores.items()}
        EXPECTED.write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"recorded in {EXPECTED}")
    else:
        problems = regressions(name, scores, expected)
        print("\n".join(problems) or "no regression against bench/expected.json")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
