"""Author-name matching and reading authors/years out of a question: exact tables."""

from __future__ import annotations

import pytest

from assistant.named import NameIndex
from assistant.names import distinct_people, name_matches, name_tokens, paper_has_author
from assistant.query import AuthorIndex, QueryFacts, read_query, read_years, unknown_person
from assistant.records import Paper

CATALOG = {"Quoc V Le", "Stephan Günnemann", "François Charton", "Yann LeCun", "Patrick Forré", "Tri Dao",
           "Albert Gu", "Bernhard Schölkopf", "Sören Becker", "Stéphane d'Ascoli", "Jason D. Lee", "Kangwook Lee", "Hongyu An"}


@pytest.mark.parametrize(("name", "tokens"), [
    ("Le, Quoc V.", ["quoc", "v", "le"]),
    ("Quoc V. Le", ["quoc", "v", "le"]),
    ("François Charton", ["francois", "charton"]),
    ("Bernhard Schölkopf", ["bernhard", "scholkopf"]),
    ("Bernhard Schoelkopf", ["bernhard", "schoelkopf"]),
    ("Stephan Günnemann", ["stephan", "gunnemann"]),
    ("Stephan Guennemann", ["stephan", "guennemann"]),
    ("Stéphane d'Ascoli", ["stephane", "d", "ascoli"]),
    ("Jy-yong Sohn", ["jy", "yong", "sohn"]),
    ("Tommy Sonne Alstrøm", ["tommy", "sonne", "alstrom"]),  # letters Unicode does not decompose
    ("Łukasz Kaiser", ["lukasz", "kaiser"]),
    ("", []),
])
def test_name_tokens(name: str, tokens: list[str]) -> None:
    assert name_tokens(name) == tokens


@pytest.mark.parametrize(("query", "author", "expected"), [
    ("schoelkopf", "Bernhard Schölkopf", True),
    ("Schölkopf", "Bernhard Schoelkopf", True),
    ("SCHÖLKOPF", "Bernhard Schölkopf", True),
    ("B. Schölkopf", "Bernhard Schölkopf", True),
    ("Schölkopf, Bernhard", "Bernhard Schölkopf", True),
    ("Q. Le", "Quoc V Le", True),
    ("Le, Quoc", "Quoc V Le", True),
    ("quoc le", "Quoc V. Le", True),
    ("Quoc V. Le", "Quoc V Le", True),
    ("Q. V. Le", "Quoc V Le", True),
    ("Le Quoc", "Quoc V Le", True),  # order does not matter
    ("X. Le", "Quoc V Le", False),  # initial must match another name part
    ("Q. Le", "Quoc Le Van", True),
    ("Le", "Yann LeCun", False),  # whole words only
    ("lecun", "Yann LeCun", True),
    ("Y. LeCun", "Yann LeCun", True),
    ("Francois Charton", "François Charton", True),
    ("tommy alstrom", "Tommy Sonne Alstrøm", True),
    ("Jason Lee", "Jason D. Lee", True),
    ("J. Lee", "Kangwook Lee", False),
    ("Q.", "Quoc V Le", False),  # initials alone name nobody
    ("", "Quoc V Le", False),
    ("Quoc Le", "", False),
    ("Quoc Le Le", "Quoc V Le", False),  # each word is used once
])
def test_name_matches(query: str, author: str, expected: bool) -> None:
    assert name_matches(query, author) is expected


def test_distinct_people_counts_spelling_variants_once() -> None:
    names = ["Quoc V. Le", "Quoc V Le", "Le, Quoc V.", "François Chollet", "Francois Chollet", "Quoc Le", ""]
    assert distinct_people(names) == 3  # "Quoc Le" (no middle initial) may be someone else: counted apart


def test_paper_has_author() -> None:
    authors = ["Prajit Ramachandran", "Barret Zoph", "Quoc V. Le"]
    assert paper_has_author("Q. Le", authors)
    assert paper_has_author("zoph", authors)
    assert not paper_has_author("Quoc Zoph", authors)
    assert not paper_has_author("Q. Le", [])


@pytest.mark.parametrize(("question", "expected"), [
    ("papers since 2020", (2020, None, "papers")),
    ("papers after 2020 on attention", (2020, None, "papers  on attention")),  # read_query squeezes spaces
    ("work before 2019", (None, 2019, "work")),
    ("up to 2019", (None, 2019, "")),
    ("between 2019 and 2021", (2019, 2021, "")),
    ("linear attention 2019-2021", (2019, 2021, "linear attention")),
    ("linear attention 2019 – 2021", (2019, 2021, "linear attention")),
    ("from 2019 to 2021", (2019, 2021, "")),  # the preposition goes with the year
    ("linear attention in 2023", (2023, 2023, "linear attention")),
    ("Anything from 2023 on self-supervised learning?", (2023, 2023, "Anything  on self-supervised learning?")),
    ("papers on attention", (None, None, "papers on attention")),
    ("GPT-3 with 175B parameters", (None, None, "GPT-3 with 175B parameters")),
    ("a context of 1024 tokens", (None, None, "a context of 1024 tokens")),
    ("a context of 2048 tokens", (None, None, "a context of 2048 tokens")),  # not a publication year
    ("batch size 2040 since 2020", (2020, None, "batch size 2040")),
])
def test_read_years(question: str, expected: tuple[int | None, int | None, str]) -> None:
    assert read_years(question) == expected


@pytest.fixture(scope="module")
def index() -> AuthorIndex:
    return AuthorIndex(CATALOG)


@pytest.mark.parametrize(("question", "author"), [
    ("papers by Quoc Le", "Quoc Le"),
    ("papers by Q. Le on activations", "Q. Le"),
    ("What did Le, Quoc write?", "Le, Quoc"),
    ("Le, Quoc - what is in the corpus from them?", "Le, Quoc"),  # a dash is no part of the name
    ("Schoelkopf's papers by Bernhard Schoelkopf", "Bernhard Schoelkopf"),
    ("papers by Schölkopf", "Schölkopf"),
    ("papers by schoelkopf", "schoelkopf"),
    ("Schölkopf papers", None),  # a bare surname needs a cue such as 'by'
    ("What are Charton's papers?", "Charton"),  # or owns papers
    ("Is Charton's method better?", None),
    ("work of Charton", "Charton"),
    ("tl;dr of CHARTON, the one on symbolic math", None),  # capitals after a cue are an acronym, not a surname
    ("transformers by Dao and Gu", "Dao"),
    ("papers by Lee", "Lee"),  # every author it matches has the surname Lee
    ("papers by Jason", None),  # a bare given name is not a surname
    ("papers by Stéphane", None),
    ("papers by Jason Lee", "Jason Lee"),
    ("papers by Michael Jordan", None),
    ("linear attention for long sequences", None),
    # a lower-case function word after a cue is no surname, though "An" is one in the catalog
    ("How is the influence of examples removed from an already trained model?", None),
    ("papers by an author", None),
    ("work of An", "An"),
    ("papers by lee", "lee"),
])
def test_author_index_find(index: AuthorIndex, question: str, author: str | None) -> None:
    assert index.find(question) == author


@pytest.mark.parametrize(("question", "facts"), [
    ("papers by Quoc Le on activation functions since 2017",
     QueryFacts(author="Quoc Le", year_from=2017, year_to=None, topic="papers by on activation functions")),
    ("Stephan Günnemann's 2023 papers",
     QueryFacts(author="Stephan Günnemann", year_from=2023, year_to=2023, topic="papers")),
    ("linear attention between 2019 and 2021",
     QueryFacts(author=None, year_from=2019, year_to=2021, topic="linear attention")),
    ("linear attention", QueryFacts(author=None, year_from=None, year_to=None, topic="linear attention")),
    # a person the catalog does not know is still the author asked about, so the answer can say "no papers by"
    ("What has Percy Liang published here?",
     QueryFacts(author="Percy Liang", year_from=None, year_to=None, topic="What has published here?")),
    # a name the catalog holds but cannot pin down (a given name) is not claimed to be absent
    ("papers by Jason", QueryFacts(author=None, year_from=None, year_to=None, topic="papers by Jason")),
])
def test_read_query(index: AuthorIndex, question: str, facts: QueryFacts) -> None:
    assert read_query(question, index) == facts


@pytest.mark.parametrize(("question", "person"), [
    ("What has Percy Liang published here?", "Percy Liang"),
    ("papers by Geoffrey Hinton", "Geoffrey Hinton"),
    ("Papers by Q. Le.", "Q. Le"),
    ("What did Yann LeCun write?", "Yann LeCun"),
    ("Percy Liang's papers on LLMs", "Percy Liang"),
    ("Show me papers written by Ludwig van der Berg", "Ludwig van der Berg"),
    ("Which papers are inspired by Mamba?", None),  # "by" after a verb, not after "papers"
    ("Which papers use linear attention?", None),
    ("any work by the Stanford NLP group?", None),  # not a capitalised name
    ("Summarize Mamba's method", None),
    ("Compare Mamba and S4", None),
    ("list the papers of Percy Liang", "Percy Liang"),
    ("any papers from A. Gu?", "A. Gu"),
    ("anything by Kaiming He?", "Kaiming He"),
    ("show me Chelsea Finn's work on meta-learning", "Chelsea Finn"),
    ("papers where Ilya Sutskever is a co-author?", "Ilya Sutskever"),
    ("which papers is Geoffrey Hinton an author on", "Geoffrey Hinton"),
    ("list all papers with Tri Dao as an author", "Tri Dao"),
    ("Is there any work from Kaiming He here?", "Kaiming He"),
    ("Mamba's work on long sequences", None),  # one capitalised word: a model, not a person
    ("papers of NeurIPS 2023", None),
])
def test_unknown_person(question: str, person: str | None) -> None:
    assert unknown_person(question) == person


@pytest.mark.parametrize(("question", "person"), [
    ("papers by percy lee", "percy lee"),  # "lee" is a surname of the catalog
    ("papers by category theory", None),  # no word of it names anyone
    ("papers by jason chen about attention", None),  # lower case only at the end of the question
])
def test_unknown_lowercase_person_needs_a_catalog_surname(question: str, person: str | None) -> None:
    assert unknown_person(question, AuthorIndex(CATALOG)) == person


def test_similar_names_share_a_word_closest_first_one_spelling_per_person() -> None:
    index = AuthorIndex(CATALOG | {"Quoc V. Le"})
    assert index.similar("Jason Lee") == ["Jason D. Lee", "Kangwook Lee"]
    assert len(index.similar("Quoc Nguyen")) == 1
    assert index.similar("Geoffrey Hinton") == []


def test_a_name_given_in_full_leaves_out_names_that_only_contain_its_words() -> None:
    """"tian, yu" is Yu Tian; "Tian Yu Liu" and "Tian-Li Yu" hold both words but are other people."""
    index = AuthorIndex({"Yu Tian", "Tian Yu Liu", "Tian-Li Yu", "Quoc V. Le", "Jiachen (Tianhao) Wang"})
    assert index.matching("tian, yu") == index.matching("Yu Tian") == {"Yu Tian"}
    assert index.matching("quoc le") == {"Quoc V. Le"}  # an initial left out is no other person
    assert index.matching("Tianhao Wang") == {"Jiachen (Tianhao) Wang"}  # no one named in full: the partial match
    assert index.matching("Tian Yu") == {"Yu Tian"}  # in either order


def test_read_query_without_catalog_reads_only_years() -> None:
    assert read_query("papers by Quoc Le in 2017", None) == QueryFacts(
        author=None, year_from=2017, year_to=2017, topic="papers by Quoc Le")


# --- papers named by a coined word of their title ------------------------------------------------------------
def _papers(*rows: tuple[str, str]) -> dict[str, Paper]:
    return {f"p{i}": Paper(paper_id=f"p{i}", title=t, abstract=a) for i, (t, a) in enumerate(rows)}


def test_a_coined_title_word_no_other_paper_uses_names_its_paper() -> None:
    papers = _papers(("How to Train Your HiPPO: State Space Models", "We revisit the HiPPO framework for memory."),
                     ("Mamba: Linear-Time Sequence Modeling", "Selective state spaces scale linearly."))
    assert [p.paper_id for p in NameIndex(papers).find("compare mamba and hippo")] == ["p1", "p0"]


def test_a_coined_title_word_other_papers_use_names_nothing() -> None:
    papers = _papers(("Better ImageNet Training Recipes", "We train on ImageNet faster."),
                     ("Vision Transformers Need Registers", "Results on ImageNet and COCO."))
    assert NameIndex(papers).find("What is the best accuracy on ImageNet?") == []


def test_a_quoted_start_of_a_title_names_its_paper() -> None:
    """ "What is 'Linear attention is (maybe) all you need' about?" quotes the start of a longer title."""
    papers = _papers(("Linear attention is (maybe) all you need (to understand transformer optimization)", "We study."),
                     ("Linear Attention via Orthogonal Memory", "We propose LAVO."))
    index = NameIndex(papers)
    assert [p.paper_id for p in index.find("What is 'Linear attention is (maybe) all you need' about?")] == ["p0"]
    assert index.find("What is 'Linear attention for images' about?") == []


def test_an_acronym_the_abstract_defines_in_latex_names_its_paper() -> None:
    papers = _papers(("Geometrically Aligned Transfer Encoder for Inductive Transfer", "We propose the Geometrically "
                      "Aligned Transfer Encoder (${\\it GATE}$), which aligns latent spaces."),
                     ("Enhancing Transfer Learning with Nonparametric Posterior Sampling", "We introduce nonparametric "
                      "transfer learning (NPTL), a posterior sampling method."))
    assert [p.paper_id for p in NameIndex(papers).find("GATE vs NPTL: how does each approach transfer learning?")] == ["p0", "p1"]


def test_an_acronym_the_abstract_defines_in_other_words_names_its_paper() -> None:
    """ "(in short: ObsProp)", "(abbreviated as GLA)", "(TST for short)" define a name as "(ObsProp)" does."""
    papers = _papers(("Observable Propagation: Uncovering Feature Vectors", 'We introduce a method called "observable '
                      'propagation" (in short: ObsProp) for finding linear features.'),
                     ("Gated Linear Attention Transformers", "We study gated linear attention (abbreviated as GLA)."),
                     ("Time Series Transformers", "A time series transformer (TST for short) forecasts."))
    index = NameIndex(papers)
    assert [p.paper_id for p in index.find("Compare ObsProp with GLA and TST")] == ["p0", "p1", "p2"]


def test_a_short_quoted_start_names_no_paper() -> None:
    papers = _papers(("Linear Attention via Orthogonal Memory", "We propose LAVO."),
                     ("Linear Attention Is All You Need for Vision", "A vision backbone."))
    assert NameIndex(papers).find("What do the 'Linear Attention' papers do?") == []


_OPENING = "Neural recordings are hard to model. " * 20  # pushes what follows past the abstract's opening


def test_a_name_the_abstract_gives_its_own_work_later_names_its_paper() -> None:
    """ "irSLDS vs MR-SDS": one name defined late ("our ... (irSLDS)"), one introduced without parentheses."""
    papers = _papers(("Parsing neural dynamics with infinite recurrent switching linear dynamical systems",
                      _OPENING + "This defines our infinite recurrent switching linear dynamical system (irSLDS) model."),
                     ("Modeling state-dependent communication between brain regions",
                      _OPENING + "Here, we propose MR-SDS, a multiregion switching nonlinear state space model."),
                     ("Noise-free Score Distillation", "Score Distillation Sampling (SDS) guides 3D generation."))
    found = NameIndex(papers).find("irSLDS vs MR-SDS: how do the two models differ?")
    assert [p.paper_id for p in found] == ["p0", "p1"]


def test_a_late_acronym_of_someone_elses_method_names_nothing() -> None:
    """A baseline defined late ("... Proximal Policy Optimization (PPO)") or a long way after "we propose" is no name of
    the paper; a late name written in lowercase in the question ("raise") is a word, not the name "RAISE"."""
    papers = _papers(("Fast Policy Search", _OPENING + "It beats Proximal Policy Optimization (PPO) on Atari."),
                     ("Operators via Multigrid", _OPENING + "We show our method works on many kinds of partial "
                      "differential equations (PDEs)."),
                     ("Abstract Reasoning", _OPENING + "We propose RAISE, a latent model of rules."))
    index = NameIndex(papers)
    assert index.find("How does PPO compare on Atari?") == []
    assert index.find("Which neural operators solve PDEs?") == []
    assert index.find("How much does length control raise the correlation?") == []
    assert [p.paper_id for p in index.find("What is RAISE?")] == ["p2"]


def test_a_hyphenated_name_the_abstract_gives_later_names_its_paper_but_plain_compounds_do_not() -> None:
    """ "named Fed-GO-UCB" and "we call RegNet" name the paper (capitals after a hyphen count); capitalised words
    joined by hyphens ("we propose Kolmogorov-Arnold Networks") describe, and other papers use them too."""
    papers = _papers(("Communication-Efficient Federated Non-Linear Bandit Optimization",
                      _OPENING + "In this paper, we propose a new algorithm, named Fed-GO-UCB, for federated bandits."),
                     ("Designing Network Design Spaces", _OPENING + "We arrive at regular networks that we call RegNet."),
                     ("KAN", _OPENING + "We propose Kolmogorov-Arnold Networks as alternatives to MLPs."),
                     ("Convolutional KANs", "Convolutions for Kolmogorov-Arnold networks."))
    index = NameIndex(papers)
    assert [p.paper_id for p in index.find("Compare Fed-GO-UCB and RegNet")] == ["p0", "p1"]
    assert index.find("List the papers on Kolmogorov-Arnold networks.") == []
