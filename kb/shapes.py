"""The JSON shapes kb prints and serves: one place, so the CLI's --json and the web API agree."""
from __future__ import annotations

import csv
import io

from kb.document_table import DocumentInfo
from kb.passages import Passage
from kb.search import Hit, Results
from kb.snapshot import Snapshot


def citation(passage: Passage, doc: DocumentInfo | None) -> dict:
    """Where a passage stands: enough to find and check it in the source."""
    doc = doc or DocumentInfo(id=passage.doc_id, title=passage.doc_id, characters=0)
    return {"doc_id": passage.doc_id, "title": doc.title, "section": passage.section,
            "paragraph": passage.paragraph, "start": passage.start, "end": passage.end,
            "outlet": doc.outlet, "publisher": doc.publisher, "date": doc.date, "url": doc.url}


def citation_line(passage: Passage, doc: DocumentInfo | None) -> str:
    """title · section · ¶paragraph · outlet date"""
    return citation_text(citation(passage, doc))


def citation_text(c: dict) -> str:
    parts = [c["title"], " / ".join(c["section"]), f"¶{c['paragraph']}", " ".join(x for x in (c["outlet"], c["date"]) if x)]
    return " · ".join(p for p in parts if p)


def passage_dict(passage: Passage, doc: DocumentInfo | None) -> dict:
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
    return {"query": results.query.text, "mode": results.mode, "terms": results.query.searched_terms,
            "results": [hit_dict(h, snapshot) for h in results.hits]}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def passage_citation(passage_id: str, snapshot: Snapshot) -> dict:
    passage = snapshot.passages[passage_id]
    return citation(passage, snapshot.documents.get(passage.doc_id))


def evidence_dict(evidence, snapshot: Snapshot) -> dict | None:
    if evidence is None:
        return None
    cited = passage_citation(evidence.passage_id, snapshot)
    return {"text": evidence.text, "start": evidence.start, "end": evidence.end, "passage_id": evidence.passage_id,
            "figure": evidence.figure or None, "figure_start": evidence.figure_start if evidence.figure else None,
            "figure_end": evidence.figure_end if evidence.figure else None, "status": evidence.status or None,
            "citation": cited, "citation_line": citation_text(cited)}


def answer_dict(answer, snapshot: Snapshot) -> dict:
    return {"question": answer.question, "kind": answer.kind, "found": answer.found, "answer": answer.text or None,
            "value": answer.value, "unit": answer.unit or None, "qualifier": answer.qualifier or None,
            "confidence": answer.confidence, "stance": answer.stance or None, "year": answer.year,
            "evidence": evidence_dict(answer.evidence, snapshot),
            "conflicts": [evidence_dict(c, snapshot) for c in answer.conflicts], "note": answer.note or None,
            "passages": [hit_dict(h, snapshot) for h in answer.passages]}


def verdict_dict(verdict, snapshot: Snapshot) -> dict:
    return {"claim": verdict.claim, "verdict": verdict.verdict, "claim_figures": verdict.claim_figures,
            "figures": [{"figure": f.figure, "start": f.start, "end": f.end, "verdict": f.verdict} for f in verdict.figures],
            "evidence": [evidence_dict(e, snapshot) for e in verdict.evidence],
            "passages": [hit_dict(h, snapshot) for h in verdict.passages]}


def figure_dict(figure, snapshot: Snapshot) -> dict:
    passage = snapshot.passages[figure.passage_id]
    doc = snapshot.documents.get(figure.doc_id)
    return {"figure": figure.text, "value": figure.value, "unit": figure.unit or None,
            "qualifier": figure.qualifier or None, "counts": figure.counts, "clause": figure.clause,
            "start": figure.start, "end": figure.end, "clause_start": figure.clause_start,
            "clause_end": figure.clause_end, "passage_id": figure.passage_id,
            "citation": citation(passage, doc), "citation_line": citation_line(passage, doc)}


def conflict_dict(a, b, similarity: float, snapshot: Snapshot) -> dict:
    return {"similarity": round(similarity, 3), "figures": [figure_dict(a, snapshot), figure_dict(b, snapshot)]}


FIGURE_COLUMNS = ["figure", "value", "unit", "qualifier", "counts", "clause", "citation", "passage_id"]


def figures_csv(rows: list[dict]) -> str:
    """`figure_dict` rows as CSV. A text cell that a spreadsheet would run as a formula (it starts
    with = + - @, a tab or a carriage return) is written behind an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(FIGURE_COLUMNS)
    for r in rows:
        writer.writerow([_cell(r["figure"]), r["value"], _cell(r["unit"] or ""), _cell(r["qualifier"] or ""),
                         _cell(r["counts"]), _cell(r["clause"]), _cell(r["citation_line"]), _cell(r["passage_id"])])
    return out.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def point_dict(point, series, snapshot: Snapshot) -> dict:
    from kb.series import value_in

    row = figure_dict(point.figure, snapshot)
    value = value_in(point.figure, series.unit)
    return {"year": point.year, "value": value if value is not None else point.figure.value,
            "unit": series.unit if value is not None else point.figure.unit} | {
        k: row[k] for k in ("figure", "qualifier", "clause", "passage_id", "citation", "citation_line")} | {
        "others": [figure_dict(o, snapshot) for o in point.others]}


def series_dict(series, snapshot: Snapshot) -> dict:
    return {"q": series.query.text, "family": series.family, "unit": series.unit,
            "outcomes": [point_dict(p, series, snapshot) for p in series.outcomes],
            "targets": [point_dict(p, series, snapshot) for p in series.targets],
            "periods": [point_dict(p, series, snapshot) for p in series.periods],
            "disagreements": len(series.disagreements)}


SERIES_COLUMNS = ["kind", "year", "value", "unit", "figure", "qualifier", "clause", "citation", "passage_id", "disagrees_with"]


def series_csv(data: dict) -> str:
    """A `series_dict` as CSV, one row per point (outcomes, then targets, then several-year totals)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SERIES_COLUMNS)
    for kind in ("outcomes", "targets", "periods"):
        for p in data[kind]:
            writer.writerow([kind[:-1], p["year"], p["value"], _cell(p["unit"] or ""), _cell(p["figure"]),
                             _cell(p["qualifier"] or ""), _cell(p["clause"]), _cell(p["citation_line"]),
                             _cell(p["passage_id"]), _cell("、".join(o["figure"] for o in p["others"]))])
    return out.getvalue()


def article_dict(report, snapshot: Snapshot) -> dict:
    """An article report: its text, each checked sentence with its verdict (figure offsets are in the
    article's text), and the summary."""
    sentences = []
    for s in report.sentences:
        row = verdict_dict(s.verdict, snapshot) | {"start": s.start, "end": s.end}
        for f in row["figures"]:
            f["start"] += s.start
            f["end"] += s.start
        sentences.append(row)
    return {"text": report.text, "summary": report.summary, "sentences": sentences}


ARTICLE_COLUMNS = ["sentence", "verdict", "figures", "evidence", "citation"]


def article_csv(data: dict) -> str:
    """An `article_dict` as CSV, one row per checked sentence, its best evidence and citation."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ARTICLE_COLUMNS)
    for s in data["sentences"]:
        first = s["evidence"][0] if s["evidence"] else None
        figures = "、".join(f"{f['figure']} ({f['verdict']})" for f in s["figures"])
        writer.writerow([_cell(s["claim"]), s["verdict"], _cell(figures), _cell(first["text"] if first else ""),
                         _cell(first["citation_line"] if first else "")])
    return out.getvalue()
