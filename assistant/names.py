"""Author-name matching tolerant of case, accents, initials and name order."""

from __future__ import annotations

import re
import unicodedata


def name_tokens(name: str) -> list[str]:
    """'Le, Quoc V.' -> ['quoc', 'v', 'le']; 'François' -> 'francois'."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    if "," in text:  # "Surname, Given" -> "Given Surname"
        surname, _, given = text.partition(",")
        text = f"{given} {surname}"
    # German umlauts may be spelled out ('Schoelkopf') or not ('Schölkopf' -> 'scholkopf'): fold both.
    return [re.sub(r"(?<=[a-z])([aou])e", r"\1", token) for token in re.findall(r"[a-z0-9]+", text)]


def name_matches(query: str, author: str) -> bool:
    """True when every full word of the query is a word of the author's name and every initial in the
    query is the first letter of another word of it. 'Q. Le', 'quoc le', 'Le, Quoc' all match 'Quoc V Le'."""
    wanted = name_tokens(query)
    have = name_tokens(author)
    if not wanted or not have:
        return False
    remaining = list(have)
    full = [t for t in wanted if len(t) > 1]
    initials = [t for t in wanted if len(t) == 1]
    if not full:
        return False
    for token in full:
        if token not in remaining:
            return False
        remaining.remove(token)
    for initial in initials:
        match = next((t for t in remaining if t.startswith(initial)), None)
        if match is None:
            return False
        remaining.remove(match)
    return True


def paper_has_author(query: str, authors: list[str]) -> bool:
    return any(name_matches(query, author) for author in authors)
