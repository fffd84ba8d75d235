"""The web face of kb: HTML pages and a JSON API over one library (index and model loaded once).
Each request reads one index generation, taken on first use and kept in `flask.g`."""
from __future__ import annotations

from flask import Flask, current_app, g

from kb.config import Settings
from kb.errors import KbError
from kb.snapshot import Library, Snapshot

MAX_BODY_BYTES = 256 * 1024  # an article of 20,000 characters, even \u-escaped in JSON; larger is a 413
# The pages use no inline script or style, so nothing else is needed; JSON twins get it too.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(test_config: dict | None = None) -> Flask:
    """Flask app factory. `test_config` may carry KB_SETTINGS (a kb Settings) and Flask options."""
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_AS_ASCII=False, KB_SETTINGS=None, KB_WARM=True)
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["kb"] = Library(app.config["KB_SETTINGS"] or Settings.from_env())
    if app.config["KB_WARM"]:
        _warm(app)

    from web import api, errors, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_error_handler(Exception, errors.handle_exception)
    app.before_request(_refuse_long_urls)
    app.after_request(_security_headers)
    app.teardown_appcontext(_release_snapshot)
    return app


MAX_URL_CHARS = 16 * 1024  # a query is at most 1,000 characters; waitress itself stops at 1 MiB


def _refuse_long_urls() -> None:
    from flask import request
    from werkzeug.exceptions import RequestURITooLarge

    if len(request.full_path) > MAX_URL_CHARS:
        raise RequestURITooLarge(f"the URL is {len(request.full_path)} characters long; the limit is {MAX_URL_CHARS}")


def _security_headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _warm(app: Flask) -> None:
    """Open the index, the model and the figure table now, not on the first request."""
    try:
        snap = app.extensions["kb"].snapshot()
    except KbError as error:  # no index yet, a damaged one, another model: every request says so
        app.logger.warning("the index cannot serve yet: %s", error)
        return
    snap.warm()


def snapshot() -> Snapshot:
    """The index generation this request reads; a new build is picked up by the next request."""
    if "snapshot" not in g:
        g.snapshot = current_app.extensions["kb"].acquire()
    return g.snapshot


def _release_snapshot(error=None) -> None:
    snap = g.pop("snapshot", None)
    if snap is not None:
        current_app.extensions["kb"].release(snap)
