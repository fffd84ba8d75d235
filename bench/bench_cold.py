"""Cold start: a fresh `kb ask` process until its answer is printed, and `kb serve` from start
until its first answered request (each run a new process, the OS file cache warm).

    python bench/bench_cold.py                  # the index in KB_INDEX (default index/), 5 runs each
    python bench/bench_cold.py --runs 3 --profile

--profile prints where one fresh `kb ask` spends its time (imports, index, jieba, model, answer).
"""
from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KB = Path(sys.executable).with_name("kb")
QUESTION = "美丽庭院示范村有多少个"

PROFILE = """
import resource, sys, time
began = time.perf_counter()
def mark(stage):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"{time.perf_counter() - began:6.2f} s  {stage:<28} peak {peak} MB")
import kb.cli; mark("import kb.cli")
from kb.config import Settings
from kb.snapshot import Snapshot
snap = Snapshot(Settings.from_env()); mark("open the index generation")
from kb.tokenizer import segmenter, pos_tagger
segmenter(); mark("jieba dictionary")
pos_tagger(); mark("jieba part-of-speech tagger")
snap.figures; mark("figure table")
import torch; mark("import torch")
from kb.embeddings import load
load(snap.settings.model, snap.settings.cache); mark("load the model")
from kb.answers import ask
ask(snap, snap.parse(sys.argv[1])); mark("first answer")
ask(snap, snap.parse("妇女热线是多少")); mark("second answer")
"""


def time_ask(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([str(KB), "ask", QUESTION], cwd=ROOT, check=True, capture_output=True)
        times.append(time.perf_counter() - began)
    return times


def time_serve(runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        port = free_port()
        began = time.perf_counter()
        proc = subprocess.Popen([str(KB), "serve", "--port", str(port)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            times.append(_first_answer(port, began))
        finally:
            proc.terminate()
            proc.wait()
    return times


def _first_answer(port: int, began: float) -> float:
    while time.perf_counter() - began < 120:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", f"/api/answer?q={quote(QUESTION)}")
            if conn.getresponse().status == 200:
                return time.perf_counter() - began
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the server did not answer within 120 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    if args.profile:
        subprocess.run([sys.executable, "-c", PROFILE, QUESTION], cwd=ROOT, check=True)
    for name, timer in (("kb ask, fresh process", time_ask), ("kb serve, start to first answer", time_serve)):
        times = timer(args.runs)
        print(f"{name}: median {statistics.median(times):.2f} s, max {max(times):.2f} s over {len(times)} runs")


if __name__ == "__main__":
    main()
