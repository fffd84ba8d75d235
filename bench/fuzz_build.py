"""Damaged files against the loader: every one must be skipped by name with a reason, or read;
none may stop the corpus from loading. Prints how many aborted (the goal is 0).

    python bench/fuzz_build.py                 # 1,000 damaged files, 200 of each format
    python bench/fuzz_build.py --files 5000 --seed 7

tests/test_hardening.py drives the same samples and damage with Hypothesis.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = "见证——佛山妇联的2022年\n开展“美丽庭院”创建行动，创建示范村、示范户等64个。\n全市1019个妇女之家联动发力。\n"


def sample_files() -> dict[str, bytes]:
    """One valid file of each format kb reads, with real text of the review."""
    import docx

    document = docx.Document()
    document.add_heading("家庭建设", level=1)
    for line in TEXT.splitlines():
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    rows = [json.dumps({"id": f"r{i}", "title": "报告", "text": TEXT}, ensure_ascii=False) for i in range(3)]
    return {
        ".docx": out.getvalue(),
        ".pdf": tiny_pdf(["Annual report", "We created 64 demonstration sites."]),
        ".html": f"<html><body><h2>家庭建设</h2><p>{TEXT}</p></body></html>".encode("utf-8"),
        ".jsonl": ("\n".join(rows) + "\n").encode("utf-8"),
        ".txt": TEXT.encode("gb18030"),
    }


def tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with Helvetica text lines (enough to exercise the PDF loader)."""
    stream = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({line}) Tj 0 -16 Td" for line in lines) + " ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1"))
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def damage(data: bytes, flips: list[tuple[int, int]], cut: int | None) -> bytes:
    """`data` with the byte at each position (taken modulo its length) XORed with a value, then
    cut to `cut` bytes (when given)."""
    out = bytearray(data)
    for position, value in flips:
        if out:
            out[position % len(out)] ^= value or 1
    return bytes(out[:cut] if cut is not None else out)


def load_one(folder: Path, name: str, data: bytes) -> str:
    """'read', 'skipped' or 'aborted: …' for one file beside a good one."""
    from kb.documents import load_corpus

    for old in folder.iterdir():
        old.unlink()
    (folder / "good.txt").write_text(TEXT, "utf-8")
    (folder / name).write_bytes(data)
    try:
        docs, skipped = load_corpus(folder)
    except Exception:  # noqa: BLE001 — counting exactly these is the point
        return "aborted: " + traceback.format_exc(limit=-1).strip().splitlines()[-1]
    if "good" not in {d.id for d in docs}:
        return "aborted: the good file was not read"
    if any(s.path.startswith(name) for s in skipped):
        return "skipped"
    return "read"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    samples = list(sample_files().items())
    counts: dict[str, int] = {}
    aborts = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.files):
            suffix, data = samples[i % len(samples)]
            flips = [(rng.randrange(len(data)), rng.randrange(256)) for _ in range(rng.randrange(0, 9))]
            cut = rng.randrange(len(data)) if rng.random() < 0.4 else None
            if rng.random() < 0.05:
                damaged = rng.randbytes(rng.randrange(1, 4096))  # random bytes under a known name
            else:
                damaged = damage(data, flips, cut)
            outcome = load_one(Path(tmp), f"f{i}{suffix}", damaged)
            kind = outcome.split(":")[0]
            counts[f"{suffix} {kind}"] = counts.get(f"{suffix} {kind}", 0) + 1
            if kind == "aborted":
                aborts.append(f"f{i}{suffix}: {outcome}")
    print(json.dumps({"files": args.files, "seed": args.seed, "aborted": len(aborts),
                      "seconds": round(time.perf_counter() - began, 1), "outcomes": dict(sorted(counts.items()))}))
    for line in aborts[:20]:
        print(line)
    sys.exit(1 if aborts else 0)


if __name__ == "__main__":
    main()
