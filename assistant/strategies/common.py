"""Small text helpers the strategies share: topic words of a question, title matching, word coverage."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from assistant.records import Hit
from assistant.relevance import topic_coverage

if TYPE_CHECKING:
    from assistant.chain import Chain


def uses_the_words(chain: "Chain", text: str, hits: list[Hit], share: float) -> bool:
    """Does one of `hits` use `share` of the words of `text`, weighted by rarity? Retrieval alone matches a question
    on an absent topic to a near paper ("... uses reinforcement learning to schedule elevators": a paper on fair
    multi-agent MDPs, dense similarity 0.49)."""
    return topic_coverage(text, hits, chain.word_rarity())[0] >= share


_STOP = set("a an the of on in for to and or by with from about what which who whose is are was were did does do "
            "has have had paper papers work works here corpus any all me show list find tell give written wrote "
            "published publish authored co author coauthored write writes research worked their his her this that these those there according "
            "corpus collection library index database summarize summarise summary summaries describe explain "
            "main recent latest key contribution contributions everything something anything ever them him he she "
            "they it its where when how why as among authors coauthors list lists listed listing name names named "
            "credited credits include includes including appear appears contributor contributors".split())


_WORD_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9+]*")


def title_has_all(title: str, words: list[str]) -> bool:
    """Does every word start a word of the title? "the gelu math analysis paper" abbreviates "GELU Activation
    Function in Deep Learning: A Comprehensive Mathematical Analysis ..."."""
    title_words = [w.lower() for w in _WORD_TOKEN.findall(title)]
    return all(any(t.startswith(w.lower()) for t in title_words) for w in words)


def topic_words(text: str) -> list[str]:
    return [w for w in _WORD_TOKEN.findall(text) if w.lower() not in _STOP and len(w) > 1]
