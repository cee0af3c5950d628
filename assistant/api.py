"""The Python API: `Assistant` wires settings, store, embedder, retriever and answer chain together."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from assistant.names import distinct_people
from assistant.records import Answer, Hit
from assistant.retrieve import Retriever, SearchFilters
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.chain import Chain
    from assistant.embedder import Embedder
    from assistant.store import ChromaStore
    from ingest.pipeline import IngestReport, Progress


class Assistant:
    """`Assistant().ask("which papers use linear attention?")` — everything is built lazily on first use."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()

    @cached_property
    def store(self) -> "ChromaStore":
        from assistant.store import ChromaStore

        return ChromaStore(self.settings)

    @cached_property
    def embedder(self) -> "Embedder":
        from assistant.embedder import make_embedder

        return make_embedder(self.settings.embedding)

    @cached_property
    def retriever(self) -> Retriever:
        return Retriever(self.settings, self.store, self.embedder)

    @cached_property
    def chain(self) -> "Chain":
        from assistant.chain import Chain
        from assistant.llm import ChatClient

        return Chain(self.settings, self.retriever, ChatClient(self.settings))

    def ingest(self, paths: list[Path], *, rebuild: bool = False, progress: "Progress | None" = None) -> "IngestReport":
        from ingest.pipeline import ingest

        report = ingest(paths, self.settings, self.store, self.embedder, rebuild=rebuild, progress=progress)
        self.__dict__.pop("retriever", None)  # the catalog changed
        self.__dict__.pop("chain", None)
        return report

    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None) -> list[Hit]:
        return self.retriever.search(query, k, filters)

    def ask(self, question: str, *, history: list[dict[str, str]] | None = None, k: int | None = None,
            filters: SearchFilters | None = None) -> Answer:
        return self.chain.ask(question, history=history, k=k, filters=filters)

    def stream(self, question: str, *, history: list[dict[str, str]] | None = None, k: int | None = None,
               filters: SearchFilters | None = None) -> Iterator[str | Answer]:
        """Yields text pieces as they are generated, then the final `Answer`."""
        return self.chain.stream(question, history=history, k=k, filters=filters)

    def stats(self) -> dict[str, Any]:
        papers = list(self.retriever.papers.values())
        dates = sorted(p.date for p in papers if p.date)
        per_source: dict[str, int] = {}
        for paper in papers:
            for source in paper.sources:
                per_source[source] = per_source.get(source, 0) + 1
        return {
            "papers": len(papers),
            "chunks": self.store.chunk_count(),
            "authors": distinct_people([a for p in papers for a in p.authors]),
            "papers_with_authors": sum(bool(p.authors) for p in papers),
            "papers_with_year": len(dates),
            "date_range": [dates[0], dates[-1]] if dates else None,
            "per_source": dict(sorted(per_source.items())),
            "index": self.store.name,
            "location": self.store.location,
        }
