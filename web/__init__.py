"""The web face of kb: HTML pages and a JSON API over one shared library (index and model loaded once)."""
from __future__ import annotations


from flask import Flask, current_app

from kb.config import Settings
from kb.search import Library, Snapshot

MAX_BODY_BYTES = 64 * 1024  # a claim or query is short; anything larger is refused with 413


def create_app(test_config: dict | None = None) -> Flask:
    """Flask app factory. `test_config` may carry KB_SETTINGS (a kb Settings) and Flask options."""
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES, JSON_AS_ASCII=False, KB_SETTINGS=None, KB_WARM=True)
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    settings = app.config["KB_SETTINGS"] or Settings.from_env()
    from kb.semantic import open_snapshot

    app.extensions["kb"] = Library(settings, opener=open_snapshot)
    if app.config["KB_WARM"]:
        _warm(app)

    from web import api, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    return app


def _warm(app: Flask) -> None:
    """Open the index, the model and the figure table now, not on the first request."""
    from kb.store import IndexMissing

    try:
        snapshot = app.extensions["kb"].snapshot()
    except IndexMissing:
        app.logger.warning("no index yet: run `kb build`; pages will say so until then")
        return
    snapshot.figures
    if snapshot.vectors is not None:
        snapshot.vectors.model.queries(["预热"])


def library() -> Library:
    return current_app.extensions["kb"]


def snapshot() -> Snapshot:
    """The current index snapshot; a new build is picked up here, between requests."""
    return library().snapshot()
