"""List relevance: the request's topic, the feature table and the fitted model, on the real test index."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.embedder import Embedder
from assistant.relevance import (FEATURES, _head_shares, _pairs, _stems, feature_table, load_model, probabilities,
                                 reading_pair_share, request_topic, score_candidates, excluded_topics, title_uses,
                                 listed_readings, topic_alternatives, topic_core, topic_head)
from assistant.records import Paper
from assistant.retrieve import Retriever

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("question, topic", [
    ("Which papers work on LLM quantization?", "LLM quantization"),
    ("Any work where several LLM agents debate each other?", "several LLM agents debate each other"),
    ("is there research in which models grade their own answers?", "models grade their own answers"),
    ("Which papers in the corpus are about audio-driven talking face generation?", "audio-driven talking face generation"),
    ("List the papers on Kolmogorov-Arnold networks.", "Kolmogorov-Arnold networks"),
    ("What work is there on spiking neural networks?", "spiking neural networks"),
    ("any work on graph neural networks?", "graph neural networks"),
    ("What does the corpus have on time series forecasting models?", "time series forecasting models"),
    ("Which papers propose or analyse parameter-efficient fine-tuning methods?", "parameter-efficient fine-tuning methods"),
    ("Are there papers on RLHF?", "RLHF"),
    ("Show me all papers on Mamba", "Mamba"),
    ("any survey or tutorial papers in here?", "survey or tutorial"),
    ("Which papers build or study ensembles of models?", "ensembles of models"),
    ("anything on matryoshka-style nested representations", "matryoshka nested representations"),
    ("Is there anything on diffusion models for video?", "diffusion models for video"),
    ("Show me everything about federated learning", "federated learning"),
    ("Find research related to reinforcement learning from human feedback", "reinforcement learning from human feedback"),
    ("Search for work on model merging", "model merging"),
    ("What's there on vision transformers?", "vision transformers"),
    ("what's in here on memory in neural networks, like memory modules?", "memory in neural networks, like memory modules"),
    ("What have you got on model merging?", "model merging"),
    ("Multi-agent reinforcement learning papers?", "Multi-agent reinforcement learning"),
    ("Which papers propose or improve adversarial training?", "adversarial training"),
    ("Which papers build on mixture-of-experts models?", "mixture-of-experts models"),
    ("ML for molecules and materials?", "molecules and materials"),  # every paper here is machine learning
    ("Any deep learning for PDEs stuff?", "PDEs"),
    ("any POMDP work?", "POMDP"),
    ("learning in games?", "learning in games"),
    ("what clustering papers are there", "clustering"),
    ("diffusion models for high-resolution image generation - what's in here?",
     "diffusion models for high-resolution image generation"),
    ("graph transformers: anything in the corpus?", "graph transformers"),
    ("What do you have on model merging?", "model merging"),
    ("Please list every paper about federated learning", "federated learning"),
    ("I'm looking for work on knowledge distillation", "knowledge distillation"),
    ("What research exists on neural architecture search?", "neural architecture search"),
    ("Point me to papers on causal inference", "causal inference"),
    ("Which of these papers involve graph neural networks?", "graph neural networks"),
    ("How many papers discuss LoRA?", "LoRA"),
    ("Any good papers on RLHF?", "RLHF"),
    ("What about diffusion models for video?", "diffusion models for video"),
    ("Which ones deal with tabular data?", "tabular data"),
    ("How do the papers here do mixed-precision training?", "mixed-precision training"),
    ("How do the papers here compress or evict the KV cache?", "compress or evict the KV cache"),
    ("Which papers are built on Gaussian-process models?", "Gaussian-process models"),
    ("Computational neuroscience papers - models of brain activity?", "Computational neuroscience - models of brain activity"),
    ("How do these papers handle machine unlearning?", "machine unlearning"),
    ("got anything about periodic functions or periodic structure?", "periodic functions or periodic structure"),
    # what trails the request is no part of the topic
    ("I need papers about retrieval-augmented generation for my thesis, can you list them?", "retrieval-augmented generation"),
    ("papers on parameter-efficient fine-tuning pls", "parameter-efficient fine-tuning"),
    ("anything on time series forecasting with transformers? thanks", "time series forecasting with transformers"),
    ("im looking for papers on self-supervised learning for speech, what do you have", "self-supervised learning for speech"),
    ("what papers do you have on model quantization", "model quantization"),
    ("what research here looks at mechanistic interpretability of transformers", "mechanistic interpretability of transformers"),
    ("need a reading list on efficient attention mechanisms from this collection", "efficient attention mechanisms"),
    ("suggest some reading on mechanistic interpretability", "mechanistic interpretability"),
    ("I want everything you've got on RLHF and preference optimization.", "RLHF and preference optimization"),
    ("I need everything on membership inference or model inversion.", "membership inference or model inversion"),
    ("does anything here study optimal transport? which ones?", "optimal transport"),
    ("neural nets for weather forecasting - any papers?", "weather forecasting"),
    ("papers that build on or experiment with the T5 model?", "the T5 model"),
    ("I'm looking for theory on in-context learning.", "theory on in-context learning"),
    ("hey do you have papers on neural scaling laws? give me a list", "neural scaling laws"),
    ("what research is there in the corpus on adversarial robustness? just the titles please", "adversarial robustness"),
    ("which papers in here train on synthetic data generated by GPT-4", "train on synthetic data generated by GPT-4"),
    ("have you got anything on federated learning?", "federated learning"),
    ("anything here about optimal transport?", "optimal transport"),
    ("do you have stuff on reinforcement learning?", "reinforcement learning"),
    ("Which papers study self-supervised learning - contrastive or not?", "self-supervised learning - contrastive or not"),
    # what a paper does with the topic ("runs experiments on", "reports results on", "cutting") is no part of it
    ("any work that runs experiments on Atari games?", "Atari games"),
    ("Which papers report results on the GLUE or SuperGLUE benchmarks?", "the GLUE or SuperGLUE benchmarks"),
    ("Which papers run a human evaluation?", "a human evaluation"),
    ("papers on running LLMs on phones?", "running LLMs on phones"),
    ("got anything that trains or analyses ResNets / residual networks?", "ResNets / residual networks"),
    # the genre word before a gloss
    ("SVD papers? (singular value decomposition or singular values of weight matrices)",
     "SVD (singular value decomposition or singular values of weight matrices)"),
    ("experiment tracking papers?", "experiment tracking"),
    # every paper here is machine learning: "of ML models" places the topic nowhere
    ("got anything on cutting the energy use or carbon footprint of ML models?", "the energy use or carbon footprint"),
])
def test_request_topic_drops_the_framing(question: str, topic: str) -> None:
    assert request_topic(question) == topic


@pytest.mark.parametrize("question, topic, excluded", [
    ("transfer learning papers? (not domain adaptation or cross-lingual transfer)", "transfer learning",
     ["domain adaptation", "cross-lingual transfer"]),
    ("papers on diffusion models, but not video diffusion?", "diffusion models", ["video diffusion"]),
    ("Which papers use reinforcement learning excluding robotics?", "reinforcement learning", ["robotics"]),
    ("papers that learn the noise schedule instead of fixing it by hand?", "learn the noise schedule", ["fixing it by hand"]),
    ("Which papers make models interpretable by design rather than explaining them post hoc?",
     "make models interpretable by design", ["explaining them post hoc"]),
    ("Which papers study self-supervised learning - contrastive or not?", "self-supervised learning - contrastive or not", []),
    ("papers on notation-free proofs", "notation-free proofs", []),
    ("any work on topology, not graph topology?", "topology", ["graph topology"]),
    ("got anything about navigation? (agents finding their way, not web navigation)",
     "navigation? (agents finding their way)", ["web navigation"]),
    ("papers on sparse attention, not just linear attention", "sparse attention, not just linear attention", []),
    ("Which papers run GPT-4 in their own pipeline (not just cite it as a baseline)?", "GPT-4 in their own pipeline", []),
    ("transformer papers (not only NLP)", "transformer", []),
    # "other than", "apart from"; the asking after the exclusion is no part of it, nor "used for something"
    ("reward models used for something other than aligning LLMs - which papers?", "reward models", ["aligning LLMs"]),
    ("papers on optimizers apart from Adam", "optimizers", ["Adam"]),
    ("in-context learning rather than fine-tuning - which papers?", "in-context learning", ["fine-tuning"]),
    # ", but excluding"; what "the ones that ..." do is what is ruled out
    ("diffusion model papers, but excluding the ones that generate images, video or 3D - what's left?",
     "diffusion model", ["images", "video", "3D"]),
    # "but leave out", "the ones about", an exclusion that ends in its acronym
    ("clustering papers - but leave out spectral clustering (SC)?", "clustering", ["spectral clustering (SC)"]),
    ("graph papers, but not the ones about molecules?", "graph", ["molecules"]),
    # the second sentence says what the topic means
    ("any work on topology? I mean topological properties of shapes", "topology: topological properties of shapes", []),
    # ... also when it asks again: its own topic, not its "which papers" (which was dropped with it, leaving "LRA")
    ("LRA papers? i.e. which papers evaluate on the Long Range Arena benchmark", "LRA: the Long Range Arena benchmark", []),
])
def test_what_a_list_request_rules_out_is_no_part_of_its_topic(question: str, topic: str, excluded: list[str]) -> None:
    assert (request_topic(question), excluded_topics(question)) == (topic, excluded)


@pytest.mark.parametrize("topic, readings", [
    ("faces, human bodies or hands", ["faces", "human bodies", "hands"]),
    ("economics, finance, and social science", ["economics", "finance", "social science"]),
    ("anomaly or OOD detection", []),  # no comma: the word alternatives read it
    ("diffusion models for images, video or audio", []),  # "for" ties the words together
    ("long-context language modelling with sparse attention, memory, or recurrence", []),
])
def test_listed_readings(topic: str, readings: list[str]) -> None:
    assert listed_readings(topic) == readings


def test_title_uses_every_word_of_a_phrase() -> None:
    paper = Paper(paper_id="p", title="Unsupervised Domain Adaptation via Optimal Transport", abstract="")
    assert title_uses(paper, "domain adaptation") and not title_uses(paper, "cross-lingual transfer")


def test_the_shipped_model_matches_the_features_and_is_calibrated() -> None:
    model = load_model()
    assert model["features"] == list(FEATURES)
    assert len(model["coef"]) == len(model["mean"]) == len(model["scale"]) == len(FEATURES)
    assert 0.0 < model["threshold"] < 1.0
    assert json.loads((ROOT / "assistant" / "relevance_model.json").read_text())["leave_one_set_out"]["recall"] > 0.5


def test_feature_table_has_one_row_per_candidate(retriever: Retriever, embedder: Embedder) -> None:
    hits = retriever.search("group equivariant neural networks", 10)
    table, sentences = feature_table("group equivariant neural networks", hits, embedder)
    assert table.shape == (len(hits), len(FEATURES))
    assert np.all((table[:, len(FEATURES) // 2:-1] <= 1.0 + 1e-9))  # relative features: at most the pool's best
    for hit, sentence in zip(hits, sentences):
        assert sentence in hit.paper.abstract or sentence == hit.paper.title


def test_a_deeper_pool_reuses_the_vectors_of_the_first(retriever: Retriever, embedder: Embedder) -> None:
    """The list strategy re-scores a doubled pool; with the same memo only the new candidates are embedded."""
    topic = "group equivariant neural networks"
    embedded: list[str] = []

    class Counting:
        def embed(self, texts: list[str]) -> np.ndarray:
            embedded.extend(texts)
            return embedder.embed(texts)

    memo: dict[str, np.ndarray] = {}
    feature_table(topic, retriever.search(topic, 5), Counting(), memo)
    first = len(embedded)
    deeper = retriever.search(topic, 10)
    table, sentences = feature_table(topic, deeper, Counting(), memo)
    assert len(embedded) > first and len(set(embedded)) == len(embedded)  # nothing embedded twice
    fresh_table, fresh_sentences = feature_table(topic, deeper, embedder)
    assert np.allclose(table, fresh_table, atol=1e-6) and sentences == fresh_sentences


def test_on_topic_papers_outscore_the_rest(retriever: Retriever, embedder: Embedder) -> None:
    """tests/data has exactly two papers on group-equivariant networks (grep 'quivariant' in titles)."""
    topic = "group equivariant neural networks"
    scored = score_candidates(topic, retriever.search(topic, 15), embedder)
    threshold = load_model()["threshold"]
    kept = [s.hit.paper.title for s in scored if s.probability >= threshold]
    assert sorted(kept) == ["Categorification of Group Equivariant Neural Networks",
                            "Lie Group Decompositions for Equivariant Neural Networks"]
    assert [s.probability for s in scored] == sorted((s.probability for s in scored), reverse=True)


def test_probabilities_follow_the_weights() -> None:
    model = {"mean": [0.0, 0.0], "scale": [1.0, 1.0], "coef": [2.0, -1.0], "intercept": 0.0}
    chances = probabilities(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), model)
    assert chances[0] == pytest.approx(0.5) and chances[1] > 0.85 and chances[2] < 0.3


def _paper(title: str, abstract: str) -> "Paper":
    from assistant.records import Paper, paper_id_for

    return Paper(paper_id=paper_id_for(title), title=title, abstract=abstract)


CATALOG = [_paper("Efficient Transformers", "We make transformer inference faster with linear attention."),
           _paper("Graph Transformers", "A transformer for graphs; inference is exact on trees."),
           _paper("Vision Transformers", "Transformers for images, trained with strong augmentation."),
           _paper("Adaptive Computation", "An early exit lets easy inputs leave the network after a few layers.")]


def test_topic_coverage_weights_rare_words_and_reads_typos_as_corpus_words() -> None:
    from assistant.records import Hit
    from assistant.relevance import WordRarity, topic_coverage

    rarity = WordRarity({p.paper_id: p for p in CATALOG})
    transformers = [Hit(paper=p, score=1.0) for p in CATALOG[:3]]
    # the rare words ("early", "exit") are what the topic is about: transformer papers alone cover little of it
    coverage, words = topic_coverage("early-exit inference for transformers", transformers, rarity)
    assert words == 4 and coverage < 0.45
    assert topic_coverage("early-exit inference for transformers", [Hit(paper=CATALOG[3], score=1.0)], rarity)[0] > 0.6
    assert topic_coverage("transfromers inference", transformers, rarity)[0] == 1.0  # a typo of a corpus word
    assert rarity.spelled_as_in_corpus("exat") == "exat"  # short words are never "corrected"
    # a plural the corpus writes in the singular, and an acronym no paper writes, are no missing words
    assert topic_coverage("LLMs", [Hit(paper=_paper("Small LLM", "An LLM that fits on a phone."), score=1.0)],
                          WordRarity({"p": _paper("Small LLM", "An LLM that fits on a phone.")}))[0] == 1.0
    assert topic_coverage("GANs for graph transformers", transformers, rarity) == (1.0, 2)


@pytest.mark.parametrize("topic, core", [
    ("lip reading, i.e. recognising what is said from video", "lip reading"),
    ("hyperbolic embeddings (poincare ball etc) for hierarchical data", "hyperbolic embeddings for hierarchical data"),
    ("action recognition, e.g. Kinetics clips, in videos", "action recognition, in videos"),
    ("graph neural networks", "graph neural networks"),
])
def test_topic_core_drops_asides(topic: str, core: str) -> None:
    assert topic_core(topic) == core


@pytest.mark.parametrize("topic, readings", [
    ("anomaly or OOD detection", ["anomaly detection", "OOD detection"]),
    ("influence functions or data valuation",
     ["influence functions", "data valuation", "influence functions valuation", "influence data valuation"]),
    ("hallucination in LLMs or multimodal models", ["hallucination in LLMs models", "hallucination in multimodal models"]),
    ("reward design or reward shaping in RL", ["reward design in RL", "reward shaping in RL"]),
    ("generating music and dance", ["generating music", "generating dance"]),
    ("face-swapped / forged images", ["face-swapped images", "forged images"]),
    ("causal discovery / structure learning",
     ["causal discovery", "structure learning", "causal discovery learning", "causal structure learning"]),
    ("FP16/BF16 training", ["FP16 training", "BF16 training"]),
    ("1/2 precision", ["1/2 precision"]),
    ("linear attention", ["linear attention"]),
])
def test_topic_alternatives_read_each_joined_word_on_its_own(topic: str, readings: list[str]) -> None:
    assert topic_alternatives(topic) == readings


@pytest.mark.parametrize("topic, head", [
    ("hallucination in LLMs or multimodal models", "hallucination"),
    ("reward design or reward shaping in RL", "reward design or reward shaping"),
    ("masked modeling for audio, speech or ECG signals", "masked modeling"),
    ("LLM agents that use external tools", "LLM agents"),
    ("in-context learning in transformers", "in-context learning"),
    ("graph neural networks (GNNs)", "graph neural networks"),
    ("Gaussian-process models or on Bayesian optimization", "Gaussian-process models or on Bayesian optimization"),
])
def test_topic_head_is_what_comes_before_the_words_that_place_it(topic: str, head: str) -> None:
    assert topic_head(topic) == head


def test_head_shares_tell_a_paper_on_the_topic_from_one_on_its_place() -> None:
    """ "hallucination in LLMs": an LLM paper uses "LLMs", not "hallucination"."""
    def shares(topic: str, text: str) -> tuple[float, float]:
        return _head_shares([_stems(reading) for reading in topic_alternatives(topic_head(topic))], _stems(text))

    topic = "hallucination in LLMs or multimodal models"
    assert shares(topic, "We reduce hallucinations of large multimodal models.") == (1.0, 1.0)
    assert shares(topic, "We fine-tune LLMs and multimodal models efficiently.") == (0.0, 0.0)
    shaping = "reward design or reward shaping in RL"
    assert shares(shaping, "Linear reward shaping for exploration in RL.") == (1.0, 1.0)
    assert shares(shaping, "A reward-free RL algorithm with a new design.") == (1.0, 0.0)


def test_a_hyphenated_word_also_counts_written_as_one() -> None:
    """ "bilevel optimization" (a user) and "bi-level optimization" (a paper) share their words and word pair."""
    asked, written = _stems("bilevel optimization"), _stems("a bi-level optimization problem")
    assert set(asked) <= set(written)
    assert _pairs(asked) <= _pairs(written)


def test_a_name_built_on_an_acronym_also_counts_as_the_acronym() -> None:
    assert "gan" in _stems("latent directions of StyleGAN and CycleGANs")
    assert "ppo" not in _stems("HiPPO projections")


def test_a_reading_of_the_topic_is_enough_for_the_word_pairs() -> None:
    """ "influence functions or data valuation": a paper on influence functions uses every pair of one reading."""
    paper = _paper("Studying generalization", "We use influence functions to trace model outputs to training data.")
    assert reading_pair_share("influence functions or data valuation", paper) == 1.0
    assert reading_pair_share("data valuation or data pricing", paper) == 0.0
    assert reading_pair_share("influence functions", paper) == 0.0  # no alternatives: the whole topic's pairs decide
    image = _paper("Text-to-image diffusion", "We generate images from text-to-image prompts.")
    assert reading_pair_share("text-to-SQL or text-to-code", image) == 0.0


def test_a_reading_is_its_words_without_a_generic_head_noun() -> None:
    """ "bilinear or trilinear models": a paper on "piecewise trilinear networks" is on one reading, "trilinear"."""
    paper = _paper("Polyhedral Complex Derivation from Piecewise Trilinear Networks", "We study trilinear interpolation.")
    assert reading_pair_share("bilinear or trilinear models", paper) == 1.0
    assert reading_pair_share("XOR or parity problems", paper) == 0.0
    assert reading_pair_share("trilinear or quadratic kernels", paper) == 0.0  # "kernels" is no generic head


def test_on_weak_evidence_a_candidate_must_show_the_topic_itself() -> None:
    """A kept candidate stays when it uses every topic word ("GAN" via StyleGAN), or half the word pairs of one
    alternative ("influence functions"); a candidate the model liked for nearby words does not."""
    from types import SimpleNamespace

    from assistant.records import Hit
    from assistant.relevance import Scored
    from assistant.settings import Settings
    from assistant.strategies.lists import on_topic

    chain = SimpleNamespace(settings=Settings())

    def scored(title: str, abstract: str, word_share: float, probability: float = 0.6) -> Scored:
        return Scored(hit=Hit(paper=_paper(title, abstract), score=1.0), probability=probability, sentence="",
                      sentence_similarity=0.3, word_share=word_share)

    face = scored("Face editing", "We edit faces in the latent space of StyleGAN.", 1.0)
    other = scored("Image registration", "A plug-and-play registration network.", 0.0)
    assert on_topic(chain, "GAN", [face, other]) == [face]
    influence = scored("Studying generalization", "We use influence functions to trace outputs to data.", 0.5)
    assert on_topic(chain, "influence functions or data valuation", [influence, other]) == [influence]
    # a candidate the relevance model is sure of stays, though a long topic is worded like none of its sentences
    lora = scored("Computational Limits of Low-Rank Adaptation", "We study LoRA's fine-grained complexity.", 0.5, 0.97)
    assert on_topic(chain, "prove computational complexity results, e.g. hardness under SETH", [lora, other]) == [lora]
