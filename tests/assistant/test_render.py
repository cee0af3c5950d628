"""Answers as terminal text and Markdown documents."""

from __future__ import annotations

import pytest

from assistant.records import Answer, Citation, Hit, Paper
from assistant.render import (answer_markdown, reference_line, references_text, related_line, render_answer_text,
                              short_authors)

MAMBA = Citation(n=1, paper_id="u2312.00752", title="Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
                 authors=["Albert Gu", "Tri Dao"], date="2023-12-01")
AGENT = Citation(n=2, paper_id="pebb2cd06c60f",
                 title="Agent Attention: On the Integration of Softmax and Linear Attention", authors=[], date=None)
LOOPED = Citation(n=3, paper_id="p181901192174", title="Looped Transformers as Programmable Computers",
                  authors=["Angeliki Giannou", "Shashank Rajput", "Jy-yong Sohn", "Kangwook Lee"], date="2023-01-01")


def paper(citation: Citation) -> Paper:
    return Paper(paper_id=citation.paper_id, title=citation.title, abstract="An abstract.", authors=citation.authors,
                 date=citation.date)


UNCITED = Paper(paper_id="p4c07b25cc3f5", title="Provably Robust Conformal Prediction with Improved Efficiency",
                abstract="Conformal prediction.", authors=["Ge Yan"])


def answer(**changes: object) -> Answer:
    base = dict(question="How do Mamba and Agent Attention scale?",
                answer="Mamba scales linearly in sequence length [1]. "
                       "Agent attention is a generalized linear attention [2].",
                citations=[MAMBA, AGENT],
                retrieved=[Hit(paper=paper(MAMBA), score=0.9), Hit(paper=UNCITED, score=0.5),
                           Hit(paper=paper(AGENT), score=0.4)])
    return Answer(**(base | changes))


@pytest.mark.parametrize(("citation", "line"), [
    (MAMBA, "[1] Mamba: Linear-Time Sequence Modeling with Selective State Spaces. Albert Gu, Tri Dao. 2023-12-01."),
    (AGENT, "[2] Agent Attention: On the Integration of Softmax and Linear Attention."),
    (LOOPED, "[3] Looped Transformers as Programmable Computers. Angeliki Giannou, Shashank Rajput, Jy-yong Sohn "
             "et al. 2023-01-01."),
    (Citation(n=4, paper_id="x", title="Are Transformers Effective for Time Series Forecasting?",
              authors=["Ailing Zeng"], date="2022-05-26"),
     "[4] Are Transformers Effective for Time Series Forecasting? Ailing Zeng. 2022-05-26."),
])
def test_reference_line(citation: Citation, line: str) -> None:
    assert reference_line(citation) == line


def test_short_authors() -> None:
    assert short_authors([]) == ""
    assert short_authors(["A"]) == "A"
    assert short_authors(["A", "B", "C"]) == "A, B, C"
    assert short_authors(["A", "B", "C", "D"]) == "A, B, C et al."
    assert short_authors(["A", "B", "C"], most=2) == "A, B et al."


def test_related_line() -> None:
    assert related_line(Hit(paper=UNCITED, score=0.1)) == \
        "- Provably Robust Conformal Prediction with Improved Efficiency (Ge Yan)"
    assert related_line(Hit(paper=paper(AGENT), score=0.1)) == f"- {AGENT.title}"


def test_answer_markdown_has_heading_body_and_only_cited_references() -> None:
    markdown = answer_markdown(answer(), title="Overview: efficient sequence models")
    lines = markdown.splitlines()
    assert lines[0] == "# Overview: efficient sequence models"
    assert lines[1] == ""
    assert lines[2] == answer().answer
    assert lines[3:6] == ["", "## References", ""]
    assert lines[6:] == [
        "1. Mamba: Linear-Time Sequence Modeling with Selective State Spaces. Albert Gu, Tri Dao. 2023-12-01.",
        "2. Agent Attention: On the Integration of Softmax and Linear Attention.",
    ]
    assert UNCITED.title not in markdown  # retrieved but not cited: not in the bibliography
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")


def test_answer_markdown_without_title_or_citations() -> None:
    refused = answer(answer="The corpus does not cover this.", citations=[], refused=True)
    assert answer_markdown(refused) == "The corpus does not cover this.\n"


def test_references_follow_citation_numbers() -> None:
    text = references_text(answer())
    assert text.splitlines() == ["References", reference_line(MAMBA), reference_line(AGENT)]
    assert references_text(answer(citations=[])) == ""


def test_terminal_text_after_streaming_adds_only_the_references() -> None:
    streamed = render_answer_text(answer(), streamed=True)
    assert answer().answer not in streamed
    assert streamed.strip().splitlines()[0] == "References"
    assert render_answer_text(answer()).startswith(answer().answer)


@pytest.mark.parametrize("changes", [{"extractive": True}, {"refused": True, "citations": []}])
def test_terminal_text_repeats_a_replaced_answer(changes: dict) -> None:
    """An extractive or refused answer replaced what was streamed, so it is printed in full."""
    final = answer(**changes)
    assert render_answer_text(final, streamed=True).startswith(final.answer)


def test_a_source_card_says_when_the_corpus_has_no_abstract() -> None:
    from assistant.ui import source_card

    title_only = Paper(paper_id="p1", title="Pathologies of Predictive Diversity in Deep Ensembles", abstract="",
                       authors=["Geoff Pleiss", "John Cunningham"])
    html = source_card(1, Hit(paper=title_only, score=1.0, passage=""), None, 1)
    assert '<p class="pt-abstract">The corpus lists this paper without its abstract.</p>' in html
