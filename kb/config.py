"""Settings: defaults, overridden by KB_* environment variables, overridden by explicit arguments."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

from kb.errors import BadInput

BUNDLED_MODEL = "bundled:multilingual-e5-small"
BACKENDS = ("whoosh", "milvus")


@dataclass(frozen=True)
class Settings:
    index: Path = Path("index")  # KB_INDEX: the built index
    corpus: Path = Path("corpus")  # KB_CORPUS: the source documents
    window: int = 200  # KB_WINDOW: longest body passage, in characters
    model: str = BUNDLED_MODEL  # KB_MODEL: embedding model (bundled, a hub name or a folder)
    cache: Path = Path.home() / ".cache" / "kb"  # KB_CACHE: converted model files
    semantic: bool = True  # KB_SEMANTIC: build and use the vector index
    rrf_k: int = 60  # KB_RRF_K: reciprocal rank fusion constant
    rrf_depth: int = 50  # KB_RRF_DEPTH: how many hits of each list are fused
    ann_min_passages: int = 200_000  # KB_ANN_MIN_PASSAGES: from this size on, vectors get an HNSW index (kb/vectors.py)
    max_query_chars: int = 1000  # KB_MAX_QUERY_CHARS: longer queries (and other text inputs) are refused
    max_file_mb: int = 50  # KB_MAX_FILE_MB: larger corpus files are skipped, by name, at build time
    backend: str = "whoosh"  # KB_BACKEND: whoosh (keyword) + numpy (vectors), or milvus (kb/milvus.py)
    milvus_uri: str = ""  # KB_MILVUS_URI: a file (Milvus Lite; default index/milvus.db) or http://host:19530
    milvus_token: str = ""  # KB_MILVUS_TOKEN: for a cluster that needs one
    milvus_collection: str = "kb"  # KB_MILVUS_COLLECTION: the alias of the current collection (and its prefix)

    def __post_init__(self):
        if self.backend not in BACKENDS:
            raise BadInput(f"KB_BACKEND must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        for name, low in _MINIMUM.items():
            if getattr(self, name) < low:
                raise BadInput(f"KB_{name.upper()} must be at least {low}, not {getattr(self, name)}")

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> "Settings":
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f"KB_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.type, raw, f.name)
        settings = cls(**values)
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})


# below these, a setting makes no sense (a 0-character passage window builds nothing)
_MINIMUM = {"window": 20, "rrf_k": 1, "rrf_depth": 1, "ann_min_passages": 1, "max_query_chars": 1, "max_file_mb": 1}


def whole_number(raw: str) -> int:
    """ASCII digits only: int() would also take 1_0 and other scripts' digits."""
    if not re.fullmatch(r"-?[0-9]+", raw.strip()):
        raise ValueError(raw)
    return int(raw)


def _convert(kind: str, raw: str, name: str):
    try:
        if kind == "Path":
            return Path(raw)
        if kind == "int":
            return whole_number(raw)
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError as error:
        raise BadInput(f"KB_{name.upper()}={raw!r} is not a valid {kind}") from error
    return raw
