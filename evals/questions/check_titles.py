"""Sanity check for the eval question sets.

Verifies that every title in relevant_titles / must_not_cite_titles of
retrieval.jsonl and answers.jsonl occurs verbatim as a full line of a corpus
file (for 004, the first title is glued to "Subscribe", which is stripped),
and that ids are unique and required fields are present.

Usage: python evals/questions/check_titles.py [CORPUS_DIR]
(default: data/corpus relative to the repo root, else /work/shared/corpus)
"""
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def corpus_lines(corpus_dir: Path) -> set:
    lines = set()
    for path in sorted(corpus_dir.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("Subscribe") and len(line) > len("Subscribe"):
                lines.add(line[len("Subscribe"):].strip())
            lines.add(line)
    return lines


def main() -> int:
    if len(sys.argv) > 1:
        corpus_dir = Path(sys.argv[1])
    else:
        corpus_dir = ROOT / "data" / "corpus"
        if not corpus_dir.is_dir():
            corpus_dir = Path("/work/shared/corpus")
    lines = corpus_lines(corpus_dir)
    if not lines:
        print(f"no corpus files found in {corpus_dir}")
        return 1

    errors = []
    kinds = {
        "retrieval.jsonl": {"fact", "list", "author", "named", "casual"},
        "answers.jsonl": {"fact", "absent", "named", "list", "author", "summary", "overview", "compare"},
        "list_holdout.jsonl": {"list"},
        "list_extra.jsonl": {"list"},
        "list_short.jsonl": {"list"},
        "mixed_holdout.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout2.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout3.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "list_holdout3.jsonl": {"list"},
        "mixed_holdout4.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout5.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout6.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout7.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout8.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout9.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout10.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout11.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout12.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout13.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout14.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout15.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout16.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout17.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout18.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
        "mixed_holdout19.jsonl": {"fact", "absent", "list", "author", "summary", "overview", "compare"},
    }
    for name, allowed in kinds.items():
        ids = set()
        rows = [json.loads(l) for l in (HERE / name).read_text(encoding="utf-8").splitlines() if l.strip()]
        for row in rows:
            rid = row.get("id")
            if rid in ids:
                errors.append(f"{name}: duplicate id {rid}")
            ids.add(rid)
            if row.get("kind") not in allowed:
                errors.append(f"{name} {rid}: bad kind {row.get('kind')!r}")
            if not row.get("question"):
                errors.append(f"{name} {rid}: empty question")
            if name != "retrieval.jsonl":
                if "answerable" not in row or "key_facts" not in row:
                    errors.append(f"{name} {rid}: missing answerable/key_facts")
                if row.get("answerable") is False and row.get("relevant_titles"):
                    errors.append(f"{name} {rid}: unanswerable row with relevant titles")
                if row.get("answerable") is not False and not row.get("relevant_titles"):
                    errors.append(f"{name} {rid}: answerable row without relevant titles")
            for field in ("relevant_titles", "must_not_cite_titles"):
                titles = row.get(field, [])
                if len(set(titles)) != len(titles):
                    errors.append(f"{name} {rid}: duplicate titles in {field}")
                for title in titles:
                    if title not in lines:
                        errors.append(f"{name} {rid}: {field} title not found as a corpus line: {title!r}")
            overlap = set(row.get("relevant_titles", [])) & set(row.get("must_not_cite_titles", []))
            if overlap:
                errors.append(f"{name} {rid}: titles both relevant and must-not-cite: {sorted(overlap)}")
        print(f"{name}: {len(rows)} rows checked")

    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
