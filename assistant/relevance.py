"""How relevant is each candidate paper to a "which papers ..." request? A calibrated probability.

The packaged 1.5B chat model is no judge here: asked "is this paper about X?" per candidate it said yes to
429 of 434 off-topic candidates of our list questions (evals/results/list-judge-diagnosis.json). So relevance is a small
logistic model over evidence that is cheap and measurable: retrieval scores, MiniLM similarities between
the request's topic and the title, the abstract and its best sentence, and how many of the topic's words
and word pairs the paper uses (and of its head: "hallucination" in "hallucination in LLMs"), each also relative to
the best candidate of the pool. The weights live in
`assistant/relevance_model.json`, fit by `evals/fit_relevance.py` (leave-one-set-out figures there).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from assistant.embedder import Embedder
from assistant.lexical import with_word_variants
from assistant.records import Hit, Paper
from assistant.retrieve import Retriever, SearchFilters
from assistant.chain import split_sentences

BASE_FEATURES = ("dense", "bm25", "topic_title", "topic_abstract", "topic_sentence", "words_title", "words_abstract",
                 "pairs_title", "pairs_abstract", "density", "head_words", "head_pairs")
FEATURES = BASE_FEATURES + tuple(f"{name}_relative" for name in BASE_FEATURES) + ("rank",)

_VERBS = (r"about|on|regarding|concerning|into|use|using|uses|study|studies|studying|investigate|investigating|explore|build|"
          r"improve|improving|introduce|introducing|build on|building on|built on|based on|extend|extending|evaluate|evaluating|develop|developing|"
          r"experiment with|experiments with|experimenting with|"
          # "cutting the energy use of ...": what a paper does to the topic is no part of it
          r"reduce|reducing|cut|cutting|lower|lowering|decrease|decreasing|minimi[sz]e|minimi[sz]ing|speed up|speeding up|"
          r"exploring|work on|working on|deal with|dealing with|deals with|focus on|focusing on|address|addressing|"
          r"propose|proposing|analy[sz]e|analy[sz]es|analy[sz]ing|trains|look at|looking at|try to|discuss|discussing|apply|applying|"
          r"consider|considering|involve|involving|tackle|tackling|have on|has on|cover|covering|related to|relating to|on the topic of|"
          # "runs experiments on Atari games", "report results on GLUE", "run a human evaluation"
          r"(?:run|runs|running|report|reports|reporting|conduct|conducts|conducting|show|shows|present|presents) "
          r"(?:experiments|results|evaluations?|numbers|benchmarks?)|run|runs|evaluates")
_FRAME = re.compile(
    r"^(?:(?:can you|could you|please)\s+)?(?:(?:list|show|find|give|name|tell|search for|look for)\s+(?:me\s+)?)?"
    r"(?:(?:which(?: ones)?|what|any|all|every|the|are there(?: any)?|is there(?: any)?|do you have(?: any)?|does the corpus have"
    r"|does(?= anything)"
    r"|(?:have\s+)?you(?:'ve)?\s+got(?: any)?|got(?: any)?)\s+)?"
    r"(?:(?:anything|everything|something|stuff|much)(?:\s+(?:here|in here|in the corpus))?\s+)?(?:(?:other\s+)?(?:papers?|works?|research|studies|articles|publications)\s+)?"
    r"(?:(?:(?:in|from) (?:the|this|your) (?:corpus|collection|library)|in here|here)\s+)?(?:(?:that|which|where|in which)\s+)?"
    r"(?:(?:are|is|does|do|did|have|has)\s+)?(?:(?:there|mainly|mostly|specifically|all)\s+)*"
    rf"(?:(?:{_VERBS})(?:\s+or\s+(?:{_VERBS}))?\s+)*", re.I)
_PAPERS_ON = re.compile(r"\b(?:papers?|works?|research|studies|articles|publications)\s+(?:(?:exists?|here|in the corpus)\s+)?"
                        rf"(?:(?:that|which)\s+)?(?:(?:{_VERBS})\s+)+", re.I)
_WORD_STOP = set("a an the of on in for to and or by with from about models model using use based such as e.g i.e etc "
                 "including itself themselves new novel".split())  # "compressing the data itself", "proposing new
# attention mechanisms": emphasis, no topic word


# what trails a request without being its topic: "..., with citations", "... across the corpus", "... pls", "...? thanks"
_REQUEST_TAIL = re.compile(
    r"(?:[\s,;]+(?:pls|plz|please|thanks|thank you|thx|ty)"
    r"|,?\s+(?:with|w/) (?:citations|references|refs|sources)|,?\s+cit(?:e|ing) (?:them|the papers|papers|sources)"
    r"|,?\s+(?:can|could) you list them|,?\s+what do you have|[\s,.?]+(?:just )?(?:give me )?(?:a list|the titles)(?: please)?"
    r"|\?\s*(?:and\s+)?which (?:ones|papers)(?: are they)?"  # "does anything here study X? which ones?"
    r"|\s+(?:(?:covered|discussed) )?(?:across|in|from|according to) (?:the|this|these|our|your) (?:corpus|collection|papers|works|library)"
    r"(?: here)?|\s+for my (?:thesis|project|paper|class|course|research))[\s?.!]*$", re.I)


def strip_request_tail(text: str) -> str:
    """`text` without what trails the request ("with citations", "across the corpus", "pls", "for my thesis")."""
    text = text.strip().rstrip("?.! ")
    while (stripped := _REQUEST_TAIL.sub("", text).rstrip("?.! ")) != text and stripped:
        text = stripped
    return text


# between the phrases of a list: "A, B or C", "A, B, and C", "neither A nor B"
_LIST_SEPARATOR = re.compile(r",\s*(?:(?:or|and|nor)\s+)?|\s+(?:or|and|nor)\s+")
# what the asker rules out: "X papers? (not Y or Z)", "X, but not Y", "X excluding Y", "X rather than Y", "X, not Y",
# also at the end of a gloss in parentheses: "navigation (agents finding their way, not web navigation)"
_NOT_MERELY = r"(?!\s+(?:just|only|merely|necessarily|always|limited|restricted)\b)"  # "not just X" adds X, rules nothing out
# "(not just cite them as a baseline)": an aside that widens the request, no part of its topic
_WIDENING_ASIDE = re.compile(r"\s*\(\s*not\s+(?:just|only|merely)\b[^)]*\)", re.I)
_EXCLUSION = re.compile(rf"\s*\(\s*(?:but\s+)?(?:not{_NOT_MERELY}|excluding|except(?:\s+for)?|no)\s+(?P<inner>[^)]+)\)"
                        r"|(?:(?:,|\s[-–—])?\s+(?:but\s+not|but\s+(?:leave|leaving)\s+out|but\s+(?:skip|ignore|omit|drop)|(?:(?:and|but)\s+)?excluding|except(?:\s+for)?|rather\s+than|instead\s+of"
                        rf"|as\s+opposed\s+to|other\s+than|apart\s+from|aside\s+from)|[,;]\s*not{_NOT_MERELY})"
                        r"\s+(?P<tail>[^()]+?(?:\s*\([^()]*\))?)\s*[?.!]*(?=\)|$)", re.I)  # "..., but not VAEs (variational ...)"


# "diffusion models for high-resolution image generation - what's in here?": the asking trails the topic
_ASKING_TRAIL = re.compile(r"\s*(?:\s[-–—]|:)\s*(?:what|which|anything|any|is there|are there|do you|does the corpus)\b"
                           r"[^-–—:]*$", re.I)


def excluded_topics(question: str) -> list[str]:
    """What a list request rules out, one reading per alternative: "transfer learning papers? (not domain adaptation
    or cross-lingual transfer)" -> ["domain adaptation", "cross-lingual transfer"]."""
    found = [_ASKING_TRAIL.sub("", m.group("inner") or m.group("tail")) for m in _EXCLUSION.finditer(question)]
    found = [_THE_ONES_THAT.sub("", text) for text in found]
    return [part.strip(" ,;:?.!") for text in found for part in _LIST_SEPARATOR.split(text) if part.strip(" ,;:?.!")]


# "excluding the ones that generate images, video or 3D": what they do is the phrase ruled out, not "the ones"
_THE_ONES_THAT = re.compile(r"^\s*(?:the\s+ones|ones|those|(?:the\s+)?(?:papers?|works?))\s+(?:(?:that|which|who)\s+(?:\w+\s+)?"
                            r"|(?:about|on)\s+)", re.I)  # "not the ones about discovering the causal graph"


_CLARIFIED = re.compile(r"^(?P<head>.+?)\?\s+(?:I mean|I'm thinking of|as in|that is|i\.e\.|specifically|namely)[,:]?\s+"
                        r"(?P<gloss>.+)$", re.I)
_ASKS_AGAIN = re.compile(r"(?:which|what|any|all|papers?|works?|studies|research)\b", re.I)


def request_topic(question: str) -> str:
    """The topic of a list request: "Which papers work on LLM quantization?" -> "LLM quantization"."""
    question = _WIDENING_ASIDE.sub("", question)
    topic = strip_request_tail(_EXCLUSION.sub("", question).strip() or question)
    # "any work on topology? I mean topological properties of shapes": the second sentence says what the topic means;
    # when it asks again ("LRA papers? i.e. which papers evaluate on the Long Range Arena benchmark"), its topic does
    clarified = _CLARIFIED.match(topic)
    if clarified:
        gloss = clarified.group("gloss")
        topic = f"{clarified.group('head')}: {request_topic(gloss) if _ASKS_AGAIN.match(gloss) else gloss}"
    topic = _ASKING_TRAIL.sub("", topic) or topic
    # "reward models used for something other than aligning LLMs": with the exclusion gone, "for something" says nothing
    topic = re.sub(r"\s+(?:(?:used|applied)\s+)?(?:for|in|to)\s+(?:something|anything)(?:\s+else)?$", "", topic,
                   flags=re.I) or topic
    topic = re.sub(r"^what (?:work|research|papers)(?: is there| are there| exists?| does the corpus have)?(?: in the corpus| here)?"
                   r"\s+(?:on|about)\s+",
                   "", topic, flags=re.I)
    topic = re.sub(r"^what (?:does the corpus|do you) (?:have|contain|hold) (?:on|about)\s+", "", topic, flags=re.I)
    topic = re.sub(r"^what (?:papers|work|research) (?:do you have|(?:is )?(?:here|in the corpus)(?: that)?"
                   r"(?: (?:looks? at|stud(?:y|ies)|explores?|covers?|deals? with|address(?:es)?))?) (?:on |about )?", "", topic,
                   flags=re.I)
    topic = re.sub(r"^(?:i )?need a reading list (?:on|about|for)\s+", "", topic, flags=re.I)
    # "suggest some reading on X", "I want everything you've got on X", "hey do you have papers on X"
    topic = re.sub(r"^(?:hey|hi|hello)[,!]?\s+", "", topic, flags=re.I)
    topic = re.sub(r"^(?:i'?m|i am) (?:looking|searching) for\s+(?:(?:some|any)\s+)?(?=\S)", "", topic, flags=re.I)
    topic = re.sub(r"^(?:(?:can|could) you\s+)?(?:suggest|recommend)(?: me)? (?:some |any )?(?:reading|papers?|work)\s+(?:on|about)\s+",
                   "", topic, flags=re.I)
    topic = re.sub(r"^(?:i want |i need |i'd like |i would like |give me )?everything (?:(?:you(?:'ve| have)? got|you have) )?"
                   r"(?:on|about|regarding|related to)\s+", "", topic, flags=re.I)  # "I need everything on X"
    topic = re.sub(r"^what(?:'s| is| do you have| do we have| have you got)\s+(?:(?:there|out there|available|here|in here|"
                   r"in the (?:corpus|collection|library))\s+)?(?:on|about|regarding)\s+", "", topic, flags=re.I)
    # "How do the papers here do mixed-precision training ...?": the topic is what they do; after a verb other than
    # these generic ones, the verb and what follows ("compress or evict the KV cache")
    topic = re.sub(r"^how (?:do|does|did) (?:the |these |those |any )?(?:papers?|works?|studies|authors)(?: here| in the corpus)?\s+"
                   r"(?:(?:do|handle|approach|tackle|use|address|deal with|implement|build|perform|achieve)\s+)?", "", topic,
                   flags=re.I)
    topic = _FRAME.sub("", topic)
    # "Computational neuroscience papers - models of brain activity": the genre word joins topic and gloss
    topic = re.sub(r"\s+(?:papers?|works?|research|studies|articles)(?=\s*(?:[-–—:]\s))", "", topic, count=1, flags=re.I)
    # framing the pattern above does not know ("I'm looking for work on X", "Point me to papers on X"): what
    # follows the first "papers on", "work that studies", "research exists on"
    framed = _PAPERS_ON.search(topic)
    if framed and framed.end() < len(topic):
        topic = topic[framed.end():]
    topic = re.sub(r"\s+(?:in the corpus|in here|here)$", "", topic, flags=re.I).strip()
    topic = re.sub(r"\s+(?:are|is) there$", "", topic, flags=re.I).strip()  # "what clustering papers are there"
    topic = re.sub(r"\s+(?:papers?|works?|research|studies|articles|publications|stuff)$", "", topic, flags=re.I).strip()
    # "SVD papers? (singular value decomposition ...)": the genre word before the gloss
    topic = re.sub(r"\s+(?:papers?|works?|research|studies|articles)\?*\s*(?=\()", " ", topic, flags=re.I)
    # every paper here is machine learning: "ML for molecules and materials" is about molecules and materials
    topic = re.sub(r"^(?:ML|AI|machine learning|deep learning|neural (?:networks?|nets?))\s+(?:for|in|on)\s+(?=\S)", "",
                   topic, flags=re.I)
    # ... and "the carbon footprint of ML models" is about carbon footprints
    topic = re.sub(r"(?<=\S)\s+(?:of|in|for)\s+(?:ML|AI|machine learning|deep learning|(?:deep )?neural networks?)"
                   r"(?:\s+(?:models?|systems?))?$", "", topic, flags=re.I)
    # "matryoshka-style nested models": the papers say "Matryoshka", never "-style"
    topic = re.sub(r"(?<=\w)-style\b", "", topic, flags=re.I)
    return topic or question


def list_request(retriever: Retriever, question: str,
                 filters: SearchFilters | None = None) -> tuple[str, SearchFilters]:
    """The topic a list request is about, and its filters: those given, else the names and years it states
    (read once; the topic is the question without them and without its framing)."""
    facts = retriever.read(question)
    if filters is None or not filters.active:
        filters = SearchFilters(author=facts.author, year_from=facts.year_from, year_to=facts.year_to)
    return request_topic(facts.topic or question), filters


def search_topic(retriever: Retriever, topic: str) -> str:
    """The topic as candidates are retrieved and scored by, in the corpus's words: misspelt words respelt
    ("embedings" -> "embeddings"), and in a short one the acronyms spelled out as the corpus defines them
    ("NAS" -> "NAS (neural architecture search)"), which MiniLM and BM25 can match."""
    topic = retriever.glossary.respell(topic)
    if len(set(_stems(topic))) > retriever.settings.answer.list_short_topic_words:
        return topic  # a longer topic says what it means in words already
    return retriever.glossary.spell_out(topic)


def list_pool(retriever: Retriever, topic: str, filters: SearchFilters, k: int) -> list[Hit]:
    """The candidates of a list request: retrieved by its topic alone, under its filters.

    The framing ("Which papers are about ...", "2023 papers on ...") only adds noise to both rankings and
    lowers the similarity the coverage check reads: "2023 papers on diffusion models?" scored 0.33 against
    the best diffusion paper of 2023, "diffusion models" 0.53.
    """
    return retriever.search(topic, k, filters, read_metadata=False)


def _stems(text: str) -> list[str]:
    """Lower-case words cut to 6 letters, so "quantization" and "quantized" meet; a hyphenated word also counts
    written as one ("bi-level" -> "bi", "level", "bileve"), so it meets "bilevel", and a name built on an acronym
    also counts as the acronym ("StyleGAN" -> "styleg", "gan"); "nets" counts as "networks"."""
    return [_SHORT_FORMS.get(w, w)[:6] for w in re.findall(r"[a-z0-9]+", with_word_variants(text).lower())
            if w not in _WORD_STOP and len(w) > 1]


_SHORT_FORMS = {"net": "network", "nets": "networks"}  # "neural nets", "conv nets"


def _paper_stems(paper: Paper) -> list[str]:
    """The stems of a paper's title and abstract: what its words are counted and matched on."""
    return _stems(f"{paper.title} . {paper.abstract}")


def _pairs(stems: list[str]) -> set[tuple[str, str]]:
    return set(zip(stems, stems[1:]))


class WordRarity:
    """How many papers of the catalog use each word stem: rare topic words carry the topic ("exit" in
    "early-exit inference for transformers"), common ones ("transformers", "inference") do not."""

    def __init__(self, papers: dict[str, Paper]):
        self.papers = papers  # the catalog counted, so a holder can tell when it changed (as NameIndex)
        self.papers_using: Counter[str] = Counter()
        self._stems_of: dict[str, set[str]] = {}
        for paper in papers.values():
            self.papers_using.update(self.stems_of(paper))

    def stems_of(self, paper: Paper) -> set[str]:
        """The distinct stems of a paper's title and abstract, computed once per paper."""
        if paper.paper_id not in self._stems_of:
            self._stems_of[paper.paper_id] = set(_paper_stems(paper))
        return self._stems_of[paper.paper_id]

    def weight(self, stem: str) -> float:
        return math.log((len(self.papers) + 1) / (self.papers_using.get(stem, 0) + 0.5))

    def spelled_as_in_corpus(self, stem: str) -> str:
        """A stem no paper uses is most often a typo ("difusion"): the closest stem the corpus uses, if any."""
        if stem in self.papers_using:
            return stem
        if stem.endswith("s") and stem[:-1] in self.papers_using:  # "VAEs" where papers write "VAE"
            return stem[:-1]
        if len(stem) < 5:
            return stem
        close = difflib.get_close_matches(stem, [s for s in self.papers_using if s[:1] == stem[:1]], n=1, cutoff=0.8)
        return close[0] if close else stem


_EXAMPLES = re.compile(r",?\s*\b(?:i\.?e\.?|e\.?g\.?|such as|like|including|especially|in particular)(?=\W)[^,;]*", re.I)


def title_uses(paper: Paper, phrase: str) -> bool:
    """Does the paper's title use every word of `phrase`, plural or not ("Lie groups" meets "Lie Group Decompositions")?"""
    def singular(stems: list[str]) -> set[str]:
        return {s[:-1] if len(s) > 3 and s.endswith("s") and not s.endswith("ss") else s for s in stems}
    return singular(_stems(phrase)) <= singular(_stems(paper.title))


def topic_core(topic: str) -> str:
    """The topic without its asides: "lip reading, i.e. recognising speech from video" -> "lip reading",
    "hyperbolic embeddings (poincare ball) for hierarchies" -> "hyperbolic embeddings for hierarchies"."""
    core = _EXAMPLES.sub("", re.sub(r"\s*\([^)]*\)", "", topic))
    return re.sub(r"\s+", " ", core).strip(" ,;:-") or topic


_LINKS = {"for", "in", "on", "of", "with", "to", "from", "by", "via", "under", "using", "about", "as", "at", "into"}


def topic_alternatives(topic: str, most: int = 8) -> list[str]:
    """The readings of a topic that joins words by "or", "and" or "/": "anomaly or OOD detection" ->
    ["anomaly detection", "OOD detection"]. Each joined word is one choice; the words around it are shared.
    Two phrases of a few words joined once are also read whole: "influence functions or data valuation" ->
    also ["influence functions", "data valuation"]."""
    return list(dict.fromkeys(_phrase_alternatives(topic) + _word_alternatives(topic, most)))[:most]


def listed_readings(topic: str) -> list[str]:
    """The phrases of a topic that lists short plain phrases: "faces, human bodies or hands" -> ["faces", "human
    bodies", "hands"]; [] when it is no such list (a linking word ties its words together: "X for A, B or C").
    Used by the coverage checks, where one phrase covered is enough; the relevance features keep the topic whole."""
    parts = [p.strip() for p in _LIST_SEPARATOR.split(topic) if p.strip()]
    if "," not in topic or len(parts) < 3 or any(word.lower() in _LINKS for word in topic.split()):
        return []
    return parts if all(len(p.split()) <= 3 for p in parts) else []


def _phrase_alternatives(topic: str) -> list[str]:
    """The two phrases of a topic that joins two plain phrases of 2-4 words once ("influence functions or data
    valuation", "causal discovery / structure learning"); none when a linking word ties them ("hallucination in
    LLMs or multimodal models" is one topic)."""
    words = topic.split()
    joins = [i for i, word in enumerate(words) if word.lower() in ("or", "and", "/")]
    if (len(joins) != 1 or not (2 <= joins[0] <= 4 and 2 <= len(words) - joins[0] - 1 <= 4)
            or any(word.lower() in _LINKS for word in words)):
        return []
    return [" ".join(words[:joins[0]]), " ".join(words[joins[0] + 1:])]


def _word_alternatives(topic: str, most: int) -> list[str]:
    words = topic.split()
    for i, word in enumerate(words):
        if 0 < i < len(words) - 1 and word.lower() in ("or", "and", "/"):
            # "reward design or reward shaping in RL": the phrase after the join repeats the head of the one before
            span = next((k for k in (3, 2) if i >= k and words[i - k].lower() == words[i + 1].lower()), 1)
            choices = [" ".join(words[i - span:i]), " ".join(words[i + 1:i + 1 + span])]
            before, after = words[:i - span], words[i + 1 + span:]
        elif "/" in word.strip("/") and all(re.search(r"[a-z]", part, re.I) for part in word.split("/")):
            choices, before, after = word.split("/"), words[:i], words[i + 1:]
        else:
            continue
        readings = [r for choice in choices for r in _word_alternatives(" ".join(before + [choice] + after), most)]
        return list(dict.fromkeys(readings))[:most]
    return [topic]


def topic_head(topic: str) -> str:
    """What a topic is about before the words that place it: "hallucination in LLMs or multimodal models" ->
    "hallucination", "reward design or reward shaping in RL" -> "reward design or reward shaping". A paper on
    LLMs uses the place words; one on the topic uses the head."""
    words = topic_core(topic).split()
    cut = next((i for i, word in enumerate(words) if i > 0 and word.lower() in _LINKS | {"that", "which", "whether"}
                and words[i - 1].lower() not in {"or", "and"}), len(words))  # "X models or on Y": both are the head
    return " ".join(words[:cut])


def _head_shares(heads: list[list[str]], stems: list[str]) -> tuple[float, float]:
    """(Share of the head's words, share of its word pairs) that `stems` use, for the head reading (`heads`: the
    stems of each) they match best; a one-word reading's pair share is its word share."""
    used, used_pairs = set(stems), _pairs(stems)
    words, pairs = 0.0, 0.0
    for wanted in heads:
        word_share = len(set(wanted) & used) / max(1, len(set(wanted)))
        wanted_pairs = _pairs(wanted)
        words = max(words, word_share)
        pairs = max(pairs, len(wanted_pairs & used_pairs) / len(wanted_pairs) if wanted_pairs else word_share)
    return words, pairs


# a noun that only says what kind of thing the topic is: "XOR or parity problems" are about XOR or parity
_GENERIC_HEAD = re.compile(r"\s+(?:models?|methods?|problems?|approach(?:es)?|techniques?|algorithms?|tasks?)$", re.I)


def reading_pair_share(topic: str, paper: Paper) -> float:
    """For a topic with alternatives ("influence functions or data valuation"), the largest share of one reading's
    word pairs that the paper's title and abstract use; 0 for a topic without alternatives. A hyphenated word's
    pair with its own joined spelling ("text", "textto") is no pair: every "text-to-image" paper has it. A generic
    head noun is no part of a reading ("bilinear models" -> "bilinear"), and a reading of one word is used whole
    when the paper uses that word ("trilinear" in "Piecewise Trilinear Networks")."""
    readings = [_GENERIC_HEAD.sub("", r) or r for r in topic_alternatives(topic_core(topic))]
    if len(readings) < 2:
        return 0.0
    stems = _paper_stems(paper)
    used = _pairs(stems)
    shares = []
    for reading in readings:
        words = _stems(reading)
        wanted = {(a, b) for a, b in _pairs(words) if not (b.startswith(a) or a.startswith(b))}
        if wanted:
            shares.append(len(wanted & used) / len(wanted))
        elif len(set(words)) == 1:
            shares.append(float(words[0] in stems))
    return max(shares, default=0.0)


def topic_coverage(topic: str, hits: list[Hit], rarity: WordRarity) -> tuple[float, int]:
    """(The largest share of the topic's words, weighted by rarity, that one candidate uses; how many distinct
    words the topic has). Low coverage of a short topic means no paper is about it, only near it."""
    acronyms = {a.lower() for a in re.findall(r"\b[A-Z][A-Z0-9]{1,5}s?\b", topic)}
    stems = list(dict.fromkeys(rarity.spelled_as_in_corpus(s) for s in _stems(topic)))
    # an acronym no paper writes may still be their topic, spelled out ("GANs", "generative adversarial networks")
    stems = [s for s in stems if s in rarity.papers_using or s not in acronyms]
    total = sum(rarity.weight(s) for s in stems)
    if not stems or not hits or total <= 0:
        return 1.0, len(stems)
    best = max(sum(rarity.weight(s) for s in stems if s in used) for used in (rarity.stems_of(h.paper) for h in hits))
    return best / total, len(stems)


@dataclass
class Scored:
    hit: Hit
    probability: float
    sentence: str  # the abstract sentence closest to the topic: what the list line quotes
    sentence_similarity: float = 0.0  # MiniLM similarity of that sentence to the topic (absolute, not relative)
    pair_share: float = 0.0  # share of the topic's word pairs ("gaussian splatting") found in title or abstract
    word_share: float = 0.0  # share of the topic's words found in title or abstract


def _embed(embedder: Embedder, texts: list[str], memo: dict[str, np.ndarray]) -> np.ndarray:
    """Vectors of `texts`, embedding only those `memo` does not hold yet (and adding them to it)."""
    missing = [t for t in dict.fromkeys(texts) if t not in memo]
    if missing:
        memo.update(zip(missing, embedder.embed(missing)))
    return np.stack([memo[t] for t in texts])


def feature_table(topic: str, hits: list[Hit], embedder: Embedder,
                  memo: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, list[str]]:
    """One row of FEATURES per candidate, and each candidate's sentence closest to the topic. Pass the same
    `memo` when scoring a deeper pool of the same request, so the candidates already seen are not embedded again."""
    per_paper = [split_sentences(h.paper.abstract) or [h.paper.abstract[:300] or h.paper.title] for h in hits]
    texts = [topic] + [h.paper.title for h in hits] + [f"{h.paper.title}. {h.paper.abstract}" for h in hits]
    vectors = _embed(embedder, texts + [s for sentences in per_paper for s in sentences], {} if memo is None else memo)
    n = len(hits)
    to_topic = vectors[1:] @ vectors[0]
    titles, abstracts, sentences = to_topic[:n], to_topic[n:2 * n], to_topic[2 * n:]
    topic_stems = _stems(topic)
    wanted, wanted_pairs = set(topic_stems), _pairs(topic_stems)
    heads = [_stems(reading) for reading in topic_alternatives(topic_head(topic))]
    rows, best, start = [], [], 0
    for i, hit in enumerate(hits):
        own = sentences[start:start + len(per_paper[i])]
        start += len(per_paper[i])
        best.append(per_paper[i][int(np.argmax(own))])
        title_stems = _stems(hit.paper.title)
        all_stems = _paper_stems(hit.paper)
        rows.append([
            hit.dense_similarity or 0.0, hit.bm25_score or 0.0, titles[i], abstracts[i], float(own.max()),
            len(wanted & set(title_stems)) / max(1, len(wanted)), len(wanted & set(all_stems)) / max(1, len(wanted)),
            len(wanted_pairs & _pairs(title_stems)) / max(1, len(wanted_pairs)),
            len(wanted_pairs & _pairs(all_stems)) / max(1, len(wanted_pairs)),
            10 * sum(s in wanted for s in all_stems) / max(1, len(all_stems)),
            *_head_shares(heads, all_stems),
        ])
    table = np.array(rows, dtype=np.float64).reshape(n, len(BASE_FEATURES))
    tops = np.where(table.max(axis=0) > 0, table.max(axis=0), 1.0)
    ranks = np.arange(n, dtype=np.float64).reshape(n, 1) / 30.0
    return np.hstack([table, table / tops, ranks]), best


@lru_cache(maxsize=1)
def load_model() -> dict:
    text = resources.files("assistant").joinpath("relevance_model.json").read_text(encoding="utf-8")
    model = json.loads(text)
    if tuple(model["features"]) != FEATURES:
        raise ValueError("assistant/relevance_model.json was fit on other features: run evals/fit_relevance.py")
    return model


def probabilities(table: np.ndarray, model: dict) -> np.ndarray:
    z = (table - np.array(model["mean"])) / np.array(model["scale"])
    return 1.0 / (1.0 + np.exp(-(z @ np.array(model["coef"]) + model["intercept"])))


def score_candidates(topic: str, hits: list[Hit], embedder: Embedder,
                     memo: dict[str, np.ndarray] | None = None) -> list[Scored]:
    """Candidates with their relevance probability, most relevant first."""
    if not hits:
        return []
    table, sentences = feature_table(topic, hits, embedder, memo)
    chances = probabilities(table, load_model())
    column = {name: BASE_FEATURES.index(name) for name in ("topic_sentence", "pairs_abstract", "words_abstract")}
    scored = [Scored(hit=h, probability=float(p), sentence=s, sentence_similarity=float(row[column["topic_sentence"]]),
                     pair_share=float(row[column["pairs_abstract"]]), word_share=float(row[column["words_abstract"]]))
              for h, p, s, row in zip(hits, chances, sentences, table)]
    return sorted(scored, key=lambda s: -s.probability)
