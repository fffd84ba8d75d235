"""What the cross-lingual lexicon (kb/lexicon.py) costs: writing it for an index's vocabulary (the
build step) and reading an English question's words as Chinese ones (per question, at query time).

    python bench/bench_lexicon.py /tmp/scale/i100000
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
QUESTIONS = ROOT / "bench" / "data" / "xquad" / "xquad-dev-en-questions.json"  # English questions, public


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()
    from kb import dictionary, keyword, lexicon, store
    from kb.config import Settings
    from kb.embeddings import embedder
    from kb.semantic import text_vectors

    settings = Settings.from_env()
    generation = store.require_generation(args.index)
    model = embedder(settings)
    began = time.perf_counter()
    words = lexicon.frequent_words(keyword.document_frequencies(generation / "keyword"))
    counted = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        lexicon.build(Path(tmp) / lexicon.FOLDER, words, model, None)
        built = time.perf_counter()
        disk = sum(f.stat().st_size for f in (Path(tmp) / lexicon.FOLDER).iterdir())
        table = lexicon.Lexicon(Path(tmp) / lexicon.FOLDER, lambda texts: text_vectors(settings.model, settings.cache, texts))
        squad = json.loads(QUESTIONS.read_text("utf-8"))
        asked = [q["question"] for a in squad["data"] for p in a["paragraphs"] for q in p["qas"]][:args.questions]
        lexicon.stop_words()  # both loaded once, before the clock
        dictionary.glosses()
        times = []
        for question in asked:
            start = time.perf_counter()
            table.translate(question)
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"index": str(args.index), "words": len(words), "count_s": round(counted - began, 2),
                      "embed_and_write_s": round(built - counted, 1),
                      "words_per_s": round(len(words) / max(built - counted, 1e-9)),
                      "disk_mb": round(disk / 1e6, 1),
                      "translate_ms_p50": round(float(np.percentile(times, 50)), 2),
                      "translate_ms_p95": round(float(np.percentile(times, 95)), 2), "questions": len(times)}))


if __name__ == "__main__":
    main()
