"""JSON API: /api/… routes, JSON errors with the right status, CORS on GET."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from kb.store import IndexMissing
from web import data
from web.data import ApiError
from web.openapi import spec

bp = Blueprint("api", __name__, url_prefix="/api")


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error.status, error.code, error.message)


@bp.errorhandler(IndexMissing)
def _no_index(error: IndexMissing):
    return error_response(503, "no_index", str(error))


@bp.after_request
def _cors(response: Response) -> Response:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/search")
def search():
    return jsonify(data.search_data(request.path))


@bp.get("/answer")
def answer():
    return jsonify(data.answer_data())


@bp.post("/verify")
def verify():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("claim"), str):
        raise ApiError(400, "bad_request", 'send a JSON object: {"claim": "…"}')
    return jsonify(data.verify_data(body["claim"]))


@bp.get("/figures")
def figures():
    result = data.figures_data()
    fmt = request.args.get("format", "json")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["figure", "value", "unit", "qualifier", "counts", "clause", "citation", "passage_id"])
        for f in result["figures"]:
            writer.writerow([f["figure"], f["value"], f["unit"] or "", f["qualifier"] or "", f["counts"], f["clause"],
                             f["citation_line"], f["passage_id"]])
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=figures.csv"})
    if fmt != "json":
        raise ApiError(400, "bad_request", "format must be json or csv")
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
    return jsonify(data.health_data())


@bp.get("/openapi.json")
def openapi():
    return jsonify(spec())


@bp.app_errorhandler(HTTPException)
def _http_error(error: HTTPException):
    """Framework errors (404 route, 405 method, 413 body) as JSON under /api, as pages elsewhere."""
    codes = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    if request.path.startswith("/api/"):
        response = error_response(error.code or 500, codes.get(error.code, "error"), error.description or "")
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
    from web.pages import error_page

    return error_page(error.code or 500, error.description or "")
