"""Single-fact questions: metadata lines (who wrote it, when) or a cited answer from the retrieved passages."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.citations import resolve
from assistant.records import Answer, Hit, Paper
from assistant.strategies.common import uses_the_words

if TYPE_CHECKING:
    from assistant.chain import Chain, Run, Stream


_WHO_WROTE = re.compile(r"\b(?:who (?:wrote|authored|are|were|is|was) (?:the )?(?:authors? (?:of|behind) )?|who (?:wrote|authored)"
                        r"|authors? of|written by whom|by whom)", re.I)


_WHEN = re.compile(r"\b(?:when (?:was|did|were)|what year|which year|publication date|(?:date|year) of)\b", re.I)


def metadata_answer(paper: Paper, question: str) -> str | None:
    """ "Who wrote X?" / "When was X published?" answered from the paper's record, not by the model."""
    if _WHO_WROTE.search(question):
        if paper.authors:
            names = paper.authors[0] if len(paper.authors) == 1 else f"{', '.join(paper.authors[:-1])} and {paper.authors[-1]}"
            return f"**{paper.title}** is by {names} [S1]."
        return (f"The corpus has no author names for **{paper.title}** [S1]: its source "
                f"({', '.join(paper.sources) or 'unknown'}) lists titles and abstracts only.")
    if _WHEN.search(question):
        if paper.date:
            return f"**{paper.title}** is dated {paper.date_raw or paper.date} in the corpus [S1]."
        if paper.date_raw:
            return f"The corpus dates **{paper.title}** only as \"{paper.date_raw}\", without a year [S1]."
        return f"The corpus has no publication date for **{paper.title}** [S1]: its source lists no dates."
    return None


def answer_fact(chain: "Chain", run: "Run") -> "Stream":
    hits = chain.retrieve(run)
    # an acronym a paper defines names it only when retrieval ranks it first too: "(markov rewards, LTL, reward
    # machines)" lists topics, and the one paper that defines "LTL" is not what the question is about
    titled = chain.named_papers(run.standalone, acronyms=False)
    named = [p for p in chain.named_papers(run.standalone) if p in titled or (hits and hits[0].paper == p)]
    line = metadata_answer(named[0], run.standalone) if len(named) == 1 else None
    if line:
        run.hits = [Hit(paper=named[0], score=1.0)] + [h for h in hits if h.paper != named[0]]
        resolved = resolve(line, run.hits[:1])
        yield resolved.text
        yield Answer(question=run.question, answer=resolved.text, citations=resolved.citations, retrieved=run.hits,
                     kind="fact", standalone_question=run.standalone)
        return
    if named:  # a paper named in the question goes first, even if retrieval ranked it low
        hits = [Hit(paper=p, score=1.0) for p in named] + [h for h in hits if h.paper not in named]
        run.hits = hits
    verdict = True if named else chain.covered(hits, run.standalone)
    if verdict is True and chain.retriever.glossary.unknown_names(run.standalone):
        verdict = None  # strong scores on the question's other words; the model may say the named thing is not covered
    elif verdict is None and not uses_the_words(chain, run.standalone, hits[:3],
                                                chain.settings.answer.fact_min_question_coverage):
        verdict = False  # unclear scores, and the best papers lack most of the question's words: near it, not on it
    if verdict is False:
        yield chain.refusal(run)
        return
    context = chain.fit_context(hits, question=run.standalone)
    yield from chain.generate_cited(run, context, allow_refusal=verdict is not True)
