"""Cited literature overviews: papers grouped into themes, a cited paragraph per theme, open questions."""

from __future__ import annotations

import re
from typing import Generator, TYPE_CHECKING

import numpy as np

from assistant import prompts
from assistant.chain import split_sentences
from assistant.citations import resolve
from assistant.records import Answer, Hit, Progress
from assistant.relevance import Scored, search_topic, strip_request_tail
from assistant.strategies.abstracts import contribution
from assistant.strategies.common import topic_words
from assistant.strategies.lists import list_evidence, on_topic, relevant_candidates
from assistant.tokens import truncate

if TYPE_CHECKING:
    from assistant.chain import Chain, Run, Stream


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
    return "\n".join(f"- *{h.paper.title}*: {contribution(h.paper.abstract, title=h.paper.title)} [G{kept.index(h)}]"
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
    aspects = [a for a in dict.fromkeys(aspects) if topic_words(a)]
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
            for word in {w.lower() for w in topic_words(hit.paper.title) if len(w) > 3}:
                counts[word] = counts.get(word, 0) + 1
        return {word: n / len(papers) for word, n in counts.items() if n > 1 or papers is others}
    own, outside = shares(hits), shares(others) if others else {}
    common = sorted(own, key=lambda w: (-(own[w] - outside.get(w, 0.0)), -own[w], w))[:3]
    return ", ".join(w.capitalize() for w in common) if common else hits[0].paper.title.split(":")[0][:60]
