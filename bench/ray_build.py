"""The build on Ray against the local build, as a user runs them: `qa index build` in a fresh process.

Each round runs, one after the other (interleaved, so load shifts hit all alike): the local build,
then `--ray` (a local Ray cluster started for the build and stopped after) with 1 and with 2
workers. Reported: wall-clock seconds per round, the best round's ratio to the local build, and
sentences embedded per second of the build itself (the summary line's time).

    python bench/ray_build.py --articles ../shared/eval/covidqa/articles --first 25 --rounds 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_SUMMARY = re.compile(r"indexed (\d+) files, (\d+) chunks \((\d+) sentences embedded.* in ([\d.]+) s")


def _build(articles: Path, index: Path, extra: list[str]) -> dict:
    shutil.rmtree(index, ignore_errors=True)
    cmd = [str(Path(sys.executable).with_name("qa")), "index", "build", str(articles), "--index", str(index), "--quiet", *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    wall = time.perf_counter() - t0
    m = _SUMMARY.search(out)
    if not m:
        raise SystemExit(f"unexpected output of {' '.join(cmd)}: {out!r}")
    return {"wall_s": round(wall, 2), "build_s": float(m.group(4)), "chunks": int(m.group(2)),
            "sentences": int(m.group(3))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=Path, required=True)
    ap.add_argument("--first", type=int, default=25, help="the first N articles of the folder (default 25)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    corpus = work / "articles"
    corpus.mkdir()
    for f in sorted(args.articles.glob("*.txt"))[: args.first]:
        shutil.copy(f, corpus / f.name)
    variants = {"local build": [], "--ray, 1 worker": ["--ray", "--workers", "1"], "--ray, 2 workers": ["--ray", "--workers", "2"]}
    runs: dict[str, list[dict]] = {k: [] for k in variants}
    for r in range(args.rounds):
        for name, extra in variants.items():
            runs[name].append(_build(corpus, work / "index", extra))
            print(f"round {r + 1} {name}: {runs[name][-1]}  load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)

    best = {k: min(v, key=lambda x: x["wall_s"]) for k, v in runs.items()}
    base = best["local build"]["wall_s"]
    print(f"\n{args.first} articles, {best['local build']['chunks']} chunks, {best['local build']['sentences']} sentences; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs\n")
    print("| build | wall s (each round) | × local (best) | sentences/s (best) |")
    print("|---|---|---|---|")
    for name, rows in runs.items():
        b = best[name]
        print(f"| {name} | {' / '.join(str(x['wall_s']) for x in rows)} | {b['wall_s'] / base:.2f} | "
              f"{b['sentences'] / b['build_s']:.0f} |")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "first": args.first}, indent=1))


if __name__ == "__main__":
    main()
