"""Chat with the model over the OpenAI-compatible API; the only module that imports `openai`.

The endpoint is settings.llm_url, or the embedded llama.cpp server (started on first use).
Retries are ours (the openai client's own are off) so that settings.model.retries is the whole story;
every failure ends as a one-line ModelUnavailableError (cannot reach) or ModelError (bad answer).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx
import openai

from assistant.errors import ConfigError, ModelError, ModelUnavailableError
from assistant.llm_server import LocalServer
from assistant.settings import Settings

T = TypeVar("T")

MAX_RETRY_AFTER_S = 30.0  # a longer Retry-After is not worth waiting for in an interactive tool
START_HINT = "start it with `papertrail llm start` or fix PAPERTRAIL_LLM_BASE_URL"


class ChatClient:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._base_url: str | None = None
        self._client: openai.OpenAI | None = None

    @property
    def model_name(self) -> str:
        return self.settings.llm_name

    @property
    def base_url(self) -> str:
        """The endpoint URL; for the local provider this starts (or finds) the embedded server."""
        if self._base_url is None:
            if self.settings.llm_url:
                self._base_url = self.settings.llm_url.rstrip("/")
            elif self.settings.uses_local_llm:
                self._base_url = LocalServer(self.settings).ensure_running()
            else:
                raise ConfigError(
                    "model.provider is openai_compatible but no endpoint is set: set PAPERTRAIL_LLM_BASE_URL."
                )
        return self._base_url

    def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> str:
        """The assistant's reply text."""
        params = self._params(messages, max_tokens, temperature, stop)
        reply = self._with_retries(lambda client: client.chat.completions.create(**params))
        try:
            content = reply.choices[0].message.content
        except (AttributeError, IndexError, TypeError):
            content = None
        if not isinstance(content, str):
            raise self._malformed("no choices[0].message.content")
        return content

    def stream(
        self,
        messages: list[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        """Yield the reply as text deltas. Opening the stream is retried; a failure mid-stream is not."""
        params = self._params(messages, max_tokens, temperature, stop)
        chunks = self._with_retries(lambda client: client.chat.completions.create(**params, stream=True))
        saw_choice = False
        try:
            for chunk in chunks:
                choices = getattr(chunk, "choices", None)
                if not choices:
                    continue  # e.g. a trailing usage-only chunk
                saw_choice = True
                text = getattr(getattr(choices[0], "delta", None), "content", None)
                if text:
                    yield text
        except Exception as exc:  # noqa: BLE001 - mapped to our errors or re-raised
            raise self._as_error(exc, attempts=1) from None
        finally:
            chunks.close()
        if not saw_choice:
            raise self._malformed("a stream without any choices")

    # -- internals --------------------------------------------------------------------------

    def _params(
        self, messages: list[dict[str, Any]], max_tokens: int | None, temperature: float | None,
        stop: list[str] | None,
    ) -> dict[str, Any]:
        model = self.settings.model
        params: dict[str, Any] = {
            "model": self.model_name,
            "messages": messages,
            "max_tokens": model.max_tokens if max_tokens is None else max_tokens,
            "temperature": model.temperature if temperature is None else temperature,
        }
        if stop:
            params["stop"] = stop
        return params

    def _openai(self) -> openai.OpenAI:
        if self._client is None:
            self._client = openai.OpenAI(
                base_url=self.base_url, api_key=self.settings.llm_key(),
                timeout=self.settings.model.timeout_s, max_retries=0,
            )
        return self._client

    def _with_retries(self, request: Callable[[openai.OpenAI], T]) -> T:
        """Run request, retrying 429, 5xx, timeouts and connection errors with exponential backoff."""
        attempts = self.settings.model.retries + 1
        for attempt in range(attempts):
            try:
                return request(self._openai())
            except Exception as exc:  # noqa: BLE001 - mapped to our errors or re-raised
                delay = self._retry_delay(exc, attempt)
                if delay is None or attempt == attempts - 1:
                    raise self._as_error(exc, attempts=attempt + 1) from None
                if self._local_server_gone(exc):
                    self._base_url = self._client = None  # the next attempt restarts it
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _local_server_gone(self, exc: Exception) -> bool:
        """The embedded server refused the connection (stopped or crashed since we found it)."""
        return (
            self.settings.uses_local_llm
            and isinstance(exc, openai.APIConnectionError)
            and not isinstance(exc, openai.APITimeoutError)
        )

    def _retry_delay(self, exc: Exception, attempt: int) -> float | None:
        """Seconds to wait before retrying exc, or None when it is not worth retrying."""
        backoff = self.settings.model.retry_backoff_s * 2**attempt
        if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
            return backoff
        if isinstance(exc, openai.APIStatusError) and (exc.status_code == 429 or exc.status_code >= 500):
            retry_after = _retry_after_s(exc.response)
            if retry_after is None:
                return backoff
            return retry_after if retry_after <= MAX_RETRY_AFTER_S else None
        return None

    def _as_error(self, exc: Exception, attempts: int) -> Exception:
        """The one-line papertrail error for an exception from the openai client (others pass through)."""
        url = self._base_url or self.settings.llm_url or "the local server"
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException)):
            return ModelUnavailableError(
                f"no reply from the model endpoint at {url} within {self.settings.model.timeout_s:g} s{tries}: "
                f"{START_HINT}, or raise PAPERTRAIL_MODEL__TIMEOUT_S."
            )
        if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
            return ModelUnavailableError(
                f"cannot reach the model endpoint at {url}{tries} ({_one_line(_root_cause(exc))}): {START_HINT}."
            )
        if isinstance(exc, openai.APIStatusError):
            hint = ""
            if exc.status_code in (401, 403):
                hint = ": check PAPERTRAIL_LLM_API_KEY (or OPENAI_API_KEY)"
            elif exc.status_code == 404:
                hint = f": check the model name ({self.model_name}) and PAPERTRAIL_LLM_BASE_URL"
            return ModelError(
                f"the model endpoint at {url} answered HTTP {exc.status_code}{tries}: "
                f"{_one_line(_status_detail(exc))}{hint}."
            )
        if isinstance(exc, json.JSONDecodeError):
            return self._malformed(f"invalid JSON: {_one_line(str(exc))}")
        if isinstance(exc, (openai.APIResponseValidationError, ValueError)):
            return self._malformed(_one_line(str(exc)))
        if isinstance(exc, openai.APIError):  # e.g. an error event inside a stream
            return ModelError(f"the model endpoint at {url} reported an error: {_one_line(str(exc))}.")
        return exc

    def _malformed(self, what: str) -> ModelError:
        return ModelError(
            f"the endpoint at {self._base_url} returned a malformed reply ({what}): "
            "is it an OpenAI-compatible chat completions endpoint?"
        )


def _retry_after_s(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None  # absent, or an HTTP date: use our own backoff


def _status_detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else body.get("message") or body.get("detail")
        if message:
            return str(message)
    text = exc.response.text.strip()
    return text or exc.response.reason_phrase or "no details"


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return str(exc) or type(exc).__name__


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
