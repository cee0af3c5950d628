"""Citation keys: lenient parsing, validation against the context, [n] renumbering, streaming rewrite."""

from __future__ import annotations

import pytest

from assistant.citations import StreamingCiter, canonical_keys, key_for, resolve
from assistant.records import Hit, Paper

TITLES = [
    "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
    "Agent Attention: On the Integration of Softmax and Linear Attention",
    "How to Train Your HiPPO: State Space Models with Generalized Orthogonal Basis Projections",
]
ABSTRACTS = [
    "Mamba makes the SSM parameters functions of the input and scales linearly in sequence length.",
    "Agent tokens aggregate information from keys and values and broadcast it back to the queries.",
    "We explain the Structured State Space sequence model (S4) as a decomposition onto Legendre polynomials.",
]
CONTEXT = [
    Hit(paper=Paper(paper_id=f"p{i}", title=t, abstract=a, authors=[f"Author {i}"], date=f"202{i}-01-01"), score=1.0)
    for i, (t, a) in enumerate(zip(TITLES, ABSTRACTS), start=1)
]


def ids(raw: str) -> list[str]:
    return [c.paper_id for c in resolve(raw, CONTEXT).citations]


def test_keys_are_s_and_one_based() -> None:
    assert [key_for(i) for i in range(3)] == ["S1", "S2", "S3"]


# (raw model text, rewritten text, cited paper ids in [n] order, markers dropped)
CASES = [
    ("Mamba is selective [S1].", "Mamba is selective [1].", ["p1"], 0),
    ("Agents broadcast [s2].", "Agents broadcast [1].", ["p2"], 0),
    ("Both scale linearly [S1, S3].", "Both scale linearly [1][2].", ["p1", "p3"], 0),
    ("Both scale linearly [S1; S2].", "Both scale linearly [1][2].", ["p1", "p2"], 0),
    ("Both scale linearly [S1 and S2].", "Both scale linearly [1][2].", ["p1", "p2"], 0),
    ("Both scale linearly [S1][S2].", "Both scale linearly [1][2].", ["p1", "p2"], 0),
    ("Agents broadcast (S2).", "Agents broadcast [1].", ["p2"], 0),
    ("Mamba is selective 【S1】.", "Mamba is selective [1].", ["p1"], 0),
    ("Mamba is selective [S 1].", "Mamba is selective [1].", ["p1"], 0),
    # the small model's slips: it copies the source label instead of the key
    ("Mamba is selective [Source 1].", "Mamba is selective [1].", ["p1"], 0),
    ("Agents broadcast.\n\n[Source: S2]", "Agents broadcast.\n\n[1]", ["p2"], 0),
    ("Both scale linearly [Source: S1, Source: S3].", "Both scale linearly [1][2].", ["p1", "p3"], 0),
    ("As S3 shows, HiPPO generalises.", "As [1] shows, HiPPO generalises.", ["p3"], 0),
    ("Both scale linearly [S1-S3].", "Both scale linearly [1][2][3].", ["p1", "p2", "p3"], 0),
    ("Mamba is selective [1].", "Mamba is selective [1].", ["p1"], 0),
    ("HiPPO generalises [3].", "HiPPO generalises [1].", ["p3"], 0),
    # keys outside the context are removed and counted, with the space they leave
    ("Mamba is selective [S9].", "Mamba is selective.", [], 1),
    ("Mamba is selective [S1, S9].", "Mamba is selective [1].", ["p1"], 1),
    ("Mamba is selective [S0] and fast [S4].", "Mamba is selective and fast.", [], 2),
    ("Mamba is selective (S9).", "Mamba is selective.", [], 1),
    ("Mamba is selective [S9] , and fast [S1] .", "Mamba is selective, and fast [1].", ["p1"], 1),
    # numbered by first appearance, each paper once
    ("Agents [S2]. Mamba [S1]. Agents again [S2].", "Agents [1]. Mamba [2]. Agents again [1].", ["p2", "p1"], 0),
    ("HiPPO [S3][S3] and [S3, S3].", "HiPPO [1] and [1].", ["p3"], 0),
    ("HiPPO [S3], Mamba [S1], agents [S2].", "HiPPO [1], Mamba [2], agents [3].", ["p3", "p1", "p2"], 0),
    ("As S3 shows, HiPPO generalises [S1].", "As [1] shows, HiPPO generalises [2].", ["p3", "p1"], 0),
    # not citations: years, four-digit numbers, words that merely contain S and digits
    ("Published in (2023) [S1].", "Published in (2023) [1].", ["p1"], 0),
    ("It handles 16K images [S2].", "It handles 16K images [1].", ["p2"], 0),
    ("No citation here.", "No citation here.", [], 0),
    ("  Extra   spaces  here [S1] .  ", "Extra spaces here [1].", ["p1"], 0),
]


@pytest.mark.parametrize(("raw", "text", "cited", "dropped"), CASES, ids=[c[0] for c in CASES])
def test_resolve(raw: str, text: str, cited: list[str], dropped: int) -> None:
    resolved = resolve(raw, CONTEXT)
    assert resolved.text == text
    assert [c.paper_id for c in resolved.citations] == cited
    assert [c.n for c in resolved.citations] == list(range(1, len(cited) + 1))
    assert [h.paper.paper_id for h in resolved.cited_hits] == cited
    assert resolved.dropped == dropped


def test_citation_carries_the_paper_metadata() -> None:
    (citation,) = resolve("Agents broadcast [S2].", CONTEXT).citations
    assert citation.model_dump() == {"n": 1, "paper_id": "p2", "title": TITLES[1], "authors": ["Author 2"],
                                     "date": "2022-01-01"}


def test_empty_context_drops_every_key() -> None:
    resolved = resolve("Claim [S1]. Other [S2].", [])
    assert resolved.text == "Claim. Other."
    assert resolved.citations == [] and resolved.dropped == 2


@pytest.mark.parametrize(("raw", "text"), [
    # "S4" is the name of a model the sources write about, not a citation key: keep the word
    ("HiPPO explains how S4 handles long sequences [S3].", "HiPPO explains how S4 handles long sequences [1]."),
    ("S4 models long sequences [S1].", "S4 models long sequences [1]."),
    # a name the sources themselves use, copied in parentheses, is not a key either
    ("The Structured State Space model (S4) is explained [S3].",
     "The Structured State Space model (S4) is explained [1]."),
    # enumerations in parentheses are not citations
    ("Two steps: (1) select, (2) scan [S1].", "Two steps: (1) select, (2) scan [1]."),
])
def test_model_names_and_enumerations_are_not_keys(raw: str, text: str) -> None:
    resolved = resolve(raw, CONTEXT)
    assert resolved.text == text
    assert resolved.dropped == 0
    assert [c.paper_id for c in resolved.citations] == [("p3" if "[S3]" in raw else "p1")]


# --- streaming ----------------------------------------------------------------------------------------
STREAMED = [
    "Mamba is selective [S1]. Agents broadcast [S2].",
    "Agents [S2]. Mamba [S1]. Agents again [S2] and HiPPO (S3).",
    "Both scale linearly [S1, S3]; invalid keys vanish [S9].",
    "As S3 shows, HiPPO generalises 【S1】 and [s2].",
    "Mamba is selective [S9] , and fast [S1] .",
    "HiPPO [S3][S3] and [S3, S3]. Published in (2023) [S1].",
]


def tokenize(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


@pytest.mark.parametrize("size", [1, 2, 3, 7])
@pytest.mark.parametrize("raw", STREAMED)
def test_streaming_matches_resolve(raw: str, size: int) -> None:
    citer = StreamingCiter(CONTEXT)
    pieces = [citer.feed(delta) for delta in tokenize(raw, size)]
    assert "".join(pieces) == resolve(raw, CONTEXT).text


def test_streaming_holds_a_marker_split_across_tokens() -> None:
    citer = StreamingCiter(CONTEXT)
    shown = [citer.feed(d) for d in ["Agents broadcast ", "[S", "2", "]", " and Mamba [", "S1", "]."]]
    assert shown[0] == "Agents broadcast"
    assert shown[1] == shown[2] == ""  # "[S", "[S2": nothing until the bracket closes
    assert "".join(shown[:4]) == "Agents broadcast [1]"
    assert "".join(shown) == "Agents broadcast [1] and Mamba [2]."
    assert all("S" not in piece.replace("Mamba", "") for piece in shown)


def test_streaming_never_shows_an_invalid_key() -> None:
    citer = StreamingCiter(CONTEXT)
    pieces = [citer.feed(d) for d in tokenize("Claim [S9]. Next [S1].", 1)]
    assert not any("9" in p for p in pieces)
    assert "".join(pieces) == "Claim. Next [1]."


def test_a_name_the_sources_use_stays_text_even_when_in_range() -> None:
    """With four sources, "S4" in prose is still the model HiPPO's abstract names; "[S4]" is still a key."""
    fourth = Hit(paper=Paper(paper_id="p4", title="Fourth paper", abstract="Something else entirely."), score=0.5)
    resolved = resolve("HiPPO explains S4 and (S4) [S3]. The fourth paper differs [S4].", CONTEXT + [fourth])
    assert resolved.text == "HiPPO explains S4 and (S4) [1]. The fourth paper differs [2]."
    assert [c.paper_id for c in resolved.citations] == ["p3", "p4"]
    assert resolved.dropped == 0


def test_a_bracketed_group_of_numbers_the_sources_write_stays_text() -> None:
    """A comparison cell quotes "functions from [0,1]^d": an interval, not the keys 0 and 1."""
    interval = Hit(paper=Paper(paper_id="p4", title="Widths", abstract="We approximate functions from [0,1]^d to R."),
                   score=0.5)
    resolved = resolve("It maps [0, 1]^d to R [S1]. Others cite [1, 2].", [interval] + CONTEXT)
    assert resolved.text == "It maps [0, 1]^d to R [1]. Others cite [1][2]."
    assert resolved.dropped == 0


@pytest.mark.parametrize("raw, canonical", [
    ("Mamba scales linearly [Source 1]; agents broadcast (S2; S3).", "Mamba scales linearly [S1]; agents broadcast [S2][S3]."),
    # keys that open the answer belong to its first sentence, keys after a full stop to the sentence before
    ("[Source 1] Mamba scales linearly. Agents broadcast. [S2]", "Mamba scales linearly [S1]. Agents broadcast [S2]."),
    ("Mamba uses 3.5 GB [S1].", "Mamba uses 3.5 GB [S1]."),
    ("The S4 model decomposes onto polynomials [S3].", "The S4 model decomposes onto polynomials [S3]."),  # a name
    ("Out of range [S7].", "Out of range [S7]."),  # left for resolve() to drop and count
])
def test_canonical_keys(raw: str, canonical: str) -> None:
    assert canonical_keys(raw, CONTEXT) == canonical
