"""The embedders: settings, the ONNX export cache, ONNX Runtime against sentence-transformers, and a
question path that never imports torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa import embedding, onnx_embedding
from qa.errors import BadInputError, QAError
from qa.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = "ab" * 32


# --- settings ---------------------------------------------------------------------------------------

def test_settings_validate_the_backend():
    with pytest.raises(BadInputError) as e:
        Settings(embed_backend="gpu")
    assert str(e.value) == "embed_backend (QA_EMBED_BACKEND) must be one of 'auto', 'torch', 'onnx', not 'gpu'"
    with pytest.raises(BadInputError) as e:
        Settings(embed_backend="onnx", embed_dtype="bfloat16")
    assert str(e.value) == ("embed_dtype 'bfloat16' needs embed_backend 'torch' or 'auto' "
                            "(the ONNX Runtime backend runs float32)")
    assert Settings(embed_backend="torch", embed_dtype="bfloat16").embed_dtype == "bfloat16"


def test_explicit_arguments_beat_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("QA_EMBED_BACKEND", "torch")
    monkeypatch.setenv("QA_MODEL_CACHE", str(tmp_path / "env-cache"))
    assert Settings().embed_backend == "torch"
    assert Settings().model_cache == tmp_path / "env-cache"
    assert Settings(embed_backend="onnx").embed_backend == "onnx"
    assert Settings(model_cache=str(tmp_path / "mine")).model_cache == tmp_path / "mine"
    monkeypatch.setenv("QA_EMBED_BACKEND", "nonsense")
    assert Settings(embed_backend="auto").embed_backend == "auto"  # the bad variable is never read
    monkeypatch.delenv("QA_EMBED_BACKEND")
    monkeypatch.delenv("QA_MODEL_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert Settings().embed_backend == "auto" and Settings().model_cache == tmp_path / "xdg" / "qa"


# --- the export cache (a fake exporter: fast) ---------------------------------------------------------

class Exporter:
    def __init__(self, payload: bytes = b"onnx-bytes" * 1000, fail: bool = False) -> None:
        self.calls = 0
        self.payload = payload
        self.fail = fail

    def __call__(self, model_dir: Path, out: Path) -> None:
        self.calls += 1
        out.write_bytes(self.payload[: len(self.payload) // 2])
        if self.fail:
            raise RuntimeError("export broke half way")
        out.write_bytes(self.payload)


def test_export_is_cached_atomically_and_reused(tmp_path):
    exporter = Exporter()
    path = onnx_embedding.ensure(tmp_path, tmp_path / "model", WEIGHTS, exporter=exporter)
    assert path == tmp_path / "models" / f"{onnx_embedding.RECIPE}-abababababab.onnx"
    assert path.read_bytes() == exporter.payload
    record = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert record == {"recipe": onnx_embedding.RECIPE, "weights_sha256": WEIGHTS, "size": 10_000,
                      "sha256": "d73b572a5f0360c3ea7d991095a677b0d36946c16b26e656b936c2baaa2aa8d0"}
    assert sorted(p.name for p in path.parent.iterdir()) == [".lock", path.with_suffix(".json").name, path.name]
    assert onnx_embedding.ensure(tmp_path, tmp_path / "model", WEIGHTS, exporter=exporter) == path
    assert exporter.calls == 1  # the second load did not export again
    # Other weights get their own file.
    other = onnx_embedding.ensure(tmp_path, tmp_path / "model", "cd" * 32, exporter=exporter)
    assert other.name == f"{onnx_embedding.RECIPE}-cdcdcdcdcdcd.onnx" and exporter.calls == 2


def test_a_failed_export_leaves_nothing_behind(tmp_path):
    with pytest.raises(RuntimeError):
        onnx_embedding.ensure(tmp_path, tmp_path / "model", WEIGHTS, exporter=Exporter(fail=True))
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [".lock"]


@pytest.mark.parametrize("damage", ["flip", "truncate", "record", "no-record"])
def test_a_damaged_cached_file_is_detected_and_exported_again(tmp_path, damage):
    exporter = Exporter()
    path = onnx_embedding.ensure(tmp_path, tmp_path / "model", WEIGHTS, exporter=exporter)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[5000] ^= 0x01
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[:4096]))
    elif damage == "record":
        path.with_suffix(".json").write_text("{not json", encoding="utf-8")
    else:
        path.with_suffix(".json").unlink()
    assert not onnx_embedding.verified(path, WEIGHTS)
    assert onnx_embedding.ensure(tmp_path, tmp_path / "model", WEIGHTS, exporter=exporter) == path
    assert exporter.calls == 2 and path.read_bytes() == exporter.payload and onnx_embedding.verified(path, WEIGHTS)


def test_batches_are_length_sorted_within_a_token_budget():
    got = onnx_embedding.batches(np.array([5, 3, 9, 1]), token_budget=10, max_batch=2)
    assert [b.tolist() for b in got] == [[2], [0, 1], [3]]


def test_auto_falls_back_to_torch_with_one_line_and_onnx_says_what_to_do(monkeypatch, tmp_path, capsys):
    def broken(*args, **kwargs):
        raise ImportError("No module named 'onnxruntime'\nsecond line")

    class Torch:
        backend = "torch-float32"

        def __init__(self, *, dtype: str, threads: int = 0, name: str = "") -> None:
            self.dtype = dtype

    monkeypatch.setattr(onnx_embedding, "load", broken)
    monkeypatch.setattr(embedding, "MiniLM", Torch)
    got = embedding.load_embedder(Settings(embed_backend="auto", embed_dtype="float32", model_cache=tmp_path / "a"))
    assert isinstance(got, Torch)
    assert capsys.readouterr().err == ("qa: warning: ONNX Runtime embedder unavailable (ImportError: No module "
                                       "named 'onnxruntime'); embedding with torch\n")
    with pytest.raises(QAError) as e:
        embedding.load_embedder(Settings(embed_backend="onnx", model_cache=tmp_path / "b"))
    assert str(e.value) == ("the ONNX Runtime embedder could not be loaded (ImportError: No module named "
                            "'onnxruntime'); pip install onnxruntime onnx, or set embed_backend 'torch'")
    # torch when asked for, and for bfloat16 under "auto", without trying ONNX.
    assert isinstance(embedding.load_embedder(Settings(embed_backend="torch", model_cache=tmp_path / "c")), Torch)
    assert embedding.load_embedder(Settings(embed_dtype="bfloat16", embed_backend="auto",
                                            model_cache=tmp_path / "d")).dtype == "bfloat16"
    assert capsys.readouterr().err == ""


# --- the shipped model ------------------------------------------------------------------------------

def test_the_default_model_is_the_shipped_one_and_matches_its_record():
    folder = embedding.model_path()
    assert Settings().model_name == embedding.QA_MODEL and folder == ROOT / "qa" / "models" / embedding.QA_MODEL
    record = (folder / "MODEL.md").read_text(encoding="utf-8")
    assert f"`model.safetensors` sha256 `{embedding.weights_hash()}`" in record
    assert f"sha256 `{embedding.weights_hash(embedding.MODEL_NAME)}`" in record  # the weights it started from
    assert (folder / "model.safetensors").stat().st_size <= 50_000_000
    official = embedding.model_path(embedding.MODEL_NAME)
    for name in ("tokenizer.json", "vocab.txt", "sentence_bert_config.json"):
        assert (folder / name).read_bytes() == (official / name).read_bytes(), name
    with pytest.raises(QAError, match="no embedding model named 'bert-base-uncased'"):
        embedding.model_path("bert-base-uncased")


@pytest.mark.slow
def test_the_shipped_weights_run_in_float32_and_an_index_of_the_official_ones_is_refused(tmp_path, torch_embedder):
    import torch

    import qa
    from qa.engine import Engine
    from qa.errors import IndexMismatchError

    assert torch_embedder.name == embedding.QA_MODEL
    assert {p.dtype for p in torch_embedder.model.parameters()} == {torch.float32}
    official = Settings(model_name=embedding.MODEL_NAME, embed_backend="torch", embed_dtype="float32")
    qa.build_index(ROOT / "articles", tmp_path / "index", settings=official)
    with pytest.raises(IndexMismatchError, match="model 'sentence-transformers/all-MiniLM-L6-v2' "
                                                 "\\(now 'all-MiniLM-L6-v2-qa'\\).*Rebuild it: qa index build"):
        Engine.load(tmp_path / "index", settings=Settings(embed_backend="torch", embed_dtype="float32"))
    answer = Engine.load(tmp_path / "index", settings=official).ask("Who founded the White Helmets?")
    assert answer.found and "Le Mesurier" in answer.text


# --- the real model: ONNX Runtime against sentence-transformers ------------------------------------

@pytest.fixture(scope="module")
def ort_embedder():
    # The user's cache (or QA_MODEL_CACHE): exported once per machine, checked on every load.
    return embedding.load_embedder(Settings(embed_backend="onnx"))


@pytest.fixture(scope="module")
def torch_embedder():
    return embedding.load_embedder(Settings(embed_backend="torch", embed_dtype="float32"))


def seed_sentences() -> list[str]:
    from qa import documents
    from qa.chunking import chunk_document

    docs = documents.scan(ROOT / "articles", max_bytes=20_000_000).documents
    return [d.text[s:e] for d in docs for c in chunk_document(d, size=200, overlap=40, max_model_tokens=256)
            for s, e in c.sentences]


TRICKY = [
    "",
    "Who founded the White Helmets?",
    "The\u00a0White\u00a0Helmets, 2014\u00a0\u2014 non\u2011breaking spaces and dashes",
    "白盔组织由詹姆斯·勒梅苏里尔创立。中文、日本語のテキスト、한국어",
    "Emoji 🚑🇸🇾👩🏽‍⚕️ and combining marks: café, naïve, Å",
    "word " * 400,  # far more than 256 WordPiece tokens: truncated
    " ".join(f"token{i}" for i in range(300)),
]


@pytest.mark.slow
def test_tokenisation_is_the_same_as_sentence_transformers(ort_embedder, torch_embedder):
    texts = TRICKY + seed_sentences()[:50]
    st = torch_embedder.model.tokenize(texts)
    expected = [ids[mask.bool()].tolist() for ids, mask in zip(st["input_ids"], st["attention_mask"])]
    got = [e.ids for e in ort_embedder.tokenizer.encode_batch(texts)]
    assert got == expected
    assert max(len(x) for x in got) == 256 and sum(len(x) == 256 for x in got) == 2


@pytest.mark.slow
def test_onnx_vectors_agree_with_torch_on_the_seed_articles(ort_embedder, torch_embedder):
    texts = seed_sentences() + TRICKY[1:]
    assert len(texts) > 40
    ours, theirs = ort_embedder.encode(texts), torch_embedder.encode(texts)
    assert ours.dtype == np.float32 and ours.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = (ours * theirs).sum(axis=1)
    assert cos.min() >= 0.9999, (float(cos.min()), texts[int(cos.argmin())])
    # A question alone (batch of one) gets the same vector as inside a batch.
    assert float(ort_embedder.encode([texts[3]])[0] @ ours[3]) >= 0.99999
    assert ort_embedder.backend == "onnxruntime-fp32" and torch_embedder.backend == "torch-float32"
    assert ort_embedder.weights == torch_embedder.weights == embedding.weights_hash(Settings().model_name)


@pytest.mark.slow
def test_asking_with_the_onnx_backend_never_imports_torch(tmp_path, ort_embedder):
    import qa

    qa.build_index(ROOT / "articles", tmp_path / "index", embedder=ort_embedder)
    manifest = json.loads(next((tmp_path / "index").glob("gen-*/manifest.json")).read_text(encoding="utf-8"))
    assert (manifest["embedding_backend"], manifest["embedding_dtype"]) == ("onnxruntime-fp32", "float32")
    script = (
        "import sys\n"
        "from qa import cli\n"
        "from qa.engine import Engine\n"
        "from qa.settings import Settings\n"
        "s = Settings(embed_backend='onnx')\n"
        f"answer = Engine.load({str(tmp_path / 'index')!r}, settings=s).ask('Who founded the White Helmets?')\n"
        "assert answer.found and 'Le Mesurier' in answer.text, answer.text\n"
        f"assert cli.run(['ask', 'Who founded the White Helmets?', '--index', {str(tmp_path / 'index')!r}]) in (0, None)\n"
        "bad = sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)\n"
        "print('heavy:', bad)\n"
    )
    env = {**os.environ, "QA_EMBED_BACKEND": "onnx", "QA_MODEL_CACHE": str(Settings().model_cache)}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "heavy: []"
    assert "Le Mesurier" in run.stdout
