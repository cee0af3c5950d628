"""Answers as terminal text and Markdown: the body with [n] markers, then the reference list."""

from __future__ import annotations

from assistant.records import Answer, Citation, Hit


def short_authors(authors: list[str], most: int = 3) -> str:
    if not authors:
        return ""
    return ", ".join(authors[:most]) + (" et al." if len(authors) > most else "")


def reference_line(citation: Citation) -> str:
    parts = [citation.title]
    if citation.authors:
        parts.append(short_authors(citation.authors))
    if citation.date:
        parts.append(citation.date)
    return f"[{citation.n}] " + " ".join(p if p.endswith((".", "?", "!")) else p + "." for p in parts)


def related_line(hit: Hit) -> str:
    paper = hit.paper
    who = short_authors(paper.authors)
    return f"- {paper.title}" + (f" ({who})" if who else "")


def references_text(answer: Answer) -> str:
    if not answer.citations:
        return ""
    return "References\n" + "\n".join(reference_line(c) for c in answer.citations)


def render_answer_text(answer: Answer, *, streamed: bool = False) -> str:
    """What the terminal shows after (or instead of) the streamed text."""
    parts = [] if streamed and not answer.extractive and not answer.refused else [answer.answer]
    refs = references_text(answer)
    if refs:
        parts.append("\n" + refs)
    return "\n".join(p for p in parts if p)


def answer_markdown(answer: Answer, title: str | None = None) -> str:
    """A self-contained Markdown document: heading, answer body, bibliography of the cited papers."""
    lines = [f"# {title}", ""] if title else []
    lines += [answer.answer.strip(), ""]
    if answer.citations:
        lines += ["## References", ""]
        lines += [reference_line(c).replace(f"[{c.n}] ", f"{c.n}. ", 1) for c in answer.citations]
    return "\n".join(lines).rstrip() + "\n"
