"""Request parameters in, library calls, plain dicts out: shared by the JSON API and the HTML pages
(whose `.json` twins return exactly these dicts). Bad parameters raise kb's errors (kb/errors.py),
which web/errors.py turns into responses."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import current_app, request

from kb.answers import ask, verify
from kb.errors import BadInput, NotFound
from kb.passages import blocks_of, classify
from kb.config import whole_number
from kb.query import Query, check_text
from kb.search import MODES, Filter
from kb.shapes import answer_dict, article_dict, conflict_dict, figure_dict, passage_dict, results_dict, series_dict, verdict_dict
from web import snapshot

MAX_K = 50
MAX_OFFSET = 1000
MAX_FIGURES = 5000  # rows one figures request may return (page, JSON or CSV)
_DATE_FORMATS = {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = whole_number(raw)
    except ValueError:
        raise BadInput(f"{name} must be a whole number, not {raw[:20]!r}") from None
    if not low <= value <= high:
        raise BadInput(f"{name} must be between {low} and {high}")
    return value


def query_arg(name: str = "q") -> Query:
    """The request's question, parsed once: BadInput when empty, TooLarge over the limit."""
    return snapshot().parse(request.values.get(name) or "")


def _mode() -> str:
    mode = request.args.get("mode") or "hybrid"
    if mode not in MODES:
        raise BadInput(f"mode must be one of {', '.join(MODES)}")
    return mode


def _filter() -> Filter:
    doc = request.args.get("doc") or None
    date_from, date_to = request.args.get("from", ""), request.args.get("to", "")
    for name, value in (("from", date_from), ("to", date_to)):
        if value and not _is_date(value):
            raise BadInput(f"{name} must be a calendar date: YYYY, YYYY-MM or YYYY-MM-DD")
    if doc and doc not in snapshot().documents:
        raise NotFound(f"no document with id {doc!r}")
    return Filter(frozenset([doc]) if doc else None, date_from, date_to)


def _is_date(value: str) -> bool:
    try:
        datetime.strptime(value, _DATE_FORMATS[len(value)])
    except (KeyError, ValueError):
        return False
    return value.isascii()


def search_data(query: Query, path: str) -> dict:
    mode, k, offset = _mode(), _int("k", 10, 1, MAX_K), _int("offset", 0, 0, MAX_OFFSET)
    snap = snapshot()
    results = snap.search(query, k=k + 1, mode=mode, offset=offset, where=_filter())
    more = len(results.hits) > k
    results.hits = results.hits[:k]
    data = results_dict(results, snap)
    args = {key: value for key, value in request.args.items() if key != "offset"}
    data |= {"k": k, "offset": offset,
             "next": f"{path}?{urlencode(args | {'offset': offset + k})}" if more and offset + k <= MAX_OFFSET else None,
             "previous": f"{path}?{urlencode(args | {'offset': max(0, offset - k)})}" if offset else None}
    return data


def answer_data(query: Query) -> dict:
    snap = snapshot()
    return answer_dict(ask(snap, query, mode=_mode()), snap)


def article_data(text: str | None) -> dict:
    from kb.articles import check_article

    snap = snapshot()
    return article_dict(check_article(snap, text or "", mode="hybrid"), snap)


def article_pieces(data: dict) -> list[tuple[str, str | None]]:
    """The article's text cut into (piece, verdict) runs: each checked figure carries its verdict."""
    marks = sorted((f["start"], f["end"], f["verdict"]) for s in data["sentences"] for f in s["figures"])
    pieces, at = [], 0
    for start, end, verdict in marks:
        if start >= at:
            pieces += [(data["text"][at:start], None), (data["text"][start:end], verdict)]
            at = end
    pieces.append((data["text"][at:], None))
    return [(text, verdict) for text, verdict in pieces if text]


def verify_data(claim: str | None) -> dict:
    snap = snapshot()
    return verdict_dict(verify(snap, snap.parse(claim or ""), mode="hybrid"), snap)


def figures_data() -> dict:
    """Figures whose clause holds every word of `q` (all when it is empty), at most `limit`."""
    snap = snapshot()
    q = request.args.get("q", "")
    words = check_text(q, "q", snap.settings.max_query_chars) if q.strip() else ""
    limit = _int("limit", 500, 1, MAX_FIGURES)
    figures = snap.figures.matching(words)
    if request.args.get("sort") == "value":
        figures = sorted(figures, key=lambda f: -f.value)
    return {"q": q, "total": len(figures), "figures": [figure_dict(f, snap) for f in figures[:limit]]}


def series_data(query: Query) -> dict:
    from kb.series import build_series

    snap = snapshot()
    return series_dict(build_series(snap, query), snap)


def conflicts_data() -> dict:
    snap = snapshot()
    return {"conflicts": [conflict_dict(a, b, s, snap) for a, b, s in snap.figures.conflicts]}


def document_summary(doc, passages: int) -> dict:
    return {"id": doc.id, "title": doc.title, "publisher": doc.publisher, "outlet": doc.outlet, "date": doc.date,
            "language": doc.language, "url": doc.url, "source": doc.source, "characters": doc.characters,
            "passages": passages}


def documents_data() -> dict:
    snap = snapshot()
    counts = snap.passages.count_by_document()
    return {"documents": [document_summary(d, counts.get(d.id, 0)) for d in snap.documents.values()]}


def document_data(doc_id: str) -> dict:
    snap = snapshot()
    doc = snap.document(doc_id)
    if doc is None:
        raise NotFound(f"no document with id {doc_id!r}")
    blocks = blocks_of(doc)
    classify(blocks)
    count = snap.passages.count_of(doc_id)
    paragraphs = [{"n": b.number, "start": b.start, "end": b.end, "kind": b.role, "level": b.heading_level,
                   "text": b.text} for b in blocks]
    return document_summary(snap.documents[doc_id], count) | {"text": doc.text, "paragraphs": paragraphs}


def passage_data(passage_id: str) -> dict:
    snap = snapshot()
    passage = snap.passages.get(passage_id)
    if passage is None:
        raise NotFound(f"no passage with id {passage_id!r}")
    return passage_dict(passage, snap.documents.get(passage.doc_id))


def about_data() -> dict:
    snap = snapshot()
    manifest = snap.manifest
    return {"documents": documents_data()["documents"], "passages": len(snap.passages),
            "model": manifest.get("model"), "built_at": manifest.get("built_at"),
            "generation": snap.generation.name, "window": manifest.get("window"),
            "semantic": snap.vectors is not None}


def health_data() -> dict:
    snap = snapshot()
    return {"status": "ok", "generation": snap.generation.name, "documents": len(snap.documents),
            "passages": len(snap.passages), "semantic": snap.vectors is not None,
            "open_generations": current_app.extensions["kb"].open_generations()}
