"""Which abstract sentence fills each cell of a comparison table (and the summary fallback)."""

from __future__ import annotations

from assistant.strategies.abstracts import aspect_sentences, contribution
from assistant.strategies.compare import _table_row

ABSTRACT = ("Transformers are slow on long sequences. "
            "We identify that a key weakness of such models is their inability to reason, and make several improvements. "
            "We design a hardware-aware parallel algorithm. "
            "Our model enjoys 5 times higher throughput than Transformers on the Pile benchmark. "
            "It improves on real data.")


def test_results_prefer_a_sentence_with_a_number_over_an_early_improves() -> None:
    picked = aspect_sentences(ABSTRACT)
    assert picked["Headline results"] == "Our model enjoys 5 times higher throughput than Transformers on the Pile benchmark."
    assert picked["Problem"].startswith("We identify that a key weakness")
    assert picked["Approach"] == "We design a hardware-aware parallel algorithm."


def test_each_sentence_fills_one_cell_and_cells_keep_the_table_order() -> None:
    picked = aspect_sentences(ABSTRACT)
    assert list(picked) == ["Problem", "Approach", "Data", "Headline results"]
    chosen = [s for s in picked.values() if s]
    assert len(chosen) == len(set(chosen))
    assert picked["Data"] is None  # the only benchmark sentence is already the result


def test_an_abstract_without_cues_still_has_a_problem_sentence() -> None:
    plain = "Graph models are used for many kinds of structured data today. They are trained with gradient descent."
    assert aspect_sentences(plain)["Problem"] == "Graph models are used for many kinds of structured data today."


def test_approach_keeps_the_sentence_that_says_how_the_method_works() -> None:
    abstract = ("Sequence parallelism is a common way to train on long sequences across many GPUs. "
                "In this paper, we introduce LASP, a sequence parallel method for linear attention models. "
                "Specifically, we design a point-to-point communication mechanism that exploits the right-product trick. "
                "LASP scales sequence length up to 4096K tokens, 8 times longer than existing methods.")
    approach = aspect_sentences(abstract)["Approach"]
    assert approach.startswith("In this paper, we introduce LASP") and "point-to-point communication" in approach


def test_a_result_without_numbers_is_still_a_result() -> None:
    abstract = ("Tabular classifiers need priors in few-shot settings. "
                "We introduce two strategies that use LLMs to generate priors. "
                "Validation against baseline models reveals the superior performance of our approach.")
    assert aspect_sentences(abstract)["Headline results"].startswith("Validation against baseline models reveals the superior")


def test_an_authors_list_line_is_the_sentence_where_the_paper_names_what_it_made() -> None:
    """WildChat's abstract opens with background; the line should say what the paper made."""
    abstract = ("Chatbots such as GPT-4 and ChatGPT are now serving millions of users. "
                "Despite their widespread use, there remains a lack of public datasets. "
                "From this, we compiled WildChat, a corpus of 1 million user-ChatGPT conversations. "
                "We also find WildChat has the most diverse prompts.")
    assert contribution(abstract, title="WildChat: 1M ChatGPT Interaction Logs in the Wild").startswith("From this, we compiled")
    assert contribution(abstract) == "Chatbots such as GPT-4 and ChatGPT are now serving millions of users."  # no name to look for
    here = "Spike trains are hard to model. Here we overcome these limitations with a semi-Markov process."
    assert contribution(here).startswith("Here we overcome")


def test_an_abstract_that_opens_with_its_approach_has_no_made_up_problem() -> None:
    abstract = ("In this work, we propose a Multi-Window Masked Autoencoder for audio. "
                "Empirical results on ten downstream audio tasks show that it outperforms standard MAEs.")
    picked = aspect_sentences(abstract)
    assert picked["Approach"].startswith("In this work, we propose")
    assert picked["Problem"] is None


def test_the_approach_is_the_main_contribution_not_a_side_one() -> None:
    abstract = ("Solvers assume exact projections, which is costly. "
                "In this paper, we circumvent this assumption via a warm-starting technique. "
                "Furthermore, for simple constraints we introduce an alternative variant.")
    assert aspect_sentences(abstract)["Approach"].startswith("In this paper, we circumvent")
    unrolled = ("Their priors have low expressiveness, which limits generalization. "
                "Aiming at expressive priors, this contribution puts forth a prior model that leverages unrolling.")
    assert aspect_sentences(unrolled)["Approach"].startswith("Aiming at")
    problem = "Softmax attention is slow on long sequences. To address this problem, we propose a linear attention."
    assert aspect_sentences(problem)["Problem"] == "Softmax attention is slow on long sequences."


def test_an_approach_stated_in_two_sentences_keeps_both() -> None:
    abstract = ("We present a unified representation of the most popular activation functions. "
                "Adopting Mittag-Leffler functions of fractional calculus, we propose a gated functional form. "
                "Training many networks, we demonstrate that it is an affordable alternative.")
    assert "Mittag-Leffler" in aspect_sentences(abstract)["Approach"]


def test_a_table_cell_keeps_an_approach_told_in_two_sentences() -> None:
    """The approach cell is the contribution and the sentence saying how it works; cut at 220 characters, DRL's
    "Specifically, genetic programming ..." was lost."""
    abstract = ("Deep reinforcement learning still struggles at learning sparse-reward goal-directed tasks. "
                "To bridge the best of both worlds, we propose a framework that integrates DRL with classical planning "
                "by automatically inducing task structures and substructures from a few demonstrations. "
                "Specifically, genetic programming is used for substructure induction where the program model reflects "
                "prior domain knowledge of effect rules.")
    row = _table_row("Approach", [aspect_sentences(abstract)["Approach"], None])
    assert "genetic programming" in row and row.endswith("| not stated in the abstract |")


def test_an_opening_success_story_is_background_not_the_papers_result() -> None:
    """Flowformer's abstract opens with "Transformers ... have achieved impressive success" and ends with its own
    result in words the old cues missed ("yields strong performance")."""
    abstract = ("Transformers based on the attention mechanism have achieved impressive success in various areas. "
                "However, the attention mechanism has a quadratic complexity. "
                "Within this framework, we apply the property of flow conservation into attention and propose the "
                "Flow-Attention mechanism of linear complexity. "
                "Empowered by the Flow-Attention, Flowformer yields strong performance in linear time for wide areas.")
    picked = aspect_sentences(abstract)
    assert picked["Approach"].startswith("Within this framework, we apply")  # "we ... and propose X" is a contribution
    assert picked["Headline results"].startswith("Empowered by the Flow-Attention")
    background = "Diffusion models have achieved state-of-the-art results. We propose a sampler for them."
    assert aspect_sentences(background)["Headline results"] is None


def test_an_authors_list_line_takes_we_investigate_and_present_as_the_contribution() -> None:
    abstract = ("Instruction-based image editing improves the controllability of image manipulation. "
                "We investigate how MLLMs facilitate edit instructions and present MLLM-Guided Image Editing (MGIE). "
                "MGIE learns to derive expressive instructions.")
    assert contribution(abstract).startswith("We investigate how MLLMs facilitate edit instructions and present MGIE"[:60])


def test_a_contribution_in_the_passive_voice_is_the_approach() -> None:
    """SOFT says what it proposes only in the passive; "an analysis in this work reveals ..." and "when new layers are
    introduced" are no method."""
    abstract = ("Linear transformers approximate self-attention. "
                "When new layers are introduced, the whole model must be retrained. "
                "However, an in-depth analysis in this work reveals that existing methods are theoretically flawed. "
                "By this insight, a family of Softmax-Free Transformers (SOFT) are proposed. "
                "Specifically, a Gaussian kernel function is adopted to replace the dot-product similarity.")
    approach = aspect_sentences(abstract)["Approach"]
    assert approach.startswith("By this insight, a family of Softmax-Free") and "Gaussian kernel" in approach


def test_a_line_spells_out_the_acronyms_its_abstract_defines_elsewhere() -> None:
    abstract = ("Score Distillation Sampling (SDS) lifts 2D diffusion models to 3D. "
                "In this paper, we reexamine the SDS process and introduce a simple interpretation.")
    assert contribution(abstract).startswith("In this paper, we reexamine the SDS (Score Distillation Sampling) process")
