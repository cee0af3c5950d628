"""Token counting with tiktoken, using the BPE files llama-index-core ships (no download)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import tiktoken

ENCODING = "cl100k_base"


def _point_cache_at_packaged_files() -> None:
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return
    import llama_index.core

    cache = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    _point_cache_at_packaged_files()
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def encode(text: str) -> list[int]:
    return encoding().encode(text, disallowed_special=())


def truncate(text: str, max_tokens: int) -> str:
    ids = encode(text)
    return text if len(ids) <= max_tokens else encoding().decode(ids[:max_tokens])
