"""Citation keys (S1, S2 …) the model copies, lenient parsing, validation and [n] renumbering."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.records import Citation, Hit

# A bracket or parenthesis group holding one or more keys: [S1], [s2, S3], (S4; S5), [S1][S2], [1].
_GROUP = re.compile(r"[\[(【]\s*((?:S\s*)?\d{1,3}(?:\s*(?:,|;|and|&)\s*(?:S\s*)?\d{1,3})*)\s*[\])】]", re.I)
_KEY = re.compile(r"(?:S\s*)?(\d{1,3})", re.I)
# Bare keys outside brackets: "as S2 shows" (only with the S prefix, never a plain number).
_BARE = re.compile(r"(?<![\w\[])S(\d{1,3})(?![\w\]])")


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

    text = _GROUP.sub(lambda m: number(_KEY.findall(m.group(1))), raw)
    text = _BARE.sub(lambda m: number([m.group(1)]), text)
    text = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    citations = [
        Citation(n=n, paper_id=context[i].paper.paper_id, title=context[i].paper.title,
                 authors=context[i].paper.authors, date=context[i].paper.date)
        for n, i in enumerate(order, start=1)
    ]
    return Resolved(text=text, citations=citations, dropped=dropped, cited_hits=[context[i] for i in order])


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
