"""Shared fixtures: the seed articles, a deterministic fake embedder, and the real model once per session."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = ROOT / "articles"
SEED_A = "000_9ce664b5036eb0e2.txt"
SEED_B = "002_e9f348a9965b8b8e.txt"


class FakeEmbedder:
    """sha256-seeded unit vectors: deterministic, instant, and equal for equal texts."""

    name = "fake"
    dim = 384
    weights = "fake-weights"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        self.calls.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[i] = v / np.linalg.norm(v)
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    """A private copy of the seed articles, free to edit."""
    folder = tmp_path / "articles"
    shutil.copytree(ARTICLES, folder)
    return folder


@pytest.fixture(scope="session")
def real_embedder():
    from qa.embedding import default_embedder

    return default_embedder()


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory, real_embedder) -> Path:
    """The seed articles indexed with the real model, once per session."""
    import qa

    index = tmp_path_factory.mktemp("seed") / "index"
    qa.build_index(ARTICLES, index, embedder=real_embedder)
    return index


@pytest.fixture(scope="session")
def seed_engine(seed_index, real_embedder):
    import qa
    from qa.engine import Engine

    return Engine.load(seed_index, embedder=real_embedder)


def read_text(path: Path) -> str:
    """The article's text exactly as CONTRACT.md defines it."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        return f.read()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(seed_engine):
    from qa import web

    port = free_port()
    demo = web.launch(seed_engine, host="127.0.0.1", port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    demo.close()




CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright (it cannot download a browser here)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it with apt-get install -y chromium")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking",
                                                              "--disable-component-update", "--no-first-run"])
        yield b
        b.close()
