"""Author-name matching tolerant of case, accents, initials and name order."""

from __future__ import annotations

import re
import unicodedata


# letters that Unicode does not decompose into a base letter and an accent ('Alstrøm' is written 'Alstrom' in ASCII)
_UNDECOMPOSED = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ß": "ss", "ł": "l",
                               "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th", "ı": "i"})


def name_tokens(name: str, fold: bool = False) -> list[str]:
    """'Le, Quoc V.' -> ['quoc', 'v', 'le']; 'François' -> 'francois'; 'Alstrøm' -> 'alstrom'."""
    text = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSED))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    if "," in text:  # "Surname, Given" -> "Given Surname"
        surname, _, given = text.partition(",")
        text = f"{given} {surname}"
    tokens = re.findall(r"[a-z0-9]+", text)
    if fold:  # German umlauts spelled out ('Schoelkopf') vs stripped ('Schölkopf' -> 'scholkopf')
        tokens = [re.sub(r"(?<=[a-z])([aou])e", r"\1", token) for token in tokens]
    return tokens


def name_matches(query: str, author: str) -> bool:
    """True when every full word of the query is a word of the author's name and every initial in the
    query is the first letter of another word of it. 'Q. Le', 'quoc le', 'Le, Quoc' all match 'Quoc V Le'.
    When either side has non-ASCII letters, umlauts also match their spelled-out form (ö = oe)."""
    if _tokens_match(name_tokens(query), name_tokens(author)):
        return True
    if query.isascii() and author.isascii():
        return False
    return _tokens_match(name_tokens(query, fold=True), name_tokens(author, fold=True))


def _tokens_match(wanted: list[str], have: list[str]) -> bool:
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


def names_fully(query: str, author: str) -> bool:
    """Does `query` name every full word of `author` ('Yu Tian' names all of 'Yu Tian', not of 'Tian Yu Liu' or
    'Tian-Li Yu')? An initial the query leaves out ('Quoc V Le' for 'quoc le') does not count."""
    for fold in (False, True):
        wanted, have = name_tokens(query, fold=fold), name_tokens(author, fold=fold)
        initials = [t for t in wanted if len(t) == 1]
        left = [t for t in have if len(t) > 1 and t not in wanted]
        if len(left) <= len(initials) and all(any(t.startswith(i) for i in initials) for t in left):
            return True
    return False


def paper_has_author(query: str, authors: list[str]) -> bool:
    return any(name_matches(query, author) for author in authors)


def distinct_people(names: list[str]) -> int:
    """How many people a list of author strings names: 'Quoc V. Le' and 'Quoc V Le' are one."""
    return len({" ".join(name_tokens(name)) for name in names} - {""})
