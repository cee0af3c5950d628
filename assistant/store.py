"""Chroma storage of papers and chunk vectors; the only module that imports chromadb.

Two collections share a name derived from what shapes the vectors (embedding model, chunk size, overlap):
``<prefix>-<hash>-chunks`` holds chunk vectors with paper metadata on every chunk; ``<prefix>-<hash>-papers``
holds one record per paper (abstract + metadata + content hash). A paper record is written only after
its chunks, so it doubles as the "done" marker that makes an interrupted ingest resumable.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlparse

import numpy as np

from assistant.errors import ConfigError, StoreError
from assistant.records import Chunk, Paper
from assistant.settings import Settings

log = logging.getLogger(__name__)
_SEARCH_BREADTH = 500  # HNSW ef_search of the chunk collection: candidates examined per query
_GET_PAGE = 5000  # rows per Chroma get(); keeps memory flat on large indexes
_WRITE_PAGE = 4000  # below Chroma's max batch size


@dataclass
class ChunkMatch:
    paper_id: str
    chunk_id: str
    body: str
    similarity: float


def index_fingerprint(settings: Settings) -> str:
    shape = f"{settings.embedding.name}|{settings.chunking.chunk_tokens}|{settings.chunking.overlap_tokens}"
    return hashlib.sha1(shape.encode()).hexdigest()[:10]


def _paper_metadata(paper: Paper, content_hash: str) -> dict[str, Any]:
    return {
        "paper_id": paper.paper_id, "title": paper.title, "authors": json.dumps(paper.authors),
        "date": paper.date or "", "date_raw": paper.date_raw or "", "year": paper.year or 0,
        "url": paper.url or "", "sources": json.dumps(paper.sources), "content_hash": content_hash,
    }


def _paper_from(document: str, meta: dict[str, Any]) -> Paper:
    return Paper(
        paper_id=meta["paper_id"], title=meta["title"], abstract=document, authors=json.loads(meta["authors"]),
        date=meta["date"] or None, date_raw=meta["date_raw"] or None, url=meta["url"] or None,
        sources=json.loads(meta["sources"]),
    )


class ChromaStore:
    def __init__(self, settings: Settings):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        self.settings = settings
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        url = settings.chroma
        try:
            if url:
                parsed = urlparse(url if "://" in url else f"http://{url}")
                if not parsed.hostname:
                    raise ConfigError(f"PAPERTRAIL_CHROMA_URL={url!r} is not a URL like http://127.0.0.1:8000")
                self.client = chromadb.HttpClient(
                    host=parsed.hostname, port=parsed.port or 8000, ssl=parsed.scheme == "https",
                    settings=chroma_settings)
                self.client.heartbeat()
                self.location = url
            else:
                path = Path(settings.home) / "chroma"
                path.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
                self.location = str(path)
        except ConfigError:
            raise
        except Exception as exc:  # chromadb raises many types; all mean "store unusable"
            where = url or str(Path(settings.home) / "chroma")
            hint = ("start it with `chroma run --path DIR --host 127.0.0.1 --port 8000` or unset PAPERTRAIL_CHROMA_URL"
                    if url else "move it aside and run `papertrail ingest --rebuild`")
            raise StoreError(f"cannot open the Chroma index at {where} ({type(exc).__name__}: {exc}); {hint}.") from None
        self.name = f"{settings.store.collection_prefix}-{index_fingerprint(settings)}"
        self._open_collections()

    def _open_collections(self) -> None:
        self._chunks = self.client.get_or_create_collection(
            f"{self.name}-chunks", embedding_function=None, metadata={"hnsw:space": "cosine", **self._shape()})
        # Chroma's default search breadth returned other chunks for the same vector from one process to the next
        # (a list near its threshold then changed between runs); a wide search is repeatable and, at this size, cheap
        if (self._chunks.configuration or {}).get("hnsw", {}).get("ef_search") != _SEARCH_BREADTH:
            self._chunks.modify(configuration={"hnsw": {"ef_search": _SEARCH_BREADTH}})
        self._papers = self.client.get_or_create_collection(
            f"{self.name}-papers", embedding_function=None, metadata=self._shape())

    def _shape(self) -> dict[str, Any]:
        return {"embedding": self.settings.embedding.name, "chunk_tokens": self.settings.chunking.chunk_tokens,
                "overlap_tokens": self.settings.chunking.overlap_tokens}

    # --- reading -----------------------------------------------------------------------------------
    def paper_count(self) -> int:
        return self._papers.count()

    def chunk_count(self) -> int:
        return self._chunks.count()

    def other_indexes(self) -> list[str]:
        """Collections of this prefix built with other settings (a hint when this one is empty)."""
        prefix = self.settings.store.collection_prefix + "-"
        names = [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        return sorted({n.rsplit("-", 1)[0] for n in names if n.startswith(prefix) and not n.startswith(self.name)})

    def paper_hashes(self) -> dict[str, str]:
        hashes: dict[str, str] = {}
        for ids, metas, _ in self._pages(self._papers, include=["metadatas"]):
            hashes.update({i: m["content_hash"] for i, m in zip(ids, metas)})
        return hashes

    def all_papers(self) -> list[Paper]:
        papers: list[Paper] = []
        for _, metas, docs in self._pages(self._papers, include=["metadatas", "documents"]):
            papers.extend(_paper_from(d, m) for d, m in zip(docs, metas))
        return papers

    def get_papers(self, paper_ids: list[str]) -> dict[str, Paper]:
        if not paper_ids:
            return {}
        got = self._papers.get(ids=list(paper_ids), include=["metadatas", "documents"])
        return {i: _paper_from(d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    def chunk_ids_of(self, paper_id: str) -> list[str]:
        return self._chunks.get(where={"paper_id": paper_id}, include=[])["ids"]

    def chunks_of(self, paper_id: str) -> list[str]:
        got = self._chunks.get(where={"paper_id": paper_id}, include=["documents", "metadatas"])
        pairs = sorted(zip(got["metadatas"], got["documents"]), key=lambda pair: pair[0]["index"])
        return [doc for _, doc in pairs]

    def query(self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None) -> list[ChunkMatch]:
        # No count() first: Chroma returns at most the chunks there are (none when empty), and a count costs
        # as much as the query itself (an extra round trip in server mode; see benchmarks/RESULTS.md).
        result = self._chunks.query(query_embeddings=[vector.tolist()], n_results=n, where=where,
                                    include=["metadatas", "documents", "distances"])
        return [
            ChunkMatch(paper_id=m["paper_id"], chunk_id=i, body=d, similarity=1.0 - float(dist))
            for i, m, d, dist in zip(result["ids"][0], result["metadatas"][0], result["documents"][0],
                                     result["distances"][0])
        ]

    def _pages(self, collection: Any, include: list[str]) -> Iterable[tuple[list[str], list[dict], list[str]]]:
        offset = 0
        while True:
            got = collection.get(include=include, limit=_GET_PAGE, offset=offset)
            if not got["ids"]:
                return
            yield got["ids"], got.get("metadatas") or [], got.get("documents") or []
            offset += len(got["ids"])

    # --- writing -----------------------------------------------------------------------------------
    def write_papers(self, items: list[tuple[Paper, list[Chunk], np.ndarray]], replaced: set[str]) -> None:
        """Store chunks first, paper records last: a record only exists once its chunks do.

        Papers in `replaced` had other content before; their old chunks are deleted first so a shorter
        abstract leaves no stale chunk behind. A crash between the steps leaves the old record's hash,
        so the next ingest redoes that paper.
        """
        for paper, _, _ in items:
            if paper.paper_id in replaced:
                self._chunks.delete(where={"paper_id": paper.paper_id})
        ids, vectors, docs, metas = [], [], [], []
        for paper, chunks, matrix in items:
            base = _paper_metadata(paper, "")
            del base["content_hash"]
            for chunk, vector in zip(chunks, matrix):
                ids.append(chunk.chunk_id)
                vectors.append(vector.tolist())
                docs.append(chunk.body)
                metas.append({**base, "index": chunk.index})
        for start in range(0, len(ids), _WRITE_PAGE):
            end = start + _WRITE_PAGE
            self._chunks.upsert(ids=ids[start:end], embeddings=vectors[start:end], documents=docs[start:end],
                                metadatas=metas[start:end])
        for start in range(0, len(items), _WRITE_PAGE):
            batch = items[start:start + _WRITE_PAGE]
            self._papers.upsert(
                ids=[p.paper_id for p, _, _ in batch], embeddings=[[1.0]] * len(batch),
                documents=[p.abstract for p, _, _ in batch],
                metadatas=[_paper_metadata(p, p.content_hash()) for p, _, _ in batch])

    def delete_papers(self, paper_ids: list[str]) -> None:
        for pid in paper_ids:
            self._chunks.delete(where={"paper_id": pid})
        if paper_ids:
            self._papers.delete(ids=paper_ids)

    def drop(self) -> None:
        """Delete both collections (for --rebuild), then recreate them empty."""
        for suffix in ("chunks", "papers"):
            try:
                self.client.delete_collection(f"{self.name}-{suffix}")
            except Exception:  # absent already
                pass
        self._open_collections()
