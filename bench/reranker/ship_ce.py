"""Put a cross-encoder trained by train_ce.py into the package as ``qa/models/minilm-reader-qa``
(float16 safetensors and the official model's tokenizer; qa.reading runs it in float32 on ONNX
Runtime), and check that the shipped reader gives the float32 model's probabilities.

    python bench/reranker/ship_ce.py /work/tmp/ce/model1

MODEL.md, beside the weights, says where they come from; it is kept (update its hash and figures by
hand). Prints the largest difference between the float32 model's and the shipped reader's
probabilities over (question, sentence) pairs of the seed articles.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModelForSequenceClassification, AutoTokenizer  # noqa: E402

from qa import reading  # noqa: E402
from qa.embedding import MODEL_NAME, model_path  # noqa: E402
from qa.sentences import split  # noqa: E402

ARTICLES = Path(__file__).resolve().parents[2] / "articles"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
QUESTIONS = ("How many people are going to be evacuated?", "Who founded the White Helmets?",
             "How much money did the US give the White Helmets?")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path, help="a folder saved by train_ce.py")
    args = ap.parse_args()
    out = reading.model_path()
    model = AutoModelForSequenceClassification.from_pretrained(str(args.model), dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(str(args.model))
    texts = [t[s:e] for p in sorted(ARTICLES.glob("*.txt")) for t in [p.read_text(encoding="utf-8")] for s, e in split(t)]
    pairs = [(q, t) for q in QUESTIONS for t in texts]
    with torch.no_grad():
        enc = tok([q for q, _ in pairs], [t for _, t in pairs], padding=True, truncation="longest_first",
                  max_length=reading.MAX_SEQ_LENGTH, return_tensors="pt")
        ref = torch.sigmoid(model(**enc).logits[:, 0]).numpy()
    record = (out / "MODEL.md").read_text(encoding="utf-8") if (out / "MODEL.md").exists() else None
    if out.exists():
        shutil.rmtree(out)
    model.half().save_pretrained(str(out))
    if record is not None:
        (out / "MODEL.md").write_text(record, encoding="utf-8")
    for name in TOKENIZER_FILES:
        shutil.copyfile(model_path(MODEL_NAME) / name, out / name)
    reading.weights_hash.cache_clear()
    with tempfile.TemporaryDirectory() as cache:
        path = reading.onnx_embedding.ensure(Path(cache), out, reading.weights_hash(), exporter=reading.export,
                                             recipe=reading.RECIPE)
        reader = reading.Reader(path, out / "tokenizer.json", weights=reading.weights_hash())
        got = np.concatenate([reader.score(q, texts) for q in QUESTIONS])
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(json.dumps({"out": str(out), "bytes": size, "pairs": len(pairs), "sha256": reading.weights_hash(),
                      "max_abs_diff_float32_vs_shipped": float(np.abs(ref - got).max()),
                      "top1_agree": int((ref.reshape(len(QUESTIONS), -1).argmax(1) ==
                                         got.reshape(len(QUESTIONS), -1).argmax(1)).sum())}, indent=1))


if __name__ == "__main__":
    main()
