"""The UI's API through gradio_client (/ask, /search, /stats), 5 concurrent chats, and the chat handler's
error messages. Real index, real MiniLM, real SmolLM2 served by llama.cpp."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

gradio_client = pytest.importorskip("gradio_client")


@pytest.fixture(scope="module")
def client(ui_server: str):
    return gradio_client.Client(ui_server, verbose=False)


def test_api_names(client) -> None:
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/ask", "/search", "/stats"} <= set(endpoints)
    # the UI's own events stay private: the API page shows only the three endpoints
    assert set(endpoints) == {"/ask", "/search", "/stats"}


def test_search(client) -> None:
    result = client.predict("linear attention", k=5, api_name="/search")
    assert result["query"] == "linear attention"
    assert len(result["results"]) == 5
    first = result["results"][0]
    assert {"paper_id", "title", "abstract", "authors", "date", "source", "score"} <= set(first)
    assert any("linear" in r["title"].lower() for r in result["results"])


def test_search_filters(client) -> None:
    result = client.predict("attention", k=10, author="Insu Han", api_name="/search")
    titles = [r["title"] for r in result["results"]]
    assert titles and all("HyperAttention" in t for t in titles)


def test_ask_returns_the_cli_json(client) -> None:
    result = client.predict("Summarize the LambdaNetworks paper", api_name="/ask")
    assert {"question", "answer", "citations", "retrieved", "refused"} <= set(result)
    assert result["question"] == "Summarize the LambdaNetworks paper"
    assert result["refused"] is False
    assert result["citations"], result
    assert "LambdaNetworks" in result["citations"][0]["title"]
    assert "[1]" in result["answer"]
    assert {"paper_id", "title", "abstract", "score"} <= set(result["retrieved"][0])


def test_ask_error_is_a_clear_message(client) -> None:
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", api_name="/ask")


def test_stats(client) -> None:
    stats = client.predict(api_name="/stats")
    assert stats["papers"] >= 17
    assert "ui_sample.jsonl" in stats["per_source"]


def test_five_concurrent_chats_complete(ui_server: str) -> None:
    questions = [
        "Summarize the LambdaNetworks paper",
        "Summarize the paper Searching for Activation Functions",
        "What does HyperAttention propose?",
        "Summarize The Devil in Linear Transformer",
        "What is Window Attention is Bugged about?",
    ]

    def chat(question: str) -> tuple[dict, float]:
        started = time.perf_counter()
        result = gradio_client.Client(ui_server, verbose=False).predict(question, api_name="/ask")
        return result, time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(chat, questions, timeout=600))
    wall = time.perf_counter() - started
    assert len(results) == 5
    for question, (result, _) in zip(questions, results):
        assert result["question"] == question
        assert result["answer"].strip()
        assert result["citations"], f"{question!r} got no citations: {result['answer'][:200]}"
    # they ran side by side: the wall time is less than the sum of the single times
    assert wall < sum(seconds for _, seconds in results)


# --- the chat handler's messages, without a browser ---------------------------------------------------

def _run_chat(handlers, question: str) -> str:
    from assistant.ui import _text

    last = None
    for outputs in handlers.respond(question, [], [], {}, "", "", "", "", 8):
        if isinstance(outputs[1], list):
            last = outputs[1]
    assert last and last[-1]["role"] == "assistant"
    return _text(last[-1]["content"])


def test_chat_shows_model_down_as_a_message(ui_settings) -> None:
    from assistant.api import Assistant
    from assistant.ui import build_app

    down = ui_settings.with_overrides(llm_base_url="http://127.0.0.1:9/v1", **{"model.retries": 0})
    app = build_app(Assistant(down))
    text = _run_chat(app.papertrail, "Summarize the LambdaNetworks paper")
    assert text.startswith("**Error:**")
    assert "Traceback" not in text
    assert "model" in text.lower()


def test_chat_shows_empty_index_as_a_message(ui_settings, tmp_path: Path) -> None:
    from assistant.api import Assistant
    from assistant.ui import build_app

    app = build_app(Assistant(ui_settings.with_overrides(home=tmp_path / "empty-home")))
    text = _run_chat(app.papertrail, "Which papers use linear attention?")
    assert text.startswith("**Error:**") and "index is empty" in text
    assert "Traceback" not in text


def test_chat_rejects_bad_filters_with_a_message(ui_assistant) -> None:
    from assistant.ui import _text, build_app

    app = build_app(ui_assistant)
    outputs = list(app.papertrail.respond("linear attention", [], [], {}, "", "2024", "2020", "", 8))
    text = _text(outputs[-1][1][-1]["content"])
    assert "Year from (2024) is after year to (2020)" in text


def test_chat_passes_the_conversation_as_history(ui_assistant) -> None:
    from assistant.ui import build_app

    handlers = build_app(ui_assistant).papertrail
    first = list(handlers.respond("Summarize the LambdaNetworks paper", [], [], {}, "", "", "", "", 8))[-1]
    _, chat, history, sections = first[:4]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[0]["content"] == "Summarize the LambdaNetworks paper"
    assert "[1]" in history[1]["content"] and "References" not in history[1]["content"]
    assert list(sections) == [0]
    second = list(handlers.respond("What problem does it solve?", chat, history, sections, "", "", "", "", 8))[-1]
    assert [m["role"] for m in second[2]] == ["user", "assistant"] * 2
    assert sorted(second[3]) == [0, 1]  # each answer keeps its own sources


def test_download_folder_is_removed_with_the_app() -> None:
    import gc

    from assistant.ui import _App

    handlers = _App(assistant=None)
    folder = handlers.files
    (folder / "papertrail-answer-1.md").write_text("answer", encoding="utf-8")
    del handlers
    gc.collect()
    assert not folder.exists()
