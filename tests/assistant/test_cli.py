"""`papertrail` commands run in-process through `cli.main(argv)`, on real indexes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import cli
from assistant.settings import Settings
from assistant.store import ChromaStore

DATA = Path(__file__).resolve().parents[1] / "data"
RESULT_KEYS = ["paper_id", "title", "abstract", "authors", "date", "source", "score"]
LAMBDA = "LambdaNetworks: Modeling Long-Range Interactions Without Attention"


@pytest.fixture
def on_ingested(ingested, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PAPERTRAIL_HOME pointing at the shared tests/data index (read-only commands only)."""
    monkeypatch.setenv("PAPERTRAIL_HOME", str(ingested.settings.home))
    return ingested.settings.home


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("PAPERTRAIL_HOME", str(home))
    return home


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("papertrail: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


# --- search --------------------------------------------------------------------------------------------

def test_search_json_has_exactly_the_documented_shape(on_ingested: Path, capsys) -> None:
    code, out, err = run(capsys, "search", "  HyperAttention near-linear long-context attention ", "--json")
    assert code == 0
    assert out.count("\n") == 1  # one JSON document on one line
    data = json.loads(out)
    assert list(data) == ["query", "results"]
    assert data["query"] == "HyperAttention near-linear long-context attention"
    results = data["results"]
    assert len(results) == 8
    for result in results:
        assert list(result) == RESULT_KEYS
        assert isinstance(result["paper_id"], str) and isinstance(result["title"], str)
        assert isinstance(result["abstract"], str) and isinstance(result["source"], str)
        assert isinstance(result["authors"], list) and all(isinstance(a, str) for a in result["authors"])
        assert result["date"] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", result["date"])
        assert isinstance(result["score"], float)
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert len({r["paper_id"] for r in results}) == len(results)
    top = results[0]
    assert top["title"] == "HyperAttention: Long-context Attention in Near-Linear Time"
    assert top["authors"][0] == "Insu Han" and top["source"] == "poster_001.txt"


def test_search_json_of_a_merged_paper_lists_both_sources(on_ingested: Path, capsys) -> None:
    code, out, _ = run(capsys, "search", "LinFusion", "--json", "--k", "1")
    assert code == 0
    (result,) = json.loads(out)["results"]
    assert (result["title"], result["date"], result["source"]) == (
        "LinFusion: 1 GPU, 1 Minute, 16K Image", "2024-09-03", "daily_000.txt, trailer_003.txt")


@pytest.mark.parametrize(("flags", "check"), [
    (["--author", "Q. Le"], lambda r: any("Le" in a for a in r["authors"])),
    (["--author", "guennemann"], lambda r: "Stephan Günnemann" in r["authors"]),
    (["--year", "2023"], lambda r: r["date"].startswith("2023")),
    (["--year", "2019-2020"], lambda r: r["date"][:4] in {"2019", "2020"}),
    (["--year", "2024-"], lambda r: r["date"] >= "2024"),
    (["--source", "jsonl"], lambda r: "jsonl" in r["source"]),
])
def test_search_filter_flags(on_ingested: Path, capsys, flags: list[str], check) -> None:
    code, out, _ = run(capsys, "search", "neural networks", "--json", "--k", "20", *flags)
    assert code == 0
    results = json.loads(out)["results"]
    assert results and all(check(r) for r in results)


def test_search_text_output(on_ingested: Path, capsys) -> None:
    code, out, err = run(capsys, "search", "LinFusion", "--k", "2")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert re.fullmatch(r" 1\. LinFusion: 1 GPU, 1 Minute, 16K Image  \[0\.\d{4}\]", lines[0])
    assert lines[1] == "    2024-09-03 · daily_000.txt, trailer_003.txt"
    assert lines[2].startswith("    Modern diffusion models") and lines[2].endswith("…")
    assert lines[3].startswith(" 2. ")


def test_search_without_matches_says_so(on_ingested: Path, capsys) -> None:
    code, out, _ = run(capsys, "search", "attention", "--author", "Nobody Atall")
    assert (code, out) == (0, "no papers match.\n")
    code, out, _ = run(capsys, "search", "attention", "--author", "Nobody Atall", "--json")
    assert (code, json.loads(out)) == (0, {"query": "attention", "results": []})


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_empty_query_is_one_line_error(on_ingested: Path, capsys, query: str) -> None:
    code, out, err = run(capsys, "search", query)
    assert code == 1 and out == ""
    assert_one_line_error(err, "the query is empty")


def test_overlong_query_is_one_line_error(on_ingested: Path, capsys) -> None:
    code, out, err = run(capsys, "search", "attention " * 500)
    assert code == 1 and out == ""
    assert_one_line_error(err, "keep it under 4000")


def test_bad_year_flag_is_one_line_error(on_ingested: Path, capsys) -> None:
    code, _, err = run(capsys, "search", "attention", "--year", "last year")
    assert code == 1
    assert_one_line_error(err, "--year 'last year' is not a year")


# --- stats ---------------------------------------------------------------------------------------------

def test_stats_json(on_ingested: Path, ingested, capsys) -> None:
    code, out, _ = run(capsys, "stats", "--json")
    assert code == 0
    stats = json.loads(out)
    assert stats == {
        "papers": 36,
        "chunks": ingested.store.chunk_count(),
        "authors": 62,  # distinct people: 'Quoc V Le' and 'Quoc V. Le' count once
        "papers_with_authors": 16,
        "papers_with_year": 9,
        "date_range": ["2017-10-01", "2024-11-04"],
        "per_source": {"alternating_004.txt": 7, "broken_rows.jsonl": 2, "daily_000.txt": 5, "papers.jsonl": 5,
                       "poster_001.txt": 12, "trailer_003.txt": 9},
        "index": ingested.store.name,
        "location": str(ingested.settings.home / "chroma"),
    }


def test_stats_text(on_ingested: Path, ingested, capsys) -> None:
    code, out, _ = run(capsys, "stats")
    assert code == 0
    assert out.splitlines()[:3] == [
        f"papers: 36  chunks: {ingested.store.chunk_count()}  authors: 62",
        "papers with authors: 16  with a year: 9",
        "dates: 2017-10-01 … 2024-11-04",
    ]
    assert "  poster_001.txt: 12 papers" in out.splitlines()


# --- empty index, version, usage -------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["search", "linear attention"], ["search", "linear attention", "--json"],
                                  ["stats"]])
def test_empty_index_is_a_clear_message(fresh_home: Path, capsys, argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert_one_line_error(err, "The index is empty: run `papertrail ingest` first")


def test_version(capsys) -> None:
    code, out, err = run(capsys, "--version")
    assert code == 0
    assert out == f"papertrail {cli.package_version()}\n"
    assert re.fullmatch(r"papertrail \d+\.\d+\.\d+.*\n", out)


def test_usage_error_returns_2(capsys) -> None:
    code, _, err = run(capsys, "search")
    assert code == 2
    assert "the following arguments are required: query" in err


def test_no_command_returns_2(capsys) -> None:
    assert run(capsys)[0] == 2


# --- ingest ----------------------------------------------------------------------------------------------

def test_ingest_missing_path_is_one_line(fresh_home: Path, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "no" / "such.jsonl"
    code, out, err = run(capsys, "ingest", str(missing))
    assert code == 1 and out == ""
    assert err == f"papertrail: error: {missing}: nothing to ingest: {missing}: no such file or folder\n"


def test_ingest_prints_a_report_and_is_idempotent(fresh_home: Path, capsys) -> None:
    code, out, _ = run(capsys, "ingest", str(DATA / "papers.jsonl"))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "papers.jsonl [jsonl]: 5 papers, 0 duplicates merged, blocks skipped: none"
    assert re.fullmatch(r"5 distinct papers: 5 added, 0 updated, 0 unchanged; 8 chunks embedded at [\d.]+ papers/s",
                        lines[1])
    assert lines[2:] == ["index now holds 5 papers"]

    code, out, _ = run(capsys, "ingest", str(DATA / "papers.jsonl"))
    assert code == 0
    assert out.splitlines()[1:] == ["5 distinct papers: 0 added, 0 updated, 5 unchanged; 0 chunks embedded",
                                    "index now holds 5 papers"]


def test_ingest_reports_bad_files_and_skipped_lines(fresh_home: Path, capsys) -> None:
    code, out, err = run(capsys, "ingest", str(DATA / "bad"))
    assert code == 0
    assert out.splitlines() == [
        "binary.txt: skipped whole file: binary file (contains NUL bytes); expected UTF-8 text or JSONL",
        "broken_rows.jsonl [jsonl]: 2 papers, 0 duplicates merged, blocks skipped: 2 malformed JSON, "
        "2 title with no abstract, 1 missing title",
        "    line 2: malformed JSON: Unterminated string starting at",
        "    line 3: title with no abstract: 'Kolmogorov--Arnold networks in molecular dynamics'",
        "    line 4: malformed JSON: a line must be an object",
        "    line 5: missing title",
        "    line 7: title with no abstract: 'Expressivity of ReLU-Networks under Convex Relaxations'",
        "empty.txt: skipped whole file: empty file",
        "latin1.txt: skipped whole file: not UTF-8 text (bad byte at line 5); re-save the file as UTF-8",
        out.splitlines()[9],
        "index now holds 2 papers",
    ]
    assert out.splitlines()[9].startswith("2 distinct papers: 2 added, 0 updated, 0 unchanged; 2 chunks embedded")


def test_ingest_rebuild_starts_clean(fresh_home: Path, tmp_path: Path, capsys) -> None:
    assert run(capsys, "ingest", str(DATA / "papers.jsonl"))[0] == 0
    code, out, _ = run(capsys, "ingest", "--rebuild", str(DATA / "bad" / "broken_rows.jsonl"))
    assert code == 0
    assert out.splitlines()[-1] == "index now holds 2 papers"
    store = ChromaStore(Settings(home=fresh_home))
    assert store.paper_count() == 2 and store.chunk_count() == 2
    code, out, _ = run(capsys, "search", "Mamba selective state spaces", "--json")
    assert "u2312.00752" not in {r["paper_id"] for r in json.loads(out)["results"]}


def test_ingest_then_search_sees_the_new_file(fresh_home: Path, tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "papers.jsonl", corpus / "papers.jsonl")
    assert run(capsys, "ingest", str(corpus))[0] == 0
    code, out, _ = run(capsys, "search", "lambda layers", "--json", "--k", "1")
    assert json.loads(out)["results"][0]["title"] != LAMBDA
    shutil.copy(DATA / "alternating_004.txt", corpus / "alternating_004.txt")
    code, out, _ = run(capsys, "ingest", str(corpus))
    # GLU Variants is in both files: its record gains a source, so it is updated, not added
    assert "11 distinct papers: 6 added, 1 updated, 4 unchanged" in out
    code, out, _ = run(capsys, "search", "lambda layers", "--json", "--k", "1")
    assert json.loads(out)["results"][0]["title"] == LAMBDA


def test_output_cut_short_by_the_reader_is_no_traceback(on_ingested: Path) -> None:
    """`papertrail search ... | head -1`: the reader closes the pipe early; papertrail stops without a traceback."""
    code = "import sys; from assistant.cli import main; sys.exit(main())"
    with subprocess.Popen([sys.executable, "-c", code, "search", "attention", "--k", "10"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"}) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # like `head -1`
        err = proc.stderr.read().decode()
        proc.wait(timeout=120)
    assert "Traceback" not in err and proc.returncode in (0, 141)


def test_ingest_names_the_papers_kept_without_abstract(fresh_home: Path, capsys) -> None:
    code, out, _ = run(capsys, "ingest", str(DATA / "poster_001.txt"))
    assert code == 0
    assert out.splitlines()[:3] == [
        "poster_001.txt [poster]: 12 papers (1 with title and authors only), 0 duplicates merged, blocks skipped: "
        "1 text without a title",
        "    line 10: kept without an abstract: 'Pathologies of Predictive Diversity in Deep Ensembles'",
        "    line 21: text without a title: 'Temporal abstraction and efficient plann'",
    ]
