"""`kb eval`: run a question or claim set against the index and report the metrics.

Formats are in docs/evaluation.md: a question set has `question`, `answers` and `evidence`; a
claim set has `claim`, `verdict` and `evidence`. A retrieved passage is relevant when it contains
the evidence string (compared without spaces).
"""
from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from kb.normalize import normalize
from kb.errors import BadInput, NotFound
from kb.semantic import forget_text_vectors, query_vector
from kb.snapshot import Snapshot


class BadEvalSet(BadInput):
    """An evaluation file that cannot be read; the message names the line."""


@dataclass
class ItemResult:
    id: str
    passed: bool | None  # None: nothing to find (an unanswerable question, for retrieval)
    rank: int | None  # rank of the first relevant passage, 1-based
    returned: str  # what the system gave, for the per-item listing
    latency_ms: float
    extra: dict = field(default_factory=dict)


def load_set(path: Path) -> tuple[str, list[dict]]:
    """('questions' | 'claims', items) from a JSONL file."""
    items = []
    try:
        lines = path.read_text("utf-8").splitlines()
    except FileNotFoundError:
        raise NotFound(f"no evaluation set at {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise BadEvalSet(f"{path}: cannot be read as UTF-8 text ({error})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise BadEvalSet(f"{path.name}:{number}: not JSON ({error})") from error
        if not isinstance(item, dict) or not ({"question", "claim"} & set(item)):
            raise BadEvalSet(f"{path.name}:{number}: needs a 'question' or 'claim' field")
        items.append(item)
    if not items:
        raise BadEvalSet(f"{path.name}: no items")
    kind = "questions" if "question" in items[0] else "claims"
    if any(("question" in i) != (kind == "questions") for i in items):
        raise BadEvalSet(f"{path.name}: mixes questions and claims")
    return kind, items


def _squash(text: str) -> str:
    return "".join(text.split())


def relevant_rank(texts: list[str], evidence: str | None) -> int | None:
    if not evidence:
        return None
    wanted = _squash(evidence)
    for rank, text in enumerate(texts, 1):
        if wanted in _squash(text):
            return rank
    return None


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (1–99), interpolated between the values (0.0 when there are none)."""
    if len(values) < 2:
        return float(values[0]) if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def answerable(item: dict) -> bool:
    return bool(item.get("evidence") or item.get("spans"))


def is_relevant(passage, item: dict) -> bool:
    """Span sets (SQuAD imports): the passage lies in the gold context and covers a gold answer.
    Other sets: the passage contains the evidence string."""
    if item.get("spans"):
        return passage.doc_id == item.get("doc_id") and any(
            passage.start <= start and end <= passage.end for start, end in item["spans"])
    return relevant_rank([passage.text], item.get("evidence")) == 1


def retrieval_results(snapshot: Snapshot, items: list[dict], mode: str, depth: int = 10) -> list[ItemResult]:
    results = []
    for item in items:
        query_vector.cache_clear()
        began, refused = time.perf_counter(), ""
        try:
            hits = snapshot.search(item["question"], k=depth, mode=mode).hits
        except BadInput as error:  # an item the system refuses counts as a miss, and is listed
            hits, refused = [], f"(refused: {error})"
        latency = (time.perf_counter() - began) * 1000
        rank = next((i for i, h in enumerate(hits, 1) if is_relevant(h.passage, item)), None)
        top = hits[0].passage.text[:60] if hits else refused
        passed = (rank == 1) if answerable(item) else None
        results.append(ItemResult(item.get("id", ""), passed, rank, top, latency))
    return results


def retrieval_summary(items: list[dict], results: list[ItemResult]) -> dict:
    """hit@k and MRR (over the top 10) of the answerable items."""
    scored = [r for item, r in zip(items, results) if answerable(item)]
    n = len(scored) or 1
    return {"hit@1": round(sum(1 for r in scored if r.rank == 1) / n, 4),
            "hit@5": round(sum(1 for r in scored if r.rank and r.rank <= 5) / n, 4),
            "hit@10": round(sum(1 for r in scored if r.rank and r.rank <= 10) / n, 4),
            "mrr": round(sum(1 / r.rank for r in scored if r.rank) / n, 4)}


def latency_summary(results: list[ItemResult]) -> dict:
    latencies = [r.latency_ms for r in results]
    return {"latency_ms_p50": round(statistics.median(latencies), 1) if latencies else 0.0,
            "latency_ms_p95": round(percentile(latencies, 95), 1)}


def evaluate(snapshot: Snapshot, path: Path, mode: str = "hybrid") -> tuple[list[ItemResult], dict]:
    """Per-item results and the summary object `kb eval --json` prints last."""
    kind, items = load_set(path)
    summary = {"set": path.name, "kind": kind, "mode": mode, "n": len(items)}
    snapshot.warm()  # figure table and model before the clock starts, as a server does at start-up
    if kind == "questions":
        results = retrieval_results(snapshot, items, mode)
        summary |= retrieval_summary(items, results)
        summary |= latency_summary(results)
        summary |= answer_summary(snapshot, items, results, mode)
    else:
        results = claim_results(snapshot, items, mode)
        summary |= claim_summary(items, results)
        summary |= latency_summary(results)
    return results, summary


def is_figure(answer: str) -> bool:
    """A gold answer that is a figure: digits or a Chinese numeral followed by a unit, with its
    qualifiers (约200名, 4,308宗, 两类) and nothing else. A phrase or sentence that holds a figure
    (育有3名子女, 据统计…票房收益大约是10.2亿美金。) is not one: no figure answer can match it exactly."""
    from kb.figures import parse_quantities

    gold = _squash(normalize(answer)).rstrip("。.，,；;")
    found = parse_quantities(gold)
    return len(found) == 1 and (found[0].start, found[0].end) == (0, len(gold))


def _same(a: str, b: str) -> bool:
    return _squash(normalize(a)).replace(",", "") == _squash(normalize(b)).replace(",", "")


def _accepted(text: str, answers: list[str]) -> bool:
    """Whether a gold answer is in `text`, after normalisation (２.５％ = 2.5%, 六十四个 = 64个)."""
    clean = _squash(normalize(text)).replace(",", "")
    return any(_squash(normalize(a)).replace(",", "") in clean for a in answers)


def answer_type(answers: list[str]) -> str:
    """The kind of answer a gold answer is: quantity, date, identifier, person or passage."""
    from kb.candidates import IDENTIFIER
    from kb.figures import ARABIC_NUMBER
    from kb.textspans import DATE
    from kb.tokenizer import pos_tagger

    gold = normalize(answers[0]).strip() if answers else ""
    if IDENTIFIER.fullmatch(gold):
        return "identifier"
    if DATE.fullmatch(gold):
        return "date"
    if is_figure(gold) or ARABIC_NUMBER.fullmatch(gold):
        return "quantity"  # a count whose gold leaves the measure word out (1019 for 1019个) is one too
    words = list(pos_tagger().cut(gold))
    if words and all(w.flag == "nr" for w in words):
        return "person"
    return "passage"


def _tally(table: dict, key: str, ok: bool) -> None:
    row = table.setdefault(key, {"n": 0, "right": 0})
    row["n"] += 1
    row["right"] += ok


def answer_summary(snapshot: Snapshot, items: list[dict], results: list[ItemResult], mode: str) -> dict:
    """Runs `ask` on each question; records into `results[i].extra` and returns the metrics, with
    accuracy by gold answer type and by question language, and which kind each type was asked as."""
    from kb.answers import Answer, ask

    right = wrong_unanswerable = n_answerable = unanswerable = cited = figure_n = figure_exact = 0
    latencies = []
    by_type: dict[str, dict] = {}
    by_language: dict[str, dict] = {}
    confusion: dict[str, dict[str, int]] = {}
    for item, result in zip(items, results):
        query_vector.cache_clear()  # time the whole answer, query and sentence encoding included
        forget_text_vectors()
        began = time.perf_counter()
        try:
            query = snapshot.parse(item["question"])
            answer = ask(snapshot, query, mode=mode)
        except BadInput:
            query, answer = None, Answer(item["question"], "", False, "")
        latencies.append((time.perf_counter() - began) * 1000)
        passage = snapshot.passages[answer.evidence.passage_id] if answer.found and answer.evidence else None
        if item.get("answers"):
            n_answerable += 1
            ok = answer.found and _accepted(answer.text, item["answers"]) and is_relevant(passage, item)
            right += ok
            cited += bool(passage) and _accepted(answer.evidence.text, item["answers"])
            if any(is_figure(a) for a in item["answers"]):
                figure_n += 1
                figure_exact += answer.found and any(_same(answer.text, a) for a in item["answers"])
        else:
            unanswerable += 1
            ok = not answer.found
            wrong_unanswerable += not ok
        gold_type = answer_type(item["answers"]) if item.get("answers") else "unanswerable"
        _tally(by_type, gold_type, ok)
        _tally(by_language, query.language if query else "refused", ok)
        asked = confusion.setdefault(gold_type, {})
        asked[answer.kind or "refused"] = asked.get(answer.kind or "refused", 0) + 1
        result.passed = ok
        result.returned = f"{answer.text or '(not found)'} · {result.returned}"
        result.extra = {"answer": answer.text, "found": answer.found, "confidence": answer.confidence}
    return {"answer_accuracy": round(right / n_answerable, 4) if n_answerable else None,
            "citation@1": round(cited / n_answerable, 4) if n_answerable else None,
            "figure_questions": figure_n,
            "figure_exact_match": round(figure_exact / figure_n, 4) if figure_n else None,
            "unanswerable_correct": round(1 - wrong_unanswerable / unanswerable, 4) if unanswerable else None,
            "per_answer_type": _rates(by_type), "per_language": _rates(by_language),
            "answer_type_asked_as": confusion,
            "answer_latency_ms_p50": round(statistics.median(latencies), 1),
            "answer_latency_ms_p95": round(percentile(latencies, 95), 1)}


def _rates(table: dict) -> dict:
    return {key: row | {"accuracy": round(row["right"] / row["n"], 4)} for key, row in sorted(table.items())}


def claim_results(snapshot: Snapshot, items: list[dict], mode: str) -> list[ItemResult]:
    from kb.answers import Verdict, verify

    results = []
    for item in items:
        began = time.perf_counter()
        try:
            verdict = verify(snapshot, item["claim"], mode=mode)
        except BadInput:
            verdict = Verdict(item["claim"], "refused", [])
        latency = (time.perf_counter() - began) * 1000
        texts = [snapshot.passages[e.passage_id].text for e in verdict.evidence]
        evidence_ok = item.get("evidence") is None or relevant_rank(texts, item["evidence"]) is not None
        results.append(ItemResult(item.get("id", ""), verdict.verdict == item.get("verdict"), None,
                                  f"{verdict.verdict} (expected {item.get('verdict')})", latency,
                                  {"verdict": verdict.verdict, "evidence_ok": evidence_ok}))
    return results


def claim_summary(items: list[dict], results: list[ItemResult]) -> dict:
    n = len(results) or 1
    counts: dict[str, dict[str, int]] = {}
    for item, r in zip(items, results):
        row = counts.setdefault(item.get("verdict", "?"), {"n": 0, "right": 0})
        row["n"] += 1
        row["right"] += bool(r.passed)
    return {"verdict_accuracy": round(sum(bool(r.passed) for r in results) / n, 4),
            "evidence_accuracy": round(sum(bool(r.passed and r.extra["evidence_ok"]) for r in results) / n, 4),
            "per_verdict": counts}
