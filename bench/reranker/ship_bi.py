"""Put a model trained by train_bi.py into the package as ``qa/models/all-MiniLM-L6-v2-qa`` (float16
safetensors, tokenizer, sentence-transformers modules; qa.embedding runs it in float32), and check that
the float16 weights give the float32 model's vectors.

    python bench/reranker/ship_bi.py /work/tmp/ft/model_sq

The model card sentence-transformers writes (README.md) is dropped: MODEL.md, beside the weights, says
where they come from. The tokenizer files and sentence_bert_config.json are the official model's (a
limit of 256 WordPiece tokens; train_bi.py trains at 128). Prints the cosine between the float32 and the shipped model's vectors over
sentences of the seed articles.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

from qa.embedding import MODEL_NAME, QA_MODEL, model_path  # noqa: E402
from qa.sentences import split  # noqa: E402

ARTICLES = Path(__file__).resolve().parents[2] / "articles"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "sentence_bert_config.json")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, help="a folder saved by train_bi.py")
    args = ap.parse_args()
    out = model_path(QA_MODEL)
    model = SentenceTransformer(str(args.model), device="cpu", local_files_only=True)
    model.max_seq_length = 256  # as the shipped model runs
    texts = [t[s:e] for p in sorted(ARTICLES.glob("*.txt")) for t in [p.read_text(encoding="utf-8")] for s, e in split(t)]
    ref = model.encode(texts, normalize_embeddings=True)
    record = (out / "MODEL.md").read_text(encoding="utf-8") if (out / "MODEL.md").exists() else None
    if out.exists():
        shutil.rmtree(out)
    model.half().save(str(out))
    if record is not None:  # the hand-written record stays: update its hashes and figures by hand
        (out / "MODEL.md").write_text(record, encoding="utf-8")
    (out / "README.md").unlink(missing_ok=True)
    for name in TOKENIZER_FILES:
        (out / name).unlink(missing_ok=True)
        if (model_path(MODEL_NAME) / name).exists():
            shutil.copyfile(model_path(MODEL_NAME) / name, out / name)
    shipped = SentenceTransformer(str(out), device="cpu", local_files_only=True, model_kwargs={"dtype": torch.float32})
    got = shipped.encode(texts, normalize_embeddings=True)
    cos = np.sum(ref * got, axis=1)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(json.dumps({"out": str(out), "bytes": size, "sentences": len(texts),
                      "cosine_float32_vs_shipped": {"min": float(cos.min()), "mean": float(cos.mean())}}, indent=1))


if __name__ == "__main__":
    main()
