"""HTML pages, each with a `.json` twin that returns the data the page shows."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, jsonify, render_template, request, url_for

from kb.store import IndexMissing
from web import data
from web.data import ApiError
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


def error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


@bp.errorhandler(ApiError)
def _page_error(error: ApiError):
    if request.path.endswith(".json"):
        from web.api import error_response

        return error_response(error.status, error.code, error.message)
    return error_page(error.status, error.message)


@bp.errorhandler(IndexMissing)
def _no_index(error: IndexMissing):
    if request.path.endswith(".json"):
        from web.api import error_response

        return error_response(503, "no_index", str(error))
    return error_page(503, t("no_index"))


def _search_page_data() -> dict:
    if not request.args.get("q", "").strip():
        return {"search": None, "answer": None}
    result = {"search": data.search_data(url_for("pages.index"))}
    if not request.args.get("offset") or request.args.get("offset") == "0":
        result["answer"] = data.answer_data()
    else:
        result["answer"] = None
    return result


@bp.get("/")
def index():
    try:
        found = _search_page_data()
        problem = None
    except ApiError as error:
        found, problem = {"search": None, "answer": None}, error.message
        if error.status == 404:
            raise
    return render_template("search.html", q=request.args.get("q", ""), mode=request.args.get("mode", "hybrid"),
                           problem=problem, **found)


@bp.get("/search.json")
def index_json():
    data._text(request.args.get("q"), "q")
    return jsonify(_search_page_data())


@bp.get("/doc/<doc_id>")
def document(doc_id: str):
    doc = data.document_data(doc_id)
    mark = _highlight()
    return render_template("document.html", doc=doc, mark=mark)


@bp.get("/doc/<doc_id>.json")
def document_json(doc_id: str):
    return jsonify(data.document_data(doc_id))


def _highlight() -> tuple[int, int] | None:
    raw = request.args.get("hl", "")
    try:
        start, end = (int(x) for x in raw.split("-", 1))
    except ValueError:
        return None
    return (start, end) if 0 <= start < end else None


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    claim = request.values.get("claim", "")
    verdict, problem = None, None
    if claim.strip():
        try:
            verdict = data.verify_data(claim)
        except ApiError as error:
            problem = error.message
    return render_template("verify.html", claim=claim, verdict=verdict, problem=problem)


@bp.get("/verify.json")
def verify_json():
    return jsonify(data.verify_data(request.args.get("claim")))


@bp.get("/figures")
def figures():
    return render_template("figures.html", **data.figures_data(), **data.conflicts_data(),
                           sort=request.args.get("sort", ""))


@bp.get("/figures.json")
def figures_json():
    return jsonify(data.figures_data() | data.conflicts_data())


@bp.get("/about")
def about():
    return render_template("about.html", about=data.about_data())


@bp.get("/about.json")
def about_json():
    return jsonify(data.about_data())
