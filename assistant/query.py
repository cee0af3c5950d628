"""Rules that read metadata out of a question: author names (checked against the catalog) and years."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

from assistant.names import name_matches, name_tokens, names_fully

YEAR = r"(19[5-9]\d|20[0-4]\d)"
_SINCE = re.compile(rf"\b(?:since|after)\s+{YEAR}\b", re.I)
_BEFORE = re.compile(rf"\b(?:before|until|up to|prior to)\s+{YEAR}\b", re.I)
_BETWEEN = re.compile(rf"\b(?:between\s+)?{YEAR}\s*(?:-|–|to|and)\s*{YEAR}\b", re.I)
_IN_YEAR = re.compile(rf"\b{YEAR}\b")
# cues before a bare surname; a possessive after one ("Skalse's papers") is _OWNER's, as find drops "'s"
_NAME_CUE = re.compile(r"\b(?:by|from|of|author|authored|wrote|written)\b", re.I)
# A capitalised name in a phrasing that can only mean a person ("papers by Percy Liang", "what has Percy Liang
# published"): how a question names an author the catalog does not know, so the answer can say so.
_PERSON = r"[A-Z][\w'’.-]*(?:\s+(?:(?:van|von|der|den|de|la|le|del|da|di|du|dos)\s+)*[A-Z][\w'’.-]*){0,3}"
_FULL_PERSON = r"[A-Z][\w'’.-]*(?:\s+(?:(?:van|von|der|den|de|la|le|del|da|di|du|dos)\s+)*[A-Z][\w'’.-]*){1,3}"
_UNKNOWN_PERSON = [re.compile(pattern) for pattern in (
    rf"\b(?i:papers?|works?|publications|articles|research)\s+(?i:(?:written|authored|co-?authored)\s+)?(?i:by)\s+({_PERSON})",
    rf"\b(?i:has|have|did)\s+({_PERSON})\s+(?i:published|written|authored|co-?authored|worked on)\b",
    rf"\b(?i:did)\s+({_PERSON})\s+(?i:write|publish|author|co-?author)\b",
    rf"\b(?i:authored|written|co-?authored)\s+(?i:by)\s+({_PERSON})",
    rf"\b({_PERSON})['’]s\s+(?i:papers|publications)\b",
    # two names or more: "the papers of Percy Liang", "any papers from A. Gu?", "anything by Kaiming He?", "Chelsea
    # Finn's work on meta-learning", "papers where Ilya Sutskever is a co-author"
    rf"\b(?i:papers?|publications|anything|work)\s+(?i:of|from|by)\s+({_FULL_PERSON})",
    rf"\b(?i:with)\s+({_FULL_PERSON})\s+(?i:as)\s+(?i:an?\s+)?(?i:author|co-?author)\b",
    rf"\b({_FULL_PERSON})['’]s\s+(?i:work|research)\b",
    rf"\b({_FULL_PERSON})\s+(?i:is|was)\s+(?i:an?\s+)?(?i:author|co-?author)\b",
    rf"\b(?i:is|was)\s+({_FULL_PERSON})\s+(?i:an?\s+)?(?i:author|co-?author)\b",
)]


@dataclass(frozen=True)
class QueryFacts:
    author: str | None = None  # the name as the question wrote it; matched with names.name_matches
    year_from: int | None = None
    year_to: int | None = None
    topic: str = ""  # the question with the matched name and year phrases removed


class AuthorIndex:
    """Author names of the catalog, by token, so spans of a question can be matched quickly."""

    def __init__(self, authors: set[str]):
        self.by_token: dict[str, list[tuple[str, list[str]]]] = {}
        for author in authors:
            tokens = name_tokens(author)
            for token in set(tokens) | set(name_tokens(author, fold=True)):
                if len(token) > 1:
                    self.by_token.setdefault(token, []).append((author, tokens))

    def matching(self, query: str) -> set[str]:
        """Catalog names that `query` names (names.name_matches), looked up by token instead of scanning. When some
        of them are named in full ("tian, yu" is all of "Yu Tian"), only those: not "Tian Yu Liu" or "Tian-Li Yu"."""
        candidates: set[str] = set()
        for fold in (False, True):
            full = [t for t in name_tokens(query, fold=fold) if len(t) > 1]
            if full:
                candidates |= {author for author, _ in self.by_token.get(full[0], [])}
        matched = {author for author in candidates if name_matches(query, author)}
        in_full = {author for author in matched if names_fully(query, author)}
        return in_full or matched

    def similar(self, name: str, most: int = 5) -> list[str]:
        """Catalog names sharing a word with `name`, closest spelling first: what to suggest when nobody matches."""
        wanted = " ".join(name_tokens(name))
        candidates = {author for token in name_tokens(name) if len(token) > 1 for author, _ in self.by_token.get(token, [])}
        ranked = sorted(candidates, key=lambda a: (-SequenceMatcher(None, wanted, " ".join(name_tokens(a))).ratio(), a))
        people: dict[str, str] = {}  # person -> their closest spelling: 'Quoc V Le' and 'Quoc V. Le' are one
        for author in ranked:
            people.setdefault(" ".join(name_tokens(author)), author)
        return list(people.values())[:most]

    def find(self, question: str) -> str | None:
        """The longest span of the question that names an author of the catalog, or None.

        Spans are 2-3 words (any order, initials allowed, 'Surname, Given' too); a single surname only
        counts right after a cue like 'by' and when all authors it matches share that surname.
        """
        words = [w for w in re.findall(r"[\w.'’-]+,?", re.sub(r"['’]s\b", "", question)) if re.search(r"\w", w)]
        owners = set(_OWNER.findall(question))  # "Skalse's papers": a bare surname may own papers
        for size in (3, 2, 1):
            for start in range(len(words) - size + 1):
                if size == 1 and words[start] not in owners and not _bare_surname_cue(words[start - 1] if start else "", words[start]):
                    continue
                span = " ".join(words[start:start + size]).rstrip(",.")
                if self._names_an_author(span):
                    return span
        return None

    def _names_an_author(self, span: str) -> bool:
        return any(self._names_an_author_as(span, fold) for fold in (False, True))

    def _names_an_author_as(self, span: str, fold: bool) -> bool:
        wanted = name_tokens(span, fold=fold)
        full = [t for t in wanted if len(t) > 1]
        if not full or len(wanted) - len(full) > 2:
            return False
        matched = [a for a, tokens in self.by_token.get(full[0], []) if name_matches(span, a)]
        if len(wanted) == 1:  # a bare surname: only when it is the surname of every match
            return bool(matched) and all(name_tokens(a)[-1] == full[0] for a in matched)
        return bool(matched)


_OWNER = re.compile(r"\b([A-Z][\w-]+)['’]s (?:papers?|work|research|publications)\b")
_FUNCTION_WORDS = set("a an the this that these those it its all any some each one of to in on at for with by from "
                      "and or as is be not no new old".split())


def _bare_surname_cue(previous: str, word: str) -> bool:
    """May `word` alone be a surname? After a cue ("by Bengio", "of Bengio"; never in capitals, as "of COSMO"), and in lower case only after "by"
    and when it is no function word: "removing the influence ... from an already trained model" names nobody,
    though "An" is a surname in the catalog."""
    if not _NAME_CUE.search(previous):
        return False
    word = word.rstrip(",.")
    if len(word) >= 3 and word.isupper():
        return False  # "tl;dr of COSMO": an acronym, not the surname Cosmo
    if word[:1].isupper():
        return True
    return previous.lower() == "by" and word.lower() not in _FUNCTION_WORDS


def _plausible_years(match: re.Match[str]) -> bool:
    """Publication years only: '2048 tokens' or 'batch size 2040' is not a year."""
    return all(int(year) <= date.today().year + 1 for year in match.groups() if year)


def read_years(question: str) -> tuple[int | None, int | None, str]:
    """(from, to, question without the year phrase)."""
    for pattern, pick in ((_BETWEEN, lambda m: (int(m.group(1)), int(m.group(2)))),
                          (_SINCE, lambda m: (int(m.group(1)), None)),
                          (_BEFORE, lambda m: (None, int(m.group(1)))),
                          (_IN_YEAR, lambda m: (int(m.group(1)), int(m.group(1))))):
        match = next((m for m in pattern.finditer(question) if _plausible_years(m)), None)
        if match:
            start, end = pick(match)
            before = re.sub(r"\b(?:from|in|of|during|published in|dated)\s*$", "", question[:match.start()], flags=re.I)
            return start, end, (before + question[match.end():]).strip()
    return None, None, question


_LOWERCASE_PERSON = re.compile(r"\b(?:papers?|works?|publications|articles)\s+(?:(?:written|authored|co-?authored)\s+)?by\s+"
                               r"([a-z][a-z'’-]+(?:\s+[a-z][a-z'’-]+){1,2})\s*[?.!]*\s*$", re.I)


def unknown_person(question: str, authors: AuthorIndex | None = None) -> str | None:
    """A name the question can only mean as an author ("papers by Percy Liang"), or None. A lower-case name
    ("papers by percy liang") counts only at the end of the question and when one of its words is a word of
    some catalog name, so "papers by category theory" is no person."""
    for pattern in _UNKNOWN_PERSON:
        match = pattern.search(question)
        if match:
            return match.group(1).rstrip(".,")
    match = _LOWERCASE_PERSON.search(question)
    if match and authors is not None and any(t in authors.by_token for t in name_tokens(match.group(1))[1:]):
        return match.group(1)
    return None


def read_query(question: str, authors: AuthorIndex | None) -> QueryFacts:
    year_from, year_to, rest = read_years(question)
    author = None
    if authors is not None:
        author = authors.find(rest)
        if author is None:  # a person the catalog does not know: the answer says there are no papers by them
            person = unknown_person(rest, authors)
            author = person if person and not authors.matching(person) else None
        if author:
            rest = re.sub(re.escape(author) + r"(['’]s)?", " ", rest)
    return QueryFacts(author=author, year_from=year_from, year_to=year_to, topic=" ".join(rest.split()))
