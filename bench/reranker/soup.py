"""Average two models trained from the same weights, weight by weight (a "model soup"):

    python bench/reranker/soup.py A B OUT W     # OUT = W × A + (1 − W) × B

A and B are folders saved by train_bi.py (or the shipped model); OUT gets A's other files and float32
weights when A's are float32. Session 13's candidate: A = the ``--mine`` run, B = the shipped model,
W = 0.3 (DATA.md).
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from safetensors.torch import load_file, save_file


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    a, b, out, w = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
    shutil.copytree(a, out, dirs_exist_ok=True)
    sa, sb = load_file(a / "model.safetensors"), load_file(b / "model.safetensors")
    if sa.keys() != sb.keys():
        sys.exit("soup.py: the two models' weights differ in names")
    save_file({k: (w * sa[k].float() + (1 - w) * sb[k].float()).to(sa[k].dtype) for k in sa},
              out / "model.safetensors", metadata={"format": "pt"})
    print("saved", out)


if __name__ == "__main__":
    main()
