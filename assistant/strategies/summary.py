"""Summary of one paper, named by title, acronym or description, from its abstract only."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant import prompts
from assistant.attribution import unsupported_numbers
from assistant.citations import StreamingCiter, resolve
from assistant.glossary import unexplained_acronyms
from assistant.records import Answer, Hit, Paper
from assistant.render import short_authors
from assistant.strategies.abstracts import aspect_sentences
from assistant.strategies.common import uses_the_words
from assistant.strategies.fact import answer_fact
from assistant.tokens import truncate

if TYPE_CHECKING:
    from assistant.chain import Chain, Run, Stream


_A_PAPER = re.compile(r"\b(?:paper|work|study|article|preprint|publication|method)\b", re.I)


_CITES_THE_PAPER = re.compile(r"S\s*1\b|\[1\]")  # a one-paper summary's key, before or after resolving


def answer_summary(chain: "Chain", run: "Run") -> "Stream":
    named = chain.named_papers(run.standalone)
    hits = chain.retrieve(run)
    if named:
        paper = named[0]
    elif in_one_abstract := name_in_one_abstract(run.standalone, hits[:5]):  # "tl;dr of COSMO, the zero-shot one"
        paper = in_one_abstract
    elif not _A_PAPER.search(run.standalone):  # "explain linear attention in simple terms": a topic, no one paper
        yield from answer_fact(chain, run)
        return
    elif hits and chain.covered(hits) is True and in_its_words(chain, run.standalone, hits[0]):
        paper = hits[0].paper  # a paper described, not named: the description must clearly match it
    else:
        yield chain.refusal(run)
        return
    hit = next((h for h in hits if h.paper.paper_id == paper.paper_id), Hit(paper=paper, score=1.0))
    run.hits = [hit] + [h for h in hits if h.paper.paper_id != paper.paper_id]
    if not paper.abstract:  # a dump listed the paper without its abstract: say so rather than guess from the title
        yield from _title_only_summary(run, hit)
        return
    prompt = prompts.render("summary", title=paper.title, abstract=truncate(paper.abstract, 700),
                            question=run.standalone)
    heading = f"**{paper.title}**" + (f" ({short_authors(paper.authors)})" if paper.authors else "") + "\n\n"
    yield heading
    citer = StreamingCiter([hit])
    raw = ""
    for delta in chain.llm.stream(chain.messages(prompt)):
        for part in re.split(r"(\n)", delta):  # every finished line of the summary gets the paper's key
            if part == "\n":
                part = _key_line_end(raw) + part
            raw += part
            piece = citer.feed(part)
            if piece:
                yield piece
    tail = _key_line_end(raw)
    raw += tail
    if tail:
        yield citer.feed(tail)
    made_up = unsupported_numbers(raw, [f"{paper.title}\n{paper.abstract}"], run.standalone)
    thin = _thin_line(raw)
    if len(re.sub(r"\[S?1\]", "", raw).strip()) < 120 or made_up or thin:  # next to nothing, or made up: the abstract
        picked = aspect_sentences(paper.abstract)
        raw = "\n".join(f"{name}: {text} [S1]" for name, text in
                        (("Problem", picked["Problem"]), ("Method", picked["Approach"]), ("Results", picked["Headline results"]))
                        if text)
        why = (f"gave numbers the abstract does not ({', '.join(made_up)})" if made_up
               else f"said next to nothing on one line (\"{thin}\")" if thin else "was too short")
        yield f"\n\n(The model's summary {why}; these are the abstract's own sentences.)\n" + raw.replace("[S1]", "[1]")
    else:
        if not _CITES_THE_PAPER.search(raw):  # the whole summary comes from this one abstract: cite it
            raw = raw.rstrip() + " [S1]"
        added = summary_additions(raw, paper.abstract)
        if added:
            raw += added
            yield citer.feed(added)
    resolved = resolve(raw, [hit])
    body = heading + resolved.text
    yield Answer(question=run.question, answer=body, citations=resolved.citations, retrieved=run.hits,
                 kind="summary", dropped_citations=resolved.dropped, standalone_question=run.standalone)


def _title_only_summary(run: "Run", hit: Hit) -> "Stream":
    paper = hit.paper
    by = f" by {', '.join(paper.authors)}" if paper.authors else ""
    raw = (f"**{paper.title}**\n\nThe corpus lists this paper{by} with its title and authors only [S1]; without "
           f"its abstract, papertrail cannot summarize its problem, method or results.")
    resolved = resolve(raw, [hit])
    yield resolved.text
    yield Answer(question=run.question, answer=resolved.text, citations=resolved.citations, retrieved=run.hits,
                 kind="summary", standalone_question=run.standalone)


_NAME_LIKE = re.compile(r"\b[A-Za-z][a-z0-9]*[A-Z][A-Za-z0-9]*\b")  # "COSMO", "ForgetNet", "pLSTM"


# what asks for a summary around a description: "tl;dr of the paper that", "What's the gist of the study showing"
_DESCRIPTION_FRAME = re.compile(r"^.*?\b(?:paper|work|study|article|preprint)\s+(?:that|which|where|in which|on|about|"
                                r"showing|arguing|proposing)\s+|^\W*(?:tl;?dr|summari[sz]e|explain|what'?s the gist)"
                                r"(?:\s+of)?\s+(?:the\s+)?", re.I)


def in_its_words(chain: "Chain", question: str, hit: Hit) -> bool:
    """Does the paper use `answer.summary_min_description_coverage` of the description ("tl;dr of the paper that X")?"""
    description = _DESCRIPTION_FRAME.sub("", question, count=1) or question
    return uses_the_words(chain, description, [hit], chain.settings.answer.summary_min_description_coverage)


def name_in_one_abstract(question: str, hits: list[Hit]) -> Paper | None:
    """The top hit, when the question uses a name (capitals inside a word) that its title or abstract uses and no
    other of `hits` does: the name index keeps only names that point at one paper of the whole corpus, and two papers
    call themselves COSMO ("tl;dr of COSMO, the zero-shot learning one": retrieval picks which)."""
    if not hits:
        return None
    names = {n for n in _NAME_LIKE.findall(question) if len(n) >= 3}

    def uses(hit: Hit, name: str) -> bool:
        return re.search(rf"\b{re.escape(name)}\b", f"{hit.paper.title} {hit.paper.abstract}") is not None

    if any(uses(hits[0], n) and not any(uses(h, n) for h in hits[1:]) for n in names):
        return hits[0].paper
    return None


_LABELLED_LINE = re.compile(r"^[ \t*]*(?:Problem|Method|Results?)[ \t*]*:(.*)$", re.I | re.M)


def _thin_line(summary: str, fewest_words: int = 6) -> str | None:
    """A labelled line of a summary that says next to nothing ("Problem: Internally Rewarded RL (IRRL) [S1]",
    "Method: formulation, analysis, evaluation"): the small model's terse answers name the topic, not the paper."""
    for match in _LABELLED_LINE.finditer(summary):
        text = re.sub(r"\[S?1\]", "", match.group(1)).strip()
        if len(re.findall(r"[A-Za-z0-9]+", text)) < fewest_words:
            return re.sub(r"\s*\[S?1\]", "", match.group(0)).strip()
    return None


def summary_additions(summary: str, abstract: str) -> str:
    """Lines a model's summary lacks, from the abstract: its results sentence when the summary has no Results line,
    and the long forms of the acronyms the summary uses ("HOT", "PAGCN") as the abstract defines them."""
    lines = []
    results = aspect_sentences(abstract)["Headline results"]
    if results and not re.search(r"^[ \t*]*Results?[ \t*]*:", summary, re.I | re.M) and results not in summary:
        lines.append(f"Results: {results} [S1]")
    unexplained = unexplained_acronyms("\n".join([summary, *lines]), abstract)
    if unexplained:
        lines.append("Abbreviations: " + "; ".join(f"{acronym} = {form}" for acronym, form in unexplained) + " [S1]")
    return "".join(f"\n{line}" for line in lines)


def _key_line_end(text: str) -> str:
    """" [S1]" when the last line of a one-paper summary says something and cites nothing, else ""."""
    line = text.rsplit("\n", 1)[-1]
    return " [S1]" if len(re.findall(r"\w+", line)) >= 3 and not _CITES_THE_PAPER.search(line) else ""
