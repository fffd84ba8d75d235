"""Probes of a running `kb serve` (docs/reliability.md): the slowest hostile request of each kind,
and 20 rebuilds under load: failed requests, generations held open, handles to deleted files and
resident memory before and after.

    python bench/probe_server.py                  # builds the review into a temporary index
    python bench/probe_server.py --rebuilds 50 --clients 8
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from load import ROOT, start_server

LONG = "妇女儿童" * 250  # 1,000 characters: the longest text input accepted
HOSTILE = {
    "search, 1,000-character query, k=50, offset=1000": f"/api/search?k=50&offset=1000&q={quote(LONG)}",
    "answer, 1,000-character question": f"/api/answer?q={quote(LONG)}",
    "verify twin, 1,000-character claim": f"/verify.json?claim={quote(LONG)}",
    "figures, 1,000-character filter": f"/api/figures?q={quote(' '.join(LONG[:500]))}",
    "figures, every figure as CSV": "/api/figures?format=csv&limit=5000",
    "home page, 1,000-character query": f"/?q={quote(LONG)}",
    "document page": "/doc/foshan-womens-federation-2022-review",
    "URL of 20,000 characters": f"/api/search?q={'a' * 20000}",
}


def get(port: int, path: str, timeout: float = 60) -> tuple[int, bytes, float]:
    began = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return response.status, body, (time.perf_counter() - began) * 1000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def deleted_handles(pid: int, index: Path) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        count += str(index) in target and target.endswith("(deleted)")
    return count


def hostile_requests(port: int, repeat: int = 3) -> dict:
    out = {}
    for name, path in HOSTILE.items():
        times, statuses = [], set()
        for _ in range(repeat):
            status, _, ms = get(port, path)
            times.append(ms)
            statuses.add(status)
        out[name] = {"status": sorted(statuses), "max_ms": round(max(times), 1)}
    return out


def rebuilds_under_load(port: int, pid: int, corpus: Path, index: Path, rebuilds: int, clients: int) -> dict:
    kb = Path(sys.executable).with_name("kb")
    report = corpus / "foshan-womens-federation-2022-review.txt"
    original = report.read_text("utf-8")
    paths = ["/api/search?q=" + quote("美丽庭院示范村"), "/api/answer?q=" + quote("美丽庭院示范村有多少个"),
             "/?q=" + quote("妇女之家")]
    for path in paths * 5:
        get(port, path)  # warm: caches and the figure table
    memory_before = rss_mb(pid)
    stop, failures, done = threading.Event(), [], [0]

    def client(i: int) -> None:
        while not stop.is_set():
            status, _, _ = get(port, paths[i % len(paths)])
            done[0] += 1
            if status != 200:
                failures.append(status)
            i += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    for n in range(rebuilds):
        report.write_text(original.replace("示范户等64个", f"示范户等{100 + n}个"), "utf-8")
        subprocess.run([str(kb), "build", "--quiet", "--index", str(index), "--corpus", str(corpus)], check=True,
                       stdout=subprocess.DEVNULL)
    stop.set()
    for t in threads:
        t.join()
    for path in paths * 5:
        get(port, path)
    health = json.loads(get(port, "/api/health")[1])
    answer = json.loads(get(port, paths[1])[1])["answer"]
    return {"rebuilds": rebuilds, "clients": clients, "seconds": round(time.perf_counter() - began, 1),
            "requests": done[0], "failed": len(failures), "answer_after": answer,
            "open_generations": len(health["open_generations"]), "deleted_handles": deleted_handles(pid, index),
            "rss_mb_before": round(memory_before), "rss_mb_after": round(rss_mb(pid)),
            "rss_change_pct": round(100 * (rss_mb(pid) - memory_before) / memory_before, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuilds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        shutil.copytree(ROOT / "corpus", corpus)
        kb = Path(sys.executable).with_name("kb")
        subprocess.run([str(kb), "build", "--quiet", "--index", str(index), "--corpus", str(corpus)], check=True,
                       stdout=subprocess.DEVNULL)
        proc, url = start_server({"KB_INDEX": str(index)})
        port = int(url.rsplit(":", 1)[1])
        try:
            print(json.dumps({"hostile": hostile_requests(port)}, ensure_ascii=False), flush=True)
            print(json.dumps({"rebuilds": rebuilds_under_load(port, proc.pid, corpus, index, args.rebuilds,
                                                              args.clients)}, ensure_ascii=False), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
