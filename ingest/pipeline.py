"""Ingest: parse files, merge duplicates, chunk, embed, store, refresh the BM25 index.

Idempotent (a paper whose content hash is already stored is skipped) and resumable (paper records are
written after their chunks, so a killed run redoes exactly the papers it had not finished).
"""

from __future__ import annotations

import fcntl
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from assistant.embedder import Embedder
from assistant.errors import CorpusError, StoreError
from assistant.lexical import LexicalIndex, index_dir, papers_fingerprint
from assistant.records import Paper
from assistant.settings import Settings
from assistant.store import ChromaStore
from ingest.chunk import chunk_paper
from ingest.parse import ParseReport, parse_file

log = logging.getLogger(__name__)
CORPUS_SUFFIXES = {".txt", ".jsonl", ".ndjson"}
WRITE_BATCH = 64  # papers per embed+write step: a crash loses at most this much work

Progress = Callable[[int, int], None]  # (papers done, papers to do)


@dataclass
class FileReport:
    parse: ParseReport
    duplicates: int = 0


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    distinct: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks_written: int = 0
    seconds: float = 0.0
    total_papers: int = 0

    @property
    def papers_per_second(self) -> float:
        return (self.added + self.updated) / self.seconds if self.seconds else 0.0


def expand_paths(paths: list[Path], report: IngestReport) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in CORPUS_SUFFIXES)
            if not found:
                report.missing.append(f"{path}: folder holds no .txt or .jsonl files")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            report.missing.append(f"{path}: no such file or folder")
    return files


def merge_papers(first: Paper, second: Paper) -> Paper:
    """One record from two sightings: the longer abstract (dumps cut text mid-sentence), the richer
    metadata, every source."""
    return Paper(
        paper_id=first.paper_id,
        title=first.title if len(first.title) >= len(second.title) else second.title,
        abstract=first.abstract if len(first.abstract) >= len(second.abstract) else second.abstract,
        authors=first.authors or second.authors,
        date=first.date or second.date,
        date_raw=first.date_raw or second.date_raw,
        url=first.url or second.url,
        sources=sorted(set(first.sources) | set(second.sources)),
    )


def collect_papers(files: list[Path], report: IngestReport) -> dict[str, Paper]:
    papers: dict[str, Paper] = {}
    for path in files:
        parsed = parse_file(path)
        file_report = FileReport(parsed)
        report.files.append(file_report)
        for paper in parsed.papers:
            if paper.paper_id in papers:
                file_report.duplicates += 1
                papers[paper.paper_id] = merge_papers(papers[paper.paper_id], paper)
            else:
                papers[paper.paper_id] = paper
    return papers


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    Path(settings.home).mkdir(parents=True, exist_ok=True)
    with open(Path(settings.home) / ".ingest.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError("another `papertrail ingest` is running on this index; wait for it to finish.") from None
        yield


def refresh_lexical(settings: Settings, store: ChromaStore) -> LexicalIndex:
    papers = store.all_papers()
    index = LexicalIndex.build(papers, papers_fingerprint({p.paper_id: p.content_hash() for p in papers}))
    index.save(index_dir(settings.home, store.name))
    return index


def ingest(paths: list[Path], settings: Settings, store: ChromaStore, embedder: Embedder, *,
           rebuild: bool = False, progress: Progress | None = None) -> IngestReport:
    report = IngestReport()
    files = expand_paths(paths, report)
    if not files:
        raise CorpusError(", ".join(str(p) for p in paths) or "(no path)",
                          "nothing to ingest: " + ("; ".join(report.missing) or "give a file or folder"))
    with ingest_lock(settings):
        papers = collect_papers(files, report)
        report.distinct = len(papers)
        if rebuild:
            store.drop()
        stored = store.paper_hashes()
        run_sources = {path.name for path in files}
        papers = _keep_other_sources(papers, stored, run_sources, store)
        todo = [p for p in papers.values() if stored.get(p.paper_id) != p.content_hash()]
        report.unchanged = len(papers) - len(todo)
        replaced = {p.paper_id for p in todo if p.paper_id in stored}
        started = time.perf_counter()
        for start in range(0, len(todo), WRITE_BATCH):
            batch = todo[start:start + WRITE_BATCH]
            chunked = [(paper, chunk_paper(paper, settings.chunking)) for paper in batch]
            vectors = embedder.embed([c.text for _, chunks in chunked for c in chunks])
            items, offset = [], 0
            for paper, chunks in chunked:
                items.append((paper, chunks, vectors[offset:offset + len(chunks)]))
                offset += len(chunks)
            store.write_papers(items, replaced & {p.paper_id for p in batch})
            report.chunks_written += offset
            if progress:
                progress(min(start + WRITE_BATCH, len(todo)), len(todo))
        report.seconds = time.perf_counter() - started
        report.updated = len(replaced)
        report.added = len(todo) - len(replaced)
        if todo or not index_dir(settings.home, store.name).exists():
            refresh_lexical(settings, store)
        report.total_papers = store.paper_count()
    return report


def _keep_other_sources(papers: dict[str, Paper], stored: dict[str, str], run_sources: set[str],
                        store: ChromaStore) -> dict[str, Paper]:
    """A paper already stored from files outside this run keeps what those files said (merged in)."""
    overlap = [pid for pid in papers if pid in stored]
    if not overlap:
        return papers
    existing = store.get_papers(overlap)
    merged = dict(papers)
    for pid, old in existing.items():
        if set(old.sources) - run_sources:
            kept = old.model_copy(update={"sources": [s for s in old.sources if s not in run_sources]})
            merged[pid] = merge_papers(kept, papers[pid]) if kept.sources else papers[pid]
    return merged
