"""Parse corpus files into `Paper` records, one parser per dump format, detected per file.

Formats (see data/corpus/README.md):
- ``daily``: page chrome, then blank-line separated *title* / *abstract* blocks (file 000).
- ``daily_trailer``: like ``daily`` plus a trailer ``• N authors`` / ``·`` / date per paper (file 003).
- ``poster``: ``Poster`` header, then *title* / *authors joined by " · "* / *abstract* lines (file 001).
- ``alternating``: one title line, one abstract line, alternating; chrome may be glued on (file 004).
- ``jsonl``: one JSON object per line with ``title``, ``abstract`` and optional ``authors``, ``date``,
  ``url``, ``id``.

A title whose authors are known but whose abstract is missing (poster, jsonl) is kept as a title-only paper
(listed in ``ParseReport.title_only``): author questions must still find it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path
from typing import Callable, Iterator

from pydantic import ValidationError

from assistant.errors import CorpusError
from assistant.records import Paper, paper_id_for

CHROME_LINES = {
    "new", "subscribe", "daily papers", "byak and the research community", "get trending papers in your email inbox!",
    "get trending papers in your email inbox once a day!", "poster", "halle b", "·",
}
CHROME_PREFIXES = ("Subscribe", "Get trending papers in your email inbox")
POSTER_SESSION = re.compile(r"^(Poster|Oral|Spotlight)( Session \d+)?$")
MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)}
DATE_LINE = re.compile(r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? (\d{1,2})(?:, (\d{4}))?( \d+)?$")
AUTHOR_COUNT = re.compile(r"^•\s*(\d+) authors?$")
NAME_TOKEN = re.compile(r"^[A-ZÀ-Þ][\w'’.\-]*$|^(de|van|der|von|da|di|del|la|le)$", re.UNICODE)
MAX_TITLE_CHARS = 300
MIN_ABSTRACT_CHARS = 150


@dataclass
class ParseReport:
    """What one file gave: papers, and each skipped block with its reason."""

    file: str
    format: str = "unknown"
    papers: list[Paper] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    title_only: list[tuple[int, str]] = field(default_factory=list)  # (line, title) kept without an abstract
    error: str | None = None

    def skip(self, line: int, reason: str) -> None:
        self.skipped.append((line, reason))

    def skip_reasons(self) -> Counter[str]:
        return Counter(reason.split(":")[0] for _, reason in self.skipped)


@dataclass
class _Line:
    number: int  # 1-based
    text: str


def parse_date(text: str) -> tuple[str | None, str]:
    """('2019-08-14', 'Aug 14, 2019') when a year is present, else (None, 'Jan 23').

    The raw text keeps the date only: a trailing count the page shows after it ('Sep 3, 2024 4') is dropped.
    """
    match = DATE_LINE.match(text.strip())
    if not match:
        return None, text.strip()
    raw = text.strip()[: match.start(4)] if match.group(4) else text.strip()
    if not match.group(3):
        return None, raw
    month = MONTHS[match.group(1)[:3].lower()]
    try:
        return Date(int(match.group(3)), month, int(match.group(2))).isoformat(), raw
    except ValueError:
        return None, raw


def normalize_free_date(text: str) -> str | None:
    """Dates given in JSONL: ISO (YYYY, YYYY-MM, YYYY-MM-DD) or the dump style ('Aug 14, 2019')."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        return f"{text}-01-01"
    if re.fullmatch(r"\d{4}-\d{2}", text):
        return f"{text}-01"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return Date.fromisoformat(text).isoformat()
        except ValueError:
            return None
    return parse_date(text)[0]


def is_chrome(text: str) -> bool:
    return text.strip().lower() in CHROME_LINES or bool(POSTER_SESSION.match(text.strip()))


def strip_glued_chrome(text: str) -> str:
    """'SubscribeLambdaNetworks: ...' -> 'LambdaNetworks: ...'."""
    for prefix in CHROME_PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix) and not text[len(prefix)].islower():
            rest = text[len(prefix):].lstrip(" !")
            if rest and rest.lower() not in CHROME_LINES:
                return rest
    return text


def looks_like_single_name(text: str) -> bool:
    """'François Charton': 2-4 capitalized tokens. Only meaningful between a title and an abstract."""
    tokens = text.split()
    return 2 <= len(tokens) <= 4 and len(text) <= 40 and all(NAME_TOKEN.match(t) for t in tokens) \
        and not text.endswith(".") and ":" not in text


def looks_like_abstract(text: str) -> bool:
    return len(text) >= MIN_ABSTRACT_CHARS or (len(text) > 60 and text.rstrip().endswith("."))


def continues_abstract(abstract: str, line: str) -> bool:
    """A line-broken abstract: the abstract stops mid-sentence and the next line starts in lower case."""
    return not abstract.rstrip().endswith((".", "!", "?")) and line[:1].islower() and ":" not in line[:20]


def looks_like_title(text: str) -> bool:
    return 0 < len(text) <= MAX_TITLE_CHARS and " · " not in text and text[0] not in "•·"


def _make_paper(report: ParseReport, line: int, title: str, abstract: str, **meta: object) -> None:
    title = strip_glued_chrome(title.strip())
    try:
        paper = Paper(paper_id=str(meta.pop("paper_id", None) or paper_id_for(title)), title=title,
                      abstract=abstract, sources=[report.file], **meta)  # type: ignore[arg-type]
    except ValidationError as exc:
        report.skip(line, f"invalid record: {exc.errors()[0]['loc'][0]} {exc.errors()[0]['msg']}")
        return
    report.papers.append(paper)
    if not paper.abstract:
        report.title_only.append((line, paper.title))


def detect_format(path: Path, text: str) -> str:
    first = text.lstrip()[:1]
    if path.suffix.lower() in {".jsonl", ".ndjson"} or first in "{[":
        return "jsonl"
    lines = [ln.strip() for ln in text.splitlines()]
    nonblank = [ln for ln in lines if ln]
    if any(AUTHOR_COUNT.match(ln) for ln in nonblank):
        return "daily_trailer"
    if sum(" · " in ln for ln in nonblank) >= max(1, len(nonblank) // 10) or any(
            POSTER_SESSION.match(ln) and ln != "Poster" for ln in nonblank[:5]):
        return "poster"
    blank_ratio = (len(lines) - len(nonblank)) / max(1, len(lines))
    return "daily" if blank_ratio > 0.3 else "alternating"


def _is_bare_prefixed_chrome(line: str) -> bool:
    """'Subscribe!' or 'Get trending papers in your email inbox daily': chrome with no title glued on.
    'Subscriber Churn Prediction ...' is a title: there the prefix is only the start of its first word."""
    return any(line.startswith(prefix) and not line[len(prefix):len(prefix) + 1].islower()
               for prefix in CHROME_PREFIXES) and strip_glued_chrome(line) == line


def _content_lines(text: str) -> list[_Line]:
    """Non-blank, non-chrome lines with their numbers; glued chrome stripped."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or is_chrome(line) or _is_bare_prefixed_chrome(line):
            continue
        out.append(_Line(number, strip_glued_chrome(line)))
    return out


def _pair_titles_and_abstracts(lines: list[_Line], report: ParseReport) -> Iterator[tuple[_Line, str, list[_Line]]]:
    """Walk title/abstract lines; yields (title line, abstract, trailer lines after the abstract).

    A date or author-count line never starts a paper; an abstract fragment on its own line is glued to the
    abstract before it; a title followed by another title loses (no abstract).
    """
    i = 0
    while i < len(lines):
        line = lines[i]
        if DATE_LINE.match(line.text) or AUTHOR_COUNT.match(line.text):
            if not report.papers and i == 0:  # page date ('Mar 14') above the first paper
                i += 1
                continue
            report.skip(line.number, f"stray trailer line: {line.text[:40]!r}")
            i += 1
            continue
        if not looks_like_title(line.text) or looks_like_abstract(line.text) and len(line.text) > MAX_TITLE_CHARS:
            report.skip(line.number, f"text without a title: {line.text[:40]!r}")
            i += 1
            continue
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is None or not looks_like_abstract(nxt.text) or DATE_LINE.match(nxt.text):
            report.skip(line.number, f"title with no abstract: {line.text[:60]!r}")
            i += 1
            continue
        abstract = nxt.text
        j = i + 2
        while j < len(lines) and continues_abstract(abstract, lines[j].text):
            abstract += " " + lines[j].text
            j += 1
        trailer: list[_Line] = []
        while j < len(lines) and (DATE_LINE.match(lines[j].text) or AUTHOR_COUNT.match(lines[j].text)):
            trailer.append(lines[j])
            j += 1
        yield line, abstract, trailer
        i = j


def parse_daily(text: str, report: ParseReport) -> None:
    for title, abstract, trailer in _pair_titles_and_abstracts(_content_lines(text), report):
        meta: dict[str, object] = {}
        for extra in trailer:
            if DATE_LINE.match(extra.text):
                meta["date"], meta["date_raw"] = parse_date(extra.text)
        _make_paper(report, title.number, title.text, abstract, **meta)


def parse_poster(text: str, report: ParseReport) -> None:
    """Records are anchored on author lines: the line before is the title, the line after the abstract.

    A single author has no ' · ', so a name-like line between a title and a long line counts too. A line
    after the authors that is itself followed by an author line is the next title: that paper lacks an
    abstract and is kept with its title and authors only. Lines no record claims (an abstract whose title was
    lost) are reported as skipped.
    """
    lines = _content_lines(text)
    n = len(lines)

    def is_author_line(k: int) -> bool:
        if not 0 < k < n - 1:
            return False
        line = lines[k].text
        if " · " in line:
            return True
        return looks_like_single_name(line) and len(lines[k - 1].text) <= MAX_TITLE_CHARS \
            and len(lines[k + 1].text) >= 2 * MIN_ABSTRACT_CHARS

    claimed: set[int] = set()
    for k in range(n):
        if not is_author_line(k) or k - 1 in claimed:
            continue
        title = lines[k - 1]
        claimed.update({k - 1, k})
        authors = [a.strip() for a in lines[k].text.split(" · ") if a.strip()]
        has_abstract = k + 1 < n and not is_author_line(k + 2) and not is_author_line(k + 1)
        if not looks_like_title(title.text):
            report.skip(title.number, f"title with no abstract: {title.text[:60]!r}")
            continue
        if not has_abstract:  # the author line vouches for the title: keep what the dump has
            _make_paper(report, title.number, title.text, "", authors=authors)
            continue
        claimed.add(k + 1)
        abstract = lines[k + 1].text
        j = k + 2
        while j < n and not is_author_line(j + 1) and continues_abstract(abstract, lines[j].text):
            abstract += " " + lines[j].text
            claimed.add(j)
            j += 1
        _make_paper(report, title.number, title.text, abstract, authors=authors)
    for k, line in enumerate(lines):
        if k not in claimed:
            report.skip(line.number, f"text without a title: {line.text[:40]!r}")


def parse_jsonl(text: str, report: ParseReport) -> None:
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            report.skip(number, f"malformed JSON: {exc.msg}")
            continue
        if not isinstance(row, dict):
            report.skip(number, "malformed JSON: a line must be an object")
            continue
        title, abstract = row.get("title"), row.get("abstract")
        if not isinstance(title, str) or not title.strip():
            report.skip(number, "missing title")
            continue
        authors = row.get("authors") or []
        if (not isinstance(abstract, str) or not abstract.strip()) and not authors:
            report.skip(number, f"title with no abstract: {title[:60]!r}")
            continue
        if isinstance(authors, str):
            authors = [a.strip() for a in re.split(r" · |;|, and | and |,", authors) if a.strip()]
        raw_date = row.get("date")
        meta: dict[str, object] = {"authors": [str(a) for a in authors]}
        if raw_date:
            meta["date"], meta["date_raw"] = normalize_free_date(str(raw_date)), str(raw_date)
        if row.get("url"):
            meta["url"] = str(row["url"])
        if row.get("id"):
            meta["paper_id"] = "u" + re.sub(r"[^A-Za-z0-9._-]", "_", str(row["id"]))[:60]
        _make_paper(report, number, title, abstract if isinstance(abstract, str) else "", **meta)


PARSERS: dict[str, Callable[[str, ParseReport], None]] = {
    "daily": parse_daily,
    "daily_trailer": parse_daily,
    "alternating": parse_daily,
    "poster": parse_poster,
    "jsonl": parse_jsonl,
}


def parse_file(path: Path) -> ParseReport:
    """Parse one file. Unreadable or empty files give a report with `error` set, never an exception."""
    report = ParseReport(file=path.name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.error = f"cannot read: {exc.strerror or exc}"
        return report
    if not data.strip():
        report.error = "empty file"
        return report
    if b"\x00" in data[:4096]:
        report.error = "binary file (contains NUL bytes); expected UTF-8 text or JSONL"
        return report
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        report.error = f"not UTF-8 text (bad byte at line {line}); re-save the file as UTF-8"
        return report
    report.format = detect_format(path, text)
    PARSERS[report.format](text, report)
    if not report.papers and not report.skipped:
        report.error = "no papers found; see the supported formats in README.md"
    return report


def parse_or_raise(path: Path) -> ParseReport:
    """Like parse_file, but raises CorpusError when the file gives nothing at all."""
    report = parse_file(path)
    if report.error:
        raise CorpusError(str(path), report.error)
    return report
