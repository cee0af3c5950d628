"""Citation keys (S1, S2 …) the model copies, lenient parsing, validation and [n] renumbering."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.records import Citation, Hit

_SEP = r"\s*(?:,|;|and|&|-|–)\s*"
# A key's optional prefix: S1, the small model's slips "Source 1" and "Source: S1", or none ([1]).
_PREFIX = r"(?:Source\s*:?\s*S?|S)?\s*"
# A square-bracket group of one or more keys: [S1], [s2, S3], [S1; S2], [S1-S3], [1], 【S1】, [Source: S2].
_SQUARE = rf"[\[【]\s*({_PREFIX}\d{{1,3}}(?:{_SEP}{_PREFIX}\d{{1,3}})*)\s*[\]】]"
# A parenthesised group needs the S prefix: (S4; S5). "(1) ... (2) ..." is an enumeration, not a citation.
_PAREN = rf"\(\s*(S\s*\d{{1,3}}(?:{_SEP}S\s*\d{{1,3}})*)\s*\)"
# A bare key outside brackets: "as S2 shows" (only with the S prefix, never a plain number).
_BARE = r"(?<![\w\[])(?-i:S)(\d{1,3})(?![\w\]])"
# One pass over all three forms, so markers are numbered in the order they appear in the text.
_MARKER = re.compile(rf"{_SQUARE}|{_PAREN}|{_BARE}", re.I)
_KEY = re.compile(rf"{_PREFIX}(\d{{1,3}})", re.I)
_RANGE = re.compile(rf"{_PREFIX}(\d{{1,3}})\s*[-–]\s*{_PREFIX}(\d{{1,3}})", re.I)
_NAME = re.compile(r"(?<![\w-])S\d{1,3}(?![\w-])")  # "S4", "S5": names of models, as the sources write them
_REPEAT = re.compile(r"(\[\d+\])(?:[ \t]*\1)+")


def _keys(group: str) -> list[str]:
    """Key numbers of a group in order, ranges expanded: "S1-S3, S5" -> 1, 2, 3, 5."""
    group = _RANGE.sub(lambda m: ",".join(str(i) for i in range(int(m.group(1)), int(m.group(2)) + 1))
                       if 0 <= int(m.group(2)) - int(m.group(1)) <= 10 else m.group(0), group)
    return _KEY.findall(group)


def _names_in(context: list[Hit]) -> set[str]:
    """S<n> tokens the sources themselves use ("the S4 model"): copied into prose they are names, not keys; and
    the bracketed numbers they write ("[0,1]", an interval), spaces removed: quoted, they are no keys either."""
    texts = [text for hit in context for text in (hit.paper.title, hit.paper.abstract, hit.passage or "")]
    return ({name.upper() for text in texts for name in _NAME.findall(text)}
            | {re.sub(r"\s+", "", group) for text in texts for group in _NUMBERS_IN_BRACKETS.findall(text)})


_NUMBERS_IN_BRACKETS = re.compile(r"\[\s*\d+(?:\s*[,;-]\s*\d+)+\s*\]")  # "[0,1]", "[0, 1]": a group, never one number


def _marker_keys(match: re.Match[str], names: set[str]) -> list[str] | None:
    """The key numbers of one _MARKER match, or None when it is text: "(S4)" or a bare "S4" that the sources
    use as a model's name, or a bracketed group of numbers they write ("[0,1]")."""
    square, paren, bare = match.groups()
    if square is not None:
        return None if re.sub(r"\s+", "", match.group(0)) in names else _keys(square)
    if paren is not None:
        keys = _keys(paren)
        return None if any(f"S{int(k)}" in names for k in keys) else keys
    return None if f"S{int(bare)}" in names else [bare]


def has_marker(text: str) -> bool:
    """The text carries a citation key in any form resolve() accepts."""
    return bool(_MARKER.search(text))


def key_for(index: int) -> str:
    """Context entry i (0-based) is cited as S{i+1}."""
    return f"S{index + 1}"


@dataclass
class Resolved:
    text: str
    citations: list[Citation]
    dropped: int = 0
    cited_hits: list[Hit] = field(default_factory=list)


def resolve(raw: str, context: list[Hit]) -> Resolved:
    """Replace keys with [n] numbered by first appearance; drop keys outside the context.

    Returns the rewritten text, the ordered de-duplicated citations and how many markers were dropped.
    """
    order: list[int] = []  # context indexes in order of first citation
    dropped = 0

    def number(keys: list[str]) -> str:
        nonlocal dropped
        out = []
        for key in keys:
            index = int(key) - 1
            if not 0 <= index < len(context):
                dropped += 1
                continue
            if index not in order:
                order.append(index)
            n = order.index(index) + 1
            if n not in out:
                out.append(n)
        return "".join(f"[{n}]" for n in out)

    names = _names_in(context)

    def replace(match: re.Match[str]) -> str:
        keys = _marker_keys(match, names)
        return match.group(0) if keys is None else number(keys)

    text = _REPEAT.sub(r"\1", _MARKER.sub(replace, raw))
    text = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    citations = [
        Citation(n=n, paper_id=context[i].paper.paper_id, title=context[i].paper.title,
                 authors=context[i].paper.authors, date=context[i].paper.date)
        for n, i in enumerate(order, start=1)
    ]
    return Resolved(text=text, citations=citations, dropped=dropped, cited_hits=[context[i] for i in order])


def canonical_keys(raw: str, context: list[Hit]) -> str:
    """`raw` with every key written [S<n>] ("[Source 1]", "(S2; S3)", "[1]" -> "[S1]", "[S2][S3]"), and keys
    that open the answer moved to the end of its first sentence: "[Source 1] X is Y. [S2]" means the first
    sentence cites S1. Names the sources use ("the S4 model") stay text."""
    names = _names_in(context)

    def canonical(match: re.Match[str]) -> str:
        keys = _marker_keys(match, names)
        if keys is None:
            return match.group(0)
        return "".join(f"[S{int(k)}]" for k in dict.fromkeys(keys))  # out of range too: resolve() counts them

    text = _MARKER.sub(canonical, raw)
    # "X is Y. [S2]": keys after a sentence's full stop are that sentence's
    text = re.sub(r"([.!?])((?:[ \t]*\[S\d{1,3}\])+)(?=\s|$)", lambda m: f"{m.group(2)}{m.group(1)}", text)
    opening = re.match(r"\s*((?:\[S\d{1,3}\]\s*)+)(.+?)([.!?])(?=\s|$)", text, re.S)
    if opening:
        keys = re.sub(r"\s+", "", opening.group(1))
        text = f"{opening.group(2)} {keys}{opening.group(3)}" + text[opening.end():]
    return text


class StreamingCiter:
    """Rewrites keys to [n] while text streams: holds back an unfinished bracket until it closes."""

    def __init__(self, context: list[Hit]):
        self.context = context
        self.raw = ""
        self.emitted = ""

    def feed(self, delta: str) -> str:
        self.raw += delta
        cut = len(self.raw)
        open_at = max(self.raw.rfind("["), self.raw.rfind("("), self.raw.rfind("【"))
        if open_at != -1 and not re.search(r"[\])】]", self.raw[open_at:]) and len(self.raw) - open_at < 40:
            cut = open_at
        tail = re.search(r"S\d{0,3}$", self.raw[:cut])  # a bare key being typed
        if tail:
            cut = tail.start()
        shown = resolve(self.raw[:cut], self.context).text if cut else ""
        if not shown.startswith(self.emitted):
            return ""  # renumbering changed earlier text; the final answer replaces the stream
        piece = shown[len(self.emitted):]
        self.emitted = shown
        return piece
