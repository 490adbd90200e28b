"""Fine-tune a cross-encoder (sentence-transformers CrossEncoder, num_labels=1) from the local
all-MiniLM-L6-v2 weights on /work/tmp/reranker/pairs.jsonl (RealTimeQA 2022 + 2024 only).

Holds out ~10% of questions for validation (MRR / accuracy@1 of the positives among each
question's candidates: all its pairs in pairs.jsonl). Measures throughput on a few batches first,
plans the number of steps for the time budget (and stops at the budget regardless), taking per
question up to --pos positives and --neg-per-pos hard negatives each. Plain torch loop over the
CrossEncoder's HF model, BCE-with-logits loss, AdamW with linear warmup/decay; word embeddings frozen.
Saves to --out (default /work/tmp/reranker/model/) and writes the split + figures to train.meta.json there
and in /work/tmp/reranker/. --init continues from an earlier run's model: the validation split is the same
(the question shuffle is seeded), so its figures stay comparable across runs.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402
from sentence_transformers import CrossEncoder  # noqa: E402
from transformers import get_linear_schedule_with_warmup  # noqa: E402

from qa.embedding import model_path  # noqa: E402

WORK = Path("/work/tmp/reranker")


def load_groups(path: Path) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for line in path.open():
        r = json.loads(line)
        groups[r["qid"]].append(r)
    return groups


def batches(rows, size):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def encode(tok, rows, max_length):
    return tok([r["question"] for r in rows], [r["sentence"] for r in rows], padding=True, truncation="longest_first",
               max_length=max_length, return_tensors="pt")


@torch.no_grad()
def score(model, tok, rows, max_length, bs=128):
    model.eval()
    out = []
    for b in batches(rows, bs):
        out += model(**encode(tok, b, max_length)).logits[:, 0].tolist()
    return out


def rank_metrics(groups: dict[str, list[dict]], scores: dict[int, float]) -> dict:
    mrr, acc, n = 0.0, 0, 0
    for rows in groups.values():
        ranked = sorted(rows, key=lambda r: -scores[id(r)])
        first = next(i for i, r in enumerate(ranked) if r["label"] == 1)
        mrr += 1 / (first + 1)
        acc += first == 0
        n += 1
    return {"questions": n, "mrr": round(mrr / n, 4), "acc@1": round(acc / n, 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget-min", type=float, default=22.0, help="wall minutes for the training steps")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pos", type=int, default=2, help="positives per question per epoch")
    ap.add_argument("--neg-per-pos", type=int, default=3, help="negatives per positive per epoch")
    ap.add_argument("--init", type=Path, default=None,
                    help="start from this saved cross-encoder (e.g. an earlier run's model/) instead of MiniLM")
    ap.add_argument("--out", type=Path, default=WORK / "model", help="where the trained model is saved")
    ap.add_argument("--freeze-embeddings", action=argparse.BooleanOptionalAction, default=True,
                    help="freeze the word-embedding matrix (half the weights; saves optimizer time)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = random.Random(0)
    t_start = time.time()

    groups = load_groups(WORK / "pairs.jsonl")
    qids = sorted(groups)
    rng.shuffle(qids)
    n_val = round(len(qids) * 0.10)
    val_q, train_q = qids[:n_val], qids[n_val:]
    val = {q: groups[q] for q in val_q}

    ce = CrossEncoder(str(args.init or model_path()), num_labels=1, max_length=args.max_length)
    model, tok = ce.model, ce.tokenizer
    if args.freeze_embeddings:
        model.base_model.embeddings.word_embeddings.weight.requires_grad_(False)
    # Throughput probe on a few training batches (forward + backward + step, then discarded).
    probe_rows = [r for q in train_q[:40] for r in groups[q]][:7 * args.batch]
    rng.shuffle(probe_rows)
    probe_state = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    lossf = torch.nn.BCEWithLogitsLoss()
    model.train()
    t0 = None
    n_probe = 0
    for i, b in enumerate(batches(probe_rows, args.batch)):
        if i == 1:
            t0 = time.time()
        if i == 6:
            break
        enc = encode(tok, b, args.max_length)
        loss = lossf(model(**enc).logits[:, 0], torch.tensor([float(r["label"]) for r in b]))
        loss.backward(); opt.step(); opt.zero_grad()
        if i >= 1:
            n_probe += len(b)
    pairs_per_s = n_probe / (time.time() - t0)
    model.load_state_dict(probe_state)
    budget_pairs = int(pairs_per_s * args.budget_min * 60 / args.epochs)
    print(f"throughput {pairs_per_s:.1f} pairs/s -> budget {budget_pairs} pairs/epoch", flush=True)

    # Per training question: up to --pos positives and --neg-per-pos negatives each (the hardest first,
    # as data.py wrote them), so that the time budget covers as many questions as possible.
    def take(q):
        rows = groups[q]
        pos = [r for r in rows if r["label"] == 1][: args.pos]
        neg = [r for r in rows if r["label"] == 0]
        hard = neg[: max(1, args.neg_per_pos * len(pos) - 1)]
        rest = neg[len(hard):]
        return pos + hard + rng.sample(rest, min(1, len(rest)))
    budget_s = args.budget_min * 60
    plan = [r for q in train_q for r in take(q)]
    est_pairs = min(len(plan) * args.epochs, int(pairs_per_s * budget_s))
    steps = max(1, est_pairs // args.batch)
    print(f"train questions {len(train_q)}, pairs/epoch {len(plan)}, planned steps {steps}; "
          f"val questions {len(val_q)}", flush=True)

    val_rows = [r for rows in val.values() for r in rows]
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(0.1 * steps), steps)
    t_train = time.time()
    step = 0
    seen_pairs, seen_q = 0, set()
    history = []
    stop = False
    for ep in range(args.epochs):
        rng.shuffle(train_q)
        # Whole questions in order, shuffled pairs within windows of ~8 batches.
        rows = [r for q in train_q for r in take(q)]
        win = args.batch * 8
        for i in range(0, len(rows), win):
            w = rows[i:i + win]; rng.shuffle(w); rows[i:i + win] = w
        model.train()
        run_loss = 0.0
        for b in batches(rows, args.batch):
            if step >= steps or time.time() - t_train > budget_s:
                stop = True
                break
            enc = encode(tok, b, args.max_length)
            loss = lossf(model(**enc).logits[:, 0], torch.tensor([float(r["label"]) for r in b]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step(); opt.zero_grad()
            step += 1
            seen_pairs += len(b)
            seen_q.update(r["qid"] for r in b)
            run_loss += loss.item()
            if step % 25 == 0:
                print(f"step {step}/{steps} loss {run_loss / 25:.4f} {time.time() - t_train:.0f}s", flush=True)
                run_loss = 0.0
        history.append({"epoch": ep + 1, "train_s": round(time.time() - t_train, 1), "steps": step})
        if stop:
            break
    train_rows = []
    train_s = time.time() - t_train

    t_val = time.time()
    s = score(model, tok, val_rows, args.max_length)
    metrics = rank_metrics(val, {id(r): x for r, x in zip(val_rows, s)})
    val_s = time.time() - t_val
    print("validation", metrics, flush=True)

    out = args.out
    ce.save(str(out)) if hasattr(ce, "save") else ce.save_pretrained(str(out))
    meta = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "throughput_pairs_per_s": round(pairs_per_s, 2), "train_questions_available": len(train_q),
            "train_questions_seen": len(seen_q), "train_pairs_seen": seen_pairs, "steps": step,
            "val_questions": len(val_q), "val_pairs": len(val_rows), "val_pos": sum(r["label"] for r in val_rows),
            "val_qids": val_q, "train_s": round(train_s, 1), "val_s": round(val_s, 1),
            "total_s": round(time.time() - t_start, 1), "validation": metrics, "history": history}
    for where in {WORK, out}:  # export.py reads WORK's; a model folder keeps its own
        (where / "train.meta.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps({k: v for k, v in meta.items() if k != "val_qids"}, indent=1))


if __name__ == "__main__":
    main()
