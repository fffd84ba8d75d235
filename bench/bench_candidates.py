"""What storing answer candidates costs a build (kb/candidate_store.py), measured on a sample of an
index's passages and projected to all of them: candidate extraction per passage, distinct texts per
passage, and embedding those texts with the real model.

    python bench/bench_candidates.py /tmp/scale/i100000 --sample 2000
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("index", type=Path)
    parser.add_argument("--sample", type=int, default=2000)
    args = parser.parse_args()
    from kb import store, vectors
    from kb.candidates import candidates_of
    from kb.config import Settings
    from kb.embeddings import embedder
    from kb.figures import figures_of

    passages = store.read_passages(store.require_generation(args.index))
    sample = random.Random(0).sample(passages, min(args.sample, len(passages)))
    model = embedder(Settings.from_env())
    began = time.perf_counter()
    texts: dict[str, None] = {}
    for p in sample:
        for c in candidates_of(p, figures_of(p)):
            texts[c.local] = texts[c.sentence] = None
    extracted = time.perf_counter()
    vectors.embed(model, list(texts))
    embedded = time.perf_counter()
    scale = len(passages) / len(sample)
    print(json.dumps({
        "passages": len(passages), "sample": len(sample), "texts_per_passage": round(len(texts) / len(sample), 2),
        "extraction_ms_per_passage": round((extracted - began) * 1000 / len(sample), 2),
        "texts_per_second": round(len(texts) / (embedded - extracted), 1),
        "projected_extraction_min": round((extracted - began) * scale / 60, 1),
        "projected_embedding_min": round((embedded - extracted) * scale / 60, 1),
        "projected_rows_mb_float16": round(len(texts) * scale * model.dimension * 2 / 1e6, 1)}))


if __name__ == "__main__":
    main()
