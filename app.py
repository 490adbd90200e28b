"""The web chat: python app.py [--index DIR] [--articles DIR] [--host H] [--port P]."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    # Before gradio is imported: no analytics; the model is local, so nothing is looked up online.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from qa.settings import Settings

    defaults = Settings()
    p = argparse.ArgumentParser(description="The web chat over the article index: answers with exact, attributed citations.")
    p.add_argument("--index", default=str(defaults.index_dir), help=f"index folder (default: {defaults.index_dir})")
    p.add_argument("--articles", default=str(defaults.articles_dir),
                   help=f"the article folder: indexed on first start when the index is missing; articles added "
                        f"in the page are saved here (default: {defaults.articles_dir})")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default: 7860)")
    args = p.parse_args(argv)

    import logging

    import qa

    # Our one-line notes (a rejected question, articles added) on stderr; other libraries stay quiet.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("qa")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    try:
        built = qa.ensure_index(args.articles, args.index, progress=True)
        if built:
            print(f"Indexed {built.files} articles, {built.chunks} passages in {built.seconds:.1f} s "
                  f"(first start: there was no index in {args.index}).", file=sys.stderr)
        engine = qa.load_index(args.index)
    except qa.QAError as e:
        print(f"app: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"app: error: {e.strerror or e}" + (f" ({e.filename})" if e.filename else ""), file=sys.stderr)
        return 1
    from qa.web import launch

    print(f"Open http://{args.host}:{args.port} in a browser (Ctrl+C stops).", file=sys.stderr)
    launch(engine, articles=args.articles, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
