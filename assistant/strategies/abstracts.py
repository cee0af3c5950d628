"""What an abstract says: its contribution sentence and its problem / approach / data / results sentences."""

from __future__ import annotations

import re

from assistant.chain import split_sentences
from assistant.glossary import with_long_forms


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


_OWN_VOICE = re.compile(r"\b(?:we|our|this (?:paper|work))\b.*\b(?:propos|present|introduc|develop|design|buil[dt]|construct|compil"
                        r"|collect|curat|releas|call|dub|creat|offer)", re.I)  # "we compiled X", not "we also find X"


NO_ABSTRACT = "(the corpus has its title and authors only, no abstract)"


def contribution(abstract: str, most: int = 220, title: str = "") -> str:
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
    return with_long_forms(clip(chosen, most), abstract)


def clip(text: str, most: int) -> str:
    """`text` cut to `most` characters at a word boundary, marked with "…"."""
    return text if len(text) <= most else text[:most].rsplit(" ", 1)[0] + "…"
