"""How much the int8 cross-encoder gains when it re-ranks the engine's answer candidates, on the three
dev sets, without changing qa/.

  extract: for each question (rows without "history"), the engine's candidates (qa internals, as the
           answer step sees them), top 40 kept with their gold flags (bench/gold.py holds, strict).
  score:   CE logits for the top 40 with the int8 ONNX model (onnxruntime, 2 threads); latency per
           question for the top 20 and the top 40 (tokenization + inference).
  report:  answer@1 of the current order, CE only, and current score + w * CE logit, over the top 20/40;
           w is chosen on seed + COVID only (never on RealTimeQA); oracle@N.

Nothing is trained or tuned on these sets beyond that one blend weight.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
WORK = Path("/work/tmp/reranker")
SETS = {
    "seed": ("/work/idx/seed2", "/work/shared/eval/seed_dev.jsonl"),
    "covid": ("/work/idx/covid2", "/work/shared/eval/covidqa/dev.jsonl"),
    "rtqa": ("/work/idx/rtqa2", "/work/shared/eval/realtimeqa/dev.jsonl"),
}
KEEP = 40
NS = (20, 40)
GRID = [0.0, 0.003, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0]


def extract(name: str) -> None:
    import qa
    from gold import holds
    from qa import answering, questions, retrieval

    index, dev = SETS[name]
    rows = [json.loads(l) for l in open(dev) if l.strip()]
    rows = [r for r in rows if not r.get("history")]
    eng = qa.load_index(index)
    snap = eng.snapshot
    out = []
    t0 = time.time()
    for r in rows:
        q = r["question"]
        found = eng._retrieve(snap, q, None, retrieval.Filters())
        kind = questions.answer_type(q)
        cands = answering.candidates(snap, found, kind)[:KEEP]
        items = []
        for c in cands:
            path = snap.chunks[c.chunk].path
            sent = snap.documents[path].text[c.start:c.end]
            items.append({"path": path, "start": c.start, "end": c.end, "score": float(c.score), "sentence": sent,
                          "gold": bool(holds(r, path, c.start, c.end, sent, strict=True))})
        out.append({"id": r["id"], "question": q, "answerable": bool(r.get("answerable", True)), "cands": items})
    (WORK / f"cands_{name}.json").write_text(json.dumps(out))
    print(f"{name}: {len(out)} questions extracted in {time.time() - t0:.0f}s", flush=True)


def score(name: str, timing_limit: int) -> None:
    import numpy as np
    import onnxruntime as ort
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(WORK)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(WORK / "model.int8.onnx"), opts, providers=["CPUExecutionProvider"])

    def run(q, sents):
        enc = tok([q] * len(sents), sents, padding=True, truncation="longest_first", max_length=128,
                  return_tensors="np")
        feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
        return sess.run(None, feed)[0][:, 0]

    data = json.loads((WORK / f"cands_{name}.json").read_text())
    lat = {n: [] for n in NS}
    for i, row in enumerate(data):
        sents = [" ".join(c["sentence"].split()) for c in row["cands"]]
        if not sents:
            continue
        if i < timing_limit:  # the top-20 pass only for timing
            t = time.perf_counter(); run(row["question"], sents[:20]); lat[20].append(time.perf_counter() - t)
        t = time.perf_counter()
        ce = run(row["question"], sents)
        lat[40].append(time.perf_counter() - t)
        for c, x in zip(row["cands"], ce.tolist()):
            c["ce"] = x
    (WORK / f"cands_{name}.json").write_text(json.dumps(data))
    lat_ms = {str(n): {"questions": len(v), "mean_ms": round(1000 * float(np.mean(v)), 1),
                       "p50_ms": round(1000 * float(np.median(v)), 1), "p95_ms": round(1000 * float(np.percentile(v, 95)), 1)}
              for n, v in lat.items() if v}
    (WORK / f"latency_{name}.json").write_text(json.dumps(lat_ms))
    print(name, lat_ms, flush=True)


def pick(cands, n, key):
    top = cands[:n]
    return max(top, key=key) if top else None


def evaluate(data, n, w=None, ce_only=False):
    hits = total = oracle = 0
    for row in data:
        if not row["answerable"]:
            continue
        total += 1
        top = row["cands"][:n]
        oracle += any(c["gold"] for c in top)
        if not top:
            continue
        if ce_only:
            best = max(top, key=lambda c: c["ce"])
        elif w is None:
            best = top[0]
        else:
            best = max(top, key=lambda c: c["score"] + w * c["ce"])
        hits += best["gold"]
    return hits, oracle, total


def report() -> None:
    data = {s: json.loads((WORK / f"cands_{s}.json").read_text()) for s in SETS}
    res = {"grid": {}, "chosen_w": {}, "table": {}}
    for n in NS:
        sweep = {}
        for w in GRID:
            sweep[w] = {s: evaluate(data[s], n, w)[0] for s in SETS}
        res["grid"][str(n)] = {str(w): v for w, v in sweep.items()}
        # One weight, chosen on seed + COVID only (ties: the smaller weight).
        best_w = max(GRID, key=lambda w: (sweep[w]["seed"] + sweep[w]["covid"], -w))
        res["chosen_w"][str(n)] = best_w
        for s in SETS:
            base, oracle, total = evaluate(data[s], n)
            ce, _, _ = evaluate(data[s], n, ce_only=True)
            bl, _, _ = evaluate(data[s], n, best_w)
            lat = json.loads((WORK / f"latency_{s}.json").read_text()).get(str(n), {})
            res["table"][f"{s}@{n}"] = {"answerable": total, "baseline": base, "ce_only": ce, "blend": bl,
                                        "w": best_w, "oracle": oracle, "latency_mean_ms": lat.get("mean_ms"),
                                        "latency_p95_ms": lat.get("p95_ms")}
    (WORK / "study.json").write_text(json.dumps(res, indent=1))
    print("set@N        n  baseline  CE-only  blend(w)       oracle@N  CE ms/q mean (p95)")
    for k, v in res["table"].items():
        t = v["answerable"]
        f = lambda x: f"{x:3d} {x / t:.3f}"
        print(f"{k:10s} {t:4d}  {f(v['baseline'])}  {f(v['ce_only'])}  {f(v['blend'])} ({v['w']})  {f(v['oracle'])}  "
              f"{v['latency_mean_ms']} ({v['latency_p95_ms']})")
    print("blend grid (answer@1 counts: seed, covid, rtqa):")
    for n, g in res["grid"].items():
        print(f" N={n}: " + "; ".join(f"w={w}: {v['seed']},{v['covid']},{v['rtqa']}" for w, v in g.items()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("stage", choices=["extract", "score", "report", "all"])
    ap.add_argument("--sets", nargs="*", default=list(SETS))
    ap.add_argument("--timing-limit", type=int, default=100, help="questions per set timed for the top-20 pass")
    args = ap.parse_args()
    if args.stage in ("extract", "all"):
        for s in args.sets:
            extract(s)
    if args.stage in ("score", "all"):
        for s in args.sets:
            score(s, args.timing_limit)
    if args.stage in ("report", "all"):
        report()


if __name__ == "__main__":
    main()
