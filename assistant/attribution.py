"""Post-hoc attribution: give an uncited sentence the key of the one source its words come from.

The small local model often answers correctly but forgets the key ("4.4x faster."). Rather than paying for a
retry, each uncited sentence is matched against the sources: when most of its distinctive words, and every
number in it, appear in one source and clearly less in the others, that source's key is added. A sentence
that no source supports this way stays uncited, so the chain's retry and extractive fallback still apply.
The same numbers check keys (`rekey`) and finds numbers no source gives (`unsupported_numbers`).
"""

from __future__ import annotations

import re
from typing import Iterable

from assistant.citations import has_marker, key_for

_BOUNDARY = re.compile(r"(?<=[.!?])(\s+)|(\n+)")  # "3.2x" is not a boundary: a space must follow
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORD = re.compile(r"[a-z][a-z0-9\-]{2,}")
_COMMON = set("the and for with that this from are was were has have had its their which what how than into "
              "also can not but our all such these those they them there then when where while about over "
              "paper papers source sources work approach method model models propose proposed show shows "
              "using used use based new results result question answer".split())


def _terms(text: str) -> tuple[set[str], set[str]]:
    lowered = text.lower()
    return set(_NUMBER.findall(lowered)), {w for w in _WORD.findall(lowered) if w not in _COMMON}


def _share(numbers: set[str], words: set[str], source: tuple[set[str], set[str]]) -> float:
    """How much of a sentence's numbers (counted twice) and distinctive words one source's terms hold."""
    their_numbers, their_words = source
    return (2 * len(numbers & their_numbers) + len(words & their_words)) / (2 * len(numbers) + len(words))


def best_source(sentence: str, sources: list[str], min_share: float = 0.6) -> int | None:
    """Index of the source that supports `sentence`, or None when none does clearly."""
    return _best_of(sentence, [_terms(text) for text in sources], min_share)


def _best_of(sentence: str, sources: list[tuple[set[str], set[str]]], min_share: float = 0.6) -> int | None:
    """best_source over the sources' (numbers, words), computed once per answer rather than per sentence."""
    numbers, words = _terms(sentence)
    if 2 * len(numbers) + len(words) < 2:  # "1.2M" alone is enough when only one source has that number
        return None
    shares = [_share(numbers, words, source) if numbers <= source[0] else 0.0 for source in sources]
    best = max(range(len(sources)), key=lambda i: shares[i], default=None)
    if best is None or shares[best] < min_share:
        return None
    runner_up = max((s for i, s in enumerate(shares) if i != best), default=0.0)
    return best if shares[best] - runner_up >= 0.15 or shares[best] == 1.0 and runner_up < 1.0 else None


def attribute(raw: str, sources: list[str]) -> str:
    """`raw` with a key added to each uncited sentence that one source clearly supports."""
    pieces, terms = [], [_terms(text) for text in sources]
    for sentence in _BOUNDARY.split(raw):
        if sentence is None:
            continue
        if sentence.strip() and not has_marker(sentence):
            index = _best_of(sentence, terms)
            if index is not None:
                body = sentence.rstrip()
                end = len(body.rstrip(".!?"))
                sentence = f"{body[:end]} [{key_for(index)}]{body[end:]}{sentence[len(body):]}"
        pieces.append(sentence)
    return "".join(pieces)


def _claims(numbers: Iterable[str]) -> set[str]:
    """The numbers that state something: two digits or more, or a decimal point ("in 2 steps" claims little)."""
    return {n for n in numbers if len(n) >= 2 or "." in n}


def unsupported_numbers(raw: str, sources: list[str], question: str = "") -> list[str]:
    """Numbers of the answer (two digits or more, or with a decimal point) that neither a source nor the question
    contains: the small model sometimes cites the right paper with a number it made up ("saves 10%")."""
    def numbers(text: str) -> set[str]:
        return set(_NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)))

    stated = numbers(re.sub(r"\[[^\]]*\]", " ", raw))  # keys ([S1], [2]) are no claims
    known = numbers(question).union(*(numbers(text) for text in sources))
    return sorted(_claims(stated - known))


_NAME_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
_OPENS_A_SENTENCE = ".!?:;\n"


def unsupported_names(raw: str, sources: list[str], question: str = "") -> list[str]:
    """Names of the answer that neither a source nor the question contains: words with two capitals or more
    ("ImageNet", "GPT-4", "BLEU") and capitalised words inside a sentence ("Common Voice"), matched case-blind. The
    small model sometimes fills a gap with a name it knows ("uses the Common Voice dataset" for a paper that never
    names its data)."""
    text = re.sub(r"\*\*|__|`", " ", re.sub(r"\[[^\]]*\]", " ", raw))  # keys and Markdown are no claims
    known = "\n".join([question, *sources]).lower()
    names = set()
    for match in _NAME_TOKEN.finditer(text):
        word = match.group(0)
        capitals = sum(c.isupper() for c in word)
        before = text[:match.start()].rstrip(" \t\"'(-*")
        opens = not before or before[-1] in _OPENS_A_SENTENCE
        if (capitals >= 2 or capitals == 1 and word[0].isupper() and not opens) and word.lower() not in known:
            names.add(word)
    return sorted(names - {"NOT", "COVERED"})


_ONE_KEY = re.compile(r"\[S(\d{1,3})\]")


def rekey(raw: str, sources: list[str], question: str = "") -> str:
    """`raw` with each sentence's key moved to the one source that has its numbers, when the source it cites
    has none of them: the small model sometimes copies a paper's figures and types the next key ([S3]). A
    sentence without numbers moves when its source holds next to none of its words and one other source clearly
    holds them (words the question gives count for no source)."""
    asked, asked_words = set(_NUMBER.findall(question)), _terms(question)[1]
    terms = [_terms(text) for text in sources]
    numbers_of = [numbers for numbers, _ in terms]
    pieces = []
    for sentence in _BOUNDARY.split(raw):
        if sentence is None:
            continue
        keys = set(_ONE_KEY.findall(sentence))
        if len(keys) == 1:
            cited = int(keys.pop()) - 1
            stated = _claims(_NUMBER.findall(_ONE_KEY.sub(" ", sentence))) - asked
            holders = [i for i, have in enumerate(numbers_of) if stated and stated <= have]
            if 0 <= cited < len(sources) and not stated & numbers_of[cited] and len(holders) == 1:
                sentence = _ONE_KEY.sub(f"[{key_for(holders[0])}]", sentence)
            elif 0 <= cited < len(sources) and not stated:
                words = _terms(_ONE_KEY.sub(" ", sentence))[1] - asked_words
                best = _best_of(" ".join(words), terms) if len(words) >= 4 else None
                if best is not None and best != cited and _share(set(), words, terms[cited]) < 0.25:
                    sentence = _ONE_KEY.sub(f"[{key_for(best)}]", sentence)
        pieces.append(sentence)
    return "".join(pieces)


def prune_keys(raw: str, sources: list[str], question: str = "") -> str:
    """`raw` (keys written [S<n>]) with a sentence's extra keys dropped when it cites several sources and one of
    them holds its words while another holds next to none: the small model often types the next key too
    ("... one parameter per unit [S1][S2]"). Words the question gives count for no source."""
    asked = _terms(question)[1]
    terms = [_terms(text) for text in sources]
    pieces = []
    for sentence in _BOUNDARY.split(raw):
        if sentence is None:
            continue
        keys = [int(k) - 1 for k in dict.fromkeys(_ONE_KEY.findall(sentence)) if 0 < int(k) <= len(sources)]
        if len(keys) >= 2:
            numbers, words = _terms(_ONE_KEY.sub(" ", sentence))
            words -= asked
            if len(words) + len(numbers) >= 3:
                share = {k: _share(numbers, words, terms[k]) for k in keys}
                best = max(share.values())
                kept = [k for k in keys if share[k] >= 0.5 * best or share[k] >= 0.3]
                if best >= 0.5 and len(kept) < len(keys):
                    for k in keys:
                        if k not in kept:
                            sentence = sentence.replace(f"[S{k + 1}]", "", 1)
        pieces.append(sentence)
    return "".join(pieces)


_KEY_AND_CLAUSE = re.compile(r"\[S(\d{1,3})\]((?:(?!\[S\d).)*)")  # a key and what follows it, up to the next key


def fix_subject_keys(raw: str, sources: list[str], question: str = "") -> str:
    """`raw` with a key that opens a clause ("[S1] integrates DRL with classical planning ..., while [S2] ...")
    moved to the source the clause describes, when its own source holds next to none of the clause's words and
    another clearly holds them: comparing two papers, the small model sometimes swaps which is which."""
    asked = _terms(question)[1]
    terms = [_terms(text) for text in sources]

    def fix(match: re.Match[str]) -> str:
        cited, clause = int(match.group(1)) - 1, match.group(2)
        if not re.match(r"\s+[a-z]", clause) or not 0 <= cited < len(sources):
            return match.group(0)  # only a key that is the clause's subject: "[S1] proposes ..."
        numbers, words = _terms(clause)
        words -= asked
        if len(words) < 4:
            return match.group(0)
        shares = [_share(numbers, words, source) for source in terms]
        best = max(range(len(shares)), key=shares.__getitem__)
        return f"[{key_for(best)}]{clause}" if best != cited and shares[cited] < 0.25 and shares[best] >= 0.6 \
            else match.group(0)
    return _KEY_AND_CLAUSE.sub(fix, raw)
