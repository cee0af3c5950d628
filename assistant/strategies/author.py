"""Papers by an author: exact metadata filters, the complete list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assistant.citations import resolve
from assistant.names import paper_has_author
from assistant.records import Answer, Hit
from assistant.retrieve import SearchFilters
from assistant.strategies.abstracts import contribution
from assistant.strategies.common import topic_words

if TYPE_CHECKING:
    from assistant.chain import Chain, Run, Stream


def answer_author(chain: "Chain", run: "Run") -> "Stream":
    facts = chain.retriever.read(run.standalone)
    author = facts.author or ""
    filters = SearchFilters(author=author, year_from=facts.year_from, year_to=facts.year_to)
    coauthor = chain.retriever.authors.find(facts.topic) if author else None  # "papers by X and Y": both wrote them
    everything = papers = [p for p in chain.retriever.papers_by(filters)
                           if not coauthor or paper_has_author(coauthor, p.authors)]
    topic = topic_words(facts.topic.replace(coauthor, " ") if coauthor else facts.topic)
    if topic and papers:  # "LLM papers by X": keep the author's papers that match the topic
        ranked = [h for h in chain.retriever.search(" ".join(topic), k=len(papers), filters=filters, read_metadata=False)
                  if h.paper in papers]
        # a match counts when it is near the best one: "diffusion model papers" matches every abstract that says
        # "model", weakly; "efficient fine-tuning of LLMs" is 0.54 similar to LLaMA-Adapter, 0.36 to a graph paper
        bar = max(0.5, max((h.bm25_score or 0.0) for h in ranked) / 2)
        near = max(chain.settings.answer.min_relevance, max((h.dense_similarity or 0.0) for h in ranked) - 0.1)
        papers = [h.paper for h in ranked if (h.dense_similarity or 0) >= near or (h.bm25_score or 0.0) >= bar]
    without = sum(1 for p in chain.retriever.papers.values() if not p.authors)
    note = (f"\n\nNote: {without} papers in the corpus come from sources without author data, so they cannot "
            f"be attributed to anyone." if without else "")
    if not papers:  # the refusal's "related" lines are the author's other papers, if any
        run.hits = [Hit(paper=p, score=1.0) for p in everything or chain.retriever.papers_by(filters)]
        if everything:
            reason = f"The corpus has no papers by {author}{f' and {coauthor}' if coauthor else ''} on that topic."
        elif coauthor:
            reason = f"The corpus has no paper by both {author} and {coauthor}."
        else:
            similar = chain.retriever.authors.similar(author)
            reason = f"The corpus has no papers by {author}." + (
                f" Authors with a similar name: {', '.join(similar)}." if similar else "")
        yield chain.refusal(run, reason=reason + note)
        return
    run.hits = [Hit(paper=p, score=1.0) for p in papers]
    lines = [f"- **{p.title}**" + (f" ({p.date[:4]})" if p.date else "") + f": {contribution(p.abstract, title=p.title)} [S{i + 1}]"
             for i, p in enumerate(papers)]
    who = " and ".join(next((a for a in papers[0].authors if paper_has_author(name, [a])), name)
                       for name in [author, coauthor] if name)
    raw = f"The corpus has {len(papers)} paper{'s' if len(papers) != 1 else ''} by {who}:\n" + "\n".join(lines) + note
    resolved = resolve(raw, run.hits)
    yield resolved.text
    yield Answer(question=run.question, answer=resolved.text, citations=resolved.citations, retrieved=run.hits,
                 kind="author", standalone_question=run.standalone)
