"""Documents: what a report is, its metadata catalogue, and how each file format is read.

A loader turns a file into `Document`s whose `text` is plain text, one block (paragraph, heading,
caption) a line; formats that mark headings (Markdown, HTML, DOCX) say which lines are headings in
`heading_levels`. Every offset kb cites is an offset into `Document.text`.
"""
from __future__ import annotations

import datetime
import hashlib
import os
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from kb.errors import BadInput, NotFound, UnreadableFile
from kb.normalize import is_text

CATALOGUE_NAME = "catalogue.toml"
FORMATS = (".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".jsonl")


@dataclass
class Document:
    id: str
    title: str
    text: str
    source: str = ""
    publisher: str = ""
    outlet: str = ""
    date: str = ""
    language: str = ""
    url: str = ""
    heading_levels: dict[int, int] = field(default_factory=dict)  # line number (0-based) → level

    @property
    def fingerprint(self) -> str:
        """Changes whenever the text or the metadata changes: decides re-indexing."""
        payload = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)
        return hashlib.sha1(payload.encode("utf-8")).hexdigest()

    def metadata(self) -> dict:
        """Everything but the text, as stored beside the index."""
        data = asdict(self)
        data.pop("text")
        data["heading_levels"] = {str(k): v for k, v in self.heading_levels.items()}
        return data


class CatalogueError(BadInput):
    """corpus/catalogue.toml cannot be used; the message names the entry and the field."""


@dataclass
class Skipped:
    path: str
    reason: str


# --- encodings -------------------------------------------------------------------------------

def decode_bytes(data: bytes, name: str = "") -> str:
    """Text of a report file: UTF-8 (with or without BOM), GB18030/GBK or Big5."""
    if b"\x00" in data[:8192]:
        raise UnreadableFile(f"{name}: binary data (NUL bytes), not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _decode_legacy(data, name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\n\t")
    if controls > max(2, len(text) // 100):
        raise UnreadableFile(f"{name}: {controls} control characters, not a text file")
    return text


def _decode_legacy(data: bytes, name: str) -> str:
    """GB18030 (a superset of GBK) or Big5, whichever charset-normalizer finds reads best."""
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5"]).best()
    if best is None:
        raise UnreadableFile(f"{name}: not UTF-8, GB18030 or Big5 text")
    return str(best)


# --- catalogue -------------------------------------------------------------------------------


CATALOGUE_FIELDS = ("title", "publisher", "outlet", "date", "language", "url")


def read_catalogue(corpus: Path) -> dict[str, dict]:
    """Metadata by file name from `corpus/catalogue.toml` (hand-edited; may be absent). A mistake
    in it stops the build with a message naming the file, the entry and the field."""
    path = corpus / CATALOGUE_NAME
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{path}: not valid TOML ({error})") from None
    return {name: _catalogue_entry(path, name, entry) for name, entry in raw.items()}


def _catalogue_entry(path: Path, name: str, entry: object) -> dict:
    if not isinstance(entry, dict):
        raise CatalogueError(f'{path}: ["{name}"] must be a table of fields ({", ".join(CATALOGUE_FIELDS)}), '
                             f"not {type(entry).__name__}")
    out = {}
    for key, value in entry.items():
        if key not in CATALOGUE_FIELDS:
            raise CatalogueError(f'{path}: ["{name}"] has an unknown field {key!r}; '
                                 f"known: {', '.join(CATALOGUE_FIELDS)}")
        if isinstance(value, (datetime.date, datetime.datetime)):
            value = value.isoformat()[:10]  # date = 2023-01-21 written without quotes
        if not isinstance(value, str):
            raise CatalogueError(f'{path}: ["{name}"] {key} must be text in quotes, not {type(value).__name__}')
        out[key] = value
    return out


def doc_id_for(path: Path) -> str:
    return re.sub(r"[^\w.-]+", "-", path.stem).strip("-") or "document"


# --- loaders ---------------------------------------------------------------------------------


def load_file(path: Path, meta: dict | None = None) -> tuple[list[Document], list[Skipped]]:
    """Documents in one file (several for JSONL) and the JSONL lines that were skipped."""
    meta = dict(meta or {})
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableFile(f"{path.name}: cannot read ({error.strerror})") from error
    if suffix == ".jsonl":
        return _load_jsonl(path, data)
    try:
        lines, levels = _blocks(path, data, suffix)
    except UnreadableFile:
        raise
    except Exception as error:  # noqa: BLE001 — parsers of damaged DOCX/PDF raise anything at all
        raise UnreadableFile(f"{path.name}: damaged {suffix.lstrip('.').upper()} file "
                             f"({type(error).__name__}: {str(error)[:200]})") from error
    text = "\n".join(lines)
    if not text.strip():
        raise UnreadableFile(f"{path.name}: no text")
    title = meta.pop("title", "") or _first_line(text) or path.stem
    known = {k: str(v) for k, v in meta.items() if k in Document.__dataclass_fields__}
    known.pop("id", None)
    known.pop("text", None)
    doc = Document(id=doc_id_for(path), title=title, text=text, source=path.name,
                   heading_levels=levels, **{k: v for k, v in known.items() if k != "source"})
    return [doc], []


def _blocks(path: Path, data: bytes, suffix: str) -> tuple[list[str], dict[int, int]]:
    """The file's lines of text and the heading level of the lines that are headings."""
    if suffix == ".docx":
        return _docx_blocks(path, data)
    if suffix == ".pdf":
        return _pdf_blocks(path, data), {}
    if suffix in (".html", ".htm"):
        return _html_blocks(decode_bytes(data, path.name))
    if suffix in (".md", ".markdown"):
        return _markdown_blocks(decode_bytes(data, path.name))
    return decode_bytes(data, path.name).split("\n"), {}


def _first_line(text: str) -> str:
    for line in text.split("\n"):
        if line.strip():
            return line.strip()[:100]
    return ""


def _load_jsonl(path: Path, data: bytes) -> tuple[list[Document], list[Skipped]]:
    docs, skipped, seen = [], [], set()
    for number, line in enumerate(decode_bytes(data, path.name).split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            record = json.loads(line)
            doc = _jsonl_document(record, path.name)
        except (json.JSONDecodeError, ValueError, TypeError) as error:
            skipped.append(Skipped(where, f"malformed line: {error}"))
            continue
        if doc.id in seen:
            skipped.append(Skipped(where, f"duplicate id {doc.id!r}"))
            continue
        seen.add(doc.id)
        docs.append(doc)
    return docs, skipped


def _jsonl_document(record: object, source: str) -> Document:
    if not isinstance(record, dict):
        raise ValueError("a line must be a JSON object")
    if any(isinstance(v, str) and not is_text(v) for v in record.values()):
        raise ValueError("a field holds an unpaired surrogate escape (\\ud800-\\udfff), not text")
    missing = [k for k in ("id", "title", "text") if not isinstance(record.get(k), str) or not record[k].strip()]
    if missing:
        raise ValueError(f"missing or empty field(s): {', '.join(missing)}")
    text = record["text"].replace("\r\n", "\n")
    return Document(id=doc_id_for(Path(record["id"])), title=record["title"], text=text,
                    source=str(record.get("source") or source), date=str(record.get("date") or ""),
                    url=str(record.get("url") or ""), outlet=str(record.get("outlet") or ""),
                    publisher=str(record.get("publisher") or ""))


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def _markdown_blocks(text: str) -> tuple[list[str], dict[int, int]]:
    lines, levels = [], {}
    for raw in text.split("\n"):
        heading = _MD_HEADING.match(raw)
        if heading:
            levels[len(lines)] = len(heading.group(1))
            lines.append(heading.group(2))
        else:
            lines.append(_MD_LIST.sub("", raw).replace("**", "").rstrip())
    return lines, levels


class _HTMLBlocks(HTMLParser):
    BLOCKS = {"p", "div", "li", "br", "tr", "td", "th", "section", "article", "blockquote",
              "h1", "h2", "h3", "h4", "h5", "h6", "title", "figcaption", "pre"}
    SKIP = {"script", "style", "noscript", "template", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.levels: dict[int, int] = {}
        self._buffer: list[str] = []
        self._level: int | None = None
        self._skip = 0

    def _flush(self) -> None:
        line = re.sub(r"\s+", " ", "".join(self._buffer)).strip()
        if line:
            if self._level:
                self.levels[len(self.lines)] = self._level
            self.lines.append(line)
        self._buffer, self._level = [], None

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self._flush()
            if re.fullmatch(r"h[1-6]", tag):
                self._level = int(tag[1])

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data):
        if not self._skip:
            self._buffer.append(data)

    def close(self):
        super().close()
        self._flush()


def _html_blocks(text: str) -> tuple[list[str], dict[int, int]]:
    parser = _HTMLBlocks()
    parser.feed(text)
    parser.close()
    return parser.lines, parser.levels


def _docx_blocks(path: Path, data: bytes) -> tuple[list[str], dict[int, int]]:
    import io
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise UnreadableFile(f"{path.name}: not a readable DOCX file ({error})") from error
    lines, levels = [], {}
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = re.fullmatch(r"(?:Heading|标题)\s*(\d)", style)
        if level or style == "Title":
            levels[len(lines)] = int(level.group(1)) if level else 1
        lines.append(text)
    return lines, levels


def _pdf_blocks(path: Path, data: bytes) -> list[str]:
    import io

    import logging

    import pypdf
    from pypdf.errors import PdfReadError

    # pypdf logs what it repairs in a damaged file; the file is reported read or skipped instead
    logging.getLogger("pypdf").setLevel(logging.CRITICAL)

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as error:
        raise UnreadableFile(f"{path.name}: not a readable PDF ({error})") from error
    return [line.rstrip() for page in pages for line in page.split("\n")]


def corpus_files(corpus: Path) -> tuple[list[Path], list[Skipped]]:
    """The files under `corpus` to read, and the entries refused: symbolic links that leave the
    folder or lead nowhere (a link must not let the index read /etc/passwd), and links to folders."""
    root = corpus.resolve()
    files, refused = [], []
    for folder, subfolders, names in os.walk(corpus):
        here = Path(folder)
        for name in list(subfolders):
            if name.startswith(".") or (here / name).is_symlink():
                subfolders.remove(name)
                if not name.startswith("."):
                    refused.append(Skipped(str((here / name).relative_to(corpus)), "a link to a folder: not followed"))
        for name in names:
            path = here / name
            if name.startswith(".") or name == CATALOGUE_NAME or name.lower() == "readme.md":
                continue
            if path.is_symlink():
                target = path.resolve()
                if not target.exists():
                    refused.append(Skipped(str(path.relative_to(corpus)), "a broken link: its target does not exist"))
                    continue
                if not target.is_relative_to(root):
                    refused.append(Skipped(str(path.relative_to(corpus)),
                                           "a link to a file outside the corpus folder: not followed"))
                    continue
            files.append(path)
    return sorted(files), refused


def load_corpus(corpus: Path, max_bytes: int | None = None) -> tuple[list[Document], list[Skipped]]:
    """Every readable document under `corpus`, and every file or line that was skipped, with why.
    Files over `max_bytes` are skipped (their size is reported)."""
    if not corpus.is_dir():
        raise NotFound(f"corpus folder not found: {corpus}")
    catalogue = read_catalogue(corpus)
    documents, ids = [], {}
    files, skipped = corpus_files(corpus)
    for path in files:
        if path.suffix.lower() not in FORMATS:
            skipped.append(Skipped(str(path.relative_to(corpus)), f"unsupported format {path.suffix or '(none)'}"))
            continue
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            skipped.append(Skipped(str(path.relative_to(corpus)), f"{size / 1e6:.1f} MB, over the limit of "
                                   f"{max_bytes / 1e6:.0f} MB (KB_MAX_FILE_MB)"))
            continue
        try:
            docs, bad = load_file(path, catalogue.get(path.name))
        except UnreadableFile as error:
            skipped.append(Skipped(str(path.relative_to(corpus)), str(error)))
            continue
        skipped.extend(bad)
        for doc in docs:
            if doc.id in ids:
                skipped.append(Skipped(path.name, f"document id {doc.id!r} already used by {ids[doc.id]}"))
                continue
            ids[doc.id] = path.name
            documents.append(doc)
    return documents, skipped
