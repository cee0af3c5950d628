"""The answer chain: standalone question -> route -> retrieve -> prompt -> stream -> validated citations.

`Chain.stream` yields text pieces (with [n] markers already renumbered), `Progress` items for long work,
and finally one `Answer`. The final answer's text is authoritative: it may differ from the streamed text
when a retry or the extractive fallback replaced the model's first reply.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator

import numpy as np

from assistant import prompts
from assistant.attribution import attribute, prune_keys, rekey, unsupported_names, unsupported_numbers
from assistant.citations import StreamingCiter, canonical_keys, key_for, resolve
from assistant.errors import ModelError, PapertrailError
from assistant.named import NameIndex
from assistant.records import Answer, Hit, Paper, Progress
from assistant.render import related_line, short_authors
from assistant.retrieve import Retriever, SearchFilters
from assistant.route import bare_topic, explained_name, route
from assistant.settings import Settings
from assistant.tokens import count_tokens, truncate

if TYPE_CHECKING:
    from assistant.llm import ChatClient
    from assistant.relevance import WordRarity

log = logging.getLogger(__name__)
NOT_COVERED = "NOT COVERED"
REFUSAL = "The corpus does not cover this."
MAX_QUESTION_CHARS = 4000
COVERAGE_DEPTH = 5  # how many top hits the coverage decision looks at
Stream = Iterator["str | Progress | Answer"]


@dataclass
class Run:
    """One question being answered; `hits` is kept so an error can still show what was retrieved."""

    question: str
    standalone: str
    k: int | None
    filters: SearchFilters | None
    hits: list[Hit] = field(default_factory=list)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")
SPEAKS_OF_ITSELF = re.compile(r"\b(?:we|our|this (?:paper|work|study))\b", re.I)  # "we", "our", "this paper"
_OWN_CONTRIBUTION = re.compile(r"\bwe (?:propose|present|introduce|develop|identify|design|put forth)\b"
                               r"|\b(?:this|our) (?:paper|work)\b|\bin this (?:paper|work|study)\b", re.I)
_ASKS_FOR_A_QUANTITY = re.compile(r"\b(?:how (?:much|many|fast|large|big|long|often|well)|by how|what (?:\w+ ){0,3}"
                                  r"(?:gain|improvement|speed-?up|accuracy|score|reduction|percentage|number|rate|cost)s?)\b",
                                  re.I)


def split_sentences(text: str) -> list[str]:
    # a dump sometimes lost the space after a full stop ("observations.Recently"): a capitalised word still starts one
    # "(e.g. H3 and Hyena)", "Smith et al. Show", "vs. Mamba": an abbreviation's full stop ends no sentence
    parts = re.split(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\bal\.)(?<!\bvs\.)(?<!\bcf\.)(?<!\bFig\.)(?<!\bEq\.)"
                     r"\s+(?=[A-Z0-9(\[])|(?<=[a-z0-9%)][.!?])(?=[A-Z][a-z])", text.strip())
    return [p.strip() for p in parts if len(p.strip()) > 20]


def says_nothing(answer: str) -> bool:
    """An answer of fewer than three words once its keys are gone: "[S1]" cites a paper and says nothing of it."""
    return len(re.findall(r"[A-Za-z]{2,}", re.sub(r"\[[^\]]*\]", " ", answer))) < 3


class Chain:
    def __init__(self, settings: Settings, retriever: Retriever, llm: "ChatClient"):
        self.settings = settings
        self.retriever = retriever
        self.llm = llm
        self._names: NameIndex | None = None
        self._rarity: "WordRarity | None" = None

    def named_papers(self, question: str, most: int = 3, acronyms: bool = True) -> list[Paper]:
        """Papers the question names by title, system name or (unless `acronyms` is False) defined acronym
        (see assistant.named)."""
        return self._name_index().find(question, most, acronyms)

    def paper_titled(self, text: str) -> Paper | None:
        """The paper whose title `text` starts ("Linear Transformers with Learnable Kernel Functions"), if one."""
        return self._name_index().title_starting(text)

    def _name_index(self) -> NameIndex:
        """The catalog's names (assistant.named), built once per catalog."""
        if self._names is None or self._names.papers is not self.retriever.papers:
            self._names = NameIndex(self.retriever.papers)
        return self._names

    def word_rarity(self) -> "WordRarity":
        """How many papers use each word (assistant.relevance.WordRarity), counted once per catalog."""
        from assistant.relevance import WordRarity  # relevance imports this module

        if self._rarity is None or self._rarity.papers is not self.retriever.papers:
            self._rarity = WordRarity(self.retriever.papers)
        return self._rarity

    # --- entry points --------------------------------------------------------------------------------
    def ask(self, question: str, *, history: list[dict[str, str]] | None = None, k: int | None = None,
            filters: SearchFilters | None = None) -> Answer:
        final: Answer | None = None
        for item in self.stream(question, history=history, k=k, filters=filters):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def stream(self, question: str, *, history: list[dict[str, str]] | None = None, k: int | None = None,
               filters: SearchFilters | None = None) -> Stream:
        question = " ".join(question.split())
        if not question:
            raise PapertrailError("the question is empty: ask something like \"which papers use linear attention?\"")
        if len(question) > MAX_QUESTION_CHARS:
            raise PapertrailError(f"the question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}.")
        run = Run(question=question, standalone=question, k=k, filters=filters)
        try:
            run.standalone = self.standalone_question(question, history or [])
            kind = route(run.standalone, self.retriever.read(run.standalone))
            from assistant import strategies

            if kind == "fact":  # two rules that need the catalog: does the question name a paper?
                name = explained_name(run.standalone)
                if name and (self.named_papers(name) or strategies.name_in_one_abstract(name, self.retriever.search(name, 5))):
                    kind = "summary"  # "explain pLSTM to me", "explain ForgetNet": the summary of the paper named
                elif bare_topic(run.standalone) and not self.named_papers(run.standalone):
                    kind = "list"  # a bare topic ("ML for molecules?") asks for its papers

            yield from strategies.STRATEGIES[kind](self, run)
        except ModelError as exc:
            listed = "\n".join(related_line(h) for h in run.hits[:5])
            text = f"The language model failed: {exc}" + (f"\n\nRetrieved papers:\n{listed}" if listed else "")
            yield Answer(question=question, answer=text, retrieved=run.hits, kind="error", error=str(exc),
                         standalone_question=run.standalone)

    # --- shared steps --------------------------------------------------------------------------------
    def standalone_question(self, question: str, history: list[dict[str, str]]) -> str:
        """Rewrite a follow-up into a standalone question (only when there is a conversation)."""
        turns = [t for t in history if t.get("content")][-4:]
        if not turns:
            return question
        lines = "\n".join(f"{t['role']}: {truncate(str(t['content']), 120)}" for t in turns)
        prompt = prompts.render("rewrite", history=lines, question=question)
        rewritten = self.llm.complete([{"role": "user", "content": prompt}], max_tokens=60).strip()
        rewritten = rewritten.splitlines()[0].strip().strip('"') if rewritten else ""
        return rewritten if 8 <= len(rewritten) <= 400 else question

    def retrieve(self, run: Run, text: str | None = None, k: int | None = None) -> list[Hit]:
        run.hits = self.retriever.search(text or run.standalone, k or run.k or self.settings.retrieval.k, run.filters)
        return run.hits

    def covered(self, hits: list[Hit], query: str = "") -> bool | None:
        """True/False when retrieval evidence is clear either way, None when the model must judge.

        BM25 adds up over the query's words, so a long question reaches `covered_bm25` on common words alone
        ("How much activation memory does gradient checkpointing ... save ...?" scored 8.2 against a paper on
        backward-compatible training): past 16 distinct words, the bar grows by half a point per word."""
        cfg = self.settings.answer
        hits = hits[:COVERAGE_DEPTH]  # a near match at rank 8 alone is not evidence that the corpus covers it
        if not hits:
            return False
        best_dense = max((h.dense_similarity or 0.0) for h in hits)
        best_bm25 = max((h.bm25_score or 0.0) for h in hits)
        words = len(set(re.findall(r"[a-z0-9]{3,}", query.lower())))
        if best_dense >= cfg.covered_similarity or best_bm25 >= max(cfg.covered_bm25, words / 2):
            return True
        if best_dense < cfg.min_relevance:
            return False
        return None

    def fit_context(self, hits: list[Hit], budget: int | None = None, whole_abstract: bool = False,
                    question: str = "") -> list[tuple[Hit, str]]:
        """The best passages that fit the token budget, best first.

        The top paper gets its whole abstract (up to half the budget; a longer one its sentences closest to
        `question`), the others their best-matching chunk (up to a third): a fact the question asks about is most
        often in the top paper, in any chunk of it.
        """
        budget = budget or self.settings.answer.context_tokens
        chosen: list[tuple[Hit, str]] = []
        used = 0
        for rank, hit in enumerate(hits):
            full = whole_abstract or rank == 0 or not hit.passage
            limit = max(60, budget // 2 if rank == 0 else budget // 3)
            if full and question and count_tokens(hit.paper.abstract) > limit:
                text = self.focused_abstract(question, hit.paper.abstract, limit)
            else:
                text = truncate(hit.paper.abstract if full else hit.passage or "", limit)
            cost = count_tokens(text) + 20
            if used + cost > budget and chosen:
                break
            chosen.append((hit, text))
            used += cost
        return chosen

    @staticmethod
    def format_sources(context: list[tuple[Hit, str]]) -> str:
        blocks = []
        for i, (hit, text) in enumerate(context):
            paper = hit.paper
            meta = ", ".join(filter(None, [short_authors(paper.authors, 2), paper.date[:4] if paper.date else None]))
            blocks.append(f"[{key_for(i)}] {paper.title}" + (f" ({meta})" if meta else "") + f"\n{text}")
        return "\n\n".join(blocks)

    def messages(self, prompt: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": prompts.load("system")}, {"role": "user", "content": prompt}]

    def generate_cited(self, run: Run, context: list[tuple[Hit, str]], allow_refusal: bool = True) -> Stream:
        """Stream a cited answer over `context`. Without a surviving key: attribute uncited sentences to the
        one source that supports them, else ask once more in the same conversation, else answer extractively.
        A key that points away from the one source holding the sentence's numbers is moved there; an answer
        stating a number or a name no source gives is asked again once, naming it, then answered extractively.

        With allow_refusal=False (retrieval evidence is strong), the model's NOT COVERED counts as a failed
        answer, not a refusal: the retry and the extractive fallback still answer from the sources."""
        hits = [hit for hit, _ in context]
        messages = self.messages(prompts.render("answer", sources=self.format_sources(context), question=run.standalone))
        citer = StreamingCiter(hits)
        raw = ""
        held = True  # hold the first characters back until we know it is not NOT COVERED
        for delta in self.llm.stream(messages):
            raw += delta
            if held and (len(raw.strip()) < len(NOT_COVERED) and NOT_COVERED.startswith(raw.strip().upper())):
                continue
            if held:
                held = False
                if raw.strip().upper().startswith(NOT_COVERED):
                    break
                piece = citer.feed(raw)
            else:
                piece = citer.feed(delta)
            if piece:
                yield piece
        if allow_refusal and raw.strip().upper().startswith(NOT_COVERED):
            yield self.refusal(run)
            return
        raw = re.sub(rf"\s*{NOT_COVERED}\W*$", "", raw)  # an answer that ends in the marker keeps its answer
        sources = [f"{hit.paper.title} ({(hit.paper.date or '')[:4]})\n{hit.paper.abstract}" for hit in hits]  # year too
        raw = prune_keys(rekey(canonical_keys(raw, hits), sources, run.standalone), sources, run.standalone)
        resolved = resolve(raw, hits)
        extractive = False
        if not resolved.citations:  # often a right answer without its key: add keys the sources clearly support
            attributed = resolve(attribute(raw, [f"{hit.paper.title}\n{text}" for hit, text in context]), hits)
            attributed.dropped += resolved.dropped
            resolved = attributed
        made_up = unsupported_numbers(raw, sources, run.standalone) if resolved.citations else []
        given = sources + [self.format_sources(context)]  # the model also read the passages and the authors
        unnamed = unsupported_names(raw, given, run.standalone) if resolved.citations and not made_up else []
        if resolved.citations and says_nothing(raw):  # "[S1]" alone: the model picked its source and said nothing of it
            cited = {c.paper_id for c in resolved.citations}
            picked = [hit for hit in hits if hit.paper.paper_id in cited]
            resolved, extractive = resolve(self.extractive(run.standalone, picked), picked), True
        elif not resolved.citations or made_up or unnamed:
            # the retry continues the conversation, so llama.cpp reuses the sources it has already read
            ask_again = (prompts.render("answer_numbers", numbers=", ".join(made_up)) if made_up
                         else prompts.render("answer_names", names=", ".join(unnamed)) if unnamed
                         else prompts.render("answer_retry"))
            retry = self.llm.complete(messages + [{"role": "assistant", "content": raw.strip() or "(no answer)"},
                                                  {"role": "user", "content": ask_again}])
            if allow_refusal and retry.strip().upper().startswith(NOT_COVERED):
                yield self.refusal(run)
                return
            retried = resolve(retry, hits)
            retried.dropped += resolved.dropped
            resolved = retried
            if (unsupported_numbers(retry, sources, run.standalone) or unsupported_names(retry, given, run.standalone)
                    or says_nothing(retry)):
                resolved.citations = []  # still made up, or keys alone: the sources' own sentences are the answer
        if not resolved.citations:
            resolved = resolve(self.extractive(run.standalone, hits), hits)
            extractive = True
        yield Answer(question=run.question, answer=resolved.text, citations=resolved.citations,
                     retrieved=run.hits, kind="fact", extractive=extractive, dropped_citations=resolved.dropped,
                     standalone_question=run.standalone)

    def clear_winner(self, top: Hit, runner_up: Hit) -> bool:
        """Does retrieval single out `top`: a strong BM25 hit twice the runner-up's, or a dense lead of 0.15?"""
        top_bm25, next_bm25 = top.bm25_score or 0.0, runner_up.bm25_score or 0.0
        lead = (top.dense_similarity or 0.0) - (runner_up.dense_similarity or 0.0)
        return (top_bm25 >= self.settings.answer.covered_bm25 and top_bm25 >= 2 * next_bm25) or lead >= 0.15

    def sentence_scores(self, question: str, sentences: list[str], prefer: re.Pattern[str] | None = None) -> np.ndarray:
        """MiniLM similarity of each sentence to the question; a question asking "how much ...?" also favours a
        sentence with a number the question does not state itself ("for 3D rotations" is no answer), and a
        sentence matching `prefer` counts 0.1 closer."""
        vectors = self.retriever.embedder.embed([question] + sentences)
        scores = vectors[1:] @ vectors[0]
        if _ASKS_FOR_A_QUANTITY.search(question):
            asked = set(_NUMBER.findall(question))
            scores = scores + 0.15 * np.array([bool(set(_NUMBER.findall(s)) - asked) for s in sentences])
        if prefer is not None:
            scores = scores + 0.1 * np.array([bool(prefer.search(s)) for s in sentences])
        return scores

    def focused_abstract(self, question: str, abstract: str, limit: int) -> str:
        """An abstract too long for `limit` tokens cut to its sentences closest to the question, in their order,
        "…" where sentences were left out: a cut at the limit loses the results that most abstracts end with
        ("… while requiring less than half the memory storage of Gaussian Splatting and … up to 39%")."""
        sentences = split_sentences(abstract)
        if len(sentences) < 2:
            return truncate(abstract, limit)
        # the sentence that says what the paper does answers many questions that its wording does not echo
        scores = self.sentence_scores(question, sentences, prefer=_OWN_CONTRIBUTION)
        kept: set[int] = set()
        used = 0
        for j in np.argsort(-scores):
            cost = count_tokens(sentences[j]) + 1
            if used + cost <= limit:
                kept.add(int(j))
                used += cost
        if not kept:
            return truncate(abstract, limit)
        parts, last = [], -1
        for j in sorted(kept):
            parts.append(("… " if j != last + 1 else "") + sentences[j])
            last = j
        return " ".join(parts) + (" …" if last != len(sentences) - 1 else "")

    def extractive(self, question: str, hits: list[Hit], sentences: int = 3, labelled: bool = True) -> str:
        """The sentences of the retrieved abstracts most similar to the question, each with its key; only the top
        paper's when retrieval clearly singles it out (a number-rich sentence of a runner-up answers nothing)."""
        readable = hits[:1] if len(hits) > 1 and self.clear_winner(hits[0], hits[1]) else hits[:5]
        pool = [(i, s) for i, hit in enumerate(readable) for s in split_sentences(hit.paper.abstract)]
        if not pool:
            return ""
        scores = self.sentence_scores(question, [s for _, s in pool])
        best = sorted(np.argsort(-scores)[:sentences])
        body = " ".join(f"{pool[j][1]} [{key_for(pool[j][0])}]" for j in best)
        return f"Extractive answer (the most relevant sentences of the sources): {body}" if labelled else body

    def refusal(self, run: Run, reason: str = REFUSAL) -> Answer:
        related = run.hits[:3]
        text = reason
        if related:
            text += "\n\nRelated, but not covering this:\n" + "\n".join(related_line(h) for h in related)
        return Answer(question=run.question, answer=text, retrieved=run.hits, refused=True, kind="absent",
                      standalone_question=run.standalone)
