"""ChatClient against a scripted OpenAI-compatible HTTP endpoint on 127.0.0.1 (a real network boundary)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import ConfigError, ModelError, ModelUnavailableError
from assistant.llm import ChatClient
from assistant.settings import Settings

MESSAGES = [{"role": "user", "content": "What is attention?"}]


@dataclass
class Reply:
    """One scripted HTTP reply: a JSON body, raw bytes, or SSE deltas, optionally after a delay."""

    status: int = 200
    body: Any = None
    raw: bytes | None = None
    deltas: list[str] | None = None
    sse_raw: list[str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


def completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "fake",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    return json.dumps({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "fake",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    })


class FakeEndpoint:
    """Serves the scripted replies in order (the last one repeats) and records each request."""

    def __init__(self) -> None:
        self.script: list[Reply] = [Reply(body=completion("ok"))]
        self.requests: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                endpoint.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(self.rfile.read(length))}
                )
                index = min(len(endpoint.requests), len(endpoint.script)) - 1
                try:
                    endpoint.send(self, endpoint.script[index])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        time.sleep(reply.delay_s)
        if reply.deltas is not None or reply.sse_raw is not None:
            events = reply.sse_raw
            if events is None:
                events = [chunk({"role": "assistant"})] + [chunk({"content": d}) for d in reply.deltas or []]
                events += [chunk({}, finish="stop"), "[DONE]"]
            payload = "".join(f"data: {event}\n\n" for event in events).encode()
            content_type = "text/event-stream"
        elif reply.raw is not None:
            payload, content_type = reply.raw, "application/json"
        else:
            payload, content_type = json.dumps(reply.body).encode(), "application/json"
        handler.send_response(reply.status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[FakeEndpoint]:
    fake = FakeEndpoint()
    yield fake
    fake.close()


def client_for(url: str, tmp_path: Path, **model: Any) -> ChatClient:
    model = {"retries": 2, "retry_backoff_s": 0.01, "timeout_s": 5.0, **model}
    return ChatClient(Settings(home=tmp_path, llm_base_url=url, llm_api_key="sk-test", model=model))


def assert_one_line(error: Exception) -> str:
    message = str(error)
    assert message and "\n" not in message
    return message


def test_complete_sends_settings_and_returns_content(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(body=completion("Attention weighs tokens."))]
    client = client_for(endpoint.url, tmp_path, name="my-model", max_tokens=77, temperature=0.3)

    assert client.complete(MESSAGES, stop=["\n\n"]) == "Attention weighs tokens."
    assert client.base_url == endpoint.url and client.model_name == "my-model"
    request = endpoint.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert request["json"]["model"] == "my-model"
    assert request["json"]["messages"] == MESSAGES
    assert (request["json"]["max_tokens"], request["json"]["temperature"]) == (77, 0.3)
    assert request["json"]["stop"] == ["\n\n"]


def test_call_arguments_override_settings(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    client_for(endpoint.url, tmp_path).complete(MESSAGES, max_tokens=5, temperature=0.9)
    sent = endpoint.requests[0]["json"]
    assert (sent["max_tokens"], sent["temperature"]) == (5, 0.9)
    assert "stop" not in sent


def test_rate_limit_twice_then_success_is_retried(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    busy = Reply(status=429, body={"error": {"message": "slow down"}})
    endpoint.script = [busy, busy, Reply(body=completion("finally"))]

    assert client_for(endpoint.url, tmp_path).complete(MESSAGES) == "finally"
    assert len(endpoint.requests) == 3


def test_small_retry_after_is_honoured(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(status=429, body={}, headers={"Retry-After": "0.3"}), Reply(body=completion("ok"))]
    started = time.monotonic()
    assert client_for(endpoint.url, tmp_path).complete(MESSAGES) == "ok"
    assert time.monotonic() - started >= 0.3


def test_large_retry_after_gives_up_at_once(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(status=429, body={"error": {"message": "quota"}}, headers={"Retry-After": "3600"})]
    with pytest.raises(ModelError, match="HTTP 429"):
        client_for(endpoint.url, tmp_path).complete(MESSAGES)
    assert len(endpoint.requests) == 1


def test_server_error_always_ends_in_one_line_model_error(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(status=500, body={"error": {"message": "llama_decode failed\nwith details"}})]
    with pytest.raises(ModelError) as caught:
        client_for(endpoint.url, tmp_path, retries=2).complete(MESSAGES)

    assert not isinstance(caught.value, ModelUnavailableError)
    message = assert_one_line(caught.value)
    assert endpoint.url in message and "HTTP 500" in message and "after 3 attempts" in message
    assert "llama_decode failed with details" in message
    assert len(endpoint.requests) == 3


def test_client_errors_are_not_retried(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(status=400, body={"error": {"message": "context too long"}})]
    with pytest.raises(ModelError, match="HTTP 400.*context too long"):
        client_for(endpoint.url, tmp_path).complete(MESSAGES)
    assert len(endpoint.requests) == 1


def test_timeout_is_retried_then_reported(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(body=completion("too late"), delay_s=2.0)]
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError) as caught:
        client_for(endpoint.url, tmp_path, timeout_s=0.2, retries=1).complete(MESSAGES)

    assert time.monotonic() - started < 1.5
    message = assert_one_line(caught.value)
    assert endpoint.url in message and "0.2 s" in message and "papertrail llm start" in message
    assert len(endpoint.requests) == 2


def test_invalid_json_reply_is_a_model_error(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(raw=b"<html>proxy error</html>")]
    with pytest.raises(ModelError, match="malformed reply") as caught:
        client_for(endpoint.url, tmp_path).complete(MESSAGES)
    assert endpoint.url in assert_one_line(caught.value)
    assert len(endpoint.requests) == 1


@pytest.mark.parametrize("body", [{"id": "x"}, {"choices": []}, {"choices": [{"message": {"role": "assistant"}}]}])
def test_reply_without_content_is_a_model_error(endpoint: FakeEndpoint, tmp_path: Path, body: dict) -> None:
    endpoint.script = [Reply(body=body)]
    with pytest.raises(ModelError, match="malformed reply"):
        client_for(endpoint.url, tmp_path).complete(MESSAGES)


def test_connection_refused_names_the_url(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    with pytest.raises(ModelUnavailableError) as caught:
        client_for(dead_url, tmp_path, retries=1).complete(MESSAGES)
    message = assert_one_line(caught.value)
    assert dead_url in message and "papertrail llm start" in message and "PAPERTRAIL_LLM_BASE_URL" in message


def test_stream_yields_text_deltas(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(deltas=["Atten", "tion", " weighs", " tokens."])]
    deltas = list(client_for(endpoint.url, tmp_path).stream(MESSAGES, max_tokens=10))
    assert deltas == ["Atten", "tion", " weighs", " tokens."]
    assert endpoint.requests[0]["json"]["stream"] is True


def test_stream_retries_opening(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(status=503, body={}), Reply(deltas=["a", "b"])]
    assert "".join(client_for(endpoint.url, tmp_path).stream(MESSAGES)) == "ab"
    assert len(endpoint.requests) == 2


def test_stream_with_garbage_event_is_a_model_error(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(sse_raw=[chunk({"content": "a"}), "{not json", "[DONE]"])]
    with pytest.raises(ModelError, match="malformed reply"):
        list(client_for(endpoint.url, tmp_path).stream(MESSAGES))


def test_stream_without_choices_is_a_model_error(endpoint: FakeEndpoint, tmp_path: Path) -> None:
    endpoint.script = [Reply(sse_raw=[json.dumps({"id": "x"}), "[DONE]"])]
    with pytest.raises(ModelError, match="malformed reply"):
        list(client_for(endpoint.url, tmp_path).stream(MESSAGES))


def test_openai_compatible_provider_needs_a_url(tmp_path: Path) -> None:
    client = ChatClient(Settings(home=tmp_path, model={"provider": "openai_compatible"}))
    with pytest.raises(ConfigError, match="PAPERTRAIL_LLM_BASE_URL"):
        client.complete(MESSAGES)
