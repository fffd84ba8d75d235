"""The JSON shapes kb prints and serves: one place, so the CLI's --json and the web API agree."""
from __future__ import annotations

from kb.documents import Document
from kb.passages import Passage
from kb.search import Hit, Results, Snapshot


def citation(passage: Passage, doc: Document | None) -> dict:
    """Where a passage stands: enough to find and check it in the source."""
    doc = doc or Document(id=passage.doc_id, title=passage.doc_id, text="")
    return {"doc_id": passage.doc_id, "title": doc.title, "section": passage.section,
            "paragraph": passage.paragraph, "start": passage.start, "end": passage.end,
            "outlet": doc.outlet, "publisher": doc.publisher, "date": doc.date, "url": doc.url}


def citation_line(passage: Passage, doc: Document | None) -> str:
    """title · section · ¶paragraph · outlet date"""
    c = citation(passage, doc)
    parts = [c["title"], " / ".join(c["section"]), f"¶{c['paragraph']}", " ".join(x for x in (c["outlet"], c["date"]) if x)]
    return " · ".join(p for p in parts if p)


def passage_dict(passage: Passage, doc: Document | None) -> dict:
    return {"id": passage.id, "text": passage.text, "kind": passage.kind} | citation(passage, doc)


def hit_dict(hit: Hit, snapshot: Snapshot) -> dict:
    doc = snapshot.documents.get(hit.passage.doc_id)
    row = passage_dict(hit.passage, doc)
    row["score"] = round(hit.score, 6)
    row["scores"] = {"keyword": _round(hit.keyword_score), "keyword_rank": hit.keyword_rank,
                     "vector": _round(hit.vector_score), "vector_rank": hit.vector_rank,
                     "fused": round(hit.score, 6)}
    row["highlights"] = [{"start": a, "end": b, "text": hit.passage.text[a:b]} for a, b in hit.highlights]
    row["citation"] = citation_line(hit.passage, doc)
    return row


def results_dict(results: Results, snapshot: Snapshot) -> dict:
    return {"query": results.query, "mode": results.mode, "terms": results.terms,
            "results": [hit_dict(h, snapshot) for h in results.hits]}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
