"""Which papers evaluate on a named benchmark ("report results on GLUE", "run experiments on Atari")?

Such a request is about a name, not a topic: a paper either names the benchmark or it does not, and one that does
may be about anything (an attention variant tested on the Long Range Arena). So the answer is every paper of the
catalog whose title or abstract names it, found by matching the name, not by the relevance of its topic.
"""

from __future__ import annotations

import re

from assistant.chain import split_sentences
from assistant.records import Paper
from assistant.retrieve import SearchFilters

# a name: a run of capitalised or digit-bearing words ("Long Range Arena", "SuperGLUE", "CIFAR-10", "Atari", "iNat")
_NAME = (r"(?!(?:What|Which|Who|How|Any|Is|Are|Do|Does|Papers?)\b)(?:[A-Z][\w-]*|[a-z]+[A-Z0-9][\w-]*)"
         r"(?:\s+(?:[A-Z][\w-]*|\d[\w-]*))*")
_NAMES = rf"(?:the\s+)?{_NAME}(?:\s*(?:,|\bor\b|\band\b)\s*(?:the\s+)?{_NAME})*"
# "evaluate on the Long Range Arena", "report results on GLUE", "run experiments on Atari", "the ImageNet dataset"
_ASKS_FOR_BENCHMARK = re.compile(
    r"\b(?:evaluat(?:e|es|ed|ing)|experiments?|results|numbers|accuracy|scores?|tested|test(?:s|ing)?|"
    rf"benchmark(?:s|ed|ing)?)\s+(?:on|with|in)\s+(?-i:(?P<evaluated>{_NAMES}))"
    rf"|(?<![\w-])(?-i:(?P<named>{_NAMES}))\s+(?:benchmarks?|datasets?|suites?|leaderboards?)\b", re.I)


def benchmark_names(question: str) -> list[str]:
    """The benchmark names a request for "papers evaluated on X" asks about; [] when it asks no such thing."""
    names = []
    for match in _ASKS_FOR_BENCHMARK.finditer(question):
        listed = match.group("evaluated") or match.group("named")
        names += [re.sub(r"^the\s+", "", part.strip()) for part in re.split(r",|\bor\b|\band\b", listed)]
    return list(dict.fromkeys(name for name in names if name))


def _name_pattern(name: str) -> re.Pattern[str]:
    """An all-capitals name matches as written ("GLUE", not "glue" nor the "GLU" of "GLU variants"); another matches
    in any case and with spaces or hyphens between its words ("Long-Range Arena"). A number may follow ("Atari57")."""
    words = [re.escape(word) for word in re.split(r"[\s-]+", name) if word]
    body = r"[\s-]+".join(words)
    flags = 0 if name.isupper() else re.I
    return re.compile(rf"(?<![\w-]){body}(?![A-Za-z])", flags)


def papers_naming(papers: list[Paper], names: list[str], filters: SearchFilters,
                  most_share: float = 0.1) -> list[tuple[Paper, str | None]]:
    """Each paper whose title or abstract names one of `names`, with the abstract sentence that names it (None when
    only the title does). A name that more than `most_share` of the catalog uses (and more than 5 papers) is no
    benchmark's ("Transformers evaluated on ImageNet": not every paper that says "transformers")."""
    using = {pattern: [paper for paper in papers if pattern.search(f"{paper.title}\n{paper.abstract}")]
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
