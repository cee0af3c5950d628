"""Side-by-side comparison of 2-3 named papers: a table with a citation in every cell and the key difference."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant import prompts
from assistant.attribution import fix_subject_keys
from assistant.chain import SPEAKS_OF_ITSELF, split_sentences
from assistant.citations import resolve
from assistant.records import Answer, Hit, Paper
from assistant.strategies.abstracts import ASPECTS, NO_ABSTRACT, aspect_sentences, clip
from assistant.strategies.common import title_has_all, topic_words
from assistant.strategies.fact import answer_fact
from assistant.tokens import truncate

if TYPE_CHECKING:
    from assistant.chain import Chain, Run, Stream


_COMPARE_FRAME = re.compile(r"^\s*(?:please\s+)?(?:compare|contrast|how (?:does|do|is|are))\s+", re.I)


# "the paper that ...", also with a word or two before "paper": "the policy-optimization paper that ...", "the other work"
_PAPER_WORD = r"(?:paper|work|method|model|approach|study|article)s?"


_PAPER_NOUN = rf"(?:the|a|an|its) (?:[\w-]+ ){{0,2}}?{_PAPER_WORD}"


_NEXT_PAPER = rf"(?=['\"‘“]?(?-i:[A-Z0-9])|{_PAPER_NOUN}\b)"  # a quoted title starts a paper too


_COMPARE_BETWEEN = r"\b(?:differs? from|compared (?:to|with)|versus|vs\.?|against)\b|;"


# "and", "," and "with" join two papers where a new one starts after them ("Mamba and S4", "Mamba with the paper
# that ..."), not inside a description ("the paper on Lie group decompositions and equivariant networks")
_COMPARE_SPLIT = re.compile(rf"\s*(?:{_COMPARE_BETWEEN}|(?:,\s*(?:and\s+)?|\s(?:and|with)\s+){_NEXT_PAPER})\s*", re.I)


_BETWEEN_QUOTES = re.compile(r"(?<=['\"’”])\s*(?:,\s*(?:and\s+)?|\s(?:and|with|vs\.?|versus)\s+)(?=['\"‘“])", re.I)


_COMPARE_SPLIT_ANY = re.compile(rf"\s*(?:{_COMPARE_BETWEEN}|\b(?:and|with)\b|,)\s*", re.I)  # "mamba and hippo"


def _compare_body(question: str) -> str:
    """A comparison without its framing ("Compare ...", "How does ...") and its own question (": how does each
    ...?", ". What does each study?"): the parts that name the papers."""
    return _COMPARE_FRAME.sub("", _COMPARE_ASK.sub("", question)).strip(" ?.!")


def compared_papers(chain: "Chain", question: str) -> list[Paper]:
    """The 2-3 papers a comparison names, in the order it mentions them. Each part names its paper, or
    describes it ("the paper that unlocks state tracking with negative eigenvalues"): a description is resolved
    to its best retrieval match when that match is clearly on it, never by a name inside it ("... merges the
    experts of a sparse MoE model" does not mean the paper that defines "MoE")."""
    body = _compare_body(question)
    parts = _split_between(chain, body)
    papers = _papers_of_parts(chain, parts)
    if 2 <= len(parts) == len(papers):  # "X vs Y", each part one paper: a title may hold "with" or "and"
        return papers[:3]
    quoted = _BETWEEN_QUOTES.split(body)  # "'A', 'B: C and D' and 'E'": the " and D" inside a quoted title splits nothing
    if (len(quoted) >= 2 and all(re.fullmatch(r"['\"‘“].+['\"’”]", part) for part in quoted)
            and len(papers := _papers_of_parts(chain, quoted)) == len(quoted)):
        return papers[:3]
    papers = _papers_of_parts(chain, _COMPARE_SPLIT.split(body))
    if len(papers) < 2:  # all lower case, so no part looked like a new paper: split at every "and"
        papers = _papers_of_parts(chain, _COMPARE_SPLIT_ANY.split(body))
    if len(papers) >= 2:
        return papers[:3]
    return (papers + [p for p in chain.named_papers(question) if p not in papers])[:3]


def _split_between(chain: "Chain", body: str) -> list[str]:
    """The parts of "A vs B", "A compared to B": a "vs." inside a title ("Revisiting Discriminative vs. Generative
    Classifiers") joins its two sides back when together they start that title."""
    cuts = [(m.start(), m.end()) for m in re.finditer(rf"\s*(?:{_COMPARE_BETWEEN})\.?\s*", body, flags=re.I)]
    spans = [(start, end) for (_, start), (end, _) in zip([(0, 0)] + cuts, cuts + [(len(body), len(body))])]
    merged = [spans[0]]
    for start, end in spans[1:]:
        first, last = merged[-1]
        if body[first:last].strip() and body[start:end].strip() and chain.paper_titled(body[first:end]):
            merged[-1] = (first, end)
        else:
            merged.append((start, end))
    return [body[start:end] for start, end in merged if body[start:end].strip()]


def _unmatched_parts(chain: "Chain", question: str) -> list[str]:
    """The parts of a comparison that name or describe no paper of the corpus ("RegNet vs ReXNet" -> ["ReXNet"])."""
    parts = [part.strip() for part in _COMPARE_SPLIT.split(_compare_body(question)) if part.strip()]
    if len(parts) < 2:
        return []
    return [re.split(r"[:;,?]", part)[0].strip()[:60] for part in parts if not _papers_of_parts(chain, [part])]


# the words before "paper" ("the jellyfish paper on ...") stay part of the description
_DESCRIBED = re.compile(rf"^(?:the|a|an|its) (?P<modifiers>(?:[\w-]+ ){{0,2}}?){_PAPER_WORD} "
                        r"(?:that|which|where|on|about|proposing|introducing)\b[\s,]*", re.I)


def _papers_of_parts(chain: "Chain", parts: list[str]) -> list[Paper]:
    papers: list[Paper] = []  # in the order the question mentions them
    for part in (p.strip() for p in parts if p.strip()):
        described = _DESCRIBED.match(part)
        found: list[Paper] = []
        if not described:  # a name: the start of a title ("Linear Transformers with Learnable ..."), else any name
            titled = chain.paper_titled(part)
            found = [titled] if titled else chain.named_papers(part, 1)
        words = topic_words(part)
        if not found and len(words) >= 3:  # "transformers" alone is no paper
            top = chain.retriever.search(_DESCRIBED.sub(r"\g<modifiers>", part), k=1, read_metadata=False)
            found = [h.paper for h in top if (h.dense_similarity or 0.0) >= chain.settings.answer.covered_similarity
                     or title_has_all(h.paper.title, words)]
        papers += [p for p in found if p not in papers]
    return papers


def answer_compare(chain: "Chain", run: "Run") -> "Stream":
    named = compared_papers(chain, run.standalone)
    hits = chain.retrieve(run)
    if len(named) < 2:  # not two resolvable papers: say which part matched none, and answer it as an ordinary question
        missing = _unmatched_parts(chain, run.standalone)
        note = ("No paper in the corpus matches " + " or ".join(f"“{m}”" for m in missing) +
                ", so there is nothing to compare; here is what the corpus says on the question.\n\n") if missing else ""
        if note:
            yield note
        for item in answer_fact(chain, run):
            yield item.model_copy(update={"answer": note + item.answer}) if isinstance(item, Answer) else item
        return
    run.hits = [Hit(paper=p, score=1.0) for p in named] + [h for h in hits if h.paper not in named]
    papers = named
    header = "| | " + " | ".join(f"{p.title} [S{i + 1}]" + ("" if p.abstract else f" {NO_ABSTRACT}")
                                 for i, p in enumerate(papers)) + " |"
    rows = [header, "|---" * (len(papers) + 1) + "|"]
    picked = [aspect_sentences(p.abstract) for p in papers]
    ask = compare_ask(run.standalone)
    if ask:  # the question's own point first: each paper's sentence closest to it
        rows.append(_table_row(f"{ask[0].upper() + ask[1:]}?", _closest_sentences(chain, ask, papers, picked)))
    for aspect, _, _ in ASPECTS:
        rows.append(_table_row(aspect, [sentences[aspect] for sentences in picked]))
    context = [(Hit(paper=p, score=1.0), truncate(p.abstract, 110)) for p in papers]
    paragraph = chain.llm.complete(chain.messages(prompts.render("difference", sources=chain.format_sources(context))),
                                   max_tokens=160)
    if not re.search(r"\bS\d{1,3}\b", paragraph):
        paragraph = chain.extractive(run.standalone, [h for h, _ in context], sentences=2, labelled=False)
    paragraph = fix_subject_keys(paragraph, [f"{p.title}\n{p.abstract}" for p in papers], run.standalone)
    raw = "\n".join(rows) + "\n\n**Key difference.** " + paragraph.strip()
    resolved = resolve(raw, [h for h, _ in context])
    yield resolved.text
    yield Answer(question=run.question, answer=resolved.text, citations=resolved.citations, retrieved=run.hits,
                 kind="compare", dropped_citations=resolved.dropped, standalone_question=run.standalone)


# "A vs B: how does each inject prior knowledge?" -> "how does each inject prior knowledge"
_COMPARE_ASK = re.compile(r"(?::|\s[-–—]|;|(?<!\bvs)\.\s)\s*((?:how|what|which|why|where|when|does|do|did|is|are)\b[^:;?]{8,}?)"
                          r"\s*\??\s*$", re.I)


def compare_ask(question: str) -> str | None:
    """What a comparison asks beyond "compare A and B", when it says so after a colon, a dash or a full stop."""
    match = _COMPARE_ASK.search(question)
    return match.group(1).strip() if match else None


def _table_row(name: str, sentences: list[str | None]) -> str:
    """One row of the comparison table: a cell per paper, its sentence cited to that paper (S1, S2, ...)."""
    cells = [f"{_cell(sentence, most=300)} [S{i + 1}]" if sentence else "not stated in the abstract"
             for i, sentence in enumerate(sentences)]
    return f"| {name} | " + " | ".join(cells) + " |"


def _closest_sentences(chain: "Chain", ask: str, papers: list[Paper],
                       picked: list[dict[str, str | None]]) -> list[str | None]:
    """Per paper, its abstract sentence closest to `ask` (MiniLM), preferring one no other cell shows and, a little,
    one where the paper speaks of itself: "how does each handle acyclicity?" is answered by COSMO's "our
    parameterization … without evaluating acyclicity", not by its "In this context, differentiable approaches …"."""
    out: list[str | None] = []
    for paper, cells in zip(papers, picked):
        sentences = split_sentences(paper.abstract)
        if not sentences:
            out.append(None)
            continue
        scores = chain.sentence_scores(ask, sentences, prefer=SPEAKS_OF_ITSELF)
        shown = set(cells.values())
        ranked = sorted(range(len(sentences)), key=lambda j: (sentences[j] in shown, -scores[j]))
        out.append(sentences[ranked[0]])
    return out


def _cell(sentence: str, most: int = 220) -> str:
    return clip(sentence.replace("|", "/"), most)
