"""Chroma in client/server mode: a real `chroma run` server on a free local port."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant import cli
from assistant.errors import ConfigError, StoreError
from assistant.lexical import index_dir
from assistant.retrieve import Retriever, SearchFilters
from assistant.settings import Settings
from assistant.store import ChromaStore
from ingest.pipeline import ingest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CHROMA = ROOT / ".venv" / "bin" / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChromaServer:
    def __init__(self, path: Path, log: Path):
        if not CHROMA.exists():
            pytest.skip(f"the chroma executable is missing ({CHROMA}); run `make setup`")
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        with open(log, "w") as handle:
            self.process = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=handle, stderr=subprocess.STDOUT)
        self._wait_for_heartbeat(timeout=90)

    def _wait_for_heartbeat(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log.read_text()[-3000:]
                raise AssertionError(f"chroma run exited with {self.process.returncode}:\n{log}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"chroma run gave no heartbeat in {timeout}s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    base = tmp_path_factory.mktemp("chroma-server")
    running = ChromaServer(base / "data", base / "server.log")
    yield running
    running.stop()


def test_ingest_and_search_through_the_server(server: ChromaServer, tmp_path: Path, embedder) -> None:
    home = tmp_path / "home"
    settings = Settings(home=home, chroma_url=server.url)
    store = ChromaStore(settings)
    assert store.location == server.url
    report = ingest([DATA / "papers.jsonl", DATA / "poster_001.txt"], settings, store, embedder)
    assert (report.added, report.total_papers) == (17, 17)  # 5 + 12, one of them title-only
    assert store.paper_count() == 17

    retriever = Retriever(settings, store, embedder)
    hits = retriever.search("HyperAttention long-context attention in near-linear time")
    assert hits[0].paper.title == "HyperAttention: Long-context Attention in Near-Linear Time"
    assert hits[0].dense_rank == 1 and hits[0].passage in store.chunks_of(hits[0].paper.paper_id)
    by_le = retriever.search("optimizers", filters=SearchFilters(author="Q. Le"))
    assert {h.paper.title for h in by_le} == {"Large Language Models as Optimizers",
                                              "Searching for Activation Functions"}

    assert not (home / "chroma").exists()  # nothing embedded locally...
    assert index_dir(home, store.name).is_dir()  # ...but the BM25 index lives in home
    assert (server.path / "chroma.sqlite3").is_file()  # the server persisted the data

    again = ingest([DATA / "papers.jsonl"], settings, ChromaStore(settings), embedder)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)


def test_cli_uses_the_server_from_the_environment(server: ChromaServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("PAPERTRAIL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAPERTRAIL_CHROMA_URL", server.url)
    monkeypatch.setenv("PAPERTRAIL_STORE__COLLECTION_PREFIX", "clitest")
    assert cli.main(["ingest", str(DATA / "papers.jsonl")]) == 0
    assert "index now holds 5 papers" in capsys.readouterr().out

    assert cli.main(["search", "selective state space sequence model", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results[0]["paper_id"] == "u2312.00752"
    assert len(results) == 5

    assert cli.main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["papers"], stats["location"]) == (5, server.url)
    assert stats["index"].startswith("clitest-")


def test_server_data_survives_a_restart(tmp_path: Path, embedder) -> None:
    first = ChromaServer(tmp_path / "data", tmp_path / "first.log")
    try:
        settings = Settings(home=tmp_path / "home", chroma_url=first.url)
        ingest([DATA / "bad" / "broken_rows.jsonl"], settings, ChromaStore(settings), embedder)
    finally:
        first.stop()
    second = ChromaServer(tmp_path / "data", tmp_path / "second.log")
    try:
        settings = Settings(home=tmp_path / "home", chroma_url=second.url)
        store = ChromaStore(settings)
        assert (store.paper_count(), store.chunk_count()) == (2, 2)
        hits = Retriever(settings, store, embedder).search("Kolmogorov-Arnold convolutions")
        assert hits[0].paper.title == "Convolutional Kolmogorov-Arnold Networks"
    finally:
        second.stop()


def test_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError) as raised:
        ChromaStore(Settings(home=tmp_path / "home", chroma_url=url))
    message = str(raised.value)
    assert f"cannot open the Chroma index at {url}" in message
    assert "chroma run --path DIR" in message and "\n" not in message


def test_unreachable_server_is_one_line_in_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("PAPERTRAIL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PAPERTRAIL_CHROMA_URL", f"http://127.0.0.1:{free_port()}")
    assert cli.main(["search", "attention"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("papertrail: error: cannot open the Chroma index at")


def test_malformed_url_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a URL like http://127.0.0.1:8000"):
        ChromaStore(Settings(home=tmp_path / "home", chroma_url="http://"))
