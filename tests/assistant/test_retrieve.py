"""Hybrid retrieval (BM25 + MiniLM over a real Chroma index) on the tests/data corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant import lexical
from assistant.errors import EmptyStoreError
from assistant.lexical import LexicalIndex, index_dir, papers_fingerprint
from assistant.records import Paper, paper_id_for
from assistant.retrieve import Retriever, SearchFilters
from assistant.settings import Settings
from assistant.store import ChromaStore
from ingest.pipeline import ingest, refresh_lexical

DATA = Path(__file__).resolve().parents[1] / "data"

QUOC_LE = {"Large Language Models as Optimizers", "Searching for Activation Functions"}
GUENNEMANN = {"From Zero to Turbulence: Generative Modeling for 3D Flow Simulation"}
FORRE = {"Lie Group Decompositions for Equivariant Neural Networks"}
CHARTON = {"Learning the greatest common divisor: explaining transformer predictions"}
BECKER = {"ODEFormer: Symbolic Regression of Dynamical Systems with Transformers"}


def titles(hits) -> list[str]:
    return [h.paper.title for h in hits]


# --- ranking -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "title"), [
    ("HyperAttention long-context attention in near-linear time",
     "HyperAttention: Long-context Attention in Near-Linear Time"),
    ("symbolic regression of ordinary differential equations from trajectories with a transformer",
     "ODEFormer: Symbolic Regression of Dynamical Systems with Transformers"),
    ("which paper replaces self-attention with lambda layers?",
     "LambdaNetworks: Modeling Long-Range Interactions Without Attention"),
    ("selective state space model for linear-time sequence modeling",
     "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"),
    ("transformer predictions for the greatest common divisor of two integers",
     "Learning the greatest common divisor: explaining transformer predictions"),
    ("generative model for 3D turbulent flow simulation",
     "From Zero to Turbulence: Generative Modeling for 3D Flow Simulation"),
    ("LinFusion", "LinFusion: 1 GPU, 1 Minute, 16K Image"),
])
def test_named_query_ranks_the_paper_first(retriever: Retriever, query: str, title: str) -> None:
    hits = retriever.search(query)
    assert hits[0].paper.title == title
    assert hits[0].bm25_rank == 1 or hits[0].dense_rank == 1


def test_hits_are_ranked_and_carry_their_best_passage(retriever: Retriever, ingested) -> None:
    hits = retriever.search("linear attention for long sequences", k=6)
    assert len(hits) == 6
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert len({h.paper.paper_id for h in hits}) == 6
    for hit in hits:
        assert hit.bm25_rank is not None or hit.dense_rank is not None
        if hit.dense_rank is not None:
            assert hit.passage in ingested.store.chunks_of(hit.paper.paper_id)
            assert -1.0 <= hit.dense_similarity <= 1.0


def test_default_k_comes_from_settings(retriever: Retriever) -> None:
    assert len(retriever.search("neural networks")) == retriever.settings.retrieval.k == 8


# --- filters -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("author", "expected"), [
    ("Quoc V Le", QUOC_LE), ("Q. Le", QUOC_LE), ("Le, Quoc", QUOC_LE), ("quoc le", QUOC_LE), ("QUOC V. LE", QUOC_LE),
    ("Stephan Günnemann", GUENNEMANN), ("guennemann", GUENNEMANN), ("Gunnemann", GUENNEMANN),
    ("S. Günnemann", GUENNEMANN), ("Günnemann, Stephan", GUENNEMANN),
    ("Patrick Forre", FORRE), ("forré", FORRE), ("P. Forré", FORRE),  # Forré comes from the merged record
    ("charton", CHARTON), ("Francois Charton", CHARTON),
    ("soeren becker", BECKER), ("Sören Becker", BECKER), ("Becker, S.", BECKER),
    ("Yann LeCun", set()), ("X. Le", set()),
])
def test_author_filter_is_tolerant(retriever: Retriever, author: str, expected: set[str]) -> None:
    filters = SearchFilters(author=author)
    hits = retriever.search("transformers", k=10, filters=filters)
    assert set(titles(hits)) == expected
    assert {p.title for p in retriever.papers_by(filters)} == expected


@pytest.mark.parametrize(("year_from", "year_to", "expected"), [
    (2023, 2023, {"Unleashing the Power of Pre-trained Language Models for Offline Reinforcement Learning",
                  "Lie Group Decompositions for Equivariant Neural Networks",
                  "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
                  "Looped Transformers as Programmable Computers"}),
    (2019, 2020, {"A Tour of Convolutional Networks Guided by Linear Interpreters",
                  "GLU Variants Improve Transformer"}),
    (2024, None, {"Addressing Representation Collapse in Vector Quantized Models with One Linear Layer",
                  "LinFusion: 1 GPU, 1 Minute, 16K Image"}),
    (None, 2017, {"Searching for Activation Functions"}),
    (2021, 2022, set()),
])
def test_year_filters(retriever: Retriever, year_from: int | None, year_to: int | None, expected: set[str]) -> None:
    filters = SearchFilters(year_from=year_from, year_to=year_to)
    hits = retriever.search("neural networks", k=10, filters=filters)
    assert set(titles(hits)) == expected
    for hit in hits:  # papers without a year never pass a year filter
        assert hit.paper.year is not None


@pytest.mark.parametrize(("source", "count"), [
    ("poster_001", 12), ("trailer", 9), ("jsonl", 7), ("PAPERS.JSONL", 5), ("daily_000.txt", 5), ("nope", 0)])
def test_source_filter(retriever: Retriever, source: str, count: int) -> None:
    hits = retriever.search("learning", k=20, filters=SearchFilters(source=source))
    assert len(hits) == count
    assert all(any(source.lower() in s.lower() for s in h.paper.sources) for h in hits)


def test_merged_paper_is_found_through_either_source(retriever: Retriever) -> None:
    for source in ("daily_000", "trailer_003"):
        hits = retriever.search("LinFusion", k=3, filters=SearchFilters(source=source))
        assert hits[0].paper.title == "LinFusion: 1 GPU, 1 Minute, 16K Image"


def test_filters_combine(retriever: Retriever) -> None:
    hits = retriever.search("activation", filters=SearchFilters(author="Q. Le", year_from=2017, year_to=2017))
    assert titles(hits) == ["Searching for Activation Functions"]
    assert retriever.search("activation", filters=SearchFilters(author="Q. Le", source="poster")) != []
    assert retriever.search("activation", filters=SearchFilters(author="Q. Le", year_from=2024)) == []


# --- reading metadata out of the question ------------------------------------------------------------------

@pytest.mark.parametrize(("question", "author", "year_from", "year_to", "topic"), [
    ("papers by Quoc Le", "Quoc Le", None, None, "papers by"),
    ("What did Le, Quoc write about activation functions?", "Le, Quoc", None, None,
     "What did write about activation functions?"),
    ("papers by Günnemann", "Günnemann", None, None, "papers by"),
    ("Stephan Guennemann's turbulence paper", "Stephan Guennemann", None, None, "turbulence paper"),
    ("linear attention papers from 2024", None, 2024, 2024, "linear attention papers"),
    ("activation functions since 2017", None, 2017, None, "activation functions"),
    ("equivariance between 2019 and 2023 by Patrick Forré", "Patrick Forré", 2019, 2023, "equivariance by"),
    ("Günnemann papers", None, None, None, "Günnemann papers"),  # a bare surname needs a cue such as 'by'
    ("papers by Michael Jordan", "Michael Jordan", None, None, "papers by"),  # not in the corpus, still the author asked
])
def test_read_finds_authors_and_years(retriever: Retriever, question: str, author: str | None,
                                      year_from: int | None, year_to: int | None, topic: str) -> None:
    facts = retriever.read(question)
    assert (facts.author, facts.year_from, facts.year_to, facts.topic) == (author, year_from, year_to, topic)


def test_search_applies_what_it_reads(retriever: Retriever) -> None:
    assert set(titles(retriever.search("papers by Quoc Le"))) == QUOC_LE
    hits = retriever.search("linear attention papers from 2024")
    assert hits and all(h.paper.year == 2024 for h in hits)
    assert titles(retriever.search("Lie group equivariance by Patrick Forré")) == list(FORRE)


def test_read_metadata_can_be_switched_off(retriever: Retriever) -> None:
    hits = retriever.search("linear attention papers from 2024", read_metadata=False)
    assert len(hits) == 8
    assert any(h.paper.year != 2024 for h in hits)


def test_explicit_filters_win_over_the_question(retriever: Retriever) -> None:
    hits = retriever.search("papers by Quoc Le", filters=SearchFilters(year_from=2024))
    assert hits and all(h.paper.year == 2024 for h in hits)


def test_large_numbers_are_not_read_as_years(retriever: Retriever) -> None:
    """Regression: '2048 tokens' was read as the year 2048, filtering every paper out."""
    facts = retriever.read("long context of 2048 tokens")
    assert (facts.year_from, facts.year_to) == (None, None)
    hits = retriever.search("HyperAttention for long context of 2048 tokens")
    assert hits[0].paper.title.startswith("HyperAttention")


# --- the BM25 index stays in step with the store --------------------------------------------------------------

@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Settings, ChromaStore]:
    """An index of papers.jsonl only (5 papers); tests here may break and repair its BM25 files."""
    settings = Settings(home=tmp_path_factory.mktemp("small") / "home")
    store = ChromaStore(settings)
    ingest([DATA / "papers.jsonl"], settings, store, embedder)
    return settings, store


def test_bm25_follows_a_new_ingest(tmp_path: Path, embedder) -> None:
    settings = Settings(home=tmp_path / "home")
    store = ChromaStore(settings)
    ingest([DATA / "papers.jsonl"], settings, store, embedder)
    lambda_id = paper_id_for("LambdaNetworks: Modeling Long-Range Interactions Without Attention")
    before = Retriever(settings, store, embedder)
    assert lambda_id not in before.lexical.paper_ids

    ingest([DATA / "alternating_004.txt"], settings, store, embedder)
    on_disk = LexicalIndex.load(index_dir(settings.home, store.name))
    assert on_disk is not None and lambda_id in on_disk.paper_ids
    assert on_disk.fingerprint == papers_fingerprint(store.paper_hashes())
    after = Retriever(settings, store, embedder)
    assert after.lexical.search("lambda layers", 3)[0][0] == lambda_id
    hits = after.search("lambda layers capture long-range interactions")
    assert hits[0].paper.paper_id == lambda_id and hits[0].bm25_rank == 1


def _break_delete(directory: Path) -> None:
    shutil.rmtree(directory)


def _break_manifest_garbage(directory: Path) -> None:
    (directory / "manifest.json").write_text("{not json")


def _break_manifest_not_an_object(directory: Path) -> None:
    (directory / "manifest.json").write_text("[]")


def _break_manifest_without_fingerprint(directory: Path) -> None:
    (directory / "manifest.json").write_text('{"paper_ids": []}')


def _break_model_file(directory: Path) -> None:
    (directory / "model" / "data.csc.index.npy").write_bytes(b"\x00garbage")


def _break_model_dir(directory: Path) -> None:
    shutil.rmtree(directory / "model")


def _break_stale(directory: Path) -> None:
    """A well-formed index of another paper set (e.g. written before a crash)."""
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["fingerprint"] = "0" * 40
    (directory / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage", [_break_delete, _break_manifest_garbage, _break_manifest_not_an_object,
                                    _break_manifest_without_fingerprint, _break_model_file, _break_model_dir,
                                    _break_stale],
                         ids=lambda f: f.__name__.removeprefix("_break_"))
def test_damaged_bm25_index_is_rebuilt_on_load(small_index, embedder, damage) -> None:
    settings, store = small_index
    directory = index_dir(settings.home, store.name)
    refresh_lexical(settings, store)  # start from a sound index, whatever an earlier test left
    damage(directory)
    retriever = Retriever(settings, store, embedder)
    assert sorted(retriever.lexical.paper_ids) == sorted(store.paper_hashes())
    assert retriever.lexical.search("selective state spaces", 1)[0][0] == "u2312.00752"
    repaired = LexicalIndex.load(directory)
    assert repaired is not None and repaired.fingerprint == papers_fingerprint(store.paper_hashes())


# --- empty and mismatched indexes ---------------------------------------------------------------------------

def test_empty_index_says_to_ingest(settings: Settings, store: ChromaStore, embedder) -> None:
    with pytest.raises(EmptyStoreError, match="run `papertrail ingest` first"):
        Retriever(settings, store, embedder)


def test_index_built_with_other_settings_is_named(small_index, embedder) -> None:
    settings, store = small_index
    other = settings.with_overrides(**{"chunking.chunk_tokens": 100})
    other_store = ChromaStore(other)
    assert other_store.name != store.name
    with pytest.raises(EmptyStoreError) as raised:
        Retriever(other, other_store, embedder)
    assert store.name in str(raised.value)
    assert "other chunking/embedding settings" in str(raised.value)


def test_a_compound_meets_its_hyphenated_spelling_in_bm25() -> None:
    papers = [Paper(paper_id="a", title="Federated learning as a bi-level problem", abstract="We solve a bi-level program."),
              Paper(paper_id="b", title="Multitask learning", abstract="Shared encoders for several tasks."),
              Paper(paper_id="c", title="Image classification", abstract="Convolutional networks on images.")]
    index = LexicalIndex.build(papers, papers_fingerprint({p.paper_id: p.content_hash() for p in papers}))
    assert [pid for pid, _ in index.search("bilevel optimization", 3)][:1] == ["a"]
    assert [pid for pid, _ in index.search("multi-task", 3)][:1] == ["b"]


def test_a_name_built_on_an_acronym_is_found_by_the_acronym_in_bm25() -> None:
    """ "GAN papers?" must find a paper that only writes StyleGAN; "PPO" must not find "HiPPO" (a short prefix)."""
    papers = [Paper(paper_id="a", title="Face editing", abstract="We edit faces in the latent space of StyleGAN."),
              Paper(paper_id="b", title="Memory for sequences", abstract="HiPPO projections keep a compressed history."),
              Paper(paper_id="c", title="Image classification", abstract="Convolutional networks on images.")]
    index = LexicalIndex.build(papers, papers_fingerprint({p.paper_id: p.content_hash() for p in papers}))
    assert [pid for pid, _ in index.search("GAN papers", 3)] == ["a"]
    assert index.search("PPO", 3) == []


def test_the_fingerprint_names_the_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """An index built by another tokenizer ("bi-level" without "bilevel") must not pass as current: it is rebuilt."""
    current = papers_fingerprint({"a": "h"})
    monkeypatch.setattr(lexical, "TOKENIZER_VERSION", "older")
    assert papers_fingerprint({"a": "h"}) != current
