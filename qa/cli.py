"""The ``qa`` command: parse, call the library, print. Errors are one line, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

DESCRIPTION = """Question answering over a folder of news articles, with exact citations. Offline.

examples:
  qa index build articles            build ./index from ./articles
  qa index update                    embed only new or changed articles
  qa index status                    what is indexed, with which settings
  qa ask "Who founded the White Helmets?"
  qa ask "When was it founded?" --history "Who founded the White Helmets?"
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
    st = isub.add_parser("status", help="what is indexed, with which settings", description="Show what is indexed, with which settings.")
    st.add_argument("--index", type=Path, default=defaults.index_dir, help=f"index folder (default: {defaults.index_dir})")
    st.add_argument("--json", action="store_true", help="print the manifest as JSON")

    ask = sub.add_parser("ask", help="answer one question with citations", description="Answer one question with citations.")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--history", action="append", default=[], metavar="Q",
                     help="an earlier question of the same chat, oldest first (repeatable)")
    ask.add_argument("--index", type=Path, default=None, help=f"index folder (default: {defaults.index_dir}, built from {defaults.articles_dir} if missing)")
    ask.add_argument("--json", action="store_true", help="print every field as JSON")

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
    from qa import store

    m = store.read_manifest(index)
    if as_json:
        print(json.dumps(m, indent=1, ensure_ascii=False))
        return
    c, s = m["counts"], m["settings"]
    print(f"index      {index} ({store.current(index).name})")
    print(f"articles   {m['articles']}: {c['files']} files, {c['chunks']} chunks, {c['skipped']} skipped")
    print(f"built      {m['built_at']} in {m['seconds']:.1f} s")
    print(f"model      {s['model']} (weights sha256 {m['weights_sha256'][:12]}…, {m['dimension']} dims, max {s['model_max_tokens']} tokens)")
    print(f"chunks     {s['chunk_tokens']} {s['tokenizer']} tokens, {s['chunk_overlap']} overlap; schema {s['schema_version']}")
    for path, f in m["files"].items():
        meta = ", ".join(x for x in (f.get("source"), f.get("date"), f.get("title")) if x)
        print(f"  {path}  {f['chunks']} chunks  {meta}")
    for path, reason in m.get("skipped", {}).items():
        print(f"  {path}  skipped: {reason}")


def _ask(args) -> None:
    import qa
    from qa.render import answer_json, answer_terminal

    if args.index is None:
        answer = qa.ask(args.question, history=args.history)
    else:
        answer = qa.load_index(args.index).ask(args.question, history=args.history)
    print(json.dumps(answer_json(answer), indent=1, ensure_ascii=False) if args.json else answer_terminal(answer))


def run(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from qa.errors import QAError

    try:
        if args.command == "index" and args.action in ("build", "update"):
            import qa

            fn = qa.build_index if args.action == "build" else qa.update_index
            _print_summary(fn(args.articles, args.index, progress=not args.quiet and sys.stderr.isatty()))
        elif args.command == "index":
            _status(args.index, args.json)
        elif args.command == "ask":
            _ask(args)
        elif args.command == "eval":
            from qa.evaluation import evaluate, format_report

            report = evaluate(args.file, articles=args.articles, index=args.index)
            print(json.dumps(report, indent=1) if args.json else format_report(report))
    except QAError as e:
        print(f"qa: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    return 0


def main() -> None:
    sys.exit(run())
