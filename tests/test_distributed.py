"""`qa index build --ray` on a real Ray cluster: a head and one worker node started with `ray start`
on 127.0.0.1, no mocks. The index must equal a local build (documents, chunks and ids identical,
vectors within cosine 0.9999) and answer the same; a worker killed mid-build must not matter."""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import qa
from conftest import ARTICLES, ROOT
from qa import store
from qa.engine import Engine
from qa.errors import QAError

pytestmark = [pytest.mark.ray, pytest.mark.slow]

COVID = ROOT.parent / "shared" / "eval" / "covidqa" / "articles"
QUESTIONS = ["Who founded the White Helmets?", "How many White Helmets were evacuated?",
             "What is the incubation period of MERS-CoV?", "Which receptor does the virus bind?"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_bin() -> str:
    return str(Path(sys.executable).with_name("ray"))


def _ours(temp_dir: str) -> set[int]:
    """Processes of the cluster under ``temp_dir``: those naming it, and all their descendants."""
    parents: dict[int, int] = {}
    roots: set[int] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        parents[int(proc.name)] = ppid
        if temp_dir in cmdline:
            roots.add(int(proc.name))
    ours = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in ours and pid not in ours:
                ours.add(pid)
                grew = True
    return ours


def _stop(temp_dir: str) -> None:
    """Stop this test's cluster only (`ray stop` would stop every Ray cluster of the machine)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _ours(temp_dir):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.time() + 10
        while _ours(temp_dir) and time.time() < deadline:
            time.sleep(0.2)


def _nodes(address: str, env: dict[str, str]) -> int:
    out = subprocess.run([_ray_bin(), "status", "--address", address], env=env, capture_output=True, text=True,
                         timeout=60).stdout
    active = out.split("Active:", 1)[-1].split("Pending:", 1)[0]
    return sum(1 for line in active.splitlines() if "node_" in line)


@pytest.fixture(scope="module")
def ray_cluster():
    """A head and one worker node, one CPU each, on 127.0.0.1; the address. Stopped at the end."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip("Ray is not installed: pip install -e '.[ray]'")
    assert "ray" not in sys.modules, "Ray reads its authentication settings when imported: import it after this fixture"
    temp_dir = tempfile.mkdtemp(prefix="qa-ray-", dir="/tmp")  # short: Ray's socket paths have a length limit
    token = Path(temp_dir) / "token"
    token.write_text(secrets.token_hex(32))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token), "RAY_USAGE_STATS_ENABLED": "0"}
    address = f"127.0.0.1:{_free_port()}"
    try:
        subprocess.run([_ray_bin(), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={address.split(':')[1]}",
                        "--num-cpus=1", "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp_dir}"],
                       env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([_ray_bin(), "start", f"--address={address}", "--node-ip-address=127.0.0.1", "--num-cpus=1"],
                       env=env, check=True, capture_output=True, timeout=120)
        deadline = time.time() + 60
        while _nodes(address, env) < 2:
            assert time.time() < deadline, "the worker node did not join the cluster"
            time.sleep(1)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("RAY_AUTH_MODE", "token")
            mp.setenv("RAY_AUTH_TOKEN_PATH", str(token))
            yield address
    finally:
        _stop(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The seed articles and the first 25 COVID-QA articles."""
    if not COVID.is_dir():
        pytest.skip(f"{COVID} is missing (../shared beside the clone)")
    folder = tmp_path_factory.mktemp("ray-corpus")
    for f in ARTICLES.iterdir():
        shutil.copy(f, folder / f.name)
    for f in sorted(COVID.glob("*.txt"))[:25]:
        shutil.copy(f, folder / f.name)
    return folder


@pytest.fixture(scope="module")
def local_index(corpus, tmp_path_factory, real_embedder) -> Path:
    index = tmp_path_factory.mktemp("local") / "index"
    qa.build_index(corpus, index, embedder=real_embedder)
    return index


def _same_index(a: Path, b: Path) -> None:
    ga, gb = store.read(a), store.read(b)
    assert ga.documents == gb.documents
    assert ga.chunks == gb.chunks  # ids, paths, spans, sentence spans, text
    assert ga.vectors.shape == gb.vectors.shape
    cosines = (ga.vectors * gb.vectors).sum(axis=1)
    assert float(cosines.min()) >= 0.9999
    for key in ("settings", "weights_sha256", "dimension", "files", "counts", "skipped"):
        assert ga.manifest[key] == gb.manifest[key], key


def _answers(index: Path, embedder) -> list[list[tuple[str, int, int]]]:
    engine = Engine.load(index, embedder=embedder)
    return [[(c.path, c.start, c.end) for c in engine.ask(q).citations] for q in QUESTIONS]


def test_build_on_a_ray_cluster_equals_the_local_build_and_answers_the_same(ray_cluster, corpus, local_index,
                                                                           tmp_path, real_embedder):
    index = tmp_path / "index"
    summary = qa.build_index(corpus, index, ray=ray_cluster)
    assert summary.files == 27 and summary.chunks == len(store.read(local_index).chunks)
    _same_index(local_index, index)
    manifest = store.read_manifest(index)
    assert manifest["cluster"] == {"address": ray_cluster, "workers": 2}
    assert manifest["embedding_backend"] == "onnxruntime-fp32"
    assert _answers(index, real_embedder) == _answers(local_index, real_embedder)

    # An update through the cluster embeds only the new article's sentences.
    extra = corpus.parent / "extra"
    shutil.copytree(corpus, extra)
    (extra / "new.txt").write_text("The White Helmets opened a new office in Idlib in 2019. It has ten rooms.\n")
    summary = qa.update_index(extra, index, ray=ray_cluster)
    assert (summary.files, summary.unchanged, summary.embedded) == (28, 27, 2)


def _embedding_workers() -> set[int]:
    """The actor processes of stage 2 (Ray titles them by their class)."""
    pids = set()
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cmdline").read_bytes().startswith(b"ray::MapWorker(MapBatches(Embed"):
                pids.add(int(proc.name))
        except OSError:
            continue
    return pids


def test_a_worker_killed_mid_build_is_restarted_and_the_index_is_still_the_local_one(ray_cluster, corpus, local_index,
                                                                                     tmp_path):
    index = tmp_path / "index"
    result: dict[str, object] = {}

    def build() -> None:
        try:
            result["summary"] = qa.build_index(corpus, index, ray=ray_cluster)
        except BaseException as e:  # noqa: BLE001 - reported by the assertion below
            result["error"] = e

    earlier = _embedding_workers()  # an earlier build's, on their way out
    thread = threading.Thread(target=build)
    thread.start()
    deadline = time.time() + 120
    while not (new := _embedding_workers() - earlier):
        assert thread.is_alive() and time.time() < deadline, f"no embedding worker appeared: {result}"
        time.sleep(0.2)
    time.sleep(3)  # the model is loaded and batches are under way
    assert thread.is_alive(), "the build ended before a worker could be killed"
    os.kill(min(new), signal.SIGKILL)
    thread.join(timeout=600)
    assert "error" not in result, result.get("error")
    _same_index(local_index, index)


def test_an_unreachable_cluster_is_one_line_in_seconds_and_the_index_stays(seed_index, tmp_path):
    pytest.importorskip("ray")
    index = tmp_path / "index"
    shutil.copytree(seed_index, index)
    before = store.current(index).name
    t0 = time.perf_counter()
    with pytest.raises(QAError) as e:
        qa.build_index(ARTICLES, index, ray=f"127.0.0.1:{_free_port()}")
    assert time.perf_counter() - t0 < 30
    assert str(e.value).startswith("cannot reach the Ray cluster at 127.0.0.1:") and "\n" not in str(e.value)
    assert store.current(index).name == before


def test_asking_for_more_workers_than_the_cluster_has_is_one_line(ray_cluster, tmp_path):
    with pytest.raises(QAError, match=r"--workers 9: the Ray cluster has 2 CPUs"):
        qa.build_index(ARTICLES, tmp_path / "index", ray=ray_cluster, workers=9)
    assert not store.is_index(tmp_path / "index")
