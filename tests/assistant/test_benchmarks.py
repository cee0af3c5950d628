"""Requests for the papers evaluated on a named benchmark (assistant/benchmarks.py)."""

from __future__ import annotations

import pytest

from assistant.benchmarks import as_the_catalog_writes_them, benchmark_names, papers_naming
from assistant.records import Paper
from assistant.retrieve import SearchFilters


@pytest.mark.parametrize("question, names", [
    ("Which papers report results on the GLUE or SuperGLUE benchmarks?", ["GLUE", "SuperGLUE"]),
    ("LRA papers? i.e. which papers evaluate on the Long Range Arena benchmark", ["Long Range Arena"]),
    ("any work that runs experiments on Atari games?", ["Atari"]),
    ("papers with results on CIFAR-10 or CIFAR-100", ["CIFAR-10", "CIFAR-100"]),
    ("Which papers use the MuJoCo benchmark?", ["MuJoCo"]),
    ("MuJoCo or D4RL experiments - which papers?", ["MuJoCo", "D4RL"]),
    # a capital that only starts the sentence: a name only if the catalog writes it as one
    ("Atari experiments?", ["atari"]),
    ("Reinforcement learning experiments?", []),
    ("Which papers report FID scores?", ["FID"]),
    ("what's in here on distribution-shift benchmarks like WILDS, DomainNet or ImageNet-C?",
     ["WILDS", "DomainNet", "ImageNet-C"]),
    # a model used, named: its papers; with a topic after it ("for NER"), a topic
    ("papers that use Llama 2 models?", ["Llama 2"]),
    ("papers using BERT models for NER?", []),
    ("Any work that uses GPT-2?", ["GPT-2"]),  # a versioned name needs no "models"
    ("papers that use RL?", []),  # ... an acronym does: its papers may spell it out
    ("Which papers use GPT-4 for data generation?", []),
    ("Which papers run experiments on Meta's OPT language models?", ["OPT"]),  # the owner is no part of the name
    # the names first, the request referring back to them
    ("MobileNet or Swin Transformer - which papers use them?", ["MobileNet", "Swin Transformer"]),
    ("Llama 3 or Mistral models - which papers run experiments with them?", ["llama 3", "Mistral"]),
    # typed in lower case, to the end of the request: a name only if the catalog writes it as one
    ("which papers evaluate on imagenet?", ["imagenet"]),
    ("which papers report results on glue, superglue or the long range arena benchmark", ["glue", "superglue",
                                                                                          "long range arena"]),
    # no benchmark asked for: a topic, a benchmark that is no name, a question word before "dataset"
    ("GLU papers?", []),
    ("Which papers propose new fairness benchmarks?", []),
    ("What dataset was released as the first fairness dataset for medical image segmentation?", []),
    ("Which papers are about LLM evaluation?", []),
])
def test_benchmark_names_are_read_only_where_papers_evaluated_on_them_are_asked_for(question: str,
                                                                                    names: list[str]) -> None:
    assert benchmark_names(question) == names


def paper(title: str, abstract: str) -> Paper:
    return Paper(paper_id=title, title=title, abstract=abstract)


def test_papers_naming_a_benchmark_match_its_name_not_a_longer_word() -> None:
    papers = [
        paper("Hedgehog", "Linear attention. It gains 8.7 GLUE points over prior linear attentions."),
        paper("GLU variants", "Gated linear units (GLU) in the feed-forward layer."),  # GLU is no GLUE
        paper("C-Poly", "We test on SuperGLUE and Super-NaturalInstructions."),
        paper("Glue code", "We glue two networks together."),  # an all-capitals name matches only as written
        paper("TransNormer", "It beats vanilla transformers on the challenging Long-Range Arena benchmark."),
        paper("Exploration", "It matches the state of the art on Atari57."),
    ]
    found = papers_naming(papers, ["GLUE", "SuperGLUE", "Long Range Arena", "Atari"], SearchFilters())
    assert [(p.title, sentence) for p, sentence in found] == [
        ("Hedgehog", "It gains 8.7 GLUE points over prior linear attentions."),
        ("C-Poly", "We test on SuperGLUE and Super-NaturalInstructions."),
        ("TransNormer", "It beats vanilla transformers on the challenging Long-Range Arena benchmark."),
        ("Exploration", "It matches the state of the art on Atari57."),
    ]
    assert [p.title for p, _ in papers_naming(papers, ["GLUE"], SearchFilters(year_from=2020))] == []


def test_a_name_most_of_the_catalog_uses_names_no_benchmark() -> None:
    papers = [paper(f"Paper {i}", "We train Transformers on long sequences of text.") for i in range(9)] + [paper("Vision", "We report ImageNet results for a new vision backbone.")]
    found = papers_naming(papers, ["Transformers", "ImageNet"], SearchFilters())
    assert [p.title for p, _ in found] == ["Vision"]


def test_a_name_typed_in_lower_case_is_read_as_the_catalog_writes_it() -> None:
    papers = [paper("Vision", "We report ImageNet top-1 accuracy and GLUE scores."),
              paper("Glue", "We glue two networks together."),
              paper("Text", "We study text classification with small models."),
              paper("Text 2", "Text classification benchmarks are saturated; we propose new text classification tasks.")]
    assert as_the_catalog_writes_them(["imagenet", "glue", "text classification", "GLUE"], papers) == ["ImageNet", "GLUE"]
    # "Which papers evaluate on small models, and how?": words, no names
    assert as_the_catalog_writes_them(["small models", "how"], papers) == []


def test_a_name_no_paper_writes_stands_for_the_name_like_words_in_it() -> None:
    papers = [paper("Detector", "We report box AP on COCO and LVIS."), paper("Other", "The MS thesis of small models.")]
    assert as_the_catalog_writes_them(["MS COCO"], papers) == ["COCO"]  # "MS" is too short to be a name alone
    assert as_the_catalog_writes_them(["Long Range Arena"], papers) == []  # no name-like word
    captioner = paper("Captioner", "Results on MSCOCO captions.")  # a name's words may be written as one
    assert as_the_catalog_writes_them(["MS COCO"], [*papers, captioner]) == ["MS COCO"]
    assert [p.title for p, _ in papers_naming([*papers, captioner], ["MS COCO"], SearchFilters())] == ["Captioner"]


def test_a_name_ending_in_a_number_matches_series_that_share_its_prefix_and_no_longer_number() -> None:
    papers = [paper("LT", "Results on CIFAR-10/100-LT."), paper("Series", "Experiments on CIFAR-10, -20, -100, and TinyImageNet."),
              paper("Mixed case", "We test on Cifar100."), paper("Ten", "We test on CIFAR-10 only."),
              paper("Thousand", "A synthetic CIFAR-1000 split.")]
    assert [p.title for p, _ in papers_naming(papers, ["CIFAR-100"], SearchFilters())] == ["LT", "Series", "Mixed case"]
    assert [p.title for p, _ in papers_naming(papers, ["CIFAR-10"], SearchFilters())] == ["LT", "Series", "Ten"]


def test_a_name_ending_in_a_letter_also_matches_its_versions_and_plural() -> None:
    papers = [paper("V2", "Inverted residuals: MobileNetV2."), paper("Plural", "MobileNets are small."),
              paper("Other", "A MobileNetwork for phones.")]
    assert [p.title for p, _ in papers_naming(papers, ["MobileNet"], SearchFilters())] == ["V2", "Plural"]
