"""Corpus parsers on real excerpts (tests/data) and on the full bundled corpus: exact expected records."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.records import paper_id_for
from ingest.parse import (
    detect_format,
    is_chrome,
    normalize_free_date,
    parse_date,
    parse_file,
    parse_or_raise,
    strip_glued_chrome,
)

DATA = Path(__file__).resolve().parents[1] / "data"
CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"


def original_line(corpus_file: str, starts_with: str) -> str:
    """The one line of a bundled corpus file that starts with `starts_with`."""
    lines = [ln for ln in (CORPUS / corpus_file).read_text(encoding="utf-8").splitlines() if ln.startswith(starts_with)]
    assert len(lines) == 1, (corpus_file, starts_with, len(lines))
    return lines[0]


# --- format detection --------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "expected"), [
    (DATA / "daily_000.txt", "daily"),
    (DATA / "poster_001.txt", "poster"),
    (DATA / "trailer_003.txt", "daily_trailer"),
    (DATA / "alternating_004.txt", "alternating"),
    (DATA / "papers.jsonl", "jsonl"),
    (DATA / "bad" / "broken_rows.jsonl", "jsonl"),
    (CORPUS / "000_93c08023696e0f68.txt", "daily"),
    (CORPUS / "001_399c9b84d8821e2e.txt", "poster"),
    (CORPUS / "003_e97ba3b526acec30.txt", "daily_trailer"),
    (CORPUS / "004_efb8f7eddc51831e.txt", "alternating"),
], ids=lambda v: v.name if isinstance(v, Path) else v)
def test_detect_format_per_file(path: Path, expected: str) -> None:
    assert detect_format(path, path.read_text(encoding="utf-8")) == expected
    assert parse_file(path).format == expected


def test_detect_format_sees_json_lines_by_content_whatever_the_suffix() -> None:
    text = (DATA / "papers.jsonl").read_text(encoding="utf-8")
    assert detect_format(Path("dump.txt"), text) == "jsonl"
    assert detect_format(Path("dump.ndjson"), "") == "jsonl"


# --- per-format exact records --------------------------------------------------------------------------

# (title, authors, date, date_raw) in file order.
EXPECTED_PAPERS: dict[str, list[tuple[str, list[str], str | None, str | None]]] = {
    "daily_000.txt": [
        ("One-hot Generalized Linear Model for Switching Brain State Discovery", [], None, None),
        ("LinFusion: 1 GPU, 1 Minute, 16K Image", [], None, None),
        ("Length-Controlled AlpacaEval: A Simple Way to Debias Automatic Evaluators", [], None, None),
        ("Agent Attention: On the Integration of Softmax and Linear Attention", [], None, None),
        ("How to Train Your HiPPO: State Space Models with Generalized Orthogonal Basis Projections", [], None, None),
    ],
    "poster_001.txt": [
        ("Large Language Models as Optimizers",
         ["Chengrun Yang", "Xuezhi Wang", "Yifeng Lu", "Hanxiao Liu", "Quoc V Le", "Denny Zhou", "Xinyun Chen"],
         None, None),
        ("Provably Robust Conformal Prediction with Improved Efficiency", ["Ge Yan", "Yaniv Romano", "Tsui-Wei Weng"],
         None, None),
        ("Pathologies of Predictive Diversity in Deep Ensembles",
         ["Geoff Pleiss", "Taiga Abe", "E. Kelly Buchanan", "John Cunningham"], None, None),
        ("MuSc: Zero-Shot Industrial Anomaly Classification and Segmentation with Mutual Scoring of the Unlabeled "
         "Images", ["Xurui Li", "Ziming Huang", "Feng Xue", "Yu Zhou"], None, None),
        ("ODEFormer: Symbolic Regression of Dynamical Systems with Transformers",
         ["Stéphane d'Ascoli", "Sören Becker", "Philippe Schwaller", "Alexander Mathis", "Niki Kilbertus"], None, None),
        ("Decision ConvFormer: Local Filtering in MetaFormer is Sufficient for Decision Making",
         ["Jeonghye Kim", "Su Young Lee", "Woojun Kim", "Youngchul Sung"], None, None),
        ("Reasoning with Latent Diffusion in Offline Reinforcement Learning",
         ["Siddarth Venkatraman", "Shivesh Khaitan", "Ravi Tej Akella", "John Dolan", "Jeff Schneider", "Glen Berseth"],
         None, None),
        ("HyperAttention: Long-context Attention in Near-Linear Time",
         ["Insu Han", "Rajesh Jayaram", "Amin Karbasi", "Vahab Mirrokni", "David Woodruff", "Amir Zandieh"],
         None, None),
        ("Learning the greatest common divisor: explaining transformer predictions", ["François Charton"], None, None),
        ("From Zero to Turbulence: Generative Modeling for 3D Flow Simulation",
         ["Marten Lienen", "David Lüdke", "Jan Hansen-Palmus", "Stephan Günnemann"], None, None),
        ("Lie Group Decompositions for Equivariant Neural Networks", ["Mircea Mironenco", "Patrick Forré"], None, None),
        ("One-hot Generalized Linear Model for Switching Brain State Discovery",
         ["Chengrui Li", "Soon Ho Kim", "Chris Rodgers", "Hannah Choi", "Anqi Wu"], None, None),
    ],
    "trailer_003.txt": [
        ("A Tour of Convolutional Networks Guided by Linear Interpreters", [], "2019-08-14", "Aug 14, 2019"),
        ("Addressing Representation Collapse in Vector Quantized Models with One Linear Layer", [], "2024-11-04",
         "Nov 4, 2024"),
        ("OstQuant: Refining Large Language Model Quantization with Orthogonal and Scaling Transformations for "
         "Better Distribution Fitting", [], None, "Jan 23"),
        ("Unleashing the Power of Pre-trained Language Models for Offline Reinforcement Learning", [], "2023-10-31",
         "Oct 31, 2023"),
        ("B-cosification: Transforming Deep Neural Networks to be Inherently Interpretable", [], None, None),
        ("LiT: Delving into a Simplified Linear Diffusion Transformer for Image Generation", [], None, "Jan 22"),
        ("Lie Group Decompositions for Equivariant Neural Networks", [], "2023-10-17", "Oct 17, 2023"),
        ("LinFusion: 1 GPU, 1 Minute, 16K Image", [], "2024-09-03", "Sep 3, 2024"),
        ("pLSTM: parallelizable Linear Source Transition Mark networks", [], None, "Jun 13"),
    ],
    "alternating_004.txt": [
        ("LambdaNetworks: Modeling Long-Range Interactions Without Attention", [], None, None),
        ("Neural networks trained with SGD learn distributions of increasing complexity", [], None, None),
        ("GLU Variants Improve Transformer", [], None, None),
        ("CoLiDE: Concomitant Linear DAG Estimation", [], None, None),
        ("Accelerated Primal-Dual Methods for Convex-Strongly-Concave Saddle Point Problems", [], None, None),
        ("Incorporating LLM Priors into Tabular Learners", [], None, None),
        ("k-Sparse Autoencoders", [], None, None),
    ],
    "papers.jsonl": [
        ("Mamba: Linear-Time Sequence Modeling with Selective State Spaces", ["Albert Gu", "Tri Dao"], "2023-12-01",
         "2023-12-01"),
        ("Searching for Activation Functions", ["Prajit Ramachandran", "Barret Zoph", "Quoc V. Le"], "2017-10-01",
         "2017-10"),
        ("Looped Transformers as Programmable Computers",
         ["Angeliki Giannou", "Shashank Rajput", "Jy-yong Sohn", "Kangwook Lee", "Jason D. Lee",
          "Dimitris Papailiopoulos"], "2023-01-01", "2023"),
        ("GLU Variants Improve Transformer", ["Noam Shazeer"], "2020-02-12", "Feb 12, 2020"),
        ("Categorification of Group Equivariant Neural Networks", [], None, "Jan 30"),
    ],
    "bad/broken_rows.jsonl": [
        ("Convolutional Kolmogorov-Arnold Networks", [], None, None),
        ("Assessing the Unitary RNN as an End-to-End Compositional Model of Syntax", [], None, None),
    ],
}

# (line number, reason) of every skipped block, in order.
EXPECTED_SKIPS: dict[str, list[tuple[int, str]]] = {
    "daily_000.txt": [
        (24, "title with no abstract: 'Faster Rates of Convergence to Stationary Points in Differen'"),
        (30, "text without a title: 'Attention-based neural networks such as '"),
    ],
    "poster_001.txt": [
        (21, "text without a title: 'Temporal abstraction and efficient plann'"),
    ],
    "trailer_003.txt": [],
    "alternating_004.txt": [],
    "papers.jsonl": [],
    "bad/broken_rows.jsonl": [
        (2, "malformed JSON: Unterminated string starting at"),
        (3, "title with no abstract: 'Kolmogorov--Arnold networks in molecular dynamics'"),
        (4, "malformed JSON: a line must be an object"),
        (5, "missing title"),
        (7, "title with no abstract: 'Expressivity of ReLU-Networks under Convex Relaxations'"),
    ],
}


@pytest.mark.parametrize("name", list(EXPECTED_PAPERS))
def test_parse_file_gives_exact_records(name: str) -> None:
    report = parse_file(DATA / name)
    assert report.error is None
    assert [(p.title, p.authors, p.date, p.date_raw) for p in report.papers] == EXPECTED_PAPERS[name]
    assert all(p.sources == [Path(name).name] for p in report.papers)


@pytest.mark.parametrize("name", list(EXPECTED_SKIPS))
def test_parse_file_reports_exact_skips(name: str) -> None:
    assert parse_file(DATA / name).skipped == EXPECTED_SKIPS[name]


def test_skip_reasons_are_counted_by_kind() -> None:
    assert dict(parse_file(DATA / "bad" / "broken_rows.jsonl").skip_reasons()) == {
        "malformed JSON": 2, "title with no abstract": 2, "missing title": 1}


# --- quirks --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["daily_000.txt", "poster_001.txt", "trailer_003.txt", "alternating_004.txt"])
def test_chrome_never_becomes_a_record(name: str) -> None:
    for paper in parse_file(DATA / name).papers:
        assert not is_chrome(paper.title)
        assert not paper.title.startswith(("Subscribe", "Get trending", "Poster", "byAK", "Halle"))
        assert not paper.abstract.startswith(("•", "·"))


def test_subscribe_glued_to_the_first_title_is_stripped() -> None:
    first = parse_file(DATA / "alternating_004.txt").papers[0]
    assert first.title == "LambdaNetworks: Modeling Long-Range Interactions Without Attention"
    assert first.paper_id == paper_id_for("LambdaNetworks: Modeling Long-Range Interactions Without Attention")
    assert first.abstract == original_line("004_efb8f7eddc51831e.txt", "We present lambda layers")


def test_title_starting_lowercase_after_a_full_stop_is_a_new_paper() -> None:
    """'k-Sparse Autoencoders' starts in lower case but follows a finished abstract: not a continuation."""
    papers = {p.title: p for p in parse_file(DATA / "alternating_004.txt").papers}
    assert papers["Incorporating LLM Priors into Tabular Learners"].abstract == original_line(
        "004_efb8f7eddc51831e.txt", "We present a method to integrate Large Language Models")
    assert papers["k-Sparse Autoencoders"].abstract.startswith("Recently, it has been observed")


def test_line_broken_abstract_is_joined_poster() -> None:
    """Real dump quirk: HyperAttention's abstract breaks after its first clause; the rest starts lowercase."""
    paper = next(p for p in parse_file(DATA / "poster_001.txt").papers if p.title.startswith("HyperAttention"))
    first = original_line("001_399c9b84d8821e2e.txt", "We present an approximate attention mechanism named")
    rest = original_line("001_399c9b84d8821e2e.txt", "to address the computational challenges")
    assert paper.abstract == f"{first} {rest}".strip()
    assert "HyperAttention to address the computational challenges" in paper.abstract


def test_line_broken_abstract_is_joined_daily() -> None:
    """The daily fixture breaks an abstract mid-sentence (see tests/data/README.md): joined back exactly."""
    paper = next(p for p in parse_file(DATA / "daily_000.txt").papers if p.title.startswith("Length-Controlled"))
    assert paper.abstract == original_line("000_93c08023696e0f68.txt", "LLM-based auto-annotators")


def test_single_author_without_separator_is_an_author_line() -> None:
    paper = next(p for p in parse_file(DATA / "poster_001.txt").papers if "greatest common divisor" in p.title)
    assert paper.authors == ["François Charton"]
    assert paper.abstract.startswith("The predictions of small transformers")


def test_title_without_abstract_is_kept_with_its_authors_and_does_not_steal_the_next_abstract() -> None:
    report = parse_file(DATA / "poster_001.txt")
    papers = {p.title: p for p in report.papers}
    pathologies = papers["Pathologies of Predictive Diversity in Deep Ensembles"]
    assert pathologies.abstract == ""
    assert pathologies.authors == ["Geoff Pleiss", "Taiga Abe", "E. Kelly Buchanan", "John Cunningham"]
    assert report.title_only == [(10, "Pathologies of Predictive Diversity in Deep Ensembles")]
    musc = next(p for t, p in papers.items() if t.startswith("MuSc"))
    assert musc.authors == ["Xurui Li", "Ziming Huang", "Feng Xue", "Yu Zhou"]
    assert musc.abstract.startswith("This paper studies zero-shot anomaly classification")


def test_orphan_abstract_is_not_glued_to_a_neighbour() -> None:
    for paper in parse_file(DATA / "poster_001.txt").papers:
        assert "Temporal abstraction and efficient planning" not in paper.abstract
    for paper in parse_file(DATA / "daily_000.txt").papers:
        assert "Attention-based neural networks such as transformers" not in paper.abstract


def test_page_date_above_the_first_paper_is_not_a_paper_date() -> None:
    """'Oct 28' / 'Mar 14' at the top of a daily page is the page date, not the first paper's."""
    assert parse_file(DATA / "trailer_003.txt").papers[0].date_raw == "Aug 14, 2019"
    assert parse_file(DATA / "daily_000.txt").papers[0].date_raw is None


def test_paper_without_trailer_takes_no_date_from_its_neighbour() -> None:
    papers = {p.title.split(":")[0]: p for p in parse_file(DATA / "trailer_003.txt").papers}
    assert papers["B-cosification"].date_raw is None
    assert papers["LiT"].date_raw == "Jan 22"


# --- jsonl ---------------------------------------------------------------------------------------------

def test_jsonl_id_and_url_are_kept() -> None:
    mamba = parse_file(DATA / "papers.jsonl").papers[0]
    assert mamba.paper_id == "u2312.00752"
    assert mamba.url == "https://arxiv.org/abs/2312.00752"


def test_jsonl_without_id_shares_the_title_id_of_text_dumps() -> None:
    jsonl = {p.title: p.paper_id for p in parse_file(DATA / "papers.jsonl").papers}
    text = {p.title: p.paper_id for p in parse_file(DATA / "alternating_004.txt").papers}
    assert jsonl["GLU Variants Improve Transformer"] == text["GLU Variants Improve Transformer"]


@pytest.mark.parametrize(("authors", "expected"), [
    (["A B", "C D"], ["A B", "C D"]),
    ("Albert Gu · Tri Dao", ["Albert Gu", "Tri Dao"]),
    ("Albert Gu; Tri Dao", ["Albert Gu", "Tri Dao"]),
    ("Albert Gu and Tri Dao", ["Albert Gu", "Tri Dao"]),
    ("Prajit Ramachandran, Barret Zoph, and Quoc V. Le", ["Prajit Ramachandran", "Barret Zoph", "Quoc V. Le"]),
    ("Noam Shazeer", ["Noam Shazeer"]),
    ("", []),
    (None, []),
])
def test_jsonl_authors_list_or_string(tmp_path: Path, authors: object, expected: list[str]) -> None:
    import json

    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"title": "T", "abstract": "An abstract.", "authors": authors}) + "\n")
    assert parse_file(path).papers[0].authors == expected


def test_jsonl_title_with_authors_but_no_abstract_is_kept_title_only(tmp_path: Path) -> None:
    import json

    path = tmp_path / "one.jsonl"
    rows = [{"title": "Known Paper", "authors": ["A B"]}, {"title": "Known Paper Two", "abstract": " ", "authors": "C D"},
            {"title": "Unknown Paper"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = parse_file(path)
    assert [(p.title, p.abstract, p.authors) for p in report.papers] == [
        ("Known Paper", "", ["A B"]), ("Known Paper Two", "", ["C D"])]
    assert report.title_only == [(1, "Known Paper"), (2, "Known Paper Two")]
    assert report.skipped == [(3, "title with no abstract: 'Unknown Paper'")]


# --- dates ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Aug 14, 2019", ("2019-08-14", "Aug 14, 2019")),
    ("Sep 3, 2024 4", ("2024-09-03", "Sep 3, 2024")),  # trailing count (upvotes) after the year
    ("Oct 31, 2023 1", ("2023-10-31", "Oct 31, 2023")),
    ("Jan 23", (None, "Jan 23")),  # no year: kept raw only
    ("Jun 13 2", (None, "Jun 13")),  # no year, trailing count
    ("  Nov 4, 2024  ", ("2024-11-04", "Nov 4, 2024")),
    ("Sept 3, 2024", ("2024-09-03", "Sept 3, 2024")),
    ("Dec. 1, 2023", ("2023-12-01", "Dec. 1, 2023")),
    ("Feb 30, 2023", (None, "Feb 30, 2023")),  # impossible day
    ("2019-08-14", (None, "2019-08-14")),  # not the dump style
    ("Mamba", (None, "Mamba")),
])
def test_parse_date(text: str, expected: tuple[str | None, str]) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2023", "2023-01-01"),
    ("2017-10", "2017-10-01"),
    ("2023-12-01", "2023-12-01"),
    ("2023-02-30", None),
    ("Feb 12, 2020", "2020-02-12"),
    ("Jan 30", None),
    ("yesterday", None),
])
def test_normalize_free_date(text: str, expected: str | None) -> None:
    assert normalize_free_date(text) == expected


# --- chrome helpers ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Subscribe", True), ("new", True), ("Daily Papers", True), ("byAK and the research community", True),
    ("Poster", True), ("Poster Session 6", True), ("Halle B", True), ("·", True),
    ("Get trending papers in your email inbox once a day!", True),
    ("Posterior sampling allows exploitation of prior knowledge", False),
    ("Mamba: Linear-Time Sequence Modeling with Selective State Spaces", False),
])
def test_is_chrome(text: str, expected: bool) -> None:
    assert is_chrome(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("SubscribeLambdaNetworks: Modeling", "LambdaNetworks: Modeling"),
    ("Subscribe LambdaNetworks", "LambdaNetworks"),
    ("Get trending papers in your email inbox!Mamba", "Mamba"),
    ("Subscriber churn prediction", "Subscriber churn prediction"),
    ("LambdaNetworks", "LambdaNetworks"),
])
def test_strip_glued_chrome(text: str, expected: str) -> None:
    assert strip_glued_chrome(text) == expected


# --- unreadable files ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "error"), [
    ("empty.txt", "empty file"),
    ("binary.txt", "binary file (contains NUL bytes); expected UTF-8 text or JSONL"),
    ("latin1.txt", "not UTF-8 text (bad byte at line 5); re-save the file as UTF-8"),
])
def test_bad_files_give_an_error_not_an_exception(name: str, error: str) -> None:
    report = parse_file(DATA / "bad" / name)
    assert report.error == error
    assert report.papers == []
    with pytest.raises(CorpusError) as raised:
        parse_or_raise(DATA / "bad" / name)
    assert str(raised.value) == f"{DATA / 'bad' / name}: {error}"


def test_missing_file_gives_an_error(tmp_path: Path) -> None:
    report = parse_file(tmp_path / "nope.txt")
    assert report.error == "cannot read: No such file or directory"


def test_text_without_papers_says_so(tmp_path: Path) -> None:
    path = tmp_path / "chrome_only.txt"
    path.write_text("new\n\nSubscribe\n\nbyAK and the research community\n", encoding="utf-8")
    assert parse_file(path).error == "no papers found; see the supported formats in README.md"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + (DATA / "alternating_004.txt").read_bytes())
    assert [p.title for p in parse_file(path).papers] == [t for t, *_ in EXPECTED_PAPERS["alternating_004.txt"]]


# --- the whole bundled corpus: a regression table --------------------------------------------------------

@pytest.mark.parametrize(("name", "papers", "skips"), [
    ("000_93c08023696e0f68.txt", 38, {}),
    ("001_399c9b84d8821e2e.txt", 281, {"text without a title": 4}),
    ("003_e97ba3b526acec30.txt", 85, {}),
    ("004_efb8f7eddc51831e.txt", 213, {}),
])
def test_bundled_corpus_counts(name: str, papers: int, skips: dict[str, int]) -> None:
    report = parse_file(CORPUS / name)
    assert report.error is None
    assert len(report.papers) == papers
    assert dict(report.skip_reasons()) == skips
    assert len({p.paper_id for p in report.papers}) == papers  # no paper twice within one dump


def test_bundled_poster_skips_are_the_known_damaged_records() -> None:
    report = parse_file(CORPUS / "001_399c9b84d8821e2e.txt")
    assert [line for line, _ in report.skipped] == [186, 414, 418, 666]  # abstracts whose title line was lost
    assert report.title_only == [(64, "Pathologies of Predictive Diversity in Deep Ensembles"),
                                 (340, "On the Sample Complexity of Lipschitz Constant Estimation")]


def test_bundled_trailer_dates() -> None:
    papers = parse_file(CORPUS / "003_e97ba3b526acec30.txt").papers
    assert sum(p.date is not None for p in papers) == 63
    assert sum(p.date_raw is not None for p in papers) == 82
    assert all(p.date is None or p.date_raw is not None for p in papers)


def test_title_that_merely_starts_with_subscribe_is_kept(tmp_path: Path) -> None:
    """Regression: a line starting with a chrome prefix used to be dropped whole ('Subscriber ...' titles
    vanished and their abstract became a 'title with no abstract')."""
    lines = (DATA / "alternating_004.txt").read_text(encoding="utf-8").splitlines()
    lines[6:6] = ["Subscriber Churn Prediction with Graph Neural Networks",
                  "We study churn among the subscribers of a streaming service and predict it with graph neural "
                  "networks over their social graph, improving recall on three datasets."]
    path = tmp_path / "subscriber.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = parse_file(path)
    assert report.skipped == []
    assert [p.title for p in report.papers][2] == "Subscriber Churn Prediction with Graph Neural Networks"
    assert len(report.papers) == 8


@pytest.mark.parametrize("chrome", ["Subscribe!", "Subscribe", "Get trending papers in your email inbox!"])
def test_bare_chrome_variants_are_still_dropped(tmp_path: Path, chrome: str) -> None:
    path = tmp_path / "chrome.txt"
    text = (DATA / "alternating_004.txt").read_text(encoding="utf-8")
    path.write_text(f"{chrome}\n{text}", encoding="utf-8")
    report = parse_file(path)
    assert report.skipped == []
    assert report.papers[0].title == "LambdaNetworks: Modeling Long-Range Interactions Without Attention"


def test_paper_text_resolves_latex_escapes_and_sentences_split_where_a_dump_lost_the_space() -> None:
    from assistant.chain import split_sentences
    from assistant.records import Paper

    paper = Paper(paper_id="p1", title="A \\emph{Tiny} Model", abstract="It reduces cost by 92.2\\% for R\\&D teams.")
    assert (paper.title, paper.abstract) == ("A Tiny Model", "It reduces cost by 92.2% for R&D teams.")
    # math mode around a plain word or number goes; real math stays
    latex = r"We propose $\textit{DAEFR}$ (${\it GATE}$): a $\textbf{19.4}$% gain, up to $4.36\times$, over a list $\mathcal D$."
    assert Paper(paper_id="p2", title="T", abstract=latex).abstract == (
        r"We propose DAEFR (GATE): a 19.4% gain, up to 4.36×, over a list $\mathcal D$.")
    assert split_sentences("We study close-loop task planning here.Recently, prompting LLMs became popular. It is 3.5x faster than before.") == [
        "We study close-loop task planning here.", "Recently, prompting LLMs became popular.", "It is 3.5x faster than before."]


def test_an_abbreviation_ends_no_sentence() -> None:
    from assistant.chain import split_sentences

    assert split_sentences("Efficient alternatives to attention (e.g. H3 and Hyena) fall short on recall. "
                           "As Smith et al. Showed, cf. Table 2, this holds. Linear attention vs. Softmax is next.") == [
        "Efficient alternatives to attention (e.g. H3 and Hyena) fall short on recall.",
        "As Smith et al. Showed, cf. Table 2, this holds.", "Linear attention vs. Softmax is next."]


def test_an_author_listed_twice_counts_once() -> None:
    from assistant.records import Paper

    paper = Paper(paper_id="p1", title="Manifold Diffusion Fields", abstract="",
                  authors=["Ahmed Elhag", "Ahmed Elhag", " Yuyang Wang ", ""])
    assert paper.authors == ["Ahmed Elhag", "Yuyang Wang"]
