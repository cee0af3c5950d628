"""Acronyms the corpus itself defines ("neural architecture search (NAS)"), to spell out a short request.

MiniLM and BM25 see "NAS papers?" as three unknown letters: the papers about it write "neural architecture
search" and use "NAS" once, if at all. The long form is read from the abstracts, so it is whatever this
corpus means by the acronym, and an acronym it never defines is left alone.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from assistant.records import Paper

# "... long form words (ACR)": up to eight words before an upper-case acronym in brackets (a plural "s" allowed)
_DEFINITION = re.compile(r"((?:[A-Za-z][\w'-]*\s+){1,8}?)\(([A-Z][A-Za-z]*[A-Z])(s?)\)")
_LEADING_STOP = {"a", "an", "the", "of", "on", "in", "for", "to", "with", "and", "by", "as", "from", "via", "using", "called"}
_ACRONYM_IN_TEXT = re.compile(r"\b([A-Z][A-Za-z]*[A-Z])(s?)\b")


def _singular(words: str) -> str:
    """A key that meets singular and plural: "gaussian processes" and "gaussian process" -> "gaussian process"."""
    return words if words.endswith("ss") else re.sub(r"(?:es|s)$", "", words)


def long_form(words: list[str], acronym: str) -> str | None:
    """The long form that `acronym` abbreviates at the end of `words`, by Schwartz and Hearst's rule: its
    letters are found right to left in the words, the first one starting a word; None if they are not.
    (["we", "use", "neural", "architecture", "search"], "NAS") -> "neural architecture search"."""
    text = " ".join(words[-min(len(acronym) + 5, 2 * len(acronym)):])
    position = len(text) - 1
    for index in range(len(acronym) - 1, -1, -1):
        letter = acronym[index].lower()
        while position >= 0 and (text[position].lower() != letter
                                 or (index == 0 and position > 0 and text[position - 1].isalnum())):
            position -= 1
        if position < 0:
            return None
        position -= 1
    tail = text[text.rfind(" ", 0, position + 1) + 1:].split()
    while tail and tail[0].lower() in _LEADING_STOP:
        tail = tail[1:]
    return " ".join(tail) if len(tail) > 1 or "-" in "".join(tail) else None


class Glossary:
    """Acronym -> the long form the corpus gives it most often; acronyms defined two ways about equally
    often ("SAM": segment anything / sharpness-aware minimization) are left out."""

    def __init__(self, papers: dict[str, Paper]):
        self.papers = papers  # the catalog read, so a holder can tell when it changed (as NameIndex)
        seen: dict[str, Counter[str]] = defaultdict(Counter)  # acronym -> singular key -> count
        written: dict[str, Counter[str]] = defaultdict(Counter)  # singular key -> the forms as written
        for paper in papers.values():
            for match in _DEFINITION.finditer(f"{paper.title}. {paper.abstract}"):
                form = long_form(match.group(1).split(), match.group(2))
                if form:
                    key = _singular(form.lower())
                    seen[match.group(2)][key] += 1
                    written[key][form.lower()] += 1
        self.long_forms: dict[str, str] = {}
        for acronym, forms in seen.items():
            ranked = forms.most_common(2)
            if len(ranked) == 1 or ranked[0][1] >= 2 * ranked[1][1]:
                self.long_forms[acronym] = written[ranked[0][0]].most_common(1)[0][0]

    def spell_out(self, text: str) -> str:
        """`text` with each defined acronym followed by its long form, once: "NAS" -> "NAS (neural architecture
        search)". An acronym whose long form the text already states is left as it is. (Keeping the acronym
        matters: replacing it, "neural architecture search (NAS)" or "model-based reinforcement learning",
        listed worse on the eval's acronym questions.)"""
        done: set[str] = set()

        def expand(match: re.Match[str]) -> str:
            form = self.long_forms.get(match.group(1))
            if not form or match.group(1) in done or _singular(form) in text.lower():
                return match.group(0)
            done.add(match.group(1))
            return f"{match.group(0)} ({form})"
        return _ACRONYM_IN_TEXT.sub(expand, text)
