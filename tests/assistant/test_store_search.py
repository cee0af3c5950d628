"""The chunk collection searches wide enough that a query gets the same chunks in every process."""

from __future__ import annotations

from pathlib import Path

from assistant.settings import Settings
from assistant.store import ChromaStore


def test_an_index_searches_wide_also_when_it_was_made_with_chromas_default(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    store = ChromaStore(settings)
    assert store._chunks.configuration["hnsw"]["ef_search"] == 500
    store._chunks.modify(configuration={"hnsw": {"ef_search": 100}})  # as an index made before this setting
    assert ChromaStore(settings)._chunks.configuration["hnsw"]["ef_search"] == 500
