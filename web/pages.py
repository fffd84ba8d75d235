"""HTML pages, each with a `.json` twin: one view renders the same data as a page or as JSON."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, jsonify, render_template, request, url_for

from kb.errors import BadInput
from web import data
from web.chart import chart
from web.errors import wants_json
from web.i18n import lang, t

bp = Blueprint("pages", __name__)


def segments(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, highlighted) runs; templates escape every piece."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        out += [(text[pos:start], False), (text[start:end], True)]
        pos = end
    out.append((text[pos:], False))
    return [(piece, marked) for piece, marked in out if piece]


def cite_url(c: dict, start: int | None = None, end: int | None = None) -> str:
    """Link from a citation to the highlighted paragraph of its document."""
    args = {"hl": f"{c['start'] if start is None else start}-{c['end'] if end is None else end}"}
    if lang() == "en":
        args["lang"] = "en"
    return f"{url_for('pages.document', doc_id=c['doc_id'])}?{urlencode(args)}#p-{c['paragraph']}"


def page_url(endpoint: str, **args) -> str:
    if lang() == "en":
        args["lang"] = "en"
    return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})


@bp.app_template_filter("spans")
def _spans(highlights: list[dict]) -> list[tuple[int, int]]:
    return [(h["start"], h["end"]) for h in highlights]


@bp.app_context_processor
def _helpers():
    return {"t": t, "lang": lang(), "segments": segments, "cite_url": cite_url, "page_url": page_url,
            "other_lang_url": _other_lang_url()}


def _other_lang_url() -> str:
    args = dict(request.args)
    if lang() == "en":
        args.pop("lang", None)
    else:
        args["lang"] = "en"
    return f"{request.path}?{urlencode(args)}" if args else request.path


def show(template: str, payload: dict | None, name: str | None = None, **page_only):
    """The page's data as JSON on its .json twin, else rendered into `template`: as variable `name`
    when given, else key by key; `page_only` is what only the HTML form needs (the words typed, a
    problem to show beside the form)."""
    if wants_json():
        return jsonify(payload)
    return render_template(template, **({name: payload} if name else payload), **page_only)


def page(rule: str, twin: str, methods=("GET",), twin_methods=("GET",)):
    """Register a view at `rule` (endpoint: its name) and at its JSON twin (endpoint: name_json)."""
    def register(view):
        bp.add_url_rule(rule, view.__name__, view, methods=list(methods))
        bp.add_url_rule(twin, f"{view.__name__}_json", view, methods=list(twin_methods))
        return view
    return register


def form_result(asked: str, compute, empty=None):
    """(data, problem) of a page with a form: `empty` until something is asked; bad input is shown
    beside the form on the page, and is an error on the JSON twin."""
    if not (wants_json() or asked.strip()):
        return empty, None
    try:
        return compute(), None
    except BadInput as error:
        if wants_json():
            raise
        return empty, str(error)


def _search_page_data() -> dict:
    """The answer card and the ranked passages for `q`; the card only on the first page."""
    query = data.query_arg()
    first_page = request.args.get("offset") in (None, "", "0")
    return {"search": data.search_data(query, url_for("pages.index")),
            "answer": data.answer_data(query) if first_page else None}


@page("/", "/search.json")
def index():
    found, problem = form_result(request.args.get("q", ""), _search_page_data, {"search": None, "answer": None})
    return show("search.html", found, q=request.args.get("q", ""), mode=request.args.get("mode", "hybrid"),
                problem=problem)


@page("/doc/<doc_id>", "/doc/<doc_id>.json")
def document(doc_id: str):
    return show("document.html", data.document_data(doc_id), "doc", mark=_highlight())


def _highlight() -> tuple[int, int] | None:
    raw = request.args.get("hl", "")
    try:
        start, end = (int(x) for x in raw.split("-", 1))
    except ValueError:
        return None
    return (start, end) if 0 <= start < end else None


@page("/verify", "/verify.json", methods=("GET", "POST"))
def verify():
    claim = request.values.get("claim", "")
    payload, problem = form_result(claim, lambda: data.verify_data(claim))
    return show("verify.html", payload, "verdict", claim=claim, problem=problem)


@page("/figures", "/figures.json")
def figures():
    return show("figures.html", data.figures_data() | data.conflicts_data(), sort=request.args.get("sort", ""))


@page("/about", "/about.json")
def about():
    return show("about.html", data.about_data(), "about")


@page("/series", "/series.json")
def series():
    payload, problem = form_result(request.args.get("q", ""), lambda: data.series_data(data.query_arg()))
    return show("series.html", payload, "series", q=request.args.get("q", ""), problem=problem,
                chart=chart(payload) if payload else None)


@page("/article", "/article.json", methods=("GET", "POST"), twin_methods=("GET", "POST"))
def article():
    """An article pasted into the form (POST: it may be 20,000 characters), every figure checked."""
    text = request.values.get("text", "")
    payload, problem = form_result(text, lambda: data.article_data(text))
    return show("article.html", payload, "report", text=text, problem=problem,
                pieces=data.article_pieces(payload) if payload else [])

