"""Export the trained cross-encoder to ONNX (fp32, opset 17, dynamic batch/sequence), quantize it
with ONNX Runtime dynamic int8 (per-channel, QInt8 weights), and check the int8 scores against
the fp32 torch scores on 500 validation pairs (Spearman, max abs diff, top-1 agreement per
question). Writes /work/tmp/reranker/model.int8.onnx + tokenizer files, and export.meta.json.
"""
from __future__ import annotations

import json
import os
import random
import shutil
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from transformers import AutoModelForSequenceClassification, AutoTokenizer  # noqa: E402

WORK = Path("/work/tmp/reranker")
MODEL = WORK / "model"
FP32 = WORK / "model.fp32.onnx"
INT8 = WORK / "model.int8.onnx"
MAX_LEN = 128


def main() -> None:
    torch.set_num_threads(1)
    tok = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModelForSequenceClassification.from_pretrained(MODEL).eval()
    dummy = tok(["a question"], ["a sentence"], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "seq"} for n in names}
    axes["logits"] = {0: "batch"}
    torch.onnx.export(model, (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]), str(FP32),
                      input_names=names, output_names=["logits"], dynamic_axes=axes, opset_version=17,
                      dynamo=False)
    quantize_dynamic(str(FP32), str(INT8), per_channel=True, weight_type=QuantType.QInt8)
    for f in ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json", "config.json"]:
        if (MODEL / f).exists():
            shutil.copy(MODEL / f, WORK / f)

    # 500 validation pairs, whole questions (for top-1 agreement).
    meta = json.loads((WORK / "train.meta.json").read_text())
    val_q = set(meta["val_qids"])
    groups = defaultdict(list)
    for line in (WORK / "pairs.jsonl").open():
        r = json.loads(line)
        if r["qid"] in val_q:
            groups[r["qid"]].append(r)
    qids = sorted(groups)
    random.Random(1).shuffle(qids)
    rows = []
    for q in qids:
        if len(rows) + len(groups[q]) > 500:
            continue
        rows += groups[q]
    rows = rows[:500]

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = {p.name: ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"]) for p in (FP32, INT8)}
    out = {"torch": [], FP32.name: [], INT8.name: []}
    for i in range(0, len(rows), 32):
        b = rows[i:i + 32]
        enc = tok([r["question"] for r in b], [r["sentence"] for r in b], padding=True, truncation="longest_first",
                  max_length=MAX_LEN, return_tensors="np")
        with torch.no_grad():
            out["torch"] += model(**{k: torch.from_numpy(v) for k, v in enc.items()}).logits[:, 0].tolist()
        for name, s in sess.items():
            out[name] += s.run(None, {k: enc[k].astype(np.int64) for k in names})[0][:, 0].tolist()
    ref = np.array(out["torch"])
    res = {"pairs": len(rows), "questions": len({r["qid"] for r in rows})}
    for name in (FP32.name, INT8.name):
        x = np.array(out[name])
        top_agree = 0
        by_q = defaultdict(list)
        for j, r in enumerate(rows):
            by_q[r["qid"]].append(j)
        for idx in by_q.values():
            top_agree += int(np.argmax(ref[idx]) == np.argmax(x[idx]))
        res[name] = {"spearman": round(float(spearmanr(ref, x).statistic), 5),
                     "max_abs_diff": round(float(np.max(np.abs(ref - x))), 5),
                     "mean_abs_diff": round(float(np.mean(np.abs(ref - x))), 5),
                     "top1_agree": f"{top_agree}/{len(by_q)}",
                     "size_mb": round(Path(WORK / name).stat().st_size / 1e6, 2)}
    res["torch_logit_range"] = [round(float(ref.min()), 3), round(float(ref.max()), 3)]
    (WORK / "export.meta.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))
    assert res[INT8.name]["size_mb"] <= 50, "int8 model over 50 MB"


if __name__ == "__main__":
    main()
