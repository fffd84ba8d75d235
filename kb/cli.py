"""`kb` command line: arguments in, library calls, text or JSON out. Exit codes: 0 ok, 1 failure
(no index, unreadable corpus, build refused), 2 bad input (empty or over-long query, bad option)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kb import store
from kb.build import EmptyCorpus
from kb.embeddings import ModelError
from kb.semantic import ModelMismatch
from kb.squad import BadSquadFile
from kb.config import Settings
from kb.highlight import mark
from kb.search import MODES, BadQuery, Library
from kb.normalize import normalize
from kb.shapes import (answer_dict, citation_text, citation_line, conflict_dict, figure_dict, passage_dict, results_dict,
                       verdict_dict)

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _print_json(data: dict) -> None:
    print(json.dumps(data, ensure_ascii=False))


def _settings(args: argparse.Namespace, **extra) -> Settings:
    return Settings.from_env(index=args.index, **extra)


def cmd_build(args: argparse.Namespace) -> int:
    from kb.build import build
    from kb.semantic import build_steps

    settings = _settings(args, corpus=args.corpus)
    report = build(settings, progress=not args.quiet, extra_steps=build_steps(settings, progress=not args.quiet))
    for skipped in report.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    if report.up_to_date:
        print(f"index up to date: {report.documents} documents, {report.passages} passages ({settings.index}/)")
    else:
        print(f"built {settings.index}/{report.generation}: {report.documents} documents, {report.passages} passages "
              f"(added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}, "
              f"unchanged {report.unchanged}), {len(report.skipped)} skipped, {report.seconds:.1f} s")
    return EXIT_OK


def _open(args: argparse.Namespace):
    from kb.semantic import open_snapshot

    return Library(_settings(args), opener=open_snapshot).snapshot()


def cmd_search(args: argparse.Namespace) -> int:
    snapshot = _open(args)
    results = snapshot.search(args.query, k=args.k, mode=args.mode)
    if args.json:
        _print_json(results_dict(results, snapshot))
        return EXIT_OK
    if not results.hits:
        print("no passage matches")
    for rank, hit in enumerate(results.hits, 1):
        doc = snapshot.documents.get(hit.passage.doc_id)
        print(f"{rank}. [{hit.score:.3f}] {mark(hit.passage.text, hit.highlights)}")
        print(f"   {citation_line(hit.passage, doc)}  ({hit.passage.id})")
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    snapshot = _open(args)
    passage = snapshot.passages.get(args.passage_id)
    if passage is None:
        print(f"no passage with id {args.passage_id!r}", file=sys.stderr)
        return EXIT_FAIL
    doc = snapshot.documents.get(passage.doc_id)
    if args.json:
        _print_json(passage_dict(passage, doc))
    else:
        print(passage.text)
        print(f"-- {citation_line(passage, doc)} · chars {passage.start}-{passage.end} · {passage.kind}")
    return EXIT_OK


def _mark_figure(evidence) -> str:
    if not evidence.figure:
        return evidence.text
    a, b = evidence.figure_start - evidence.start, evidence.figure_end - evidence.start
    return mark(evidence.text, [(a, b)])


def cmd_ask(args: argparse.Namespace) -> int:
    from kb.answers import ask

    snapshot = _open(args)
    answer = ask(snapshot, args.question, mode=args.mode)
    if args.json:
        _print_json(answer_dict(answer, snapshot))
        return EXIT_OK
    if answer.found:
        print(f"{answer.text}    (confidence {answer.confidence:.2f})")
        print(f"  “{_mark_figure(answer.evidence)}”")
        print(f"  {citation_text(answer.evidence.citation)}")
        for other in answer.conflicts:
            print(f"  ! the corpus also says {other.figure}: “{_mark_figure(other)}” — {citation_text(other.citation)}")
        return EXIT_OK
    print(f"not found in the corpus (confidence {answer.confidence:.2f}); closest passages:")
    for rank, hit in enumerate(answer.passages[:3], 1):
        print(f"{rank}. {hit.passage.text[:120]}")
        print(f"   {citation_line(hit.passage, snapshot.documents.get(hit.passage.doc_id))}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from kb.answers import verify

    snapshot = _open(args)
    verdict = verify(snapshot, args.claim, mode=args.mode)
    if args.json:
        _print_json(verdict_dict(verdict, snapshot))
        return EXIT_OK
    print(f"{verdict.verdict}    (figures in the claim: {'、'.join(verdict.claim_figures) or 'none'})")
    for e in verdict.evidence:
        print(f"  {e.status}: “{_mark_figure(e)}” — {citation_text(e.citation)}")
    return EXIT_OK


def cmd_figures(args: argparse.Namespace) -> int:
    import csv

    snapshot = _open(args)
    words = normalize(" ".join(args.words)).split()
    rows = [figure_dict(f, snapshot) for f in snapshot.figures.figures
            if all(w in normalize(f.clause) for w in words)]
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["figure", "value", "unit", "qualifier", "counts", "clause", "citation", "passage_id"])
        for r in rows:
            writer.writerow([r["figure"], r["value"], r["unit"] or "", r["qualifier"] or "", r["counts"],
                             r["clause"], r["citation_line"], r["passage_id"]])
    elif args.json:
        _print_json({"figures": rows})
    else:
        for r in rows:
            print(f"{r['figure']}\t{r['counts']}\t{r['citation_line']}")
    return EXIT_OK


def cmd_conflicts(args: argparse.Namespace) -> int:
    snapshot = _open(args)
    pairs = [conflict_dict(a, b, s, snapshot) for a, b, s in snapshot.figures.conflicts]
    if args.json:
        _print_json({"conflicts": pairs})
        return EXIT_OK
    if not pairs:
        print("no figures in the corpus disagree")
    for pair in pairs:
        a, b = pair["figures"]
        print(f"{a['figure']} ≠ {b['figure']}")
        print(f"  “{a['clause']}” — {a['citation_line']}")
        print(f"  “{b['clause']}” — {b['citation_line']}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import waitress

    from web import create_app

    settings = _settings(args)
    app = create_app({"KB_SETTINGS": settings})
    print(f"kb serving {settings.index}/ on http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="kb")
    return EXIT_OK


def cmd_import_squad(args: argparse.Namespace) -> int:
    from kb.squad import import_squad

    report = import_squad(args.file, args.out, args.contexts)
    print(f"{report.contexts} contexts → {args.out}/corpus/, {report.questions} questions → {args.out}/questions.jsonl "
          f"({report.repaired_offsets} answer offsets repaired, {report.dropped_answers} answers not in their context)")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from kb.evaluate import evaluate

    snapshot = _open(args)
    results, summary = evaluate(snapshot, args.file, mode=args.mode)
    for r in results:
        flag = {True: "pass", False: "FAIL", None: "n/a"}[r.passed]
        rank = "-" if r.rank is None else r.rank
        print(f"{r.id}\t{flag}\trank={rank}\t{r.latency_ms:.0f} ms\t{r.returned}")
    if args.json:
        _print_json(summary)
    else:
        print("  ".join(f"{k}={v}" for k, v in summary.items()))
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="kb", description="Search and question answering over Chinese work reports.")
    top.add_argument("--index", type=Path, default=None, help="index folder (default: $KB_INDEX or index/)")
    sub = top.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build or update the index from the corpus folder")
    p.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: $KB_CORPUS or corpus/)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("search", help="ranked passages for a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("show", help="one passage with its citation")
    p.add_argument("passage_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("ask", help="answer a question with a figure, date, name or passage, cited")
    p.add_argument("question")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("verify", help="check a claim: supported, contradicted, conflicting or not_found")
    p.add_argument("claim")
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("figures", help="the figures of the corpus, with citations")
    p.add_argument("words", nargs="*", help="only figures whose clause holds all these words")
    p.add_argument("--csv", action="store_true")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_figures)

    p = sub.add_parser("conflicts", help="pairs of figures that count the same thing differently")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_conflicts)

    p = sub.add_parser("serve", help="serve the web UI and JSON API (waitress)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("import-squad", help="a SQuAD-format file as a corpus folder plus a question set")
    p.add_argument("file", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--contexts", type=int, default=None, help="only the first N contexts")
    p.set_defaults(func=cmd_import_squad)

    p = sub.add_parser("eval", help="run a question or claim set (see shared/eval/README.md)")
    p.add_argument("file", type=Path)
    p.add_argument("--mode", choices=MODES, default="hybrid")
    p.add_argument("--json", action="store_true", help="the last line printed is one JSON object")
    p.set_defaults(func=cmd_eval)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "k", 1) is not None and getattr(args, "k", 1) < 1:
        print("kb: -k must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except BadQuery as error:
        print(f"kb: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (store.IndexMissing, store.BuildInProgress, EmptyCorpus, FileNotFoundError, ValueError,
            ModelError, ModelMismatch, BadSquadFile) as error:
        print(f"kb: {error}", file=sys.stderr)
        return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
