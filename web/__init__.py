"""The web face of kb: HTML pages and a JSON API over one library (index and model loaded once).
Each request reads one index generation, taken on first use and kept in `flask.g`."""
from __future__ import annotations

from flask import Flask, current_app, g

from kb.config import Settings
from kb.errors import IndexMissing
from kb.snapshot import Library, Snapshot

MAX_BODY_BYTES = 64 * 1024  # a claim or query is short; anything larger is refused with 413


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
    return app


def _warm(app: Flask) -> None:
    """Open the index, the model and the figure table now, not on the first request."""
    try:
        snap = app.extensions["kb"].snapshot()
    except IndexMissing:
        app.logger.warning("no index yet: run `kb build`; pages will say so until then")
        return
    snap.figures
    if snap.vectors is not None:
        snap.vectors.encode("预热")


def snapshot() -> Snapshot:
    """The index generation this request reads; a new build is picked up by the next request."""
    if "snapshot" not in g:
        g.snapshot = current_app.extensions["kb"].snapshot()
    return g.snapshot
