"""Shared fixtures: real settings, a real Chroma index in tmp_path, the real MiniLM embedder.

Nothing of ours is mocked. The expensive pieces are shared: the embedder (loaded once, ~5-15 s) and one
ingest of `tests/data` (`ingested`), which tests must treat as read-only. Tests that change an index
build their own with `ingest_into`, on as few papers as they need.
"""

from __future__ import annotations

import os

# Before anything imports huggingface, chromadb or gradio: no network, no telemetry.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NamedTuple  # noqa: E402

import pytest  # noqa: E402

from assistant.embedder import Embedder, make_embedder  # noqa: E402
from assistant.retrieve import Retriever  # noqa: E402
from assistant.settings import EmbeddingSettings, Settings  # noqa: E402
from assistant.store import ChromaStore  # noqa: E402
from ingest.pipeline import IngestReport, ingest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"  # the fixture corpus (see tests/data/README.md)
CORPUS = ROOT / "data" / "corpus"  # the bundled real corpus
VENV_BIN = ROOT / ".venv" / "bin"


class Ingested(NamedTuple):
    settings: Settings
    store: ChromaStore
    report: IngestReport


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No PAPERTRAIL_*/OPENAI_* variable or user config file leaks in; a bare Settings() lands in tmp."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("PAPERTRAIL_", "OPENAI_")):
                mp.delenv(name)
        mp.setenv("PAPERTRAIL_HOME", str(tmp_path_factory.mktemp("default-home")))
        yield


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2, loaded once for the whole session."""
    return make_embedder(EmbeddingSettings())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def store(settings: Settings) -> ChromaStore:
    return ChromaStore(settings)


@pytest.fixture
def ingest_into(embedder: Embedder) -> Callable[..., IngestReport]:
    """`ingest_into(settings, store, *paths, rebuild=False)`: the real pipeline with the shared embedder."""

    def run(settings: Settings, store: ChromaStore, *paths: Path, rebuild: bool = False) -> IngestReport:
        return ingest(list(paths), settings, store, embedder, rebuild=rebuild)

    return run


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Ingested:
    """The pipeline run once on all of tests/data (good and bad files). Read-only for tests."""
    settings = Settings(home=tmp_path_factory.mktemp("ingested") / "home")
    store = ChromaStore(settings)
    report = ingest([DATA], settings, store, embedder)
    return Ingested(settings, store, report)


@pytest.fixture(scope="session")
def retriever(ingested: Ingested, embedder: Embedder) -> Retriever:
    return Retriever(ingested.settings, ingested.store, embedder)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def cli_env() -> Callable[..., dict[str, str]]:
    """`cli_env(home, **extra)`: environment for `python -m assistant.cli` as a child process."""

    def build(home: Path, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERTRAIL_", "OPENAI_"))}
        env.update({"PAPERTRAIL_HOME": str(home), "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
                    "ANONYMIZED_TELEMETRY": "False", "GRADIO_ANALYTICS_ENABLED": "False",
                    "TOKENIZERS_PARALLELISM": "false", **extra})
        return env

    return build
