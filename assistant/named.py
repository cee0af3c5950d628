"""Find the papers a question names: by full title, by the system name before a colon ('LambdaNetworks'),
by an acronym the abstract defines ('... Parallelism (LASP)'), by a coined word of the title that no other
paper uses ('How to Train Your HiPPO'), or by a quoted near-exact title or the start of one."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict

from assistant.records import Paper, normalize_title

# Generic phrases that head many titles and name no single paper.
_GENERIC = {"attention", "transformers", "transformer", "deep learning", "neural networks", "language models",
            "large language models", "diffusion models", "graph neural networks", "survey", "position"}
# "(LASP)", also "(in short: ObsProp)", "(abbreviated as GLA)", "(TST for short)"
_DEFINED_ACRONYM = re.compile(r"\((?:(?:in short|for short|short|abbreviated(?: as)?|abbr\.|hereafter|henceforth)[:,]?\s+)?"
                              r"([A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9+*-]*)(?:\s+for short)?\)")
# the name a paper gives its own work past the abstract's opening: "... our infinite recurrent switching linear
# dynamical system (irSLDS) model class", "we propose MR-SDS, a ...", "dubbed ToMe"
_NAME = r"[A-Za-z0-9]*[A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9+*-]*"  # two capitals or more: "irSLDS", "MR-SDS", "Fed-GO-UCB"
_OWN_DEFINED = re.compile(r"\b(?:our|[Ww]e (?:propose|introduce|present|develop|call|name|dub|term)\w*)"
                          rf"(?:\s+(?:a|an|the|novel|new|simple))*(?:\s+[\w',-]+){{1,8}}\s*\(({_NAME})\)")
_OWN_NAME = re.compile(r"\b(?:[Ww]e (?:propose|introduce|present|develop|call|name|dub|term)|called|dubbed|named|termed|coined)\s+"
                       rf"({_NAME})(?=[\s,:;.(]|$)")
_LATEX_DRESS = re.compile(r"\\[A-Za-z]+\s*|[${}]")  # "${\it GATE}$" -> "GATE"
_COINED = re.compile(r"\b[A-Za-z][a-z0-9]*[A-Z][A-Za-z0-9]*\b")  # mixed case: HiPPO, MetaFormer, HuBERT


def _plain_compound(name: str) -> bool:
    """Capitalised words joined by hyphens ("Kolmogorov-Arnold", "Super-Efficient") describe, they do not name;
    "Fed-GO-UCB", "S-Mamba" and "X-Decoder" do."""
    return all(re.fullmatch(r"[A-Z]?[a-z]+", piece) for piece in name.split("-"))


def _usable_name(name: str) -> bool:
    return bool(name) and name not in _GENERIC and (len(name) >= 4 or name.isalnum())


def _written_with_capital(name: str, question: str) -> bool:
    """Does the question write normalized `name` ("mr sds") with a capital letter somewhere ("MR-SDS", "Mr-SDS")?"""
    pattern = r"(?<![A-Za-z0-9])" + r"[^A-Za-z0-9]*".join(map(re.escape, name.split())) + r"(?![A-Za-z0-9])"
    return any(written != written.lower() for written in re.findall(pattern, question, re.I))


class NameIndex:
    """Normalized name -> papers, keeping only names that point at exactly one paper."""

    def __init__(self, papers: dict[str, Paper]):
        self.papers = papers
        names: dict[str, set[str]] = defaultdict(set)
        from_titles: set[str] = set()
        plain_words = {w for p in papers.values() for w in re.findall(r"\b[a-z][a-z0-9-]*\b", f"{p.title} {p.abstract}")}
        given: set[str] = set()  # names from the abstract's opening, the title, or a coined word
        own: set[str] = set()
        for pid, paper in papers.items():
            titled = self._title_names(paper)
            from_titles |= titled
            defined, named = titled | self._defined_acronyms(paper), self._own_names(paper, plain_words)
            given |= defined
            own |= named
            for name in defined | named:
                names[name].add(pid)
        for word, pid in self._coined_names(papers).items():
            names[normalize_title(word)].add(pid)
            from_titles.add(normalize_title(word))
        self.unique = {name: next(iter(ids)) for name, ids in names.items() if len(ids) == 1}
        # names that only an abstract's "(ACR)" gives: a question may use them for a topic ("LTL", "MoE")
        self.acronyms = {name for name in self.unique if name not in from_titles}
        # a name found past the opening only counts written with a capital ("RAISE", not "raise")
        self.capitalised = own - given - from_titles

    @staticmethod
    def _title_names(paper: Paper) -> set[str]:
        """The whole title, and its part before a colon when short ("LambdaNetworks")."""
        out = {normalize_title(paper.title)}
        if ":" in paper.title:
            head = paper.title.split(":")[0].strip()
            if len(head) <= 40:
                out.add(normalize_title(head))
        return {n for n in out if _usable_name(n)}

    @staticmethod
    def _defined_acronyms(paper: Paper) -> set[str]:
        """Acronyms of 3+ characters the abstract's opening defines: "... Parallelism (LASP)", also in LaTeX
        dress: "... Transfer Encoder (${\\it GATE}$)"."""
        opening = _LATEX_DRESS.sub("", paper.abstract[:600])
        found = {normalize_title(a) for a in _DEFINED_ACRONYM.findall(opening) if len(a) >= 3}
        return {n for n in found if _usable_name(n)}

    @staticmethod
    def _own_names(paper: Paper, plain_words: set[str]) -> set[str]:
        """Names the abstract gives its own work past the opening ("our ... (irSLDS)", "we propose MR-SDS, a ..."),
        unless written in lowercase elsewhere (`plain_words`: "Based", "ROAD" are words too). A later "(PPO)" with
        no "our" or "we propose" before it is most often a baseline, no name of this paper."""
        text = _LATEX_DRESS.sub("", paper.abstract)
        found = set(_OWN_DEFINED.findall(text)) | set(_OWN_NAME.findall(text))
        names = {normalize_title(a) for a in found if len(a) >= 3 and a.lower() not in plain_words and not _plain_compound(a)}
        return {n for n in names if _usable_name(n)}

    @staticmethod
    def _coined_names(papers: dict[str, Paper]) -> dict[str, str]:
        """Mixed-case title words ("HiPPO") that no other paper's title or abstract uses: a name for that paper."""
        used_by: dict[str, set[str]] = defaultdict(set)
        for pid, paper in papers.items():
            for word in _COINED.findall(f"{paper.title} {paper.abstract}"):
                used_by[word].add(pid)
        return {word: pid for pid, paper in papers.items() for word in _COINED.findall(paper.title)
                if len(word) >= 4 and any(c.islower() for c in word) and used_by[word] == {pid}}

    def title_starting(self, text: str, fewest_words: int = 4) -> Paper | None:
        """The one paper whose title starts with `text` (or with its part before a ":", "?" or " - "), when it
        has `fewest_words` words or more: "Linear Transformers with Learnable Kernel Functions" names the paper
        "... are Better In-Context Models"."""
        for start in dict.fromkeys((text, re.split(r"[:;?]|\s-\s", text)[0])):
            wanted = normalize_title(start)
            if len(wanted.split()) < fewest_words:
                continue
            matches = [p for p in self.papers.values() if normalize_title(p.title).startswith(wanted)]
            if len(matches) == 1:
                return matches[0]
        return None

    def find(self, question: str, most: int = 3, acronyms: bool = True) -> list[Paper]:
        """Named papers in the order the question mentions them; longer names win over names inside them.
        With `acronyms=False` a defined acronym alone names no paper."""
        q_norm = f" {normalize_title(question)} "
        spans: list[tuple[int, int, str]] = []
        for name, pid in self.unique.items():
            position = q_norm.find(f" {name} ")
            if (position >= 0 and len(name) >= 3 and (acronyms or name not in self.acronyms)
                    and (name not in self.capitalised or _written_with_capital(name, question))):
                spans.append((position, position + len(name) + 1, pid))
        for quoted in re.findall(r"['\"“‘]([^'\"”’]{8,200})['\"”’]", question):
            wanted = normalize_title(quoted)
            titled = self.title_starting(quoted)  # the start of one title, four words or more
            best = titled or max(self.papers.values(), default=None,
                                 key=lambda p: difflib.SequenceMatcher(None, wanted, normalize_title(p.title)).ratio())
            if titled or best and difflib.SequenceMatcher(None, wanted, normalize_title(best.title)).ratio() > 0.85:
                position = q_norm.find(wanted[:20])
                spans.append((max(position, 0), max(position, 0) + len(wanted), best.paper_id))
        spans.sort(key=lambda s: (s[0], -(s[1] - s[0])))
        chosen: list[str] = []
        covered_until = -1
        for start, end, pid in spans:
            if start < covered_until and pid not in chosen:
                continue  # a name inside a longer, already chosen name ("LASP" inside "LASP-2 ...")
            if pid not in chosen:
                chosen.append(pid)
            covered_until = max(covered_until, end)
        return [self.papers[pid] for pid in chosen[:most]]
