"""Passages: a document cut into citable pieces that know their section, paragraph and offsets.

Every non-empty line of `Document.text` is a block, numbered from 1 (the paragraph number a
citation shows). Blocks are classified as heading, caption or body:
- a short line that recurs as a whole line (这一年) marks a chapter; the line after it is the
  chapter's title (level 1);
- a line holding only a number (一, 2) labels the line after it, a level-2 heading;
- a short line (no full stop, no sentence-final punctuation) directly before a body paragraph is a heading;
- other short lines are photo captions; consecutive caption lines form one caption passage.
Formats that mark headings (Markdown, HTML, DOCX) are taken at their word.
Body paragraphs longer than the window are split at sentence ends.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field

from kb.documents import Document
from kb.textspans import SENTENCE_END, sentence_spans

DEFAULT_WINDOW = 200  # characters; see docs/benchmarks.md for how it was chosen
SHORT_LINE = 80  # longer lines, or lines ending a sentence, are body text
HEADING_LINE = 20  # a heading is at most this long
_NUMBER_LABEL = re.compile(r"^(?:[一二三四五六七八九十]{1,3}|\d{1,2}|[（(][一二三四五六七八九十\d]{1,3}[)）])$")
_NUMBERED_HEAD = re.compile(r"^(?:(?P<l1>[一二三四五六七八九十]{1,3}、)|(?P<l2>[（(][一二三四五六七八九十]{1,3}[)）]))")
_STRIP = " \t\u3000\ufeff"


@dataclass
class Passage:
    id: str
    doc_id: str
    text: str
    start: int
    end: int
    section: list[str] = field(default_factory=list)
    paragraph: int = 0
    kind: str = "body"  # body | heading | caption


@dataclass
class Block:
    number: int  # 1-based among non-empty lines
    start: int
    end: int
    text: str
    level: int | None = None  # explicit heading level from the source format
    role: str = "body"  # body | heading | caption | marker
    heading_level: int = 0
    label: str = ""


def blocks_of(doc: Document) -> list[Block]:
    """Non-empty lines of the document with their offsets (surrounding blanks trimmed)."""
    blocks, offset = [], 0
    for line_no, line in enumerate(doc.text.split("\n")):
        stripped = line.strip(_STRIP)
        if stripped:
            start = offset + (len(line) - len(line.lstrip(_STRIP)))
            blocks.append(Block(len(blocks) + 1, start, start + len(stripped), stripped,
                                doc.heading_levels.get(line_no)))
        offset += len(line) + 1
    return blocks


def _is_short(text: str) -> bool:
    return len(text) <= SHORT_LINE and text[-1] not in SENTENCE_END and "。" not in text


def classify(blocks: list[Block]) -> None:
    """Set role, heading level and label of every block (see module doc)."""
    explicit = any(b.level for b in blocks)
    repeated = Counter(b.text for b in blocks if len(b.text) <= 10)
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        prev = blocks[i - 1] if i else None
        if block.role == "heading":  # already set by a marker or a number label before it
            continue
        if block.level:
            block.role, block.heading_level = "heading", block.level
        elif explicit:
            block.role = "body" if not _is_short(block.text) or nxt is None else "caption"
        elif repeated[block.text] > 1 and nxt is not None and _is_short(nxt.text):
            block.role = "marker"
            nxt.role, nxt.heading_level = "heading", 1
        elif _NUMBER_LABEL.match(block.text) and nxt is not None and _is_short(nxt.text):
            block.role = "marker"
            nxt.role, nxt.heading_level, nxt.label = "heading", 2, block.text
        elif (head := _NUMBERED_HEAD.match(block.text)) and _is_short(block.text):
            block.role, block.heading_level = "heading", 1 if head.group("l1") else 2
        elif not _is_short(block.text):
            block.role = "body"
        elif i == 0:
            block.role, block.heading_level = "heading", 0  # the document's own title line
        elif len(block.text) <= HEADING_LINE and nxt is not None and not _is_short(nxt.text):
            block.role, block.heading_level = "heading", 2
        elif prev is not None and prev.role in ("body", "caption"):
            block.role = "caption"
        else:
            block.role, block.heading_level = "heading", 2


def windows(text: str, size: int) -> list[tuple[int, int]]:
    """Greedy runs of whole sentences of at most `size` characters (a longer sentence stands alone)."""
    spans, current = [], None
    for start, end in sentence_spans(text):
        if current and end - current[0] <= size:
            current = (current[0], end)
        else:
            if current:
                spans.append(current)
            current = (start, end)
    if current:
        spans.append(current)
    return spans


def passage_id(doc_id: str, paragraph: int, window: int, text: str) -> str:
    digest = hashlib.sha1(f"{doc_id}\x00{paragraph}\x00{window}\x00{text}".encode()).hexdigest()[:6]
    return f"{doc_id}:{paragraph}-{window}:{digest}"


def split_document(doc: Document, window: int = DEFAULT_WINDOW) -> list[Passage]:
    """The document's passages, in document order."""
    blocks = blocks_of(doc)
    classify(blocks)
    passages: list[Passage] = []
    path: dict[int, str] = {}
    caption: list[Block] = []

    def make(kind: str, number: int, start: int, end: int, index: int = 1) -> None:
        text = doc.text[start:end]
        section = [path[level] for level in sorted(path)]
        passages.append(Passage(passage_id(doc.id, number, index, text), doc.id, text, start, end,
                                section, number, kind))

    def flush_caption() -> None:
        if caption:
            make("caption", caption[0].number, caption[0].start, caption[-1].end)
            caption.clear()

    for block in blocks:
        if block.role != "caption":
            flush_caption()
        if block.role == "marker":
            continue
        if block.role == "caption":
            caption.append(block)
        elif block.role == "heading":
            if block.heading_level > 0:
                path = {lvl: name for lvl, name in path.items() if lvl < block.heading_level}
            make("heading", block.number, block.start, block.end)
            if block.heading_level > 0:
                path[block.heading_level] = f"{block.label} {block.text}".strip()
        else:
            for index, (a, b) in enumerate(windows(block.text, window), start=1):
                make("body", block.number, block.start + a, block.start + b, index)
    flush_caption()
    return passages
