"""Lists of papers ("which papers ..."): every relevant paper of a wide candidate pool, one cited line each."""

from __future__ import annotations

import re
from typing import Generator, TYPE_CHECKING

import numpy as np

from assistant import prompts
from assistant.benchmarks import as_the_catalog_writes_them, benchmark_names, papers_naming
from assistant.chain import REFUSAL
from assistant.citations import resolve
from assistant.glossary import with_long_forms
from assistant.records import Answer, Hit, Paper, Progress
from assistant.relevance import (Scored, excluded_topics, list_pool, list_request, listed_readings,
                                 load_model, reading_pair_share, score_candidates, search_topic, title_uses,
                                 topic_alternatives, topic_core, topic_coverage, topic_head)
from assistant.retrieve import SearchFilters
from assistant.strategies.abstracts import NO_ABSTRACT, contribution
from assistant.tokens import truncate

if TYPE_CHECKING:
    from assistant.chain import Chain, Run, Stream


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
    lines = [f"- **{h.paper.title}**: {contribution(h.paper.abstract, title=h.paper.title) or NO_ABSTRACT} [S{i + 1}]"
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
    ruled_out = ruled_out_phrases(chain, run.standalone)  # "(not domain adaptation)": drop papers whose title is about it
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


def ruled_out_phrases(chain: "Chain", question: str) -> list[str]:
    """The phrases a list request rules out, each read as its head (`topic_head`: "offline RL from a fixed dataset"
    -> "offline RL"), as written and with its acronyms spelled out as the corpus defines them ("offline
    reinforcement learning"): a title is about it when it uses all the words of one."""
    long_forms = chain.retriever.glossary.long_forms
    heads = [topic_head(phrase) for phrase in excluded_topics(question)]
    return list(dict.fromkeys(form for head in heads
                              for form in (head, " ".join(long_forms.get(word, word) for word in head.split()))))


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
