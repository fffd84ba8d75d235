"""JSON API: /api/… routes and CORS on GET (errors: web/errors.py)."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from kb.errors import BadInput, KbError
from kb.shapes import article_csv, figures_csv, series_csv
from web import data
from web.openapi import spec

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.after_request
def _cors(response: Response) -> Response:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/search")
def search():
    return jsonify(data.search_data(data.query_arg(), request.path))


@bp.get("/answer")
def answer():
    return jsonify(data.answer_data(data.query_arg()))


@bp.post("/verify")
def verify():
    """One claim ({"claim": …}), or a whole article checked sentence by sentence ({"text": …})."""
    body = request.get_json(silent=True)
    if isinstance(body, dict) and isinstance(body.get("text"), str) and "claim" not in body:
        result = data.article_data(body["text"])
        if request.args.get("format") == "csv":
            return Response("\ufeff" + article_csv(result), content_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": "attachment; filename=article-check.csv"})
        return jsonify(result)
    if not isinstance(body, dict) or not isinstance(body.get("claim"), str):
        raise BadInput('send a JSON object: {"claim": "…"} for one claim, or {"text": "…"} for an article')
    return jsonify(data.verify_data(body["claim"]))


@bp.get("/figures")
def figures():
    result = data.figures_data()
    fmt = request.args.get("format", "json")
    if fmt == "csv":
        return Response("\ufeff" + figures_csv(result["figures"]), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=figures.csv"})
    if fmt != "json":
        raise BadInput("format must be json or csv")
    return jsonify(result)


@bp.get("/series")
def series():
    result = data.series_data(data.query_arg())
    fmt = request.args.get("format", "json")
    if fmt == "csv":
        return Response("\ufeff" + series_csv(result), content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=series.csv"})
    if fmt != "json":
        raise BadInput("format must be json or csv")
    return jsonify(result)


@bp.get("/conflicts")
def conflicts():
    return jsonify(data.conflicts_data())


@bp.get("/documents")
def documents():
    return jsonify(data.documents_data())


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    return jsonify(data.document_data(doc_id))


@bp.get("/passages/<path:passage_id>")
def passage(passage_id: str):
    return jsonify(data.passage_data(passage_id))


@bp.get("/health")
def health():
    """200 with the generation served, or the status of the error that keeps the index from
    serving (no index, a damaged one, a model that does not match it) with what is wrong."""
    try:
        return jsonify(data.health_data())
    except KbError as error:
        body = {"status": "unavailable", "error": {"code": error.code, "message": str(error)}}
        return jsonify(body), error.http_status


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())
