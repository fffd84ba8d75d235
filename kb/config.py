"""Settings: defaults, overridden by KB_* environment variables, overridden by explicit arguments."""
from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from kb.errors import BadInput

BUNDLED_MODEL = "bundled:multilingual-e5-small"


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
    max_query_chars: int = 1000  # KB_MAX_QUERY_CHARS: longer queries are refused

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


def _convert(kind: str, raw: str, name: str):
    try:
        if kind == "Path":
            return Path(raw)
        if kind == "int":
            return int(raw)
        if kind == "bool":
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
    except ValueError as error:
        raise BadInput(f"KB_{name.upper()}={raw!r} is not a valid {kind}") from error
    return raw
