"""How fast can a float32 build be on this CPU at all? An upper bound, measured beside the baseline.

    python bench/ceiling.py [--files 25] [--out docs/ceiling.json]

Issue 13's build figure compares a full build with plain SentenceTransformer.encode (float32, batch 32)
of the same articles' 200-token chunks. Whatever the runtime, an exact float32 forward pass of
all-MiniLM-L6-v2 has to do the model's matrix products: per text of n WordPiece tokens, 6 layers of
2·n·(4·d² + 2·d·f) FLOPs for the projections and feed-forward plus 4·n²·d for attention
(d = 384, f = 1,536). This script, in one run:

1. counts those FLOPs for the texts the build embeds (the chunks' distinct sentences) and for the
   baseline's chunks, from their real token counts;
2. measures this CPU's float32 matrix-product rate at the model's own shapes (numpy's BLAS, every
   core; the best of several tries): the rate no runtime's float32 kernels beat by much;
3. times the baseline on the chunks.

The bound: baseline seconds / (the build's FLOPs at that best rate). A float32 build cannot be faster
than that, even if it did nothing but matrix products at the best measured rate.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from qa import documents  # noqa: E402
from qa.chunking import chunk_document  # noqa: E402
from qa.embedding import MODEL_NAME, model_path  # noqa: E402
from qa.settings import Settings  # noqa: E402
from run import COVID, cpu  # noqa: E402
from scale import load_avg  # noqa: E402

LAYERS, D, FF, MAX_TOKENS = 6, 384, 1536, 256


def forward_flops(n_tokens: np.ndarray) -> float:
    """FLOPs of the encoder's matrix products for texts of these token counts (no padding)."""
    n = n_tokens.astype(np.float64)
    return float(LAYERS * (2 * n * (4 * D * D + 2 * D * FF) + 4 * n * n * D).sum())


def token_counts(texts: list[str]) -> np.ndarray:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.no_padding()  # the file pads and truncates to 128: count each text's own tokens
    tok.no_truncation()
    return np.array([min(MAX_TOKENS, len(e.ids)) for e in tok.encode_batch(texts)])  # [CLS] and [SEP] included


def gemm_rate(*, tries: int = 5) -> dict[str, float]:
    """Best float32 GFLOP/s of the model's products on 2,048 token rows: Q/K/V/output (d × d) and the
    feed-forward (d × f, f × d); and of one large square product."""
    rng = np.random.default_rng(0)
    shapes = {"d x d": (2048, D, D), "d x f": (2048, D, FF), "f x d": (2048, FF, D), "2048^3": (2048, 2048, 2048)}
    out = {}
    for name, (m, k, n) in shapes.items():
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        a @ b
        reps = max(1, int(2e10 / (2 * m * k * n)))
        best = float("inf")
        for _ in range(tries):
            t0 = time.perf_counter()
            for _ in range(reps):
                a @ b
            best = min(best, (time.perf_counter() - t0) / reps)
        out[name] = round(2 * m * k * n / best / 1e9, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=25, help="the first N COVID-QA articles (the issue's build figure)")
    ap.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()
    from sentence_transformers import SentenceTransformer

    s = Settings()
    paths = sorted((COVID / "articles").iterdir())[:args.files]
    docs = [d for d in documents.scan(COVID / "articles", max_bytes=s.max_file_bytes).documents
            if (COVID / "articles" / d.path) in paths]
    chunks = [c for d in docs for c in chunk_document(d, size=s.chunk_tokens, overlap=s.chunk_overlap,
                                                      max_model_tokens=s.model_max_tokens)]
    texts = [c.text for c in chunks]
    by_path = {d.path: d for d in docs}
    sentences = sorted({by_path[c.path].text[a:b] for c in chunks for a, b in c.sentences})
    build_flops = forward_flops(token_counts(sentences))
    chunk_flops = forward_flops(token_counts(texts))
    row: dict = {"cpu": cpu(), "load_before": load_avg(), "files": len(docs), "chunks": len(texts),
                 "sentences": len(sentences), "build_gflop": round(build_flops / 1e9, 1),
                 "baseline_gflop": round(chunk_flops / 1e9, 1)}
    plain = SentenceTransformer(str(model_path(MODEL_NAME)), device="cpu")  # the official weights: the same model, run plainly
    plain.encode(texts[:32], batch_size=32)
    rates, base = [], []
    for _ in range(2):  # interleaved: a load shift hits both
        rates.append(gemm_rate())
        t0 = time.perf_counter()
        plain.encode(texts, batch_size=32, normalize_embeddings=True)
        base.append(time.perf_counter() - t0)
    best_rate = max(max(r[k] for k in ("d x d", "d x f", "f x d")) for r in rates)
    row.update({"gemm_gflops": rates, "best_model_shape_gflops": best_rate, "baseline_s": [round(x, 2) for x in base],
                "baseline_gflops": round(chunk_flops / min(base) / 1e9, 1)})
    floor_s = build_flops / (best_rate * 1e9)
    row["build_embedding_s_at_best_rate"] = round(floor_s, 2)
    row["max_ratio_float32"] = round(min(base) / floor_s, 2)
    row["load_after"] = load_avg()
    print(json.dumps(row, indent=1))
    if args.out:
        args.out.write_text(json.dumps(row, indent=1) + "\n")


if __name__ == "__main__":
    main()
