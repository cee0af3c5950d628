"""The `papertrail` command. Library code raises; this module prints, and turns errors into one line."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable

from assistant.errors import PapertrailError
from assistant.chain import MAX_QUESTION_CHARS
from assistant.records import Progress
from assistant.retrieve import SearchFilters
from assistant.settings import Settings

BUNDLED_CORPUS = Path(__file__).resolve().parent.parent / "data" / "corpus"


def package_version() -> str:
    try:
        return version("papertrail")
    except PackageNotFoundError:
        return "0+unknown"


def parse_years(text: str | None) -> tuple[int | None, int | None]:
    """'2019' -> (2019, 2019); '2019-2021' -> (2019, 2021); '2019-' -> (2019, None)."""
    if not text:
        return None, None
    start, sep, end = text.partition("-") if "-" in text[1:] else (text, "", text)
    try:
        return (int(start) if start else None), (int(end) if end else None)
    except ValueError:
        raise PapertrailError(f"--year {text!r} is not a year or range like 2019 or 2019-2021") from None


def filters_from(args: argparse.Namespace) -> SearchFilters:
    year_from, year_to = parse_years(getattr(args, "year", None))
    return SearchFilters(author=getattr(args, "author", None), year_from=year_from, year_to=year_to,
                         source=getattr(args, "source", None))


def add_filter_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--k", type=int, default=None, help="number of papers to retrieve")
    parser.add_argument("--author", help="only papers by this author (case, accents, initials, order tolerant)")
    parser.add_argument("--year", help="a year (2019) or range (2019-2021, 2019-)")
    parser.add_argument("--source", help="only papers from corpus files whose name contains this")
    parser.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="papertrail", description="Cited answers about a corpus of ML papers.")
    parser.add_argument("--version", action="version", version=f"papertrail {package_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="parse, embed and index corpus files (default: the bundled corpus)")
    p.add_argument("paths", nargs="*", type=Path)
    p.add_argument("--rebuild", action="store_true", help="drop the index and start clean")
    p.set_defaults(run=cmd_ingest)

    p = sub.add_parser("search", help="rank papers for a query")
    p.add_argument("query")
    add_filter_flags(p)
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("stats", help="what the index holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_stats)

    p = sub.add_parser("ask", help="a cited answer from the corpus")
    p.add_argument("question")
    add_filter_flags(p)
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("overview", help="a cited literature overview of a topic, as Markdown")
    p.add_argument("topic")
    p.add_argument("-o", "--output", type=Path, help="write the Markdown here")
    add_filter_flags(p)
    p.set_defaults(run=cmd_overview)

    p = sub.add_parser("serve", help="open the chat UI")
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("eval", help="run the evaluation question sets")
    p.add_argument("what", choices=["retrieval", "answers"])
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--kind", default=None, help="only questions of this kind")
    p.add_argument("--json", type=Path, default=None, help="also write the report as JSON here")
    p.add_argument("--questions", default=None,
                   help="question file in evals/questions/ (default: retrieval or answers; e.g. list_holdout)")
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("llm", help="the embedded llama.cpp server")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.set_defaults(run=cmd_llm)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2): an exit code, like every path
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
        return int(args.run(args, settings) or 0)
    except PapertrailError as exc:
        print(f"papertrail: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("papertrail: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`papertrail ask ... | head`): stop quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes stdout
        return 141


def _assistant(settings: Settings) -> Any:
    from assistant.api import Assistant

    return Assistant(settings)


def _progress_bar(label: str) -> tuple[Callable[[int, int], None], Callable[[], None]]:
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit="paper", desc=label, file=sys.stderr, dynamic_ncols=True)
        bar["bar"].update(done - bar["bar"].n)

    def close() -> None:
        if "bar" in bar:
            bar["bar"].close()

    return update, close


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    paths = args.paths or [BUNDLED_CORPUS]
    update, close = _progress_bar("embedding")
    try:
        report = _assistant(settings).ingest(paths, rebuild=args.rebuild, progress=update)
    finally:
        close()
    for line in report.missing:
        print(f"skipped {line}", file=sys.stderr)
    for file_report in report.files:
        parsed = file_report.parse
        if parsed.error:
            print(f"{parsed.file}: skipped whole file: {parsed.error}")
            continue
        reasons = ", ".join(f"{n} {why}" for why, n in parsed.skip_reasons().most_common()) or "none"
        title_only = f" ({len(parsed.title_only)} with title and authors only)" if parsed.title_only else ""
        print(f"{parsed.file} [{parsed.format}]: {len(parsed.papers)} papers{title_only}, "
              f"{file_report.duplicates} duplicates merged, blocks skipped: {reasons}")
        for line, title in parsed.title_only:
            print(f"    line {line}: kept without an abstract: {title[:60]!r}")
        for line, why in parsed.skipped:
            print(f"    line {line}: {why}")
    print(f"{report.distinct} distinct papers: {report.added} added, {report.updated} updated, "
          f"{report.unchanged} unchanged; {report.chunks_written} chunks embedded"
          + (f" at {report.papers_per_second:.1f} papers/s" if report.added + report.updated else ""))
    print(f"index now holds {report.total_papers} papers")
    return 0


def hit_json(hit: Any) -> dict[str, Any]:
    paper = hit.paper
    return {"paper_id": paper.paper_id, "title": paper.title, "abstract": paper.abstract, "authors": paper.authors,
            "date": paper.date, "source": ", ".join(paper.sources), "score": round(hit.score, 6)}


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    query = _checked_text(args.query, "query")
    hits = _assistant(settings).search(query, args.k, filters_from(args))
    if args.json:
        print(json.dumps({"query": query, "results": [hit_json(h) for h in hits]}, ensure_ascii=False))
        return 0
    if not hits:
        print("no papers match.")
    for rank, hit in enumerate(hits, start=1):
        paper = hit.paper
        meta = " · ".join(filter(None, [", ".join(paper.authors[:4]) + (" et al." if len(paper.authors) > 4 else ""),
                                        paper.date or paper.date_raw, ", ".join(paper.sources)]))
        print(f"{rank:>2}. {paper.title}  [{hit.score:.4f}]")
        if meta:
            print(f"    {meta}")
        print(f"    {paper.abstract[:200]}{'…' if len(paper.abstract) > 200 else ''}")
    return 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    stats = _assistant(settings).stats()
    if args.json:
        print(json.dumps(stats))
        return 0
    print(f"papers: {stats['papers']}  chunks: {stats['chunks']}  authors: {stats['authors']}")
    print(f"papers with authors: {stats['papers_with_authors']}  with a year: {stats['papers_with_year']}")
    if stats["date_range"]:
        print(f"dates: {stats['date_range'][0]} … {stats['date_range'][1]}")
    for source, count in stats["per_source"].items():
        print(f"  {source}: {count} papers")
    print(f"index: {stats['index']} at {stats['location']}")
    return 0




def _checked_text(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise PapertrailError(f"the {what} is empty: type a few words, e.g. papertrail {what if what != 'question' else 'ask'} \"linear attention\"")
    if len(text) > MAX_QUESTION_CHARS:
        raise PapertrailError(f"the {what} is {len(text)} characters long; keep it under {MAX_QUESTION_CHARS}.")
    return text


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.render import render_answer_text

    question = _checked_text(args.question, "question")
    assistant = _assistant(settings)
    if args.json:
        answer = assistant.ask(question, k=args.k, filters=filters_from(args))
        print(json.dumps(answer.to_json_dict(), ensure_ascii=False))
        return _report_error(answer)
    final, streamed = None, ""
    for piece in assistant.stream(question, k=args.k, filters=filters_from(args)):
        if isinstance(piece, str):
            streamed += piece
            print(piece, end="", flush=True)
        elif isinstance(piece, Progress):
            print(f"[{piece.message} {piece.done}/{piece.total}]", file=sys.stderr, flush=True)
        else:
            final = piece
    if final is not None and streamed.strip() and final.answer.startswith(streamed.strip()):
        print(final.answer[len(streamed.strip()):], end="")  # keys added at the end of the streamed text
        streamed = final.answer
    print()
    if final is None:
        return 0
    if final.answer.strip() != streamed.strip():  # a retry or the extractive fallback replaced the stream
        print("\n— revised answer —" if streamed.strip() else "", end="\n" if streamed.strip() else "")
        print(render_answer_text(final))
    else:
        print(render_answer_text(final, streamed=True))
    return _report_error(final)


def _report_error(answer: Any) -> int:
    if answer.error:
        print(f"papertrail: error: {answer.error}", file=sys.stderr)
        return 1
    return 0


def cmd_overview(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.render import answer_markdown

    topic = _checked_text(args.topic, "topic")
    answer = _assistant(settings).ask(f"Write a cited literature overview of {topic}", k=args.k,
                                      filters=filters_from(args))
    markdown = answer_markdown(answer, title=f"Overview: {topic}")
    if args.output:
        args.output.write_text(markdown, encoding="utf-8")
        print(f"wrote {args.output} ({len(answer.citations)} papers cited)")
    else:
        print(markdown)
    return _report_error(answer)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.ui import launch

    launch(settings, host=args.host, port=args.port)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from evals.harness import run_eval

    return run_eval(args.what, settings, limit=args.limit, kind=args.kind, json_path=args.json,
                    questions=args.questions)


def cmd_llm(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.llm_server import LocalServer

    if not settings.uses_local_llm:
        print(f"papertrail uses the endpoint {settings.llm_url}; there is no embedded server to {args.action}.")
        return 0
    server = LocalServer(settings)
    if args.action == "start":
        url = server.ensure_running()
        print(f"llama.cpp server running at {url}")
    elif args.action == "stop":
        print("stopped" if server.stop() else "no embedded server was running")
    else:
        status = server.status()
        print(json.dumps(status, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    sys.exit(main())
