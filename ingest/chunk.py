"""Paper -> Chunks: token-bounded pieces of the abstract, each carrying the title."""

from __future__ import annotations

from functools import lru_cache

from llama_index.core.node_parser import SentenceSplitter

from assistant.records import Chunk, Paper
from assistant.settings import ChunkingSettings
from assistant.tokens import encode


@lru_cache(maxsize=4)
def _splitter(chunk_tokens: int, overlap_tokens: int) -> SentenceSplitter:
    return SentenceSplitter(chunk_size=chunk_tokens, chunk_overlap=overlap_tokens, tokenizer=encode)


def chunk_paper(paper: Paper, settings: ChunkingSettings) -> list[Chunk]:
    """Split the abstract by sentences into chunks of at most `chunk_tokens` tiktoken tokens.

    The title is prefixed to every chunk so each embedding knows which paper it belongs to; with the
    defaults (160 + a title of <= 60 tokens) the text stays inside MiniLM's 256 word-piece window.
    """
    bodies = _splitter(settings.chunk_tokens, settings.overlap_tokens).split_text(paper.abstract) or [paper.abstract]
    return [  # a paper without an abstract is one chunk: its title
        Chunk(chunk_id=f"{paper.paper_id}:{i}", paper_id=paper.paper_id, index=i,
              text=f"{paper.title}\n{body}" if body else paper.title, body=body)
        for i, body in enumerate(bodies)
    ]
