"""Typed records that cross module lines."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


def normalize_title(title: str) -> str:
    """Lowercase ASCII letters and digits only, single-spaced: the key used to merge and identify papers."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


_LATEX_FORMAT = re.compile(r"\\(?:emph|textit|textbf|texttt|textrm|textsc|mathrm)\{([^{}]*)\}")
_LATEX_ESCAPE = re.compile(r"\\([%&_#$])")
# math mode around a plain word or number: "$DAEFR$", "${\it GATE}$", "$19.4$%"; not "$\mathcal D$" or "$O(n)$"
_MATH_WORD = re.compile(r"\$(?:\{\\(?:it|bf|rm|tt|sf)\s+([^{}$\\]+)\}|([A-Za-z0-9](?:[A-Za-z0-9.%\- ]{0,38}[A-Za-z0-9.%])?))\$")
_MATH_TIMES = re.compile(r"\$(\d+(?:\.\d+)?)\s*\\times\s*\$")  # "$4.36\times$" -> "4.36×"


def plain_text(text: str) -> str:
    """Single-spaced, with LaTeX escapes, font commands and math mode around plain words the dumps kept resolved
    ("35\\%" -> "35%", "$\\textit{DAEFR}$" -> "DAEFR"), so quoted sentences and numbers read as the paper means them."""
    text = _LATEX_FORMAT.sub(r"\1", " ".join(text.split()))
    text = _MATH_TIMES.sub(r"\1×", _MATH_WORD.sub(lambda m: m.group(1) or m.group(2), text))
    return _LATEX_ESCAPE.sub(r"\1", text)


def paper_id_for(title: str) -> str:
    """Stable id from the normalized title, so re-ingesting (or a second dump) gives the same id."""
    return "p" + hashlib.sha1(normalize_title(title).encode()).hexdigest()[:12]


class Paper(BaseModel):
    model_config = ConfigDict(frozen=True)

    paper_id: str
    title: str
    abstract: str
    authors: list[str] = Field(default_factory=list)
    date: str | None = Field(None, description="ISO YYYY-MM-DD when the year is known.")
    date_raw: str | None = Field(None, description="The date text as the source wrote it.")
    url: str | None = None
    sources: list[str] = Field(default_factory=list, description="Corpus file names the paper came from.")

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = plain_text(value)
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("abstract")
    @classmethod
    def _plain(cls, value: str) -> str:
        """May be empty: a dump can list a paper's title and authors without its abstract."""
        return plain_text(value)

    @field_validator("authors")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        """A dump sometimes lists an author twice ("Ahmed Elhag · Ahmed Elhag · Yuyang Wang"): once each, in order."""
        return list(dict.fromkeys(name.strip() for name in value if name.strip()))

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None

    def content_hash(self) -> str:
        """Changes when anything that is stored or embedded changes."""
        payload = "\x1f".join([self.title, self.abstract, "|".join(self.authors), self.date or "",
                               self.date_raw or "", self.url or "", "|".join(self.sources)])
        return hashlib.sha1(payload.encode()).hexdigest()[:16]


class Chunk(BaseModel):
    model_config = ConfigDict(frozen=True)

    chunk_id: str
    paper_id: str
    index: int
    text: str = Field(description="What is embedded: the title, then the chunk of abstract.")
    body: str = Field(description="The chunk of abstract alone.")


class Hit(BaseModel):
    """One retrieved paper, best chunk attached."""

    paper: Paper
    score: float
    bm25_rank: int | None = None
    dense_rank: int | None = None
    bm25_score: float | None = None
    dense_similarity: float | None = None
    passage: str | None = Field(None, description="The best-matching chunk body.")


class Citation(BaseModel):
    n: int
    paper_id: str
    title: str
    authors: list[str]
    date: str | None


class Answer(BaseModel):
    question: str
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[Hit] = Field(default_factory=list)
    refused: bool = False
    kind: Literal["fact", "list", "author", "summary", "overview", "compare", "absent", "error"] = "fact"
    extractive: bool = Field(False, description="True when the model's answer was replaced by cited sentences.")
    dropped_citations: int = Field(0, description="Markers removed because they pointed outside the context.")
    standalone_question: str | None = None
    error: str | None = None

    def to_json_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "citations": [c.model_dump() for c in self.citations],
            "retrieved": [
                {"paper_id": h.paper.paper_id, "title": h.paper.title, "abstract": h.paper.abstract,
                 "score": round(h.score, 6)}
                for h in self.retrieved
            ],
            "refused": self.refused,
        }


class Progress(BaseModel):
    """A step of long work (relevance judging, overview writing), streamed before the answer text."""

    message: str
    done: int = 0
    total: int = 0
