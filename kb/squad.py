"""SQuAD-format data (CMRC 2018 and the like) as a kb corpus plus a question set.

Each context becomes one document (JSONL bulk file, titled by its article); each question a line
of a question set whose relevance is judged by answer offsets: a passage is relevant when it lies
in the gold context and its span covers a gold answer.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kb.errors import BadInput, NotFound


class BadSquadFile(BadInput):
    """Not a SQuAD-format file; the message says what is missing."""


@dataclass
class ImportReport:
    contexts: int
    questions: int
    repaired_offsets: int  # answers whose answer_start did not point at their text
    dropped_answers: int  # answers whose text is not in the context at all


def _answer_span(context: str, text: str, start: int) -> tuple[int, int] | None:
    """(start, end) of the answer in the context; a wrong answer_start is moved to the nearest
    occurrence of the text."""
    if context[start:start + len(text)] == text:
        return start, start + len(text)
    found = [i for i in range(len(context)) if context.startswith(text, i)]
    if not found:
        return None
    best = min(found, key=lambda i: abs(i - start))
    return best, best + len(text)


def _read(source: Path) -> list[dict]:
    """The `data` list of a SQuAD-format file; BadSquadFile naming what is wrong otherwise."""
    try:
        root = json.loads(source.read_text("utf-8"))
    except FileNotFoundError:
        raise NotFound(f"no file at {source}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadSquadFile(f"{source.name}: not JSON text ({error})") from error
    data = root.get("data") if isinstance(root, dict) else None
    if not isinstance(data, list):
        raise BadSquadFile(f"{source.name}: not a SQuAD-format file (no 'data' list at the top)")
    for a, article in enumerate(data):
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            raise BadSquadFile(f"{source.name}: data[{a}] has no 'paragraphs' list")
        for p, paragraph in enumerate(paragraphs):
            if not isinstance(paragraph, dict) or not isinstance(paragraph.get("context"), str):
                raise BadSquadFile(f"{source.name}: data[{a}].paragraphs[{p}] has no 'context' text")
            for q, qa in enumerate(paragraph.get("qas", [])):
                if not isinstance(qa, dict) or not isinstance(qa.get("question"), str):
                    raise BadSquadFile(f"{source.name}: data[{a}].paragraphs[{p}].qas[{q}] has no 'question'")
                if not all(isinstance(x, dict) and isinstance(x.get("text"), str) for x in qa.get("answers", [])):
                    raise BadSquadFile(f"{source.name}: data[{a}].paragraphs[{p}].qas[{q}] has an answer without 'text'")
    return data


def import_squad(source: Path, out: Path, contexts: int | None = None) -> ImportReport:
    """Write `out/corpus/<name>.jsonl` and `out/questions.jsonl` from a SQuAD-format file.
    Paragraphs and questions without an id (SQuAD itself, XQuAD) get one from their position."""
    data = _read(source)
    (out / "corpus").mkdir(parents=True, exist_ok=True)
    docs, questions = [], []
    repaired = dropped = 0
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            if contexts is not None and len(docs) >= contexts:
                break
            doc_id, context = str(paragraph.get("id") or f"{source.stem}-{a}-{p}"), paragraph["context"]
            docs.append({"id": doc_id, "title": article.get("title") or doc_id, "text": context})
            for q, qa in enumerate(paragraph.get("qas", [])):
                spans, texts = [], []
                for answer in qa.get("answers", []):
                    span = _answer_span(context, answer["text"], answer.get("answer_start", 0))
                    if span is None:
                        dropped += 1
                        continue
                    repaired += span[0] != answer.get("answer_start", 0)
                    spans.append(list(span))
                    texts.append(answer["text"])
                if spans:
                    questions.append({"id": str(qa.get("id") or f"{doc_id}-q{q}"), "question": qa["question"],
                                      "answers": sorted(set(texts)), "evidence": None, "doc_id": doc_id,
                                      "spans": spans})
    name = source.stem
    with (out / "corpus" / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
        for doc in docs:
            handle.write(json.dumps(doc, ensure_ascii=False) + "\n")
    with (out / "questions.jsonl").open("w", encoding="utf-8") as handle:
        for q in questions:
            handle.write(json.dumps(q, ensure_ascii=False) + "\n")
    return ImportReport(len(docs), len(questions), repaired, dropped)
