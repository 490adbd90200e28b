"""The ``qa`` command: parse, call the library, print. Errors are one line, never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

DESCRIPTION = """Question answering over a folder of news articles, with exact citations. Offline.

examples:
  qa index build articles            build ./index from ./articles
  qa index update                    embed only new or changed articles
  qa index build articles --ray      chunk and embed on a local Ray cluster (--ray ADDRESS: yours)
  qa index status                    what is indexed, with which settings
  qa ask "Who founded the White Helmets?"
  qa ask "When was it founded?" --history "Who founded the White Helmets?"
  qa ask "Who funds them?" --source Sputnik --since 2018-01-01
  qa eval questions.jsonl --articles articles
"""


def _parser() -> argparse.ArgumentParser:
    from qa.settings import Settings

    defaults = Settings()
    p = argparse.ArgumentParser(prog="qa", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = sub.add_parser("index", help="build, update or inspect the index", description="Build, update or inspect the index.")
    isub = index.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in [
        ("build", "full rebuild from the article folder, atomically replacing the old index"),
        ("update", "incremental: embed only new or changed files, drop deleted ones"),
    ]:
        a = isub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        a.add_argument("articles", nargs="?", type=Path, default=defaults.articles_dir,
                       help=f"folder of .txt, .md and .html articles, read recursively (default: {defaults.articles_dir})")
        a.add_argument("--index", type=Path, default=defaults.index_dir, help=f"index folder (default: {defaults.index_dir})")
        a.add_argument("--quiet", action="store_true", help="no progress bar")
        a.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                       help="chunk and embed on a Ray cluster (pip install -e '.[ray]'): alone, a local cluster started "
                            "for this build; 'auto', the one `ray start` runs here; or its address, e.g. 10.0.0.5:6379. "
                            "The index is written here, atomically, as without --ray")
        a.add_argument("--workers", type=int, default=None, metavar="N",
                       help="with --ray: embedding workers, one CPU each (default: every CPU of the cluster)")
    st = isub.add_parser("status", help="what is indexed, with which settings", description="Show what is indexed, with which settings.")
    st.add_argument("--index", type=Path, default=defaults.index_dir, help=f"index folder (default: {defaults.index_dir})")
    st.add_argument("--json", action="store_true", help="print what is indexed as JSON")

    ask = sub.add_parser("ask", help="answer one question with citations", description="Answer one question with citations.")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--history", action="append", default=[], metavar="Q",
                     help="an earlier question of the same chat, oldest first (repeatable)")
    ask.add_argument("--index", type=Path, default=None, help=f"index folder (default: {defaults.index_dir}, built from {defaults.articles_dir} if missing)")
    ask.add_argument("--json", action="store_true", help="print every field as JSON")
    ask.add_argument("--source", action="append", default=[], metavar="OUTLET",
                     help="only articles from this outlet, ignoring case (repeatable)")
    ask.add_argument("--since", metavar="DATE", help="only articles dated on or after DATE (YYYY-MM-DD)")
    ask.add_argument("--until", metavar="DATE", help="only articles dated on or before DATE (YYYY-MM-DD)")

    ev = sub.add_parser("eval", help="retrieval and answer metrics on a question set",
                        description="Score a question set (JSON Lines, see ../shared/eval/README.md): hit@k, MRR@10, answer@1/3, sources, exact, refusals, latency.")
    ev.add_argument("file", type=Path, help="question set, .jsonl")
    ev.add_argument("--articles", type=Path, default=defaults.articles_dir, help=f"the article folder the set refers to (default: {defaults.articles_dir})")
    ev.add_argument("--index", type=Path, default=None, help="index folder (default: a temporary one built from --articles)")
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")
    return p


def _print_summary(s) -> None:
    print(f"indexed {s.files} files, {s.chunks} chunks ({s.embedded} sentences embedded, {s.unchanged} files unchanged, "
          f"{s.removed} removed) in {s.seconds:.1f} s → {s.index_dir}")
    if s.skipped:
        print(f"skipped {len(s.skipped)} files:")
        for path, reason in s.skipped.items():
            print(f"  {path}: {reason}")


def _status(index: Path, as_json: bool) -> None:
    import qa

    info = qa.index_info(index)
    if as_json:
        print(json.dumps(info.to_dict(), indent=1, ensure_ascii=False))
        return
    print(f"index      {info.index_dir} ({info.generation})")
    print(f"articles   {info.articles}: {info.file_count} files, {info.chunk_count} chunks, {len(info.skipped)} skipped")
    print(f"built      {info.built_at} in {info.seconds:.1f} s")
    print(f"model      {info.model} (weights sha256 {info.weights_sha256[:12]}…, {info.dimension} dims, "
          f"max {info.model_max_tokens} tokens, {info.embedding})")
    print(f"chunks     {info.chunk_tokens} {info.tokenizer} tokens, {info.chunk_overlap} overlap; schema {info.schema_version}")
    for f in info.files:
        meta = ", ".join(x for x in (f.source, f.date, f.title) if x)
        print(f"  {f.path}  {f.chunks} chunks  {meta}")
    for path, reason in info.skipped.items():
        print(f"  {path}  skipped: {reason}")


def _ask(args) -> None:
    import qa
    from qa.engine import clean_question
    from qa.render import answer_json, answer_terminal
    from qa.retrieval import Filters

    settings = qa.Settings()
    # Bad input fails before the model or the index loads.
    clean_question(args.question, limit=settings.max_question_chars)
    filters = Filters.make(args.source, args.since, args.until)
    kwargs = {"sources": list(filters.sources) or None, "since": filters.since, "until": filters.until}
    if args.index is None:
        answer = qa.ask(args.question, history=args.history, **kwargs)
    else:
        answer = qa.load_index(args.index, settings=settings).ask(args.question, history=args.history, **kwargs)
    print(json.dumps(answer_json(answer), indent=1, ensure_ascii=False) if args.json else answer_terminal(answer))


def _dispatch(args) -> None:
    if args.command == "index" and args.action in ("build", "update"):
        import qa

        from qa.errors import BadInputError

        if args.workers is not None and args.ray is None:
            raise BadInputError("--workers needs --ray (a local build uses every CPU of this machine)")
        fn = qa.build_index if args.action == "build" else qa.update_index
        _print_summary(fn(args.articles, args.index, progress=not args.quiet and sys.stderr.isatty(),
                          ray=args.ray, workers=args.workers))
    elif args.command == "index":
        _status(args.index, args.json)
    elif args.command == "ask":
        _ask(args)
    elif args.command == "eval":
        from qa.evaluation import evaluate, format_report

        report = evaluate(args.file, articles=args.articles, index=args.index)
        print(json.dumps(report, indent=1) if args.json else format_report(report))


def run(argv: list[str] | None = None) -> int:
    """The command line, in-process: parse ``argv``, act, print; the exit status (errors are one line)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # --help, or a usage error argparse has already printed
        return int(e.code or 0)
    from qa.errors import QAError

    try:
        _dispatch(args)
        sys.stdout.flush()
    except QAError as e:
        print(f"qa: error: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`qa index status --json | head`): not an error worth a traceback.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"qa: error: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    return 0


def main() -> None:
    # The model is loaded from a local folder; this makes sure no library looks for it online.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    sys.exit(run())
