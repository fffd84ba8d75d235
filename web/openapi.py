"""The OpenAPI 3 document of /api (a test checks it against the app's routes)."""
from __future__ import annotations

_ERROR = {"$ref": "#/components/responses/Error"}


def _param(name: str, description: str, required: bool = False, kind: str = "string", where: str = "query") -> dict:
    return {"name": name, "in": where, "required": required, "description": description, "schema": {"type": kind}}


_Q = _param("q", "question or keywords (at most 1,000 characters)", required=True)
_MODE = {"name": "mode", "in": "query", "schema": {"type": "string", "enum": ["hybrid", "keyword", "semantic"]},
         "description": "ranking (default hybrid)"}


def _get(summary: str, params: list[dict], errors=(400,)) -> dict:
    responses = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}
    for code in errors:
        responses[str(code)] = _ERROR
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def spec() -> dict:
    return {
        "openapi": "3.0.3",
        "info": {"title": "kb API", "version": "1",
                 "description": "Search, answers and claim checks over Chinese work reports; every result cited."},
        "paths": {
            "/api/search": _get("Ranked passages with highlights, citations and score breakdown", [
                _Q, _MODE, _param("k", "results per page, 1–50 (default 10)", kind="integer"),
                _param("offset", "results to skip (default 0)", kind="integer"),
                _param("doc", "only this document id"), _param("from", "published on or after (YYYY[-MM[-DD]])"),
                _param("to", "published on or before (YYYY[-MM[-DD]])")], errors=(400, 404, 413, 503)),
            "/api/answer": _get("A figure, date, name or passage answering the question, cited; or not found",
                                [_Q, _MODE], errors=(400, 413, 503)),
            "/api/verify": {"post": {
                "summary": "Verdict on a claim: supported, contradicted, conflicting or not_found; or, with "
                           "{\"text\": …}, every figure-stating sentence of an article checked, with a summary",
                "parameters": [{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]},
                                "description": "csv: the article check as one row per sentence"}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                    {"type": "object", "required": ["claim"],
                     "properties": {"claim": {"type": "string", "maxLength": 1000}}},
                    {"type": "object", "required": ["text"],
                     "properties": {"text": {"type": "string", "maxLength": 20000}}}]}}}},
                "responses": {"200": {"description": "OK"}, "400": _ERROR, "413": _ERROR, "503": _ERROR}}},
            "/api/figures": _get("Figures of the corpus with citations", [
                _param("q", "only figures whose clause holds all these words (at most 1,000 characters)"),
                _param("limit", "at most this many figures, 1–5000 (default 500); `total` counts them all",
                       kind="integer"),
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}},
                {"name": "sort", "in": "query", "schema": {"type": "string", "enum": ["value"]}}],
                errors=(400, 413, 503)),
            "/api/series": _get("One indicator across years: outcomes and targets apart, one row per year, values in "
                                "one unit, each cited; several-year totals apart; disagreements flagged", [
                _param("q", "what is counted, e.g. 城镇新增就业 (at most 1,000 characters)", required=True),
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv"]}}],
                errors=(400, 413, 503)),
            "/api/conflicts": _get("Pairs of figures that count the same thing with different values", [], errors=(503,)),
            "/api/documents": _get("Documents in the index", [], errors=(503,)),
            "/api/documents/{doc_id}": _get("One document: metadata, full text and its paragraphs",
                                            [_param("doc_id", "document id", True, where="path")], errors=(404, 503)),
            "/api/passages/{passage_id}": _get("One passage with its citation",
                                               [_param("passage_id", "passage id", True, where="path")],
                                               errors=(404, 503)),
            "/api/health": _get("The index being served; 503 with status unavailable and the reason (no index, "
                                "a damaged one, another embedding model) when it cannot serve", [], errors=(503,)),
            "/api/openapi.json": _get("This document", [], errors=()),
        },
        "components": {"responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}}}}}}}}}},
    }
