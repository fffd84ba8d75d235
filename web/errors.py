"""One handler for every error of the web app: JSON under /api/ and for .json twins, a page
elsewhere (datasette's handle_exception is the model). kb's own errors carry their status
(kb/errors.py); framework errors theirs; anything else is a bug, logged, and a 500."""
from __future__ import annotations

from flask import Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kb.errors import IndexMissing, KbError
from web.i18n import t

_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 414: "too_large"}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def error_response(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    return response


def handle_exception(error: Exception):
    if isinstance(error, KbError):
        status, code, message = error.http_status, error.code, str(error)
    elif isinstance(error, HTTPException):
        status = error.code or 500
        code, message = _HTTP_CODES.get(status, "error"), error.description or ""
    else:
        current_app.logger.exception("unhandled error on %s", request.path)
        status, code, message = 500, "internal_error", "internal error"
    if wants_json():
        response = error_response(status, code, message)
        if isinstance(error, HTTPException) and getattr(error, "valid_methods", None):
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
    if isinstance(error, IndexMissing):
        message = t("no_index")
    return render_template("error.html", status=status, message=message), status
