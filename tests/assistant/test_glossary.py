"""Acronyms the corpus defines, spelled out in short list requests."""

from __future__ import annotations

import pytest

from assistant.glossary import Glossary, long_form, unexplained_acronyms, with_long_forms
from assistant.records import Paper
from assistant.relevance import search_topic
from assistant.retrieve import Retriever


@pytest.mark.parametrize("before, acronym, form", [
    ("we search with neural architecture search", "NAS", "neural architecture search"),
    ("policies tuned by reinforcement learning from human feedback", "RLHF", "reinforcement learning from human feedback"),
    ("robust detection of out-of-distribution", "OOD", "out-of-distribution"),
    ("scenes as neural radiance fields", "NeRF", "neural radiance fields"),
    ("generative models such as variational autoencoders", "VAE", "variational autoencoders"),
    ("a method that we call", "NAS", None),  # the letters are not there: no long form
])
def test_long_form_is_the_words_the_acronym_abbreviates(before: str, acronym: str, form: str | None) -> None:
    assert long_form(before.split(), acronym) == form


def paper(pid: str, abstract: str) -> Paper:
    return Paper(paper_id=pid, title=f"Paper {pid}", abstract=abstract)


def test_glossary_keeps_the_usual_long_form_and_drops_ambiguous_acronyms() -> None:
    glossary = Glossary({p.paper_id: p for p in [
        paper("1", "We study partially observable Markov decision processes (POMDPs) with hindsight."),
        paper("2", "Belief updates for partially observable Markov decision processes (POMDPs) are learned."),
        paper("3", "A Segment Anything Model (SAM) is adapted to medical images."),
        paper("4", "Sharpness-aware minimization (SAM) seeks flat minima."),
    ]})
    assert glossary.long_forms["POMDP"] == "partially observable markov decision processes"
    assert "SAM" not in glossary.long_forms  # two meanings, each as often: neither is spelled out
    assert glossary.spell_out("POMDP") == "POMDP (partially observable markov decision processes)"
    assert glossary.spell_out("POMDPs or POMDP planning") == "POMDPs (partially observable markov decision processes) or POMDP planning"
    assert glossary.spell_out("partially observable Markov decision processes (POMDPs)") == \
        "partially observable Markov decision processes (POMDPs)"  # already spelled out
    assert glossary.spell_out("SAM") == "SAM"


def test_a_short_list_topic_gets_the_long_form_the_corpus_defines(retriever: Retriever) -> None:
    assert search_topic(retriever, "SSMs") == "SSMs (state space models)"  # tests/data: "state space models (SSM)"
    long_topic = "initializing the SSM state matrix with orthogonal basis projections for long sequences"
    assert search_topic(retriever, long_topic) == long_topic  # a long topic says what it means already


def test_respell_puts_a_word_no_paper_uses_in_the_corpus_spelling(retriever: Retriever) -> None:
    glossary = retriever.glossary
    assert glossary.respell("Kolmogorov-Arnold netwroks") == "Kolmogorov-Arnold networks"
    assert glossary.respell("linear atention for difusion") == "linear attention for diffusion"
    assert glossary.respell("quantum teleportation") == "quantum teleportation"  # nothing close: left alone
    assert glossary.respell("turning a database") == "turning a database"  # English words, not typos
    assert glossary.respell("machine unlearning") == "machine unlearning"  # un- + an English word, not a typo
    assert search_topic(retriever, "state space modles") == "state space models"


def test_unknown_names_are_the_question_names_no_paper_uses() -> None:
    glossary = Glossary({p.paper_id: p for p in [
        paper("1", "Variational autoencoders (VAE) and GCD computations with Mamba layers."),
        paper("2", "A NeRF for scenes."),
    ]})
    question = "Does ToMe beat AlphaZero, Mamba, NeRFs or VAEs at computing GCDs with MIDI input?"
    assert glossary.unknown_names(question) == ["ToMe", "AlphaZero", "MIDI"]  # plurals of known names are known
    assert glossary.unknown_names("How do the papers here use Mamba?") == []
    # a name the question defines in brackets, whatever its capitals: no paper writes "Vim"; "VAE" is known
    assert glossary.unknown_names("How accurate is Vision Mamba (Vim), a Mamba for images?") == ["Vim"]
    assert glossary.unknown_names("Which variational autoencoders (VAE) compute GCDs?") == []


ABSTRACT = ("Score Distillation Sampling (SDS) lifts 2D diffusion models to 3D. It needs large Classifier-Free Guidance "
            "(CFG) scales. In this paper, we reexamine the SDS process and the role of CFG.")


def test_a_quoted_sentence_gets_the_long_forms_its_abstract_defines_elsewhere() -> None:
    sentence = "In this paper, we reexamine the SDS process and the role of CFG."
    assert unexplained_acronyms(sentence, ABSTRACT) == [("SDS", "Score Distillation Sampling"),
                                                       ("CFG", "Classifier-Free Guidance")]
    assert with_long_forms(sentence, ABSTRACT) == ("In this paper, we reexamine the SDS (Score Distillation Sampling) "
                                                   "process and the role of CFG (Classifier-Free Guidance).")


def test_a_sentence_that_spells_an_acronym_out_or_uses_none_is_left_alone() -> None:
    first = "Score Distillation Sampling (SDS) lifts 2D diffusion models to 3D."
    assert with_long_forms(first, ABSTRACT) == first
    assert with_long_forms("Nothing here is short for anything.", ABSTRACT) == "Nothing here is short for anything."
    assert with_long_forms("The LoRA rank matters.", ABSTRACT) == "The LoRA rank matters."  # not defined there
