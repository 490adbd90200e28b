"""Cold starts and peak memory, as a user meets them, each beside its torch baseline in the same run.

- `qa ask "…" --index I`: wall clock from the command to the printed answer;
- `python app.py --index I`: wall clock from the command to the first answer through the HTTP API
  (`gradio_client`, polled until the app answers);
- `qa index build A --index TMP`: the build's peak resident memory (the child's ru_maxrss) and time.

Each is run with the default backend and with `QA_EMBED_BACKEND=torch`, interleaved, `--rounds`
times; best and all rounds are reported. The ONNX file must already be exported (any earlier build).

    python bench/startup.py --index index --build-articles ../shared/eval/covidqa/articles --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTION = "Who founded the White Helmets?"
BIN = Path(sys.executable).parent


def _env(backend: str) -> dict[str, str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    if backend == "torch":
        env["QA_EMBED_BACKEND"] = "torch"
    else:
        env.pop("QA_EMBED_BACKEND", None)
    return env


def ask_cold(index: Path, backend: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "qa"), "ask", QUESTION, "--index", str(index)], env=_env(backend), check=True,
                   capture_output=True)
    return time.perf_counter() - t0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_first_answer(index: Path, backend: str, timeout: float = 180) -> float:
    from gradio_client import Client

    port = _free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(BIN / "python"), "app.py", "--index", str(index), "--port", str(port)],
                            env=_env(backend), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < timeout:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            answer = json.loads(Client(f"http://127.0.0.1:{port}/", verbose=False).predict(QUESTION, [], api_name="/ask"))
            if answer.get("citations"):
                return time.perf_counter() - t0
            raise SystemExit(f"the app answered without citations: {answer}")
        raise SystemExit("the app did not answer in time")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def build_peak(articles: Path, backend: str) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of a full build in a child process."""
    out = Path(tempfile.mkdtemp(prefix="startup-bench-")) / "index"
    t0 = time.perf_counter()
    # A fresh interpreter per build, so ru_maxrss of the waited-for child is this build's alone.
    code = ("import resource, sys, qa; qa.build_index(sys.argv[1], sys.argv[2]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    res = subprocess.run([str(BIN / "python"), "-c", code, str(articles), str(out)], env=_env(backend), check=True,
                         capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    shutil.rmtree(out.parent, ignore_errors=True)
    return seconds, int(res.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True, help="a built index (the seed articles' is enough)")
    ap.add_argument("--build-articles", type=Path, help="articles for the peak-memory build (skipped if absent)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    res: dict[str, dict[str, list]] = {"qa ask cold start (s)": {}, "app start to first answer (s)": {},
                                       "build seconds": {}, "build peak RSS (MB)": {}}
    for r in range(args.rounds):
        for backend in ("default", "torch"):
            res["qa ask cold start (s)"].setdefault(backend, []).append(round(ask_cold(args.index, backend), 2))
            res["app start to first answer (s)"].setdefault(backend, []).append(
                round(app_first_answer(args.index, backend), 2))
            if args.build_articles:
                s, mb = build_peak(args.build_articles, backend)
                res["build seconds"].setdefault(backend, []).append(round(s, 1))
                res["build peak RSS (MB)"].setdefault(backend, []).append(round(mb))
            print(f"round {r + 1} {backend}: { {k: v.get(backend, [None])[-1] for k, v in res.items()} } "
                  f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    print("| figure | default backend (each round) | torch (each round) | best default / best torch |")
    print("|---|---|---|---|")
    for name, by in res.items():
        if by:
            d, t = by["default"], by["torch"]
            print(f"| {name} | {' / '.join(map(str, d))} | {' / '.join(map(str, t))} | {min(d) / min(t):.2f} |")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
