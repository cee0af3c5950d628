"""The chat UI (Gradio): streamed, cited answers beside a sources panel; corpus stats and upload.

This is the only module that imports gradio. `build_app(assistant)` builds the Blocks, `serve(app, ...)` starts
it with this module's CSS and JavaScript, `launch(settings)` is what `papertrail serve` calls.

Citations: answers hold plain `[n]` markers (so the copy button copies clean text); a small script in the page
head turns every `[n]` in an answer into a link to that answer's source card (`#src-<answer>-<n>`), and a click
shows and highlights the card in the sources panel. Every string from the corpus or the model is HTML-escaped.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import html  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
import weakref  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Iterator  # noqa: E402

import gradio as gr  # noqa: E402

from assistant.api import Assistant  # noqa: E402
from assistant.chain import MAX_QUESTION_CHARS  # noqa: E402
from assistant.errors import PapertrailError  # noqa: E402
from assistant.records import Answer, Citation, Hit, Progress  # noqa: E402
from assistant.render import answer_markdown, reference_line, short_authors  # noqa: E402
from assistant.retrieve import SearchFilters  # noqa: E402
from assistant.settings import Settings  # noqa: E402

log = logging.getLogger(__name__)

HISTORY_MESSAGES = 12  # prior messages (6 exchanges) passed to the chain for follow-up questions
UPLOAD_SUFFIXES = {".txt", ".jsonl", ".ndjson"}
EXAMPLES = [
    "Which papers use linear attention?",
    "Summarize the LambdaNetworks paper",
    "Write a cited overview of activation functions",
]
ALL_SOURCES = ""
# Words, not emoji: a machine without an emoji font shows those as empty boxes.
ERROR_MARK = "**Error:**"
NOT_ADDED = "**Not added:**"
ADDED = "**Added:**"

CSS = """
.pt-header { display: flex; align-items: baseline; gap: 0.75rem; flex-wrap: wrap; margin: 0.25rem 0 0.5rem; }
.pt-header h1 { margin: 0; font-size: 1.6rem; }
.pt-header span { color: var(--body-text-color-subdued); }
#pt-chat a.cite { color: var(--color-accent); font-weight: 600; text-decoration: none; cursor: pointer;
  border-radius: 3px; padding: 0 1px; }
#pt-chat a.cite:hover { background: var(--color-accent-soft); text-decoration: underline; }
#pt-sources .pt-panel { max-height: 72vh; overflow-y: auto; padding-right: 4px; }
#pt-sources .pt-empty { color: var(--body-text-color-subdued); padding: 0.75rem 0.25rem; }
#pt-sources .pt-turn { display: none; }
#pt-sources .pt-turn.pt-show { display: block; }
#pt-sources .pt-turn-head { font-size: 0.85rem; color: var(--body-text-color-subdued); margin: 0 0 0.5rem; }
#pt-sources .pt-turn-head q { color: var(--body-text-color); }
#pt-sources h3.pt-group { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em;
  color: var(--body-text-color-subdued); margin: 0.9rem 0 0.4rem; }
#pt-sources .pt-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6rem 0.75rem;
  margin: 0 0 0.6rem; background: var(--block-background-fill); scroll-margin-top: 0.5rem;
  transition: box-shadow 0.3s, border-color 0.3s; }
#pt-sources .pt-card.pt-active, #pt-sources .pt-card:target { border: 2px solid var(--color-accent);
  box-shadow: 0 0 0 4px var(--color-accent-soft); background: var(--color-accent-soft); }
#pt-sources .pt-card h4 { margin: 0.15rem 0 0.25rem; font-size: 0.98rem; line-height: 1.3; }
#pt-sources .pt-badge { display: inline-block; font-size: 0.75rem; font-weight: 600; border-radius: 999px;
  padding: 0 0.5rem; background: var(--color-accent-soft); color: var(--color-accent); }
#pt-sources .pt-badge.pt-muted { background: var(--background-fill-secondary); color: var(--body-text-color-subdued); }
#pt-sources .pt-meta { font-size: 0.8rem; color: var(--body-text-color-subdued); margin-bottom: 0.35rem; }
#pt-sources .pt-abstract { font-size: 0.85rem; line-height: 1.45; margin: 0.25rem 0 0; }
#pt-sources mark { background: #fdf0b5; color: inherit; padding: 0 1px; border-radius: 2px; }
#pt-sources details > summary { cursor: pointer; font-size: 0.85rem; color: var(--body-text-color-subdued); }
#pt-sources .pt-passage { font-size: 0.85rem; margin: 0.35rem 0 0; }
.pt-stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 0.6rem; margin: 0.5rem 0; }
.pt-stat { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.6rem 0.8rem; }
.pt-stat b { display: block; font-size: 1.4rem; white-space: nowrap; }
.pt-stat.pt-small b { font-size: 1.05rem; padding-top: 0.3rem; }
.pt-stat span { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.pt-per-source { display: grid; grid-template-columns: max-content max-content; gap: 0.3rem 2rem; margin: 0.75rem 0;
  font-size: 0.9rem; }
.pt-per-source .pt-th { font-weight: 600; color: var(--body-text-color-subdued); }
.pt-note { color: var(--body-text-color-subdued); font-size: 0.85rem; }
"""

# Turns [n] markers in answers into links and reveals the cited paper on click. Runs on every DOM change
# (debounced), because Gradio re-renders a message on each streamed piece.
HEAD = r"""
<script>
(() => {
  const CITE = /\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]/g;
  const botMessages = () => Array.from(document.querySelectorAll('#pt-chat .message.bot [data-testid="bot"]'));
  function anchor(turn, n, text) {
    const a = document.createElement('a');
    a.className = 'cite'; a.href = `#src-${turn}-${n}`; a.dataset.turn = turn; a.dataset.n = n;
    a.title = `Show source [${n}]`; a.textContent = text;
    return a;
  }
  function linkify(message, turn) {
    const walker = document.createTreeWalker(message, NodeFilter.SHOW_TEXT, { acceptNode(node) {
      if (!node.nodeValue || node.nodeValue.indexOf('[') < 0) return NodeFilter.FILTER_REJECT;
      const parent = node.parentElement;
      if (!parent || parent.closest('a, code, pre, button')) return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    }});
    const nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    for (const node of nodes) {
      const text = node.nodeValue;
      CITE.lastIndex = 0;
      if (!CITE.test(text)) continue;
      CITE.lastIndex = 0;
      const frag = document.createDocumentFragment();
      let last = 0, m;
      while ((m = CITE.exec(text))) {
        frag.append(text.slice(last, m.index));
        const parts = m[1].split(/(\s*[,;]\s*)/);
        if (parts.length === 1) {
          frag.append(anchor(turn, parts[0], `[${parts[0]}]`));
        } else {
          frag.append('[');
          parts.forEach((p, i) => frag.append(i % 2 ? p : anchor(turn, p, p)));
          frag.append(']');
        }
        last = m.index + m[0].length;
      }
      frag.append(text.slice(last));
      node.replaceWith(frag);
    }
  }
  function linkifyAll() {
    botMessages().forEach((message, turn) => {
      message.querySelectorAll('a.cite').forEach(a => { if (a.dataset.turn !== String(turn)) a.dataset.turn = turn; });
      linkify(message, turn);
    });
  }
  window.papertrailReveal = function (turn, n) {
    const panel = document.querySelector('#pt-sources');
    if (!panel) return false;
    const section = panel.querySelector(`.pt-turn[data-turn="${turn}"]`);
    if (!section) return false;
    panel.querySelectorAll('.pt-turn').forEach(s => s.classList.toggle('pt-show', s === section));
    const card = section.querySelector(`#src-${turn}-${n}`);
    panel.querySelectorAll('.pt-card.pt-active').forEach(c => c.classList.remove('pt-active'));
    if (!card) return false;
    card.classList.add('pt-active');
    const details = card.querySelector('details');
    if (details) details.open = true;
    card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    return true;
  };
  document.addEventListener('click', (event) => {
    const a = event.target && event.target.closest && event.target.closest('a.cite');
    if (!a) return;
    event.preventDefault();
    event.stopPropagation();
    window.papertrailReveal(a.dataset.turn, a.dataset.n);
  }, true);
  let scheduled = false;
  const observer = new MutationObserver(() => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => { scheduled = false; linkifyAll(); });
  });
  const start = () => { observer.observe(document.body, { childList: true, subtree: true, characterData: true }); linkifyAll(); };
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
</script>
"""


# --- rendering ----------------------------------------------------------------------------------------

def esc(text: Any) -> str:
    """For HTML built here (sources panel, stats)."""
    return html.escape(str(text), quote=True)


_ENTITY_AMP = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def chat_escape(text: str) -> str:
    """For chat messages (Markdown): tags and entities become text; a plain '&' or quote stays as typed, so the
    copy button copies readable text."""
    return _ENTITY_AMP.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def _text(content: Any) -> str:
    """A Chatbot message's content as plain text (Gradio 6 hands back a list of {'type','text'} parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or "")
    if isinstance(content, (list, tuple)):
        return "\n".join(_text(part) for part in content)
    return "" if content is None else str(content)


def _messages(chat: list[Any] | None) -> list[dict[str, Any]]:
    out = []
    for message in chat or []:
        if isinstance(message, dict):
            out.append({"role": message.get("role", "assistant"), "content": _text(message.get("content"))})
        else:  # gr.ChatMessage or pydantic Message
            out.append({"role": getattr(message, "role", "assistant"), "content": _text(getattr(message, "content", ""))})
    return out


_MD_SPECIAL = re.compile(r"([\\`*_])")


def _md_plain(text: str) -> str:
    """Corpus text shown inside Markdown: HTML-escaped and with Markdown syntax neutralised."""
    return _MD_SPECIAL.sub(r"\\\1", chat_escape(text))


def progress_text(item: Progress) -> str:
    message = item.message.strip() or "Working"
    if item.total and f"{item.done}/{item.total}" not in message:
        message = f"{message} {item.done}/{item.total}"
    return message


def pending_markdown(status: str) -> str:
    return f"_{chat_escape(status).replace('_', ' ')}…_"


_PENDING = re.compile(r"_[^_]*…_")


def answer_body(answer: Answer) -> str:
    """The chat bubble of a finished answer: the text with [n] markers, then the numbered references."""
    text = chat_escape(answer.answer.strip()) or "_(no answer)_"
    parts = [f"{ERROR_MARK} {text}" if answer.kind == "error" else text]
    if answer.citations:
        refs = [_reference(c) for c in answer.citations]
        parts.append("**References**  \n" + "  \n".join(refs))
    if answer.error and answer.error not in answer.answer:
        parts.append(f"{ERROR_MARK} {chat_escape(answer.error)}")
    return "\n\n".join(parts)


def _reference(citation: Citation) -> str:
    line = reference_line(citation)
    marker = f"[{citation.n}]"
    return marker + _md_plain(line[len(marker):]) if line.startswith(marker) else _md_plain(line)


def error_markdown(exc: BaseException) -> str:
    if isinstance(exc, PapertrailError):
        return f"{ERROR_MARK} {chat_escape(str(exc))}"
    log.exception("chat failed")
    detail = " ".join(str(exc).split())[:300]
    return (f"{ERROR_MARK} something went wrong while answering ({type(exc).__name__}"
            f"{': ' + chat_escape(detail) if detail else ''}). The chat still works: ask again or start a new chat.")


def _highlight(abstract: str, passage: str | None) -> tuple[str, bool]:
    """The abstract, escaped, with the passage marked; (html, found)."""
    if not passage or not passage.strip():
        return esc(abstract), False
    start = abstract.find(passage.strip())
    end = start + len(passage.strip())
    if start < 0:
        words = passage.split()
        if words:
            pattern = r"\s+".join(re.escape(w) for w in words[:400])
            match = re.search(pattern, abstract)
            if match:
                start, end = match.span()
    if start < 0:
        return esc(abstract), False
    return f"{esc(abstract[:start])}<mark>{esc(abstract[start:end])}</mark>{esc(abstract[end:])}", True


def source_card(turn: int, hit: Hit | None, citation: Citation | None, rank: int) -> str:
    if hit is not None:
        paper = hit.paper
        title, authors, date, sources = paper.title, paper.authors, paper.date or paper.date_raw, paper.sources
    else:  # a citation whose paper is not among the retrieved (should not happen): what the citation knows
        assert citation is not None
        title, authors, date, sources = citation.title, citation.authors, citation.date, []
    card_id = f"src-{turn}-{citation.n}" if citation else f"src-{turn}-r{rank}"
    badge = (f'<span class="pt-badge">cited [{citation.n}]</span>' if citation
             else f'<span class="pt-badge pt-muted">retrieved #{rank}</span>')
    meta = []
    if authors:
        meta.append(esc(short_authors(authors, 6)))
    if date:
        meta.append(esc(date))
    if sources:
        meta.append("from " + ", ".join(f"<code>{esc(s)}</code>" for s in sources))
    if hit is not None:
        score = f"score {hit.score:.4f}"
        if hit.dense_similarity is not None:
            score += f" · similarity {hit.dense_similarity:.2f}"
        meta.append(esc(score))
    body = ""
    if hit is not None:
        abstract, found = _highlight(hit.paper.abstract, hit.passage)
        body = f'<p class="pt-abstract">{abstract or "The corpus lists this paper without its abstract."}</p>'
        if hit.passage and not found:
            body += f'<p class="pt-passage">Best-matching passage: <mark>{esc(hit.passage)}</mark></p>'
        if citation is None:
            body = f"<details><summary>Abstract</summary>{body}</details>"
    paper_id = hit.paper.paper_id if hit is not None else citation.paper_id  # type: ignore[union-attr]
    return (f'<article class="pt-card{" pt-cited" if citation else ""}" id="{card_id}" data-paper="{esc(paper_id)}">'
            f'{badge}<h4>{esc(title)}</h4><div class="pt-meta">{" · ".join(meta)}</div>{body}</article>')


def sources_section(turn: int, question: str, answer: Answer) -> str:
    hits = {h.paper.paper_id: h for h in answer.retrieved}
    cited_ids = {c.paper_id for c in answer.citations}
    parts = [f'<section class="pt-turn" data-turn="{turn}">',
             f'<p class="pt-turn-head">Sources for <q>{esc(question)}</q></p>']
    if answer.citations:
        parts.append('<h3 class="pt-group">Cited</h3>')
        parts += [source_card(turn, hits.get(c.paper_id), c, 0) for c in answer.citations]
    others = [(rank, h) for rank, h in enumerate(answer.retrieved, start=1) if h.paper.paper_id not in cited_ids]
    if others:
        parts.append(f'<h3 class="pt-group">{"Also retrieved" if answer.citations else "Retrieved"}</h3>')
        parts += [source_card(turn, h, None, rank) for rank, h in others]
    if not answer.retrieved and not answer.citations:
        parts.append('<p class="pt-empty">No papers were retrieved for this question.</p>')
    parts.append("</section>")
    return "".join(parts)


def sources_html(sections: dict[int, str], show: int | None = None) -> str:
    if not sections:
        return ('<div class="pt-panel"><p class="pt-empty">Sources appear here after an answer. Click a citation '
                'such as [1] in an answer to jump to its paper.</p></div>')
    show = max(sections) if show is None else show
    body = "".join(s.replace('class="pt-turn"', 'class="pt-turn pt-show"', 1) if t == show else s
                   for t, s in sorted(sections.items()))
    return f'<div class="pt-panel">{body}</div>'


def stats_html(stats: dict[str, Any]) -> str:
    date_range = stats.get("date_range")
    cells = [("papers", stats.get("papers", 0)), ("chunks", stats.get("chunks", 0)),
             ("distinct authors", stats.get("authors", 0)),
             ("date range", f"{date_range[0]} → {date_range[1]}" if date_range else "—")]
    grid = "".join(f'<div class="pt-stat{" pt-small" if k == "date range" else ""}"><b>{esc(v)}</b>'
                   f'<span>{esc(k)}</span></div>' for k, v in cells)
    rows = "".join(f"<div><code>{esc(src)}</code></div><div>{esc(n)} paper{'s' if n != 1 else ''}</div>"
                   for src, n in (stats.get("per_source") or {}).items())
    table = f'<div class="pt-per-source"><div class="pt-th">source file</div><div class="pt-th">in the index</div>{rows}</div>' if rows else ""
    note = (f'<p class="pt-note">{esc(stats.get("papers_with_authors", 0))} papers list authors, '
            f'{esc(stats.get("papers_with_year", 0))} have a year. Index <code>{esc(stats.get("index", ""))}</code> '
            f'at <code>{esc(stats.get("location", ""))}</code>.</p>')
    return f'<div class="pt-stats">{grid}</div>{table}{note}'


# --- the app ------------------------------------------------------------------------------------------

def _filters(author: str | None, year_from: Any, year_to: Any, source: str | None) -> SearchFilters:
    def year(value: Any, what: str) -> int | None:
        if value is None or not str(value).strip():
            return None
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            raise PapertrailError(f"{what} must be a year such as 2021, not {value!r}.") from None
        if not 1900 <= number <= 2100:
            raise PapertrailError(f"{what} must be a year between 1900 and 2100, not {number}.")
        return number

    low, high = year(year_from, "Year from"), year(year_to, "Year to")
    if low is not None and high is not None and low > high:
        raise PapertrailError(f"Year from ({low}) is after year to ({high}): swap them or clear one.")
    return SearchFilters(author=(author or "").strip() or None, year_from=low, year_to=high,
                         source=(source or "").strip() or None)


def _k(value: Any) -> int | None:
    try:
        k = int(value)
    except (TypeError, ValueError):
        return None
    return k if k > 0 else None


def _check_question(question: str | None) -> str:
    question = (question or "").strip()
    if not question:
        raise PapertrailError("The question is empty: type a few words, e.g. “Which papers use linear attention?”")
    if len(question) > MAX_QUESTION_CHARS:
        raise PapertrailError(f"The question is {len(question)} characters long; keep it under {MAX_QUESTION_CHARS}.")
    return question


class _App:
    """The handlers, bound to one Assistant shared by every session."""

    def __init__(self, assistant: Assistant):
        self.assistant = assistant
        self.warm_lock = threading.Lock()
        self.files = Path(tempfile.mkdtemp(prefix="papertrail-ui-"))
        # The answer downloads live here; Gradio serves copies, so the folder goes when the app does (or at exit).
        weakref.finalize(self, shutil.rmtree, self.files, ignore_errors=True)

    def warm(self) -> None:
        """Builds the lazy parts once, under a lock, so concurrent first requests do not race."""
        with self.warm_lock:
            self.assistant.chain  # noqa: B018 (cached_property)

    # chat -------------------------------------------------------------------------------------------
    def respond(self, question: str, chat: list[Any] | None, history: list[dict[str, str]] | None,
                sections: dict[int, str] | None, author: str, year_from: Any, year_to: Any, source: str,
                k: Any) -> Iterator[tuple[Any, ...]]:
        """Streams one answer. Yields (question box, chat, history, sections, sources panel, download,
        ask button, stop button)."""
        messages = _messages(chat)
        history = list(history or [])
        sections = dict(sections or {})
        turn = sum(m["role"] == "assistant" for m in messages)
        busy = (gr.update(visible=False), gr.update(visible=True))
        idle = (gr.update(visible=True), gr.update(visible=False))
        skip = gr.skip()
        text = (question or "").strip()
        if not text:  # Enter on an empty box: nothing to do
            return
        messages.append({"role": "user", "content": chat_escape(text)})
        messages.append({"role": "assistant", "content": pending_markdown("Searching the papers")})
        yield ("", messages, skip, skip, skip, skip, *busy)
        stream = None
        try:
            text = _check_question(question)
            filters = _filters(author, year_from, year_to, source)
            self.warm()
            stream = self.assistant.stream(text, history=history[-HISTORY_MESSAGES:], k=_k(k),
                                           filters=filters if filters.active else None)
            streamed = ""
            answer: Answer | None = None
            for piece in stream:
                if isinstance(piece, Answer):
                    answer = piece
                elif isinstance(piece, Progress):  # shown under the text so far until more text arrives
                    status = pending_markdown(progress_text(piece))
                    messages[-1]["content"] = f"{chat_escape(streamed)}\n\n{status}" if streamed else status
                    yield (skip, messages, skip, skip, skip, skip, skip, skip)
                elif isinstance(piece, str) and piece:
                    streamed += piece
                    messages[-1]["content"] = chat_escape(streamed)
                    yield (skip, messages, skip, skip, skip, skip, skip, skip)
            if answer is None:
                raise PapertrailError("The answer stream ended without an answer; please ask again.")
        except Exception as exc:  # noqa: BLE001 — every failure becomes a readable chat message
            messages[-1]["content"] = error_markdown(exc)
            yield (skip, messages, skip, skip, skip, skip, *idle)
            return
        finally:
            if stream is not None and hasattr(stream, "close"):
                stream.close()
        messages[-1]["content"] = answer_body(answer)
        history += [{"role": "user", "content": text}, {"role": "assistant", "content": answer.answer}]
        sections[turn] = sources_section(turn, text, answer)
        download = self.files / f"papertrail-answer-{uuid.uuid4().hex[:8]}.md"
        download.write_text(answer_markdown(answer, title=text), encoding="utf-8")
        yield (skip, messages, history, sections, sources_html(sections),
               gr.update(value=str(download), visible=True), *idle)

    @staticmethod
    def stopped(chat: list[Any] | None) -> tuple[Any, ...]:
        messages = _messages(chat)
        if messages and messages[-1]["role"] == "assistant":
            content = messages[-1]["content"]
            if _PENDING.fullmatch(content):
                content = ""
            messages[-1]["content"] = (content + "\n\n" if content else "") + "_Stopped._"
        return messages, gr.update(visible=True), gr.update(visible=False)

    @staticmethod
    def new_chat() -> tuple[Any, ...]:
        """Clears the chat, its memory and sources. The question box is left alone: a question typed right after
        clicking must not be wiped by this reply arriving later."""
        return [], [], {}, sources_html({}), gr.update(value=None, visible=False), \
            gr.update(visible=True), gr.update(visible=False)

    # corpus -----------------------------------------------------------------------------------------
    def corpus_view(self) -> tuple[str, Any]:
        try:
            stats = self.assistant.stats()
        except PapertrailError as exc:
            return f'<p class="pt-empty">{esc(exc)}</p>', gr.update(choices=[("All sources", ALL_SOURCES)])
        except Exception as exc:  # noqa: BLE001
            log.exception("stats failed")
            return f'<p class="pt-empty">Could not read the index ({esc(type(exc).__name__)}: {esc(exc)}).</p>', \
                gr.update()
        choices = [("All sources", ALL_SOURCES)] + [(f"{name} ({n})", name) for name, n in stats["per_source"].items()]
        return stats_html(stats), gr.update(choices=choices)

    def upload(self, file: Any, progress: gr.Progress = gr.Progress()) -> tuple[str, str, Any, None]:
        """Validate, ingest, refresh the stats; the file box is cleared for the next file."""
        message = self._ingest(file, progress)
        stats, sources = self.corpus_view()
        return message, stats, sources, None

    def _ingest(self, file: Any, progress: gr.Progress) -> str:
        from ingest.parse import parse_file

        if not file:
            return "**Nothing to add:** choose a file first, a corpus dump (.txt) or a JSONL file."
        path = Path(file if isinstance(file, (str, Path)) else getattr(file, "name", file))
        name = f"<code>{esc(path.name)}</code>"
        if path.suffix.lower() not in UPLOAD_SUFFIXES:
            return f"{NOT_ADDED} {name}: expected a .txt corpus dump or a .jsonl file. Nothing was changed."
        progress(0, desc="Checking the file")
        report = parse_file(path)
        if report.error:
            return f"{NOT_ADDED} {name}: {esc(report.error)}. Nothing was changed."
        if not report.papers:
            reasons = ", ".join(f"{n}× {esc(why)}" for why, n in report.skip_reasons().most_common(4))
            return (f"{NOT_ADDED} {name}: no papers found ({reasons or 'no title/abstract pairs'}). "
                    "Nothing was changed.")

        def update(done: int, total: int) -> None:
            progress((done, total), desc="Embedding papers", unit="papers")

        try:
            result = self.assistant.ingest([path], progress=update)
        except PapertrailError as exc:
            return f"{NOT_ADDED} {name}: {esc(exc)}"
        except Exception as exc:  # noqa: BLE001
            log.exception("ingest failed")
            return f"{NOT_ADDED} {name}: ingesting failed ({esc(type(exc).__name__)}: {esc(exc)})."
        skipped = len(report.skipped)
        read = len(report.papers)
        return (f"{ADDED} {name} ({esc(report.format)} format): {read} paper{'s' if read != 1 else ''} read"
                + (f", {skipped} blocks skipped" if skipped else "")
                + f"; {result.added} added, {result.updated} updated, {result.unchanged} unchanged. "
                f"The index now holds {result.total_papers} papers.")

    # API --------------------------------------------------------------------------------------------
    def ask_api(self, question: str, k: int | None = None, author: str | None = None, year_from: int | None = None,
                year_to: int | None = None, source: str | None = None) -> dict:
        """Answer a question about the papers. Returns {"question", "answer", "citations", "retrieved", "refused"}
        like `papertrail ask --json` (plus "error" when the answer failed part-way)."""
        try:
            text = _check_question(question)
            filters = _filters(author, year_from, year_to, source)
            self.warm()
            answer = self.assistant.ask(text, k=_k(k), filters=filters if filters.active else None)
        except PapertrailError as exc:
            raise gr.Error(str(exc)) from None
        data = answer.to_json_dict()
        if answer.error:
            data["error"] = answer.error
        return data

    def search_api(self, query: str, k: int | None = None, author: str | None = None, year_from: int | None = None,
                   year_to: int | None = None, source: str | None = None) -> dict:
        """Rank papers for a query (hybrid BM25 + dense). Returns {"query", "results": [...]} like
        `papertrail search --json`."""
        try:
            text = _check_question(query)
            filters = _filters(author, year_from, year_to, source)
            hits = self.assistant.search(text, _k(k), filters if filters.active else None)
        except PapertrailError as exc:
            raise gr.Error(str(exc)) from None
        return {"query": text, "results": [
            {"paper_id": h.paper.paper_id, "title": h.paper.title, "abstract": h.paper.abstract,
             "authors": h.paper.authors, "date": h.paper.date, "source": ", ".join(h.paper.sources),
             "score": round(h.score, 6)} for h in hits]}

    def stats_api(self) -> dict:
        """Corpus statistics: papers, chunks, authors, date range, papers per source file."""
        try:
            return self.assistant.stats()
        except PapertrailError as exc:
            raise gr.Error(str(exc)) from None


def build_app(assistant: Assistant) -> gr.Blocks:
    """The Blocks app. Start it with `serve(app, ...)` so the page gets this module's CSS and script."""
    handlers = _App(assistant)
    settings = assistant.settings
    with gr.Blocks(title="papertrail", analytics_enabled=False) as app:
        gr.HTML('<div class="pt-header"><h1>papertrail</h1><span>answers about ML papers, '
                'with numbered citations to the papers they come from</span></div>', js_on_load=None)
        history = gr.State([])
        sections = gr.State({})
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=420):
                        chatbot = gr.Chatbot(
                            elem_id="pt-chat", label="Chat", show_label=False, height=600, buttons=["copy", "copy_all"],
                            feedback_options=None, group_consecutive_messages=False, sanitize_html=True,
                            placeholder="**Ask about the papers in the corpus.** Every claim in an answer cites its "
                                        "paper as [n]; click a citation to see that paper beside the chat.",
                        )
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(
                                elem_id="pt-question", show_label=False, scale=8, lines=1, max_lines=6,
                                placeholder="Ask a question, e.g. Which papers use linear attention?", autofocus=True)
                            ask = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="pt-ask")
                            stop = gr.Button("Stop", variant="stop", scale=1, min_width=90, visible=False,
                                             elem_id="pt-stop")
                        gr.Examples(EXAMPLES, inputs=question, label="Try")
                        with gr.Row():
                            new_chat = gr.Button("New chat", size="sm", elem_id="pt-new")
                            download = gr.DownloadButton("Download last answer (.md)", size="sm", visible=False,
                                                         elem_id="pt-download")
                    with gr.Column(scale=2, min_width=340):
                        with gr.Accordion("Filters", open=False, elem_id="pt-filters"):
                            with gr.Row():
                                author = gr.Textbox(label="Author", placeholder="e.g. Yoshua Bengio", scale=2)
                                source = gr.Dropdown(label="Source file", choices=[("All sources", ALL_SOURCES)],
                                                     value=ALL_SOURCES, scale=2)
                            with gr.Row():
                                year_from = gr.Textbox(label="Year from", placeholder="any, e.g. 2021", max_lines=1)
                                year_to = gr.Textbox(label="Year to", placeholder="any", max_lines=1)
                            k = gr.Slider(1, 30, value=settings.retrieval.k, step=1, label="Papers to retrieve",
                                          elem_id="pt-k")
                        gr.Markdown("### Sources")
                        sources = gr.HTML(sources_html({}), elem_id="pt-sources", js_on_load=None)
            with gr.Tab("Corpus", id="corpus"):
                gr.Markdown("### The indexed corpus")
                stats = gr.HTML('<p class="pt-empty">Loading…</p>', elem_id="pt-stats", js_on_load=None)
                with gr.Row():
                    refresh = gr.Button("Refresh", size="sm", scale=0, min_width=100)
                gr.Markdown("### Add papers\nUpload a corpus dump (the four `.txt` formats of `data/corpus`) or a "
                            "`.jsonl` file with one `{\"title\", \"abstract\", \"authors\", \"date\"}` object per "
                            "line. The file is checked first; a file without papers changes nothing.")
                with gr.Row(equal_height=False):
                    upload = gr.File(label="Corpus file", file_types=sorted(UPLOAD_SUFFIXES), file_count="single",
                                     elem_id="pt-upload", height=150, scale=3)
                    with gr.Column(scale=2):
                        add = gr.Button("Add to index", variant="primary", elem_id="pt-add")
                        status = gr.Markdown(elem_id="pt-ingest-status")

        chat_inputs = [question, chatbot, history, sections, author, year_from, year_to, source, k]
        chat_outputs = [question, chatbot, history, sections, sources, download, ask, stop]
        events = [trigger(handlers.respond, chat_inputs, chat_outputs, api_visibility="private",
                          show_progress="hidden")
                  for trigger in (question.submit, ask.click)]
        stop.click(handlers.stopped, [chatbot], [chatbot, ask, stop], cancels=events, queue=False,
                   api_visibility="private")
        reset = [chatbot, history, sections, sources, download, ask, stop]
        new_chat.click(handlers.new_chat, None, reset, cancels=events, queue=False, api_visibility="private")
        chatbot.clear(handlers.new_chat, None, reset, cancels=events, queue=False, api_visibility="private")
        app.load(handlers.corpus_view, None, [stats, source], api_visibility="private", show_progress="hidden")
        refresh.click(handlers.corpus_view, None, [stats, source], api_visibility="private")
        add.click(handlers.upload, [upload], [status, stats, source, upload], api_visibility="private")

        gr.api(handlers.ask_api, api_name="ask")
        gr.api(handlers.search_api, api_name="search")
        gr.api(handlers.stats_api, api_name="stats")
    app.papertrail = handlers  # type: ignore[attr-defined]
    return app


# System fonts only: the page must not reach out to Google Fonts (local-first, works offline).
THEME = gr.themes.Soft(font=["ui-sans-serif", "system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
                       font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"])


def serve(app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, *, block: bool = True,
          concurrency: int = 8) -> str:
    """Queue and launch; returns the local URL (at once when block=False)."""
    app.queue(default_concurrency_limit=concurrency)
    _, url, _ = app.launch(server_name=host, server_port=port, prevent_thread_lock=not block, quiet=not block,
                           show_error=True, css=CSS, head=HEAD, ssr_mode=False, footer_links=["api"],
                           theme=THEME)
    return url


def launch(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> None:
    """`papertrail serve`: the UI on settings.ui.host:port (127.0.0.1:7860 by default)."""
    settings = settings or Settings()
    assistant = Assistant(settings)
    app = build_app(assistant)

    def warm_up() -> None:  # first answer faster: load the index and the embedder while the page opens
        try:
            app.papertrail.warm()  # type: ignore[attr-defined]
            assistant.search("attention", k=1)
        except Exception as exc:  # noqa: BLE001 — the chat shows the same error when it matters
            log.info("warm-up skipped: %s", exc)

    threading.Thread(target=warm_up, daemon=True).start()
    host = host or settings.ui.host
    port = port or settings.ui.port
    print(f"papertrail UI on http://{host}:{port}  (Ctrl+C to stop)")
    serve(app, host, port, block=True)
