"""Every error kb reports to a person: one root, each class knowing its CLI exit code and HTTP status.

`kb/cli.py` maps `KbError` to a message and `exit_code`; the web app (`web/__init__.py`) maps it to
`http_status` and `code`, as JSON under /api/ and .json paths and as a page elsewhere. Anything
else raised is a bug and keeps its traceback.
"""
from __future__ import annotations


class KbError(Exception):
    """A failure the user can act on; the message says what to do."""

    exit_code = 1
    http_status = 500
    code = "error"


class BadInput(KbError):
    """Input that cannot be used: an empty query, an unknown mode, a malformed file or option."""

    exit_code = 2
    http_status = 400
    code = "bad_request"


class TooLarge(BadInput):
    """Input over a size limit."""

    http_status = 413
    code = "too_large"


class NotFound(KbError):
    """An id that names nothing in the index."""

    http_status = 404
    code = "not_found"


class IndexMissing(KbError):
    """There is no built index where one was expected."""

    http_status = 503
    code = "no_index"


class IndexDamaged(KbError):
    """The current index generation cannot be opened (a file missing or truncated)."""

    http_status = 503
    code = "index_damaged"


class BuildInProgress(KbError):
    """Another process holds the build lock."""

    http_status = 409
    code = "build_in_progress"


class EmptyCorpus(KbError):
    """No readable document: refusing to replace the index with an empty one."""


class ModelError(KbError):
    """The embedding model cannot be loaded or converted."""

    http_status = 503
    code = "model_error"


class ModelMismatch(ModelError):
    """The index was embedded with another model than the one configured."""

    code = "model_mismatch"


class MilvusError(KbError):
    """Milvus (KB_BACKEND=milvus) cannot be reached or refused an operation."""

    http_status = 503
    code = "backend_error"


class UnreadableFile(KbError):
    """A corpus file that cannot be read; the build skips it and names it."""
