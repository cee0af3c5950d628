"""One answering strategy per question kind. Each yields text / Progress items and ends with an Answer.

Where the facts are metadata (an author's papers) or the structure is fixed (a comparison table), the
text is assembled deterministically from the records and only the prose asks the model, so lists are
complete and every line is cited.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Generator

import numpy as np

from assistant import prompts
from assistant.attribution import fix_subject_keys, unsupported_numbers
from assistant.benchmarks import as_the_catalog_writes_them, benchmark_names, papers_naming
from assistant.chain import REFUSAL, SPEAKS_OF_ITSELF, split_sentences
from assistant.citations import StreamingCiter, resolve
from assistant.glossary import unexplained_acronyms, with_long_forms
from assistant.names import paper_has_author
from assistant.records import Answer, Hit, Paper, Progress
from assistant.relevance import (Scored, excluded_topics, list_pool, list_request, listed_readings, load_model,
                                 reading_pair_share, score_candidates, search_topic, strip_request_tail, title_uses,
                                 topic_alternatives, topic_core, topic_coverage)
from assistant.render import short_authors
from assistant.retrieve import SearchFilters
from assistant.tokens import truncate

if TYPE_CHECKING:
    from assistant.chain import Chain, Run, Stream


# --- fact ---------------------------------------------------------------------------------------------
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


# --- summary of one paper -----------------------------------------------------------------------------
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


def uses_the_words(chain: "Chain", text: str, hits: list[Hit], share: float) -> bool:
    """Does one of `hits` use `share` of the words of `text`, weighted by rarity? Retrieval alone matches a question
    on an absent topic to a near paper ("... uses reinforcement learning to schedule elevators": a paper on fair
    multi-agent MDPs, dense similarity 0.49)."""
    return topic_coverage(text, hits, chain.word_rarity())[0] >= share


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


# --- "which papers ..." lists -------------------------------------------------------------------------
def relevant_candidates(chain: "Chain", topic: str, request: str, pool: list[Hit],
                        memo: dict[str, np.ndarray] | None = None) -> Generator[Progress, None, list[Scored]]:
    """The pool's candidates that are about `topic`, most relevant first.

    Each candidate gets a calibrated relevance probability (assistant/relevance.py) and is kept above the
    threshold. With `answer.list_judge = "model"` the chat model is also asked a short yes/no per kept
    candidate (request first, so llama.cpp reuses the cached prefix between candidates).
    """
    cfg = chain.settings.answer
    yield Progress(message="Scoring relevance", done=0, total=len(pool))
    scored = score_candidates(topic, pool, chain.retriever.embedder, memo)
    threshold = cfg.list_threshold if cfg.list_threshold is not None else load_model()["threshold"]
    kept = [s for s in scored if s.probability >= threshold]
    yield Progress(message="Scoring relevance", done=len(pool), total=len(pool))
    if cfg.list_judge != "model":
        return kept
    confirmed = []
    for done, candidate in enumerate(kept):
        yield Progress(message="Judging relevance", done=done, total=len(kept))
        prompt = prompts.render("judge", question=request, title=candidate.hit.paper.title,
                                excerpt=truncate(candidate.sentence, 70))
        if chain.llm.complete(chain.messages(prompt), max_tokens=2).strip().lower().startswith("yes"):
            confirmed.append(candidate)
    yield Progress(message="Judging relevance", done=len(kept), total=len(kept))
    return confirmed


def _date_note(chain: "Chain", filters: SearchFilters) -> str:
    """Under a year filter, how many papers carry a date at all: most sources of the corpus have none."""
    if filters.year_from is None and filters.year_to is None:
        return ""
    years = sorted(p.year for p in chain.retriever.papers.values() if p.year)
    if not years:
        return "\n\nNote: no paper in the corpus carries a publication date, so none can match a year."
    return (f"\n\nNote: only {len(years)} of {len(chain.retriever.papers)} papers in the corpus carry a publication "
            f"date ({years[0]}–{years[-1]}); a year filter can only match those.")


EVERY_WORD = 0.999  # a share of the topic's words that means all of them (shares are float ratios)


def list_evidence(chain: "Chain", topic: str, pool: list[Hit]) -> bool | None:
    """Does the corpus cover a list's topic: True / False when clear, None when the candidates must show it.

    Retrieval scores decide first (Chain.covered), except that a pool in which one paper uses every rare word
    of the topic, or writes one reading of an "A or B" topic word for word, is never "clearly absent": "CoT
    (chain-of-thought)" scored 0.31 against the chain-of-thought papers' passages. A short topic whose rare words
    are missing from every candidate is absent: the pool is only near it ("early-exit inference for transformers"
    retrieves transformer papers, none about early exits), and so is a longer one (up to 12 words) of which no candidate
    uses even a lower share, and a topic of a few words that no candidate uses all of (`every_word_used`).
    """
    cfg = chain.settings.answer
    topic = chain.retriever.glossary.respell(topic)  # "exploding gradiants": the papers write "gradients"
    # "economics, finance or social science": one paper about finance covers it
    coverage, words = max(topic_coverage(reading, pool, chain.word_rarity())
                          for reading in [topic, *listed_readings(topic_core(topic))])
    if words <= cfg.list_short_topic_words and coverage < cfg.list_min_topic_coverage:
        return False
    if words <= cfg.list_longer_topic_words and coverage < cfg.list_min_longer_topic_coverage:
        return False
    if not every_word_used(chain, topic, pool):
        return False
    covered = chain.covered(pool)
    if covered is False and words and (  # a paper uses every rare word, or writes one reading word for word
            coverage >= EVERY_WORD or any(reading_pair_share(topic, h.paper) >= EVERY_WORD for h in pool)):
        return None  # "Tweedie's formula or a Tweedie-style correction": one paper writes "Tweedie's correction"
    return covered


def every_word_used(chain: "Chain", topic: str, pool: list[Hit]) -> bool:
    """False when the topic is a few words (asides and alternatives aside) that no candidate uses all of.

    A paper about "lip reading" or "speaker diarization" uses both words; papers that use only one of them
    are near the topic, not on it. Longer topics are left to the coverage share: they are often paraphrases.
    """
    rarity, most = chain.word_rarity(), chain.settings.answer.list_exact_topic_words
    core = topic_core(topic)
    readings = [topic_coverage(reading, pool, rarity) for reading in listed_readings(core) or topic_alternatives(core)]
    coverage, words = max(readings)
    return words > most or coverage >= EVERY_WORD


def on_topic(chain: "Chain", topic: str, scored: list[Scored]) -> list[Scored]:
    """Candidates with an abstract sentence close to the topic itself, half of its word pairs (or of one
    reading's, when it has alternatives), or all of its words: the relevance model ranks within a pool, so when
    retrieval evidence is weak this asks for the topic itself ("transformer papers from 2022?": "The Devil in
    Linear Transformer", whose sentences score about 0.5 against one word; "influence functions or data
    valuation": a paper that uses "influence functions"; "GAN papers?": one that uses StyleGAN). A candidate the
    relevance model is sure of stays (over the 28 such list questions of the eval sets, precision 0.74 -> 0.78 and
    recall 0.47 -> 0.49; a lower bar gains more there but lists papers for absent topics)."""
    cfg = chain.settings.answer
    return [s for s in scored if s.sentence_similarity >= cfg.list_min_topic_similarity or s.pair_share >= 0.5
            or s.word_share >= EVERY_WORD or reading_pair_share(topic, s.hit.paper) >= 0.5
            or s.probability >= cfg.list_sure_probability]


def _cited_list(run: "Run", raw: str, hits: list[Hit]) -> "Stream":
    """A list answer whose [S<n>] keys point at `hits`: the resolved text, then the Answer."""
    resolved = resolve(raw, hits)
    yield resolved.text
    yield Answer(question=run.question, answer=resolved.text, citations=resolved.citations, retrieved=run.hits,
                 kind="list", standalone_question=run.standalone)


# "like Mamba", "else is similar to Mamba", "More papers like Kosmos-G"; not "normalization layers like BatchNorm"
_SIMILAR = re.compile(r"(?:^|\b(?:papers?|works?|ones|others?|anything|something|else(?: is| are)?|more|most|are|is)\s+)"
                      r"(?:similar to|like|resembling|comparable to|in the spirit of|along the lines of)\s+"
                      r"(?:the\s+)?(?P<name>.+?)(?:\s+paper)?$", re.I)


def similar_to(chain: "Chain", asked: str) -> tuple[str, Paper | None]:
    """ "similar to Mamba" -> ("Mamba", the Mamba paper) when the name is one paper's; the topic alone otherwise."""
    match = _SIMILAR.search(asked)
    if not match:
        return asked, None
    named = chain.named_papers(match.group("name"), 1)
    return match.group("name"), (named[0] if named else None)


def answer_similar(chain: "Chain", run: "Run", model: Paper, filters: SearchFilters) -> "Stream":
    """Papers like a named one: its nearest neighbours by the MiniLM similarity of title and abstract, those close
    to it and near the nearest (`answer.similar_min_similarity`, `answer.similar_margin`), closest first."""
    cfg = chain.settings.answer
    described = f"{model.title}. {model.abstract}"
    pool = [h for h in chain.retriever.search(described, cfg.list_pool, filters, read_metadata=False) if h.paper != model]
    vectors = chain.retriever.embedder.embed([described] + [f"{h.paper.title}. {h.paper.abstract}" for h in pool])
    closeness = vectors[1:] @ vectors[0]
    ranked = sorted(zip(closeness.tolist(), pool), key=lambda pair: -pair[0])
    run.hits = [hit for _, hit in ranked]
    bar = max(cfg.similar_min_similarity, (ranked[0][0] if ranked else 1.0) - cfg.similar_margin)
    kept = [hit for close, hit in ranked if close >= bar]
    if not kept:
        yield chain.refusal(run, reason=f"No paper in the corpus is close to **{model.title}**.")
        return
    lines = [f"- **{h.paper.title}**: {_contribution(h.paper.abstract, title=h.paper.title) or NO_ABSTRACT} [S{i + 1}]"
             for i, h in enumerate(kept)]
    raw = (f"The corpus has {len(kept)} paper{'s' if len(kept) != 1 else ''} like **{model.title}**, closest "
           "first:\n" + "\n".join(lines))
    yield from _cited_list(run, raw, kept)


def answer_list(chain: "Chain", run: "Run") -> "Stream":
    asked, filters = list_request(chain.retriever, run.standalone, run.filters)
    asked, model_paper = similar_to(chain, asked)
    if model_paper:
        yield from answer_similar(chain, run, model_paper, filters)
        return
    topic = search_topic(chain.retriever, asked)
    note = _date_note(chain, filters)
    catalog = list(chain.retriever.papers.values())
    names = as_the_catalog_writes_them(benchmark_names(run.standalone), catalog)
    naming = papers_naming(catalog, names, filters) if names else []
    if naming:
        yield from answer_benchmark(chain, run, topic, names, naming, filters, note)
        return
    pool = run.hits = list_pool(chain.retriever, topic, filters, chain.settings.answer.list_pool)
    refusal = REFUSAL + note
    covered = list_evidence(chain, asked, pool)
    if covered is False:
        yield chain.refusal(run, reason=refusal)
        return
    memo: dict[str, np.ndarray] = {}  # text -> vector: a deeper pool re-scores the first one without re-embedding it
    kept = yield from relevant_candidates(chain, topic, run.standalone, pool, memo)
    limit = chain.settings.answer.list_pool_max
    while len(kept) * 2 >= len(pool) and len(pool) < limit:  # a broad topic: more relevant papers sit deeper
        deeper = run.hits = list_pool(chain.retriever, topic, filters, min(2 * len(pool), limit))
        if len(deeper) <= len(pool):
            break  # the corpus has no more candidates
        pool = deeper
        kept = yield from relevant_candidates(chain, topic, run.standalone, pool, memo)
    if covered is None:  # weak evidence: the relevance model ranks within the pool, so ask for the topic itself
        kept = on_topic(chain, topic, kept)
    ruled_out = excluded_topics(run.standalone)  # "(not domain adaptation)": drop papers whose title is about it
    kept = [s for s in kept if not any(title_uses(s.hit.paper, phrase) for phrase in ruled_out)]
    if not kept:
        yield chain.refusal(run, reason=refusal)
        return
    hits = [s.hit for s in kept]
    lines = [f"- **{s.hit.paper.title}**: "
             f"{with_long_forms(s.sentence, s.hit.paper.abstract) if s.hit.paper.abstract else NO_ABSTRACT} [S{i + 1}]"
             for i, s in enumerate(kept)]
    raw = f"The corpus has {len(kept)} relevant paper{'s' if len(kept) != 1 else ''}:\n" + "\n".join(lines) + note
    yield from _cited_list(run, raw, hits)


def answer_benchmark(chain: "Chain", run: "Run", topic: str, names: list[str], naming: list[tuple[Paper, str | None]],
                     filters: SearchFilters, note: str) -> "Stream":
    """Every paper that names the benchmark asked about (assistant/benchmarks.py), as retrieval ranks them for the
    topic, each with the sentence that names it."""
    ranks = {h.paper.paper_id: i for i, h in enumerate(list_pool(chain.retriever, topic, filters,
                                                                  chain.settings.answer.list_pool_max))}
    naming = sorted(naming, key=lambda pair: ranks.get(pair[0].paper_id, len(ranks)))
    hits = run.hits = [Hit(paper=paper, score=0.0) for paper, _ in naming]
    lines = [f"- **{paper.title}**{': ' + sentence if sentence else ''} [S{i + 1}]"
             for i, (paper, sentence) in enumerate(naming)]
    count = f"{len(naming)} paper{'s' if len(naming) != 1 else ''}"
    raw = (f"The corpus has {count} that name{'s' if len(naming) == 1 else ''} {' or '.join(names)} in the title or "
           "abstract:\n" + "\n".join(lines) + note)
    yield from _cited_list(run, raw, hits)


# --- papers by an author ------------------------------------------------------------------------------
def answer_author(chain: "Chain", run: "Run") -> "Stream":
    facts = chain.retriever.read(run.standalone)
    author = facts.author or ""
    filters = SearchFilters(author=author, year_from=facts.year_from, year_to=facts.year_to)
    coauthor = chain.retriever.authors.find(facts.topic) if author else None  # "papers by X and Y": both wrote them
    everything = papers = [p for p in chain.retriever.papers_by(filters)
                           if not coauthor or paper_has_author(coauthor, p.authors)]
    topic = _topic_words(facts.topic.replace(coauthor, " ") if coauthor else facts.topic)
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
    lines = [f"- **{p.title}**" + (f" ({p.date[:4]})" if p.date else "") + f": {_contribution(p.abstract, title=p.title)} [S{i + 1}]"
             for i, p in enumerate(papers)]
    who = " and ".join(next((a for a in papers[0].authors if paper_has_author(name, [a])), name)
                       for name in [author, coauthor] if name)
    raw = f"The corpus has {len(papers)} paper{'s' if len(papers) != 1 else ''} by {who}:\n" + "\n".join(lines) + note
    resolved = resolve(raw, run.hits)
    yield resolved.text
    yield Answer(question=run.question, answer=resolved.text, citations=resolved.citations, retrieved=run.hits,
                 kind="author", standalone_question=run.standalone)


# --- cited overview -----------------------------------------------------------------------------------
def answer_overview(chain: "Chain", run: "Run") -> "Stream":
    topic, aspects = overview_request(run.standalone)
    themes = yield from overview_themes(chain, run, topic, aspects)
    if themes is None:
        yield chain.refusal(run)
        return
    kept = [h for _, members in themes for h in members]
    listing = "; ".join(f"{h.paper.title} [G{i}]" for i, h in enumerate(kept))
    intro = f"This overview of {topic} draws on {len(kept)} papers of the corpus: {listing}."
    yield _renumber_global(intro, kept)[0]  # the intro cites every paper in order, fixing [n] = G + 1
    sections: list[str] = []
    for number, (name, members) in enumerate(themes, start=1):
        yield Progress(message=f"Writing section {number} of {len(themes)}: {name}", done=number - 1, total=len(themes))
        if members:
            context = [(h, truncate(h.passage or h.paper.abstract, 90)) for h in members]
            prompt = prompts.render("theme", topic=topic, theme=name, sources=chain.format_sources(context))
            local = paragraph_with_global_keys(chain, prompt, topic, members, kept) + "\n\n" + paper_lines(members, kept)
        else:
            local = f"No paper in the corpus is about {name[0].lower() + name[1:]} in particular."
        sections.append(f"## {name}\n\n{local}")
        yield "\n\n" + _renumber_global(sections[-1], kept, renumber=False)[0]
    gaps = "## Open questions\n\n" + open_questions(kept)
    yield "\n\n" + _renumber_global(gaps, kept, renumber=False)[0]
    raw = "\n\n".join([intro] + sections + [gaps])
    text, citations = _renumber_global(raw, kept)
    yield Answer(question=run.question, answer=text, citations=citations, retrieved=run.hits, kind="overview",
                 standalone_question=run.standalone)


def overview_themes(chain: "Chain", run: "Run", topic: str,
                    aspects: list[str]) -> Generator[Progress, None, list[tuple[str, list[Hit]]] | None]:
    """The overview's sections and their papers, or None when the corpus does not cover the topic. The aspects a
    question enumerates become the sections, each with the papers relevant to it; otherwise (or when no aspect
    has any) the topic's relevant papers are grouped into themes by their similarity."""
    most = chain.settings.answer.overview_papers
    depth = min(chain.settings.answer.list_pool, 20)
    searched = search_topic(chain.retriever, topic)  # in the corpus's words: typos respelt, acronyms spelled out
    pool = chain.retrieve(run, text=searched, k=depth)
    hits = list(pool)
    candidates: list[tuple[float, int, Hit]] = []  # (relevance, aspect number, paper) for every aspect's papers
    for number, aspect in enumerate(aspects):
        query = search_topic(chain.retriever, f"{topic}: {aspect}")
        aspect_pool = chain.retriever.search(query, depth, run.filters)
        hits += aspect_pool
        relevant = yield from _relevant_if_covered(chain, query, aspect_pool)
        candidates += [(s.probability, number, s.hit) for s in relevant]
    unique: dict[str, Hit] = {}
    for hit in hits:
        unique.setdefault(hit.paper.paper_id, hit)
    run.hits = list(unique.values())
    if candidates:
        return [(aspect[0].upper() + aspect[1:], members)
                for aspect, members in zip(aspects, _assign(candidates, len(aspects), max(2, most // len(aspects))))]
    scored = yield from _relevant_if_covered(chain, searched, pool)
    if not scored:
        return None
    return group_into_themes(chain, [s.hit for s in scored][:most])


def _assign(candidates: list[tuple[float, int, Hit]], aspects: int, cap: int) -> list[list[Hit]]:
    """Papers to aspects, each paper once. First every aspect that has papers gets its most relevant one, the
    aspects with the fewest papers choosing first (so a paper relevant to two aspects does not leave one of them
    empty); then the most relevant pairs fill each aspect up to `cap`."""
    ranked = sorted(candidates, key=lambda c: -c[0])
    members: list[list[Hit]] = [[] for _ in range(aspects)]
    taken: set[str] = set()

    def place(number: int, hit: Hit) -> None:
        members[number].append(hit)
        taken.add(hit.paper.paper_id)

    counts = [sum(1 for c in candidates if c[1] == number) for number in range(aspects)]
    for number in sorted(range(aspects), key=lambda n: counts[n]):
        first = next((hit for _, n, hit in ranked if n == number and hit.paper.paper_id not in taken), None)
        if first is not None:
            place(number, first)
    for _, number, hit in ranked:
        if hit.paper.paper_id not in taken and len(members[number]) < cap:
            place(number, hit)
    return members


def _relevant_if_covered(chain: "Chain", topic: str, pool: list[Hit]) -> Generator[Progress, None, list[Scored]]:
    """The pool's papers about `topic`: none when retrieval says the corpus lacks it, and when the evidence is
    weak only those about the topic itself (as for lists)."""
    covered = list_evidence(chain, topic, pool)
    if covered is False:
        return []
    scored = yield from relevant_candidates(chain, topic, f"papers about {topic}", pool)
    return on_topic(chain, topic, scored) if covered is None else scored


# cues of an open problem, the plainest first: "remains unclear" says more than "a challenge"
_OPEN = [re.compile(r"\b(remains? (?:an )?(?:open|unclear|challenging|unknown|elusive)|open (?:question|problem|challenge)s?|"
                    r"future (?:work|research|directions?)|yet to be|not (?:well|yet|fully) understood|little is known|"
                    r"poorly understood|unexplored|under-?explored)\b", re.I),
         re.compile(r"\b(limitations?|challenges?|bottlenecks?)\b", re.I)]  # "challenging datasets" describes
# a sentence that names a problem to say how this paper solves it is no open question
_REMEDY = re.compile(r"\b(?:we|our|this (?:paper|work)|to (?:address|overcome|tackle|solve|mitigate|alleviate|remedy|"
                     r"bridge|resolve)|propos\w*|introduc\w*)\b", re.I)


def open_questions(kept: list[Hit], most: int = 3) -> str:
    """Sentences where the papers themselves name open problems or limitations, each cited (G keys): the plainest
    cues first, at most one sentence per paper, none that goes on to say how the paper solves it."""
    found: list[tuple[int, str]] = []
    for cue in _OPEN:
        for i, hit in enumerate(kept):
            if len(found) < most and all(i != j for j, _ in found):
                sentence = next((s for s in split_sentences(hit.paper.abstract)
                                 if cue.search(s) and not _REMEDY.search(s)), None)
                if sentence:
                    found.append((i, sentence))
    found.sort()
    if not found:
        return "The abstracts of these papers do not name open problems explicitly."
    return "\n".join(f"- {sentence} [G{i}]" for i, sentence in found)


def paper_lines(members: list[Hit], kept: list[Hit]) -> str:
    """One line per paper of a theme, where it says what it made or does (G keys): the small model's paragraph
    is about the theme and rarely names the papers' methods, data or results."""
    return "\n".join(f"- *{h.paper.title}*: {_contribution(h.paper.abstract, title=h.paper.title)} [G{kept.index(h)}]"
                     for h in members)


def paragraph_with_global_keys(chain: "Chain", prompt: str, topic: str, members: list[Hit], kept: list[Hit]) -> str:
    """A paragraph citing its theme's local keys S1..Sn, rewritten to overview-wide keys G<i> of `kept`."""
    raw = chain.llm.complete(chain.messages(prompt), max_tokens=220)
    cited = {int(m) for m in re.findall(r"\bS(\d{1,3})\b", raw)}
    if not any(1 <= c <= len(members) for c in cited):
        raw = chain.extractive(topic, members, sentences=2, labelled=False)

    def to_global(match: re.Match[str]) -> str:
        local = int(match.group(1)) - 1
        return f"G{kept.index(members[local])}" if 0 <= local < len(members) else "G998"

    return re.sub(r"\bS(\d{1,3})\b", to_global, raw)


def group_into_themes(chain: "Chain", hits: list[Hit], most: int = 3) -> list[tuple[str, list[Hit]]]:
    """Greedy clustering of the papers' title vectors; a theme is named by its members' shared title words. Papers
    that all look alike at the usual bar (ten linear-attention papers for "efficient attention") are grouped again
    at a stricter one, so that an overview of four papers or more has two themes at least."""
    if len(hits) <= 3:
        return [(_theme_name(hits), hits)]
    vectors = chain.retriever.embedder.embed([h.paper.title + ". " + h.paper.abstract[:300] for h in hits])
    for bar in (0.45, 0.55, 0.65):
        groups = _greedy_groups(vectors, bar, most)
        if len(groups) >= 2:
            break
    members = [[hits[i] for i in g] for g in groups]
    if any(len(group) < 2 for group in members):  # a theme of one paper is named by its title: nothing to set apart
        return [(_theme_name(group), group) for group in members]
    return [(_theme_name(group, [h for other in members if other is not group for h in other]), group) for group in members]


def _greedy_groups(vectors: np.ndarray, bar: float, most: int) -> list[list[int]]:
    """Each vector joins the group whose mean it is closest to, when closer than `bar` (or when `most` groups exist)."""
    groups: list[list[int]] = []
    for i in range(len(vectors)):
        best = max(range(len(groups)), key=lambda g: float(vectors[i] @ vectors[groups[g]].mean(axis=0)), default=None)
        if best is not None and (len(groups) >= most or float(vectors[i] @ vectors[groups[best]].mean(axis=0)) > bar):
            groups[best].append(i)
        else:
            groups.append([i])
    return groups


def _renumber_global(raw: str, kept: list[Hit], renumber: bool = True) -> tuple[str, list]:
    """Overview-wide G<i> keys -> S<i+1> keys -> [n]. With renumber=False, [n] = i + 1 directly (what the
    intro, which cites every paper in order, makes true for the whole overview)."""
    text = re.sub(r"\bG(\d+)\b", lambda m: f"S{int(m.group(1)) + 1}", raw)
    if not renumber:
        return re.sub(r"\[(?:Source\s*:?\s*)?S(\d+)\]", lambda m: f"[{m.group(1)}]" if int(m.group(1)) <= len(kept) else "", text), []
    resolved = resolve(text, kept)
    return resolved.text, resolved.citations


# --- comparison of named papers -----------------------------------------------------------------------
_NUMBER_RESULT = r"\d+(?:\.\d+)?\s*(?:%|\\%|x\b|×|times|points?\b|fold|BLEU|FID|accuracy)"
# Per aspect, cues tried in order (the first cue any unused sentence matches wins) and whether to read the
# abstract from its end: results usually close an abstract, and a number beats a bare "improves".
ASPECTS: list[tuple[str, list[str], bool]] = [
    ("Problem", [r"\b(challeng|problem|limit|however|suffer|costly|expensive|lack|aim|weakness|bottleneck|struggle)"], False),
    # "We investigate how MLLMs facilitate edit instructions and present MGIE" and "a family of Softmax-Free Transformers
    # (SOFT) are proposed" are as much a contribution as "we propose"; "when modifications are introduced, ..." is not
    ("Approach", [r"\b(we (propose|present|introduce|develop|put forth)|puts forth|I (propose|present|introduce|study))\b"
                  r"|\bwe\b[^.;]{0,100}?\b(and|then) (propose|present|introduce|develop)\b"
                  r"|^(?:(?!\b(?:when|if|once|whenever|unless)\b).)*?\b(is|are) (proposed|introduced|put forward)\b",
                  r"\b(this (paper|work|study|contribution)|our (method|approach|paper|study))\b",
                  r"\bwe (design|build|construct|derive|formulate|integrate|extend|study|explore|identify|show|use)\b",
                  r"\b(in this (paper|work)|we)\b"], False),
    ("Data", [r"\b(datasets?|benchmarks?|imagenet|coco|glue|corpus|corpora|experiments? on)\b"], False),
    ("Headline results", [_NUMBER_RESULT, r"\b(outperform\w*|surpass\w*|superior|state-of-the-art|achiev\w*|faster|speed-?ups?|improv\w*"
                                          r"|strong(er)? (performance|results)|competitive)\b"], True),
]
_OWN_RESULT = re.compile(r"\b(we|our|this (paper|work|study)|results?|experiments?|proposed)\b", re.I)
_ELABORATION = re.compile(r"(?:specifically|concretely|in particular|to this end|to do so|the key idea|our key|it (?:achieves|does) (?:this|so) by|this is (?:achieved|done) by)\b", re.I)
_CONTRIBUTION_CUES = next(cues for aspect, cues, _ in ASPECTS if aspect == "Approach")[:3]  # "we propose", "this paper", "we design"
_PICK_ORDER = ("Problem", "Approach", "Headline results", "Data")  # results before data: a benchmark sentence with a number is a result


_SECONDARY = re.compile(r"(?:finally|moreover|furthermore|additionally|in addition|also|lastly|besides)\b", re.I)


def _first_contribution(sentences: list[str], cues: list[str]) -> str | None:
    """The first sentence matching the earliest cue, among those that do not add a side contribution ("Finally,
    we present case studies") before among those that do."""
    main = [x for x in sentences if not _SECONDARY.match(x)]
    side = [x for x in sentences if _SECONDARY.match(x)]
    return next((x for group in (main, side) for cue in cues for x in group if re.search(cue, x, re.I)), None)


def _says_what_it_does(sentence: str) -> bool:
    """ "We propose ...", "This paper ...": not "We identify that a key weakness ...", which states a problem."""
    return any(re.search(cue, sentence, re.I) for cue in _CONTRIBUTION_CUES[:2])


def aspect_sentences(abstract: str) -> dict[str, str | None]:
    """Problem / approach / data / results sentences of an abstract, each used at most once."""
    sentences = split_sentences(abstract)
    used: set[str] = set()
    picked: dict[str, str | None] = {}
    approach_at = 0  # the approach sentence's place, else the opening sentence's
    for aspect, cues, from_end in sorted(ASPECTS, key=lambda a: _PICK_ORDER.index(a[0])):
        unused = [x for x in sentences if x not in used]
        if aspect == "Approach":
            choice = _first_contribution(unused, cues)
        elif aspect == "Problem":  # not "To address this problem, we propose X": that is the approach
            opening = sentences[0] if sentences and not _says_what_it_does(sentences[0]) else None
            choice = next((x for cue in cues for x in unused if re.search(cue, x, re.I) and not _says_what_it_does(x)), opening)
        else:
            if aspect == "Headline results":  # before the method, only the paper's own results: "Transformers have
                # achieved impressive success" is background
                unused = [x for x in unused if sentences.index(x) > approach_at or _OWN_RESULT.search(x)]
            choice = next((x for cue in cues for x in (unused[::-1] if from_end else unused) if re.search(cue, x, re.I)), None)
        if choice:
            used.add(choice)
            if aspect == "Approach":
                approach_at = sentences.index(choice)
                after = approach_at + 1
                if after < len(sentences) and sentences[after] not in used and (
                        _ELABORATION.match(sentences[after]) or re.search(_CONTRIBUTION_CUES[0], sentences[after], re.I)):
                    # "We introduce X." names the method; "Specifically, ..." or "..., we propose ..." says how it works
                    used.add(sentences[after])
                    choice = f"{choice} {sentences[after]}"
        picked[aspect] = choice
    return {aspect: picked[aspect] for aspect, _, _ in ASPECTS}


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
        words = _topic_words(part)
        if not found and len(words) >= 3:  # "transformers" alone is no paper
            top = chain.retriever.search(_DESCRIBED.sub(r"\g<modifiers>", part), k=1, read_metadata=False)
            found = [h.paper for h in top if (h.dense_similarity or 0.0) >= chain.settings.answer.covered_similarity
                     or _title_has_all(h.paper.title, words)]
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


# --- helpers ------------------------------------------------------------------------------------------
_STOP = set("a an the of on in for to and or by with from about what which who whose is are was were did does do "
            "has have had paper papers work works here corpus any all me show list find tell give written wrote "
            "published publish authored co author coauthored write writes research worked their his her this that these those there according "
            "corpus collection library index database summarize summarise summary summaries describe explain "
            "main recent latest key contribution contributions everything something anything ever them him he she "
            "they it its where when how why as among authors coauthors list lists listed listing name names named "
            "credited credits include includes including appear appears contributor contributors".split())


_WORD_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+]*")


def _title_has_all(title: str, words: list[str]) -> bool:
    """Does every word start a word of the title? "the gelu math analysis paper" abbreviates "GELU Activation
    Function in Deep Learning: A Comprehensive Mathematical Analysis ..."."""
    title_words = [w.lower() for w in _WORD_TOKEN.findall(title)]
    return all(any(t.startswith(w.lower()) for t in title_words) for w in words)


def _topic_words(text: str) -> list[str]:
    return [w for w in _WORD_TOKEN.findall(text) if w.lower() not in _STOP and len(w) > 1]


_OWN_VOICE = re.compile(r"\b(?:we|our|this (?:paper|work))\b.*\b(?:propos|present|introduc|develop|design|buil[dt]|construct|compil"
                        r"|collect|curat|releas|call|dub|creat|offer)", re.I)  # "we compiled X", not "we also find X"


NO_ABSTRACT = "(the corpus has its title and authors only, no abstract)"


def _contribution(abstract: str, most: int = 220, title: str = "") -> str:
    """The sentence where the paper says what it does: the first where it names itself as what it made ("we
    compiled WildChat, a corpus of 1 million ...", for "WildChat: ..."), else one with a contribution cue ("We
    propose X ...", "Here we ..."), else its first sentence: the opening sentence of an abstract is most often
    background shared by a whole field. Acronyms the abstract defines elsewhere are spelled out ("SDS (Score
    Distillation Sampling)")."""
    if not abstract:
        return NO_ABSTRACT
    sentences = split_sentences(abstract) or [abstract]
    before_colon = title.split(":")[0]
    name = before_colon.strip() if ":" in title and len(before_colon.split()) <= 2 else ""
    named = [x for x in sentences if name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", x) and _OWN_VOICE.search(x)]
    cues = [*_CONTRIBUTION_CUES, r"^here,? we\b"]
    chosen = named[0] if named else _first_contribution(sentences, cues) or sentences[0]
    return with_long_forms(_clip(chosen, most), abstract)


def _cell(sentence: str, most: int = 220) -> str:
    return _clip(sentence.replace("|", "/"), most)


def _clip(text: str, most: int) -> str:
    """`text` cut to `most` characters at a word boundary, marked with "…"."""
    return text if len(text) <= most else text[:most].rsplit(" ", 1)[0] + "…"


_OVERVIEW_OF = re.compile(r"(?:overview|review|survey|report|summary|summari[sz]e (?:the |all )?(?:research|work|literature|state of the art|papers|works|studies)(?: here| in the corpus)?"
                          r"|findings|landscape|research directions|(?:related[- ]work|intro(?:duction)?) section|(?:main |common )?approaches"
                          r"|state of research|open (?:problems|questions|challenges)|main (?:lines|families) of (?:work|research|methods)"
                          r"|(?:papers|they) (?:collectively )?(?:conclude|find|agree)"
                          r"|(?:corpus|literature|research|papers|collection|library)(?: here| in the corpus)? (?:says?|has to say|have to say))"
                          r"\s+(?:of|on|about|in|regarding|to|for)\s+(?:the\s+)?(?:(?:work|research|literature)\s+on\s+)?(.+)", re.I)
# where the aspects a user enumerates begin: "X: A, B and C", "X (A, B, C)", "X, such as A and B"
# a parenthesis starts the aspects only when it closes the question ("X (A, B and C)"), not in "using (large) LMs for X"
_ASPECTS_START = re.compile(r"\s*(?::|;|\s[-—]\s|\((?=[^()]*\)?[\s.?!]*$)|,?\s+(?:such as|including|e\.g\.,?|especially|notably)\s)",
                            re.I)


def overview_request(question: str) -> tuple[str, list[str]]:
    """The topic of an overview and the aspects the question enumerates, if two or more:
    "overview of linear attention: the efficiency motivation, gating, and known weaknesses" ->
    ("linear attention", ["the efficiency motivation", "gating", "known weaknesses"])."""
    match = _OVERVIEW_OF.search(question)
    text = strip_request_tail((match.group(1) if match else question).strip(" .?!"))
    start = _ASPECTS_START.search(text)
    if not start:
        return text or question, []
    head = text[:start.start()].strip(" ,") or question
    rest = text[start.end():].strip(" .")
    rest = rest[:-1] if rest.endswith(")") and rest.count(")") > rest.count("(") else rest
    items = _split_top_level(rest)
    if len(items) >= 2 and not any(re.match(r"(?:and|or)\s", item) for item in items[1:]):
        items[-1:] = re.split(r"\s+(?:and|or)\s+(?=[^()]*$)", items[-1], maxsplit=1)  # "A, B and C": no Oxford comma
    elif len(items) == 1:  # "A and B" names two aspects when both are phrases ("learned solvers and heuristics" is one)
        pair = re.split(r"\s+and\s+(?=[^()]*$)", items[0])
        items = pair if len(pair) == 2 and all(len(part.split()) >= 2 for part in pair) else items
    aspects = [re.sub(r"^(?:and|or)\s+", "", item).strip() for item in items]
    aspects = [a for a in dict.fromkeys(aspects) if _topic_words(a)]
    return head, aspects if len(aspects) >= 2 else []


def _split_top_level(text: str) -> list[str]:
    """Comma/semicolon-separated items, not splitting inside parentheses."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char in ",;" and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    return [i for i in items if i]


def _theme_name(hits: list[Hit], others: list[Hit] | None = None) -> str:
    """The title words the theme's papers share, those that set it apart from the other themes first (every
    theme of an efficient-attention overview shares "attention")."""
    def shares(papers: list[Hit]) -> dict[str, float]:
        counts: dict[str, int] = {}
        for hit in papers:
            for word in {w.lower() for w in _topic_words(hit.paper.title) if len(w) > 3}:
                counts[word] = counts.get(word, 0) + 1
        return {word: n / len(papers) for word, n in counts.items() if n > 1 or papers is others}
    own, outside = shares(hits), shares(others) if others else {}
    common = sorted(own, key=lambda w: (-(own[w] - outside.get(w, 0.0)), -own[w], w))[:3]
    return ", ".join(w.capitalize() for w in common) if common else hits[0].paper.title.split(":")[0][:60]


STRATEGIES: dict[str, Callable[["Chain", "Run"], "Stream"]] = {
    "fact": answer_fact,
    "summary": answer_summary,
    "list": answer_list,
    "author": answer_author,
    "overview": answer_overview,
    "compare": answer_compare,
}
