"""Fit the answer step on the dev sets: the sentence scorer's weights and the refusal model.

    python bench/answer_study.py \
        --set ../shared/eval/seed_dev.jsonl --articles ../shared/articles --index /tmp/seed-index \
        --set bench/unanswerable_seed.jsonl --articles ../shared/articles --index /tmp/seed-index \
        --set ../shared/eval/covidqa/dev.jsonl --articles ../shared/eval/covidqa/articles --index /tmp/covid-index \
        --set bench/unanswerable_covidqa.jsonl --articles ../shared/eval/covidqa/articles --index /tmp/covid-index \
        --set ../shared/eval/realtimeqa/dev.jsonl --articles ../shared/eval/realtimeqa/articles --index /tmp/rtqa-index

Retrieves once per question (through the engine's own path: follow-up context, filters none) and
records every candidate sentence's features (qa.answering.FEATURES) with a label: whether the
sentence holds the gold answer (span overlap, or the answer text named and no wrong choice). Then:
1. sentence weights: logistic regression on the candidates of answerable questions (L2), scored
   by top-1 accuracy in 5-fold cross-validation by question, against the current weights;
2. refusal: logistic regression on the best-supported candidate's features and support (its score
   without answering.CHOICE_ONLY), label "answerable",
   with the trade-off curve (false refusals against unanswerable questions refused) per set.
Prints the parameters to put in qa/answering.py and writes them, with the curve, to --out (JSON).
Only features and labels are fitted: no question or answer text reaches qa/.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import qa  # noqa: E402
from gold import holds  # noqa: E402
from qa import answering, questions  # noqa: E402
from qa.answering import DEFAULT, AnswerParams  # noqa: E402


def label(row: dict, path: str, start: int, end: int, text: str) -> bool:
    return holds(row, path, start, end, text, strict=True)


def collect(engine, rows: list[dict], set_name: str) -> list[dict]:
    snap = engine.snapshot
    out = []
    for r in rows:
        question, earlier, filters = engine._inputs(r["question"], r.get("history", []), None, None, None)
        context = engine._context(snap, question, earlier, filters)
        found = engine._retrieve(snap, question, context, filters)
        kind = questions.answer_type(question)
        cands = answering.candidates(snap, found, kind)
        feats = [c.features for c in cands]
        labels = [label(r, snap.chunks[c.chunk].path, c.start, c.end, snap.documents[snap.chunks[c.chunk].path].text[c.start:c.end])
                  for c in cands] if r["answerable"] else [False] * len(cands)
        out.append({"set": set_name, "answerable": bool(r["answerable"]), "kind": kind, "features": feats, "labels": labels})
    return out


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, iters: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias of an L2-regularised logistic regression (Newton's method)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[-1, -1] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(xb @ w, -30, 30)))
        grad = xb.T @ (p - y) + reg @ w
        hess = xb.T @ (xb * (p * (1 - p))[:, None]) + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def top1(data: list[dict], weights: np.ndarray) -> float:
    """Share of answerable questions whose best-scored candidate holds the answer."""
    ok = n = 0
    for d in data:
        if not d["answerable"] or not d["features"]:
            n += d["answerable"]
            continue
        n += 1
        scores = np.asarray(d["features"]) @ weights
        ok += d["labels"][int(np.argmax(scores))]
    return ok / max(n, 1)


def fit_weights(data: list[dict], l2: float) -> np.ndarray:
    """Listwise: maximise, per answerable question, the softmax probability of its right sentences
    among all its candidates (what top-1 needs), from the current weights."""
    from scipy.optimize import minimize
    from scipy.special import logsumexp

    groups = [(np.asarray(d["features"]), np.asarray(d["labels"], dtype=bool)) for d in data
              if d["answerable"] and any(d["labels"]) and not all(d["labels"])]
    scale = 10.0  # scores are ~[0, 1]: a temperature so the softmax can be peaked

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = l2 * float(w @ w), 2 * l2 * w
        for f, pos in groups:
            s = scale * (f @ w)
            p_all = np.exp(s - logsumexp(s))
            p_pos = np.exp(s[pos] - logsumexp(s[pos]))
            total += logsumexp(s) - logsumexp(s[pos])
            grad += scale * (p_all @ f - p_pos @ f[pos])
        return total / len(groups), grad / len(groups)

    res = minimize(loss, np.array(DEFAULT.weights, dtype=float), jac=True, method="L-BFGS-B")
    return res.x


def refusal_rows(data: list[dict], weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    x, y, sets = [], [], []
    for d in data:
        f = np.asarray(d["features"]) if d["features"] else np.zeros((1, len(answering.FEATURES)))
        support = f @ np.asarray(answering.support_weights(tuple(weights)))  # what refusal reads
        best = int(np.argmax(support))
        x.append([*f[best], support[best]])
        y.append(d["answerable"])
        sets.append(d["set"])
    return np.array(x), np.array(y, dtype=float), sets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", type=Path, action="append", required=True)
    ap.add_argument("--articles", type=Path, action="append", required=True)
    ap.add_argument("--index", type=Path, action="append", required=True)
    ap.add_argument("--out", type=Path, default=Path("docs/answer_fit.json"))
    ap.add_argument("--cache", type=Path, default=Path(".cache/answer_features.json"))
    ap.add_argument("--reuse", action="store_true", help="reuse the features of the last run (--cache)")
    args = ap.parse_args()
    if args.reuse and args.cache.exists():
        data = json.loads(args.cache.read_text())
    else:
        data = []
        engines = {}
        for set_, articles, index in zip(args.set, args.articles, args.index):
            engines.setdefault(index, None)
            if engines[index] is None:
                qa.ensure_index(articles, index)
                engines[index] = qa.load_index(index)
            rows = [json.loads(l) for l in set_.read_text(encoding="utf-8").splitlines() if l.strip()]
            print(f"{set_}: {len(rows)} questions…", file=sys.stderr, flush=True)
            data += collect(engines[index], rows, set_.parent.name + "/" + set_.name)
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        args.cache.write_text(json.dumps(data))
    sets = sorted({d["set"] for d in data})

    # 1. Sentence weights, 5-fold cross-validated by question.
    rng = np.random.default_rng(0)
    folds = rng.integers(0, 5, len(data))
    current = np.array(DEFAULT.weights)
    print("\nsentence scorer: top-1 accuracy (answerable questions), 5-fold cross-validation")
    results = {}
    for l2 in (0.0, 0.01, 0.1):
        held = {s: [0, 0] for s in sets}
        for k in range(5):
            w = fit_weights([d for d, f in zip(data, folds) if f != k], l2)
            for s in sets:
                part = [d for d, f in zip(data, folds) if f == k and d["set"] == s and d["answerable"]]
                held[s][0] += top1(part, w) * len(part)
                held[s][1] += len(part)
        results[l2] = {s: round(a / max(n, 1), 3) for s, (a, n) in held.items()}
        print(f"  fitted, l2={l2}: {results[l2]}")
    print(f"  current weights {tuple(current)}: " + str({s: round(top1([d for d in data if d['set'] == s], current), 3) for s in sets}))
    l2 = max(results, key=lambda k: sum(results[k].values()))
    weights = fit_weights(data, l2)
    # Only the ranking matters: scale so the weights sum to 1 in absolute value, for readability.
    weights = weights / np.abs(weights).sum()
    print(f"  chosen l2={l2}, weights over {answering.FEATURES}: {np.round(weights, 4).tolist()}")
    print("  all data: " + str({s: round(top1([d for d in data if d['set'] == s], weights), 3) for s in sets}))

    # 2. Refusal.
    x, y, which = refusal_rows(data, weights)
    coef, bias = logistic(x, y, l2=1.0)
    p = 1 / (1 + np.exp(-(x @ coef + bias)))
    print("\nrefusal: logistic regression on (features of the best sentence, its score)")
    print(f"  coef {np.round(coef, 3).tolist()}, bias {bias:.3f}")
    curve = []
    for t in np.round(np.arange(0.05, 0.96, 0.05), 2):
        row = {"threshold": float(t)}
        for s in sets:
            m = np.array([w == s for w in which])
            ans, una = m & (y == 1), m & (y == 0)
            row[s] = {"false_refusal": round(float((p[ans] < t).mean()), 3) if ans.any() else None,
                      "refused_unanswerable": round(float((p[una] < t).mean()), 3) if una.any() else None}
        row["all"] = {"false_refusal": round(float((p[y == 1] < t).mean()), 3),
                      "refused_unanswerable": round(float((p[y == 0] < t).mean()), 3)}
        curve.append(row)
        print(f"  t={t:.2f}: " + "; ".join(f"{s}: fr {v['false_refusal']} ru {v['refused_unanswerable']}"
                                           for s, v in row.items() if s != "threshold"))
    params = replace(DEFAULT, weights=tuple(round(float(v), 4) for v in weights),
                     refusal_coef=tuple(round(float(v), 4) for v in coef), refusal_bias=round(bias, 4))
    print(f"\n{params}")
    args.out.write_text(json.dumps({"features": [*answering.FEATURES], "l2": l2, "cross_validation": results,
                                    "weights": params.weights, "refusal_coef": params.refusal_coef,
                                    "refusal_bias": params.refusal_bias, "curve": curve,
                                    "questions": {s: sum(d["set"] == s for d in data) for s in sets}}, indent=1))


if __name__ == "__main__":
    main()
