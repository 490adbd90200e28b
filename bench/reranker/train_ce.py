"""Fine-tune a cross-encoder (question and sentence read together, one logit) on the quiz pairs of
DATA.md plus SQuAD's, listwise, from the shipped bi-encoder's weights; measure it on the held-out quiz
questions. Its first run is the reader in qa/models/minilm-reader-qa (put there by ship_ce.py; MODEL.md
and DATA.md have the figures).

    python bench/reranker/train_ce.py --extra /work/tmp/reranker/squad_pairs.jsonl \
        --extra /work/tmp/reranker/squad_dev_pairs.jsonl --budget-min 40 --out /work/tmp/ce/model

The data and the held-out split are train_bi.py's exactly (sentences found in a dev article dropped;
the same 10% of the quiz questions held out), so held-out figures compare with the bi-encoder's. Each
training group is one positive and --negs negatives of its question, scored together: softmax
cross-entropy over the group (the positive is the target). AdamW, linear warmup and decay, gradients
clipped at 1; training stops at the time budget.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup  # noqa: E402

from qa.embedding import model_path  # noqa: E402
from train_bi import load_split  # noqa: E402


def logits(model, tok, pairs: list[tuple[str, str]], max_length: int) -> torch.Tensor:
    enc = tok([q for q, _ in pairs], [s for _, s in pairs], padding=True, truncation="longest_first",
              max_length=max_length, return_tensors="pt")
    return model(**enc).logits[:, 0]


@torch.no_grad()
def held_out(model, tok, by_q: dict[str, dict], qids: list[str], max_length: int) -> tuple[float, float]:
    """Accuracy@1 and MRR of the positives among each question's pairs."""
    model.eval()
    acc = rr = 0.0
    for q in qids:
        v = by_q[q]
        texts = v["pos"] + v["neg"]
        s = torch.cat([logits(model, tok, [(v["q"], t) for t in texts[i:i + 64]], max_length)
                       for i in range(0, len(texts), 64)]).tolist()
        order = sorted(range(len(texts)), key=lambda i: -s[i])
        first = next(r for r, i in enumerate(order) if i < len(v["pos"]))
        acc += first == 0
        rr += 1.0 / (first + 1)
    model.train()
    return acc / len(qids), rr / len(qids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=Path, default=Path("/work/tmp/reranker/pairs.jsonl"))
    ap.add_argument("--extra", type=Path, action="append", default=[], help="more pairs, for training only")
    ap.add_argument("--init", type=Path, default=None, help="weights to start from (default: the shipped bi-encoder's)")
    ap.add_argument("--out", type=Path, default=Path("/work/tmp/ce/model"))
    ap.add_argument("--budget-min", type=float, default=40.0)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--groups", type=int, default=8, help="groups per batch")
    ap.add_argument("--negs", type=int, default=3)
    ap.add_argument("--max-pos", type=int, default=2, help="positives (groups) per question")
    ap.add_argument("--max-length", type=int, default=96)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0, help="for the negatives, the order and torch (the held-out split stays)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(0)
    t0 = time.time()

    by_q, train, val, _ = load_split(args.pairs, args.extra)  # train_bi.py's split, seed 0
    random.seed(args.seed)

    groups = [(by_q[q]["q"], p, random.sample(by_q[q]["neg"], min(args.negs, len(by_q[q]["neg"]))))
              for q in train for p in by_q[q]["pos"][: args.max_pos]]
    groups = [(q, p, (n * args.negs)[: args.negs]) for q, p, n in groups]  # short of negatives: they repeat
    random.shuffle(groups)
    print(f"questions: train {len(train)}, held out {len(val)}; groups {len(groups)}", flush=True)

    init = str(args.init or model_path())
    tok = AutoTokenizer.from_pretrained(init)
    model = AutoModelForSequenceClassification.from_pretrained(init, num_labels=1, dtype=torch.float32)
    before = held_out(model, tok, by_q, val, args.max_length)
    print("held out before: acc@1 %.3f MRR %.3f" % before, flush=True)

    size = args.groups
    steps = len(groups) // size
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = get_linear_schedule_with_warmup(opt, int(0.1 * steps), steps)
    model.train()
    t_train = time.time()
    step, run = 0, 0.0
    budget = args.budget_min * 60
    for i in range(0, steps * size, size):
        if time.time() - t_train > budget:
            break
        batch = groups[i:i + size]
        pairs = [(q, t) for q, p, n in batch for t in (p, *n)]
        z = logits(model, tok, pairs, args.max_length).view(len(batch), 1 + args.negs)
        loss = torch.nn.functional.cross_entropy(z, torch.zeros(len(batch), dtype=torch.long))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step(); opt.zero_grad()
        step += 1
        run += loss.item()
        if step % 25 == 0:
            print(f"step {step}/{steps} loss {run / 25:.4f} {time.time() - t_train:.0f}s", flush=True)
            run = 0.0
    train_s = time.time() - t_train
    after = held_out(model, tok, by_q, val, args.max_length)
    print("held out after: acc@1 %.3f MRR %.3f" % after, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(args.out))
    tok.save_pretrained(str(args.out))
    meta = {"pairs": str(args.pairs), "extra": [str(p) for p in args.extra], "init": init, "train_questions": len(train),
            "held_out_questions": len(val), "groups": len(groups), "steps_planned": steps, "steps": step,
            "groups_seen": step * size, "lr": args.lr, "seed": args.seed, "negs": args.negs, "max_length": args.max_length,
            "train_s": round(train_s), "seconds": round(time.time() - t0),
            "held_out_before": before, "held_out_after": after}
    (args.out / "train.meta.json").write_text(json.dumps(meta, indent=1))
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
