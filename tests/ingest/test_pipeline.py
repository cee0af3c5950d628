"""The ingest pipeline end to end: real parser, splitter, MiniLM and Chroma on disk."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from assistant.errors import CorpusError, StoreError
from assistant.lexical import LexicalIndex, index_dir, papers_fingerprint
from assistant.records import paper_id_for
from assistant.settings import Settings
from assistant.store import ChromaStore
from ingest.chunk import chunk_paper
from ingest.pipeline import IngestReport, collect_papers, expand_paths, ingest_lock

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
PYTHON = ROOT / ".venv" / "bin" / "python"
FIXTURE_DISTINCT = 36  # 40 parsed records in tests/data, 4 of them seen in two files


def expected_chunk_ids(settings: Settings, *paths: Path) -> dict[str, list[str]]:
    """What a clean ingest of `paths` stores: paper id -> its chunk ids."""
    papers = collect_papers(expand_paths(list(paths), IngestReport()), IngestReport())
    return {pid: [c.chunk_id for c in chunk_paper(p, settings.chunking)] for pid, p in papers.items()}


def stored_chunk_ids(store: ChromaStore) -> dict[str, list[str]]:
    return {pid: sorted(store.chunk_ids_of(pid)) for pid in store.paper_hashes()}


# --- the shared ingest of tests/data -----------------------------------------------------------------------

def test_report_counts(ingested) -> None:
    report = ingested.report
    assert (report.distinct, report.added, report.updated, report.unchanged) == (FIXTURE_DISTINCT, FIXTURE_DISTINCT, 0, 0)
    assert report.total_papers == ingested.store.paper_count() == FIXTURE_DISTINCT
    assert report.chunks_written == ingested.store.chunk_count()
    assert report.missing == []


def test_file_reports_duplicates_and_errors(ingested) -> None:
    rows = [(f.parse.file, f.parse.format, len(f.parse.papers), f.duplicates, f.parse.error)
            for f in ingested.report.files]
    assert rows == [
        ("alternating_004.txt", "alternating", 7, 0, None),
        ("binary.txt", "unknown", 0, 0, "binary file (contains NUL bytes); expected UTF-8 text or JSONL"),
        ("broken_rows.jsonl", "jsonl", 2, 0, None),
        ("empty.txt", "unknown", 0, 0, "empty file"),
        ("latin1.txt", "unknown", 0, 0, "not UTF-8 text (bad byte at line 5); re-save the file as UTF-8"),
        ("daily_000.txt", "daily", 5, 0, None),
        ("papers.jsonl", "jsonl", 5, 1, None),  # GLU Variants, also in alternating_004.txt
        ("poster_001.txt", "poster", 12, 1, None),  # One-hot GLM, also in daily_000.txt
        ("trailer_003.txt", "daily_trailer", 9, 2, None),  # Lie Group (poster), LinFusion (daily)
    ]


def test_bad_rows_are_skipped_and_good_rows_of_the_same_file_ingested(ingested) -> None:
    papers = ingested.store.get_papers([paper_id_for("Convolutional Kolmogorov-Arnold Networks"),
                                        paper_id_for("Assessing the Unitary RNN as an End-to-End Compositional "
                                                     "Model of Syntax")])
    assert len(papers) == 2
    assert all(p.sources == ["broken_rows.jsonl"] for p in papers.values())


@pytest.mark.parametrize(("title", "authors", "date", "date_raw", "sources"), [
    ("One-hot Generalized Linear Model for Switching Brain State Discovery",
     ["Chengrui Li", "Soon Ho Kim", "Chris Rodgers", "Hannah Choi", "Anqi Wu"], None, None,
     ["daily_000.txt", "poster_001.txt"]),
    ("LinFusion: 1 GPU, 1 Minute, 16K Image", [], "2024-09-03", "Sep 3, 2024", ["daily_000.txt", "trailer_003.txt"]),
    ("Lie Group Decompositions for Equivariant Neural Networks", ["Mircea Mironenco", "Patrick Forré"], "2023-10-17",
     "Oct 17, 2023", ["poster_001.txt", "trailer_003.txt"]),
    ("GLU Variants Improve Transformer", ["Noam Shazeer"], "2020-02-12", "Feb 12, 2020",
     ["alternating_004.txt", "papers.jsonl"]),
])
def test_duplicates_merge_into_one_record(ingested, title: str, authors: list[str], date: str | None,
                                          date_raw: str | None, sources: list[str]) -> None:
    papers = [p for p in ingested.store.all_papers() if p.title == title]
    assert len(papers) == 1
    paper = papers[0]
    assert (paper.paper_id, paper.authors, paper.date, paper.date_raw, paper.sources) == (
        paper_id_for(title), authors, date, date_raw, sources)


def test_merge_keeps_the_longer_abstract(ingested) -> None:
    """The poster dump has the fuller Lie Group abstract (1651 vs 1599 characters, its "$G$" read as "G")."""
    paper = ingested.store.get_papers([paper_id_for("Lie Group Decompositions for Equivariant Neural Networks")])
    assert len(next(iter(paper.values())).abstract) == 1651


def test_store_holds_exactly_what_a_clean_ingest_gives(ingested) -> None:
    expected = expected_chunk_ids(ingested.settings, DATA)
    assert len(expected) == FIXTURE_DISTINCT
    assert stored_chunk_ids(ingested.store) == {pid: sorted(ids) for pid, ids in expected.items()}
    assert ingested.store.chunk_count() == sum(len(ids) for ids in expected.values())


def test_chunks_of_returns_bodies_in_order(ingested) -> None:
    mamba = ingested.store.get_papers(["u2312.00752"])["u2312.00752"]
    bodies = ingested.store.chunks_of("u2312.00752")
    assert bodies == [c.body for c in chunk_paper(mamba, ingested.settings.chunking)]


def test_bm25_index_on_disk_matches_the_store(ingested) -> None:
    index = LexicalIndex.load(index_dir(ingested.settings.home, ingested.store.name))
    assert index is not None
    hashes = ingested.store.paper_hashes()
    assert sorted(index.paper_ids) == sorted(hashes)
    assert index.fingerprint == papers_fingerprint(hashes)


# --- idempotence ---------------------------------------------------------------------------------------------

def test_reingesting_everything_changes_nothing(ingested, embedder) -> None:
    from ingest.pipeline import ingest

    chunks_before = ingested.store.chunk_count()
    hashes_before = ingested.store.paper_hashes()
    report = ingest([DATA], ingested.settings, ingested.store, embedder)
    assert (report.added, report.updated, report.unchanged, report.chunks_written) == (0, 0, FIXTURE_DISTINCT, 0)
    assert ingested.store.chunk_count() == chunks_before
    assert ingested.store.paper_hashes() == hashes_before


@pytest.mark.parametrize("name", ["poster_001.txt", "trailer_003.txt", "papers.jsonl"])
def test_reingesting_one_file_keeps_what_other_files_said(ingested, embedder, name: str) -> None:
    """A paper merged from two files is unchanged when only one of the files is ingested again."""
    from ingest.pipeline import ingest

    hashes_before = ingested.store.paper_hashes()
    report = ingest([DATA / name], ingested.settings, ingested.store, embedder)
    assert (report.added, report.updated, report.chunks_written) == (0, 0, 0)
    assert ingested.store.paper_hashes() == hashes_before


# --- changes ---------------------------------------------------------------------------------------------

def test_changed_abstract_replaces_its_chunks(tmp_path: Path, settings, store, ingest_into) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "papers.jsonl", corpus / "papers.jsonl")
    first = ingest_into(settings, store, corpus)
    assert (first.added, first.updated) == (5, 0)
    old_bodies = store.chunks_of("u2312.00752")
    assert len(old_bodies) == 2
    chunks_before = store.chunk_count()

    rows = [json.loads(line) for line in (corpus / "papers.jsonl").read_text(encoding="utf-8").splitlines()]
    sentences = re.split(r"(?<=\.) ", rows[0]["abstract"])
    rows[0]["abstract"] = " ".join(sentences[:2])
    (corpus / "papers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    second = ingest_into(settings, store, corpus)
    assert (second.added, second.updated, second.unchanged) == (0, 1, 4)
    assert store.chunks_of("u2312.00752") == [rows[0]["abstract"]]
    assert store.chunk_count() == chunks_before - 1
    stale = old_bodies[-1]
    all_bodies = [b for pid in store.paper_hashes() for b in store.chunks_of(pid)]
    assert stale not in all_bodies
    assert not any(sentences[-1] in body for body in all_bodies)
    assert store.get_papers(["u2312.00752"])["u2312.00752"].abstract == rows[0]["abstract"]
    index = LexicalIndex.load(index_dir(settings.home, store.name))
    assert index is not None and index.fingerprint == papers_fingerprint(store.paper_hashes())


def test_rebuild_starts_clean(tmp_path: Path, settings, store, ingest_into) -> None:
    ingest_into(settings, store, DATA / "papers.jsonl")
    report = ingest_into(settings, store, DATA / "bad" / "broken_rows.jsonl", rebuild=True)
    assert (report.added, report.updated, report.unchanged, report.total_papers) == (2, 0, 0, 2)
    assert sorted(store.paper_hashes()) == sorted([paper_id_for("Convolutional Kolmogorov-Arnold Networks"),
                                                   paper_id_for("Assessing the Unitary RNN as an End-to-End "
                                                                "Compositional Model of Syntax")])
    assert store.chunk_count() == 2
    index = LexicalIndex.load(index_dir(settings.home, store.name))
    assert index is not None and sorted(index.paper_ids) == sorted(store.paper_hashes())


# --- bad input -------------------------------------------------------------------------------------------

def test_missing_path_alone_is_a_corpus_error(tmp_path: Path, settings, store, ingest_into) -> None:
    missing = tmp_path / "no-such-dir"
    with pytest.raises(CorpusError) as raised:
        ingest_into(settings, store, missing)
    assert str(raised.value) == f"{missing}: nothing to ingest: {missing}: no such file or folder"
    assert "\n" not in str(raised.value)


def test_folder_without_corpus_files_is_a_corpus_error(tmp_path: Path, settings, store, ingest_into) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "README.md").write_text("not a corpus")
    with pytest.raises(CorpusError, match=r"notes: folder holds no \.txt or \.jsonl files"):
        ingest_into(settings, store, folder)


def test_missing_path_next_to_a_good_one_is_reported_and_the_rest_ingests(tmp_path: Path, settings, store,
                                                                          ingest_into) -> None:
    missing = tmp_path / "gone.jsonl"
    report = ingest_into(settings, store, missing, DATA / "bad" / "broken_rows.jsonl")
    assert report.missing == [f"{missing}: no such file or folder"]
    assert (report.added, report.total_papers) == (2, 2)


def test_only_unreadable_files_give_reports_not_exceptions(tmp_path: Path, settings, store, ingest_into) -> None:
    corpus = tmp_path / "bad"
    corpus.mkdir()
    for name in ("empty.txt", "binary.txt", "latin1.txt"):
        shutil.copy(DATA / "bad" / name, corpus / name)
    report = ingest_into(settings, store, corpus)
    assert [(f.parse.file, bool(f.parse.error)) for f in report.files] == [
        ("binary.txt", True), ("empty.txt", True), ("latin1.txt", True)]
    assert (report.distinct, report.added, report.total_papers) == (0, 0, 0)


def test_second_ingest_on_the_same_index_is_refused(settings, store, ingest_into) -> None:
    with ingest_lock(settings):
        with pytest.raises(StoreError, match="another `papertrail ingest` is running"):
            ingest_into(settings, store, DATA / "papers.jsonl")
    assert store.paper_count() == 0


# --- resume after a crash ----------------------------------------------------------------------------------

def papers_so_far(store: ChromaStore) -> int:
    """The paper count while another process writes; a transiently busy database reads as 0 (poll again)."""
    try:
        return store.paper_count()
    except Exception:  # chromadb surfaces a locked sqlite file as various types
        return 0


def test_killed_ingest_resumes_to_the_clean_result(tmp_path: Path, corpus_dir: Path, cli_env) -> None:
    """`papertrail ingest` killed with SIGKILL mid-run, then rerun: the index equals a clean ingest."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("000_93c08023696e0f68.txt", "003_e97ba3b526acec30.txt"):
        shutil.copy(corpus_dir / name, corpus / name)
    home = tmp_path / "home"
    settings = Settings(home=home)
    expected = expected_chunk_ids(settings, corpus)
    total = len(expected)
    assert total == 117

    watcher = ChromaStore(settings)  # creates the collections before the child opens them
    command = [str(PYTHON), "-m", "assistant.cli", "ingest", str(corpus)]
    with open(tmp_path / "killed.log", "w") as log:
        child = subprocess.Popen(command, cwd=ROOT, env=cli_env(home), stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 400
            while time.monotonic() < deadline and child.poll() is None and papers_so_far(watcher) == 0:
                time.sleep(0.05)
        finally:
            if child.poll() is None:
                os.kill(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == -signal.SIGKILL, (tmp_path / "killed.log").read_text()[-2000:]
    partial = watcher.paper_count()
    assert 0 < partial < total

    rerun = subprocess.run(command, cwd=ROOT, env=cli_env(home), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert f"{total} distinct papers: {total - partial} added, 0 updated, {partial} unchanged" in rerun.stdout
    assert f"index now holds {total} papers" in rerun.stdout

    assert watcher.paper_count() == total
    stored = stored_chunk_ids(watcher)
    assert set(stored) == set(expected)
    assert all(stored[pid] for pid in stored)  # every paper has at least one chunk
    assert stored == {pid: sorted(ids) for pid, ids in expected.items()}
    all_ids = [cid for ids in stored.values() for cid in ids]
    assert len(all_ids) == len(set(all_ids)) == watcher.chunk_count()  # no duplicates, no orphans

    index = LexicalIndex.load(index_dir(home, watcher.name))
    assert index is not None and index.fingerprint == papers_fingerprint(watcher.paper_hashes())
