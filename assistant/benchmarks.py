"""Which papers evaluate on a named benchmark ("report results on GLUE", "run experiments on Atari"), or use a
named model ("papers that use Llama 2 models?")?

Such a request is about a name, not a topic: a paper either names the benchmark or it does not, and one that does
may be about anything (an attention variant tested on the Long Range Arena). So the answer is every paper of the
catalog whose title or abstract names it, found by matching the name, not by the relevance of its topic.
"""

from __future__ import annotations

import re
from collections import Counter

from assistant.chain import split_sentences
from assistant.records import Paper
from assistant.retrieve import SearchFilters

# a name: a run of capitalised or digit-bearing words ("Long Range Arena", "SuperGLUE", "CIFAR-10", "Atari", "iNat")
_NAME = (r"(?!(?:What|Which|Who|How|Any|Is|Are|Do|Does|Papers?)\b)(?:[A-Z][\w-]*|[a-z]+[A-Z0-9][\w-]*)"
         r"(?:\s+(?:[A-Z][\w-]*|\d[\w-]*))*")
_NAMES = rf"(?:the\s+)?{_NAME}(?:\s*(?:,|\bor\b|\band\b)\s*(?:the\s+)?{_NAME})*"
# "evaluate on the Long Range Arena", "report results on GLUE", "run experiments on Atari", "the ImageNet dataset"
# "distribution-shift benchmarks like WILDS, DomainNet or ImageNet-C"
_EVALUATED_ON = (r"(?:\b(?:evaluat(?:e|es|ed|ing)|experiments?|results|numbers|accuracy|scores?|tested|test(?:s|ing)?|"
                 r"benchmark(?:s|ed|ing)?)\s+(?:on|with|in)"
                 r"|\b(?:benchmarks?|datasets?)\s*,?\s+(?:like|such as|e\.g\.,?|including))\s+")
# ... or typed in lower case up to the end of the request ("evaluate on imagenet?"): a name only where the catalog
# writes it with capitals (`as_the_catalog_writes_them`)
_TYPED = r"(?:the\s+)?[a-z][\w-]*(?:(?:\s*,\s*|\s+)[a-z0-9][\w-]*){0,8}"
# "papers that use Llama 2 models?", "any work that uses GPT-2?": a model named, not a topic (without "models", only a
# name with a number: "papers that use RL?" asks for a topic the papers also spell out)
_VERSIONED = r"(?=[^\s?.!,;]*\d)"
_USES_MODEL = (r"\b(?:use|uses|using|built on|based on|fine-?tun(?:e|es|ed|ing))\s+"
               rf"(?:(?-i:(?P<used>{_NAMES}))\s+(?:models?|checkpoints?|weights)\b|(?-i:(?P<versioned>{_VERSIONED}{_NAMES})))"
               r"(?![\w-])(?=\s*(?:[?.!,;]|$)|\s+[-–—])")
# "MobileNet or Swin Transformer - which papers use them?": the names come first, the request refers back to them
_NAMES_FIRST = re.compile(rf"^\s*(?-i:(?P<first>{_NAMES}))(?:\s+(?:models?|architectures?|networks?))?\s*(?:[-–—:]\s|\?\s)"
                          r".*\b(?:use|uses|using|with|on)\s+(?:them|it|these|those)\b", re.I)
# "Meta's OPT language models": the owner's name is no part of the model's
_OWNER = re.compile(r"\b[A-Z][\w-]*'s\s+(?=[A-Z])")
_ASKS_FOR_BENCHMARK = re.compile(
    rf"{_EVALUATED_ON}(?:(?-i:(?P<evaluated>{_NAMES}))|(?-i:(?P<typed>{_TYPED}))(?=\s*[?.!]*\s*$))"
    rf"|(?<![\w-])(?-i:(?P<named>{_NAMES}))\s+(?:benchmarks?|datasets?|suites?|leaderboards?|experiments?|results|scores?)\b"
    rf"|{_USES_MODEL}", re.I)


def benchmark_names(question: str) -> list[str]:
    """The benchmark names a request for "papers evaluated on X" asks about (or the model names of "papers that use
    X models"); [] when it asks no such thing."""
    question = _OWNER.sub("", question)
    first = _NAMES_FIRST.match(question)
    matches = [first] if first else list(_ASKS_FOR_BENCHMARK.finditer(question))
    names = []
    for match in matches:
        listed = next(match.group(group) for group in match.re.groupindex if match.group(group))
        if (match.group("first") if first else match.group("named")) and not question[:match.start()].strip():
            listed = _first_word_lowered(listed)  # "Reinforcement learning experiments?": a capital of the sentence
        names += [re.sub(r"^the\s+|\s+(?:benchmarks?|datasets?|suites?|games|tasks?|environments?)$", "", part.strip())
                  for part in re.split(r",|\bor\b|\band\b", listed)]
    return list(dict.fromkeys(name for name in names if name))


def _first_word_lowered(text: str) -> str:
    """The first word in lower case when its only capital is the sentence's ("Atari or MuJoCo" -> "atari or
    MuJoCo"): whether it is a name is then up to how the catalog writes it (`as_the_catalog_writes_them`)."""
    first, _, rest = text.partition(" ")
    return f"{first.lower()} {rest}".strip() if first[1:] == first[1:].lower() and first[1:].isalpha() else text


def _name_pattern(name: str) -> re.Pattern[str]:
    """An all-capitals name matches as written ("GLUE", not "glue" nor the "GLU" of "GLU variants") unless it has a
    digit ("CIFAR-100" is also "Cifar100"); another matches in any case. Its words may be joined by spaces, hyphens
    or nothing ("Long-Range Arena", "MSCOCO"). A number may follow a name that ends in a letter ("Atari57"); one that
    ends in a number may share its prefix with others ("CIFAR-10/100", "CIFAR-10, -20, -100"), and a version or
    a plural may follow one that ends in a letter ("MobileNetV2", "MobileNets")."""
    words = [re.escape(word) for word in re.split(r"[\s-]+", name) if word]
    if len(words) > 1 and words[-1].isdigit():
        body = r"[\s-]*".join(words[:-1]) + rf"[\s-]*(?:\d+\s*[/,]\s*-?\s*)*{words[-1]}(?!\d)"
    else:  # a version or a plural may follow a name that ends in a letter ("MobileNetV2", "MobileNets")
        body = r"[\s-]*".join(words) + ("(?!\\d)" if words and words[-1][-1].isdigit() else r"(?:[vV]\d+|s)?")
    flags = 0 if name.isupper() and not any(c.isdigit() for c in name) else re.I
    return re.compile(rf"(?<![\w-]){body}(?![A-Za-z])", flags)


def as_the_catalog_writes_them(names: list[str], papers: list[Paper]) -> list[str]:
    """Names typed in lower case as most papers that use them write them, where that is a name ("imagenet" ->
    "ImageNet", "glue" -> "GLUE"), left out where they write ordinary words ("text classification"). A name of
    several words that no paper writes stands for the name-like words in it that papers do ("MS COCO" -> "COCO")."""
    texts = [_text(paper) for paper in papers]
    written = []
    for name in names:
        parts = [name]
        if " " in name and not any(map(_name_pattern(name).search, texts)):
            parts = [word for word in name.split() if _name_like(word)]
        written += [_as_the_catalog_writes_it(part, texts) for part in parts]
    return list(dict.fromkeys(filter(None, written)))


def _text(paper: Paper) -> str:
    """Where a paper names a benchmark: its title and abstract."""
    return f"{paper.title}\n{paper.abstract}"


def _name_like(word: str) -> bool:
    """A word that is a name by its look: all capitals ("COCO"), capitals inside ("MuJoCo") or a digit ("D4RL")."""
    return len(word) >= 3 and (word.isupper() or any(c.isupper() for c in word[1:]) or any(c.isdigit() for c in word))


def _as_the_catalog_writes_it(name: str, texts: list[str]) -> str | None:
    if name != name.lower():
        return name
    pattern = _name_pattern(name)
    forms = Counter(m.group(0) for text in texts for m in pattern.finditer(text))
    form = forms.most_common(1)[0][0] if forms else ""
    return form if form != form.lower() or any(c.isdigit() for c in form) else None


def papers_naming(papers: list[Paper], names: list[str], filters: SearchFilters,
                  most_share: float = 0.1) -> list[tuple[Paper, str | None]]:
    """Each paper whose title or abstract names one of `names`, with the abstract sentence that names it (None when
    only the title does). A name that more than `most_share` of the catalog uses (and more than 5 papers) is no
    benchmark's ("Transformers evaluated on ImageNet": not every paper that says "transformers")."""
    texts = [_text(paper) for paper in papers]  # built once, searched once per name
    using = {pattern: [paper for paper, text in zip(papers, texts) if pattern.search(text)]
             for pattern in map(_name_pattern, names)}
    most = max(5.0, most_share * len(papers))
    patterns = [pattern for pattern, users in using.items() if len(users) <= most]
    named = {paper.paper_id for pattern in patterns for paper in using[pattern]}
    found = []
    for paper in papers:  # in catalog order; the sentences are split only for the papers that name it
        if paper.paper_id not in named or not filters.accepts(paper):
            continue
        sentences = split_sentences(paper.abstract) or [paper.abstract]  # a short abstract is one sentence
        found.append((paper, next((s for s in sentences if any(p.search(s) for p in patterns)), None)))
    return found
