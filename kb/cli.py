"""`kb` command line: arguments in, library calls, text or JSON out. Exit codes: 0 ok, 1 failure
(no index, unreadable corpus, build refused), 2 bad input (empty or over-long query, bad option);
each comes from the error's class (kb/errors.py), mapped once in `main`."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kb.config import Settings
from kb.errors import BadInput, KbError, NotFound
from kb.highlight import mark
from kb.search import MODES
from kb.shapes import (answer_dict, article_csv, article_dict, citation_line, citation_text, conflict_dict, figure_dict, figures_csv,
                       passage_citation, passage_dict, results_dict, series_csv, series_dict, verdict_dict)
from kb.snapshot import Library

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_SKIPPED = 3  # kb build --strict: the index was updated, but some files were skipped


def _print_json(data: dict) -> None:
    print(json.dumps(data, ensure_ascii=False))


def _settings(args: argparse.Namespace, **extra) -> Settings:
    return Settings.from_env(index=args.index, **extra)


def cmd_build(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from kb.build import build

    settings = _settings(args, corpus=args.corpus)
    report = build(settings, progress=not (args.quiet or args.json))
    for skipped in report.skipped:
        print(f"skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    status = EXIT_SKIPPED if args.strict and report.skipped else EXIT_OK
    if args.json:
        _print_json(asdict(report) | {"index": str(settings.index), "seconds": round(report.seconds, 3)})
    elif report.up_to_date:
        print(f"index up to date: {report.documents} documents, {report.passages} passages ({settings.index}/)")
    else:
        print(f"built {settings.index}/{report.generation}: {report.documents} documents, {report.passages} passages "
              f"(added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}, "
              f"unchanged {report.unchanged}), {len(report.skipped)} skipped, {report.seconds:.1f} s")
    return status


def _open(args: argparse.Namespace):
    return Library(_settings(args)).snapshot()


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
        raise NotFound(f"no passage with id {args.passage_id!r}")
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


def _cite(evidence, snapshot) -> str:
    return citation_text(passage_citation(evidence.passage_id, snapshot))


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
        print(f"  {_cite(answer.evidence, snapshot)}")
        for other in answer.conflicts:
            print(f"  ! the corpus also says {other.figure}: “{_mark_figure(other)}” — {_cite(other, snapshot)}")
        return EXIT_OK
    print(f"not found in the corpus (confidence {answer.confidence:.2f}); closest passages:")
    for rank, hit in enumerate(answer.passages[:3], 1):
        print(f"{rank}. {hit.passage.text[:120]}")
        print(f"   {citation_line(hit.passage, snapshot.documents.get(hit.passage.doc_id))}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from kb.answers import verify

    if (args.claim is None) == (args.file is None):
        raise BadInput("give a claim, or an article with --file FILE (--file - reads standard input)")
    snapshot = _open(args)
    if args.file is not None:
        return _verify_article(args, snapshot)
    verdict = verify(snapshot, args.claim, mode=args.mode)
    if args.json:
        _print_json(verdict_dict(verdict, snapshot))
        return EXIT_OK
    print(f"{verdict.verdict}    (figures in the claim: {'、'.join(verdict.claim_figures) or 'none'})")
    for e in verdict.evidence:
        print(f"  {e.status}: “{_mark_figure(e)}” — {_cite(e, snapshot)}")
    return EXIT_OK


def _verify_article(args: argparse.Namespace, snapshot) -> int:
    from kb.articles import check_article

    text = _read_text(args.file)
    data = article_dict(check_article(snapshot, text, mode=args.mode), snapshot)
    if args.csv:
        sys.stdout.write(article_csv(data))
    elif args.json:
        _print_json(data)
    else:
        for s in data["sentences"]:
            figures = "、".join(f"{f['figure']} {f['verdict']}" for f in s["figures"])
            print(f"{s['verdict']}\t{s['claim']}\n\t[{figures}]")
            for e in s["evidence"][:2]:
                print(f"\t{e['status']}: “{e['text']}” — {e['citation_line']}")
        print("  ".join(f"{k}={v}" for k, v in data["summary"].items()))
    return EXIT_OK


def _read_text(name: str) -> str:
    """A file's text (UTF-8, GB18030 or Big5, like the corpus), or standard input for '-'."""
    from kb.documents import decode_bytes

    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as error:
        raise NotFound(f"cannot read {name}: {error.strerror}") from None
    try:
        return decode_bytes(data, name)
    except KbError as error:
        raise BadInput(str(error)) from None


def cmd_figures(args: argparse.Namespace) -> int:
    snapshot = _open(args)
    rows = [figure_dict(f, snapshot) for f in snapshot.figures.matching(" ".join(args.words))]
    if args.csv:
        sys.stdout.write(figures_csv(rows))
    elif args.json:
        _print_json({"figures": rows})
    else:
        for r in rows:
            print(f"{r['figure']}\t{r['counts']}\t{r['citation_line']}")
    return EXIT_OK


def cmd_series(args: argparse.Namespace) -> int:
    from kb.series import build_series

    snapshot = _open(args)
    data = series_dict(build_series(snapshot, snapshot.parse(" ".join(args.words))), snapshot)
    if args.csv:
        sys.stdout.write(series_csv(data))
        return EXIT_OK
    if args.json:
        _print_json(data)
        return EXIT_OK
    for kind, label in (("outcomes", "outcomes"), ("targets", "targets"), ("periods", "totals over several years")):
        print(f"{label}:" if data[kind] else f"{label}: none")
        for p in data[kind]:
            flag = f"  ! also stated as {'、'.join(o['figure'] for o in p['others'])}" if p["others"] else ""
            print(f"  {p['year']}\t{p['figure']}\t{p['citation_line']}{flag}")
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


def _fewer_malloc_arenas() -> None:
    """Two glibc malloc arenas, as MALLOC_ARENA_MAX=2 would give: by default each waitress thread
    that runs the model gets its own, and kb serve held ~280 MB more after 100 answers at 86k
    passages (`bench/bench_scale.py --measure`, docs/benchmarks.md)."""
    import ctypes
    import ctypes.util

    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt(-8, 2)  # -8: M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def cmd_serve(args: argparse.Namespace) -> int:
    import waitress

    from web import create_app

    _fewer_malloc_arenas()
    settings = _settings(args)
    app = create_app({"KB_SETTINGS": settings})
    print(f"kb serving {settings.index}/ on http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    # waitress answers headers over its limit itself, in plain text; up to 1 MiB they reach the app,
    # which refuses URLs over web.MAX_URL_CHARS in JSON or HTML like every other error
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="kb",
                   max_request_header_size=1 << 20)
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
        print("  ".join(f"{k}={v}" for k, v in summary.items() if not isinstance(v, dict)))
        for name, table in ((k, v) for k, v in summary.items() if isinstance(v, dict)):
            print(f"{name}: " + " · ".join(f"{key} {_cell_text(row)}" for key, row in table.items()))
    return EXIT_OK


def _cell_text(row) -> str:
    if isinstance(row, dict) and "n" in row and "right" in row:
        return f"{row['right']}/{row['n']}"
    return json.dumps(row, ensure_ascii=False) if isinstance(row, dict) else str(row)


def _common(json_output: bool) -> argparse.ArgumentParser:
    """Options every command takes, before or after its name (kb --index D build = kb build --index D).
    SUPPRESS keeps a subcommand's unset option from overwriting the one given before it."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", type=Path, default=argparse.SUPPRESS,
                        help="index folder (default: $KB_INDEX or index/)")
    if json_output:
        common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print one JSON object")
    return common


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="kb", description="Search and question answering over Chinese work reports.",
                                  parents=[_common(json_output=True)])
    sub = top.add_subparsers(dest="command", required=True)

    def command(name: str, func, help: str, json_output: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, parents=[_common(json_output)])
        p.set_defaults(func=func, json_output=json_output)
        return p

    p = command("build", cmd_build, "build or update the index from the corpus folder")
    p.add_argument("--corpus", type=Path, default=None, help="corpus folder (default: $KB_CORPUS or corpus/)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--strict", action="store_true", help=f"exit {EXIT_SKIPPED} when any file was skipped")

    p = command("search", cmd_search, "ranked passages for a query")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="how many passages (default 5)")
    p.add_argument("--mode", choices=MODES, default="hybrid")

    p = command("show", cmd_show, "one passage with its citation")
    p.add_argument("passage_id")

    p = command("ask", cmd_ask, "answer a question with a figure, date, name or passage, cited")
    p.add_argument("question")
    p.add_argument("--mode", choices=MODES, default="hybrid")

    p = command("verify", cmd_verify, "check a claim, or every figure of an article (--file): supported, "
                "contradicted, conflicting or not_found")
    p.add_argument("claim", nargs="?")
    p.add_argument("--file", help="an article to check sentence by sentence ('-': standard input)")
    p.add_argument("--csv", action="store_true", help="with --file: one row per checked sentence")
    p.add_argument("--mode", choices=MODES, default="hybrid")

    p = command("figures", cmd_figures, "the figures of the corpus, with citations")
    p.add_argument("words", nargs="*", help="only figures whose clause holds all these words")
    p.add_argument("--csv", action="store_true")

    p = command("series", cmd_series, "one indicator across years: outcomes and targets, each cited")
    p.add_argument("words", nargs="+", help="what is counted, e.g. 城镇新增就业")
    p.add_argument("--csv", action="store_true")

    command("conflicts", cmd_conflicts, "pairs of figures that count the same thing differently")

    p = command("serve", cmd_serve, "serve the web UI and JSON API (waitress)", json_output=False)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)

    p = command("import-squad", cmd_import_squad, "a SQuAD-format file as a corpus folder plus a question set",
                json_output=False)
    p.add_argument("file", type=Path)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--contexts", type=int, default=None, help="only the first N contexts")

    p = command("eval", cmd_eval, "run a question or claim set (format: docs/evaluation.md)")
    p.add_argument("file", type=Path)
    p.add_argument("--mode", choices=MODES, default="hybrid")
    return top


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cli = parser()
    args = cli.parse_args(argv)
    args.index = getattr(args, "index", None)
    if getattr(args, "json", False) and not args.json_output:
        cli.error(f"kb {args.command} has no --json output")
    args.json = getattr(args, "json", False)
    if getattr(args, "k", 1) < 1:
        cli.error("-k must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe must fail here, where it is caught, not in the flush at exit
        return code
    except KbError as error:
        print(f"kb: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:  # `kb search … | head` closed the pipe: stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own flush at exit must not raise again
        return 141


if __name__ == "__main__":
    sys.exit(main())
