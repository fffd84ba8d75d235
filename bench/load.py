"""Load test of the JSON API on loopback: N concurrent clients, bounded in count and time.

    python bench/load.py                      # starts `kb serve` on a free port, 1/4/16 clients
    python bench/load.py --url http://127.0.0.1:8000 --clients 4 --requests 200

Only loopback addresses are accepted. Prints requests/s and latency p50/p95/p99 per endpoint.
"""
from __future__ import annotations

import argparse
import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlparse

from kb.evaluate import percentile

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "bench" / "questions" / "review-extra-questions.jsonl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """`kb serve` on a free loopback port (with `env` added to the environment), once healthy."""
    import os

    port = free_port()
    kb = Path(sys.executable).with_name("kb")
    proc = subprocess.Popen([str(kb), "serve", "--port", str(port), "--threads", "8"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ | (env or {}))
    url = f"http://127.0.0.1:{port}"
    began = time.monotonic()
    while time.monotonic() - began < 900:  # a million passages warm up for minutes (the figure table)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not come up")


def run(url: str, paths: list[str], clients: int, total: int, seconds: float) -> dict:
    parsed = urlparse(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("loopback addresses only")
    latencies: list[float] = []
    errors = []
    counter = iter(range(total))
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        while time.perf_counter() < deadline:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            began = time.perf_counter()
            conn.request("GET", paths[i % len(paths)])
            response = conn.getresponse()
            response.read()
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
                if response.status != 200:
                    errors.append(response.status)

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return {"clients": clients, "requests": len(latencies), "errors": len(errors),
            "rps": round(len(latencies) / elapsed, 1), "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1), "p99_ms": round(percentile(latencies, 99), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url")
    parser.add_argument("--clients", type=int, nargs="*", default=[1, 4, 16])
    parser.add_argument("--requests", type=int, default=240, help="per endpoint and level (bound)")
    parser.add_argument("--seconds", type=float, default=60, help="per endpoint and level (bound)")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text("utf-8").splitlines() if line.strip()]
    proc, url = (None, args.url) if args.url else start_server()
    try:
        endpoints = {
            "search keyword": [f"/api/search?mode=keyword&k=10&q={quote(q)}" for q in questions],
            "search hybrid": [f"/api/search?k=10&q={quote(q)}" for q in questions],
            "answer": [f"/api/answer?q={quote(q)}" for q in questions],
        }
        for name, paths in endpoints.items():
            run(url, paths[:4], 2, 8, 30)  # warm up
            for clients in args.clients:
                print(json.dumps({"endpoint": name} | run(url, paths, clients, args.requests, args.seconds),
                                 ensure_ascii=False), flush=True)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
