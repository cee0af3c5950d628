"""Question -> ranked papers: BM25 over papers fused with dense MiniLM similarity over chunks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.embedder import Embedder
from assistant.errors import EmptyStoreError
from assistant.glossary import Glossary
from assistant.lexical import LexicalIndex, index_dir, papers_fingerprint
from assistant.names import paper_has_author
from assistant.query import AuthorIndex, QueryFacts, read_query
from assistant.records import Hit, Paper
from assistant.settings import Settings
from assistant.store import ChromaStore, ChunkMatch

log = logging.getLogger(__name__)
_IN_FILTER_LIMIT = 5000  # above this many allowed papers, filter dense results after the query


@dataclass(frozen=True)
class SearchFilters:
    author: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    source: str | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.author, self.year_from, self.year_to, self.source))

    def accepts(self, paper: Paper) -> bool:
        if self.author and not paper_has_author(self.author, paper.authors):
            return False
        if self.year_from is not None and (paper.year is None or paper.year < self.year_from):
            return False
        if self.year_to is not None and (paper.year is None or paper.year > self.year_to):
            return False
        if self.source and not any(self.source.lower() in s.lower() for s in paper.sources):
            return False
        return True


class Retriever:
    """Loads the paper catalog and BM25 index once; every search is then in-memory BM25 + one Chroma query."""

    def __init__(self, settings: Settings, store: ChromaStore, embedder: Embedder):
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.papers: dict[str, Paper] = {p.paper_id: p for p in store.all_papers()}
        if not self.papers:
            others = store.other_indexes()
            raise EmptyStoreError(
                f"An index built with other chunking/embedding settings exists ({', '.join(others)})."
                if others else "")
        self.lexical = self._load_lexical()
        self.papers_of_author: dict[str, list[str]] = {}
        for paper in self.papers.values():
            for name in paper.authors:
                self.papers_of_author.setdefault(name, []).append(paper.paper_id)
        self.authors = AuthorIndex(set(self.papers_of_author))
        self.glossary = Glossary(self.papers)

    def _load_lexical(self) -> LexicalIndex:
        fingerprint = papers_fingerprint({pid: p.content_hash() for pid, p in self.papers.items()})
        directory: Path = index_dir(self.settings.home, self.store.name)
        index = LexicalIndex.load(directory)
        if index is None or index.fingerprint != fingerprint:
            log.info("BM25 index out of step with the store; rebuilding")
            index = LexicalIndex.build(list(self.papers.values()), fingerprint)
            index.save(directory)
        return index

    # --- public -------------------------------------------------------------------------------------
    def read(self, question: str) -> QueryFacts:
        """Author names and years the question states (see assistant.query)."""
        return read_query(question, self.authors)

    def search(self, query: str, k: int | None = None, filters: SearchFilters | None = None, *,
               read_metadata: bool = True) -> list[Hit]:
        """Ranked papers. Without explicit filters, names and years stated in the query become filters
        (`read_metadata`); papers passing a filter that neither ranking found are appended, so a list of an
        author's papers is complete up to k."""
        k = k or self.settings.retrieval.k
        filters = filters or SearchFilters()
        if read_metadata and not filters.active:
            facts = self.read(query)
            if facts.author or facts.year_from or facts.year_to:
                filters = SearchFilters(author=facts.author, year_from=facts.year_from, year_to=facts.year_to)
                query = facts.topic or query
        allowed = self._allowed(filters)
        if allowed is not None and not allowed:
            return []
        bm25 = self.lexical.search(query, self.settings.retrieval.bm25_candidates, allowed)
        dense = self.dense_search(query, allowed)
        hits = self.fuse(bm25, dense, k)
        if allowed is not None and len(hits) < k:
            found = {h.paper.paper_id for h in hits}
            rest = [p for p in self.papers_by(filters) if p.paper_id not in found]
            hits += [Hit(paper=p, score=0.0) for p in rest[:k - len(hits)]]
        return hits

    def dense_search(self, query: str, allowed: set[str] | None = None) -> list[tuple[str, ChunkMatch]]:
        """Best chunk per paper, best first."""
        vector = self.embedder.embed([query])[0]
        n = self.settings.retrieval.dense_chunks
        where = None
        if allowed is not None and len(allowed) <= _IN_FILTER_LIMIT:
            where = {"paper_id": {"$in": sorted(allowed)}} if len(allowed) > 1 else {"paper_id": next(iter(allowed))}
        matches = self.store.query(np.asarray(vector), n, where)
        best: dict[str, ChunkMatch] = {}
        for match in matches:
            if allowed is not None and match.paper_id not in allowed:
                continue
            if match.paper_id not in best or match.similarity > best[match.paper_id].similarity:
                best[match.paper_id] = match
        return sorted(best.items(), key=lambda item: -item[1].similarity)

    def fuse(self, bm25: list[tuple[str, float]], dense: list[tuple[str, ChunkMatch]], k: int) -> list[Hit]:
        """Weighted reciprocal-rank fusion of the two rankings."""
        cfg = self.settings.retrieval
        scores: dict[str, float] = {}
        bm25_rank = {pid: rank for rank, (pid, _) in enumerate(bm25, start=1)}
        dense_rank = {pid: rank for rank, (pid, _) in enumerate(dense, start=1)}
        for pid, rank in bm25_rank.items():
            scores[pid] = scores.get(pid, 0.0) + cfg.bm25_weight / (cfg.rrf_k + rank)
        for pid, rank in dense_rank.items():
            scores[pid] = scores.get(pid, 0.0) + cfg.dense_weight / (cfg.rrf_k + rank)
        dense_by_id = dict(dense)
        bm25_score = dict(bm25)
        ranked = sorted(scores.items(), key=lambda item: -item[1])[:k]
        return [
            Hit(paper=self.papers[pid], score=score, bm25_rank=bm25_rank.get(pid),
                bm25_score=bm25_score.get(pid), dense_rank=dense_rank.get(pid),
                dense_similarity=dense_by_id[pid].similarity if pid in dense_by_id else None,
                passage=dense_by_id[pid].body if pid in dense_by_id else None)
            for pid, score in ranked if pid in self.papers
        ]

    def _allowed(self, filters: SearchFilters) -> set[str] | None:
        if not filters.active:
            return None
        return {p.paper_id for p in self._filter_pool(filters) if filters.accepts(p)}

    def _filter_pool(self, filters: SearchFilters) -> list[Paper]:
        """Papers that can pass the filters: with an author, only that author's papers (found through the
        author index, so a filter does not scan 100k papers with the fuzzy name matcher)."""
        if not filters.author:
            return list(self.papers.values())
        ids = {pid for name in self.authors.matching(filters.author) for pid in self.papers_of_author.get(name, ())}
        return [self.papers[pid] for pid in ids]

    def papers_by(self, filters: SearchFilters) -> list[Paper]:
        """Every paper passing the filters (exact metadata), newest first."""
        return sorted((p for p in self._filter_pool(filters) if filters.accepts(p)),
                      key=lambda p: (p.date or "", p.title), reverse=True)
