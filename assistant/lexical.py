"""BM25 over title + abstract + authors (bm25s), persisted next to the Chroma data.

The index directory holds a manifest with a fingerprint of the papers it was built from; a loader that
finds a different fingerprint rebuilds, so the BM25 index never drifts from the store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from assistant.records import Paper

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs each index build at DEBUG
_stemmer = Stemmer.Stemmer("english")


def index_dir(home: Path, store_name: str) -> Path:
    """Where the BM25 index of one Chroma index lives (always local, also in Chroma-server mode)."""
    return Path(home) / "bm25" / store_name


TOKENIZER_VERSION = "3"  # part of the fingerprint: an index built with other tokens is rebuilt


def papers_fingerprint(hashes: dict[str, str]) -> str:
    digest = hashlib.sha1(f"tokenizer {TOKENIZER_VERSION};".encode())
    for paper_id in sorted(hashes):
        digest.update(f"{paper_id}:{hashes[paper_id]};".encode())
    return digest.hexdigest()


def _document(paper: Paper) -> str:
    # The title counts twice: a title word is stronger evidence than an abstract word.
    return f"{paper.title}\n{paper.title}\n{paper.abstract}\n{' '.join(paper.authors)}"


_COMPOUND = re.compile(r"\b([A-Za-z]+)-([A-Za-z]+)\b")
# a name made of a word and a known acronym: "StyleGAN", "SliceGPT", "AnomalyCLIP" (a prefix of 3+ lower-case
# letters, so "HiPPO" does not read as PPO)
_NAMED_ACRONYM = re.compile(r"\b(?:[A-Z][a-z]{2,})+([A-Z]{3,})s?\b")


def with_word_variants(text: str) -> str:
    """`text` with each hyphenated word also written as one ("bi-level" -> "bi-level bilevel"), and each name
    built on an acronym also followed by the acronym ("StyleGAN" -> "StyleGAN GAN"), so the ways papers and
    users write a word ("bilevel", "multitask", "lookup"; "GAN papers?" for StyleGAN and CycleGAN) meet."""
    text = _COMPOUND.sub(lambda m: f"{m.group(0)} {m.group(1)}{m.group(2)}", text)
    return _NAMED_ACRONYM.sub(lambda m: f"{m.group(0)} {m.group(1)}", text)


def _tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize([with_word_variants(t) for t in texts], stopwords="en", stemmer=_stemmer,
                          return_ids=False, show_progress=False)


class LexicalIndex:
    def __init__(self, paper_ids: list[str], model: bm25s.BM25, fingerprint: str):
        self.paper_ids = paper_ids
        self.position = {pid: i for i, pid in enumerate(paper_ids)}
        self.model = model
        self.fingerprint = fingerprint

    @classmethod
    def build(cls, papers: list[Paper], fingerprint: str) -> "LexicalIndex":
        model = bm25s.BM25()
        if papers:
            model.index(_tokenize([_document(p) for p in papers]), show_progress=False)
        return cls([p.paper_id for p in papers], model, fingerprint)

    def save(self, directory: Path) -> None:
        """Write to a temp dir, then swap it in: a reader never sees a half-written index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".bm25-", dir=directory.parent))
        if self.paper_ids:
            self.model.save(str(tmp / "model"))
        (tmp / "manifest.json").write_text(json.dumps({"fingerprint": self.fingerprint, "paper_ids": self.paper_ids}))
        old = directory.with_name(directory.name + ".old")
        if directory.exists():
            os.replace(directory, old)
        os.replace(tmp, directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> "LexicalIndex | None":
        manifest = directory / "manifest.json"
        try:
            meta = json.loads(manifest.read_text())
            model = bm25s.BM25.load(str(directory / "model")) if meta["paper_ids"] else bm25s.BM25()
            return cls(list(meta["paper_ids"]), model, str(meta["fingerprint"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:  # TypeError: a manifest that is not an object
            log.info("BM25 index at %s unusable (%s); it will be rebuilt", directory, exc)
            return None

    def search(self, query: str, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(paper_id, score) best first; only papers in `allowed` when given."""
        if not self.paper_ids:
            return []
        tokens = _tokenize([query])
        if not tokens[0]:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self.paper_ids), dtype=np.float32)
            for pid in allowed:
                if pid in self.position:
                    mask[self.position[pid]] = 1.0
            if not mask.any():
                return []
        k = min(k, len(self.paper_ids))
        docs, scores = self.model.retrieve(tokens, k=k, show_progress=False, weight_mask=mask)
        return [(self.paper_ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
