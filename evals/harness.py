"""`papertrail eval retrieval|answers`: run the labeled question sets and print per-kind figures."""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.api import Assistant
from assistant.errors import PapertrailError
from assistant.records import paper_id_for
from assistant.retrieve import Retriever
from assistant.settings import Settings
from evals.metrics import average, recall_at, reciprocal_rank

QUESTIONS = Path(__file__).resolve().parent / "questions"


@dataclass
class Question:
    id: str
    kind: str
    question: str
    gold: set[str]
    key_facts: list[str] = field(default_factory=list)
    answerable: bool = True
    must_not_cite: set[str] = field(default_factory=set)


def load_questions(name: str, kind: str | None = None, limit: int | None = None) -> list[Question]:
    path = QUESTIONS / f"{name}.jsonl"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in QUESTIONS.glob("*.jsonl")))
        raise PapertrailError(f"no question file evals/questions/{name}.jsonl; pick one of: {known}")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    questions = [
        Question(id=r["id"], kind=r["kind"], question=r["question"],
                 gold={paper_id_for(t) for t in r.get("relevant_titles", [])}, key_facts=r.get("key_facts", []),
                 answerable=r.get("answerable", True),
                 must_not_cite={paper_id_for(t) for t in r.get("must_not_cite_titles", [])})
        for r in rows
    ]
    if kind:
        questions = [q for q in questions if q.kind == kind]
    return questions[:limit] if limit else questions


def ranked_ids(retriever: Retriever, method: str, question: str, depth: int = 10) -> list[str]:
    if method == "bm25":
        return [pid for pid, _ in retriever.lexical.search(question, depth)]
    if method == "dense":
        return [pid for pid, _ in retriever.dense_search(question)][:depth]
    return [h.paper.paper_id for h in retriever.search(question, depth)]


def evaluate_retrieval(retriever: Retriever, questions: list[Question],
                       methods: tuple[str, ...] = ("bm25", "dense", "hybrid")) -> dict[str, dict[str, dict[str, float]]]:
    """{method: {kind|'all': {'R@5', 'R@10', 'MRR', 'n'}}}"""
    report: dict[str, dict[str, dict[str, float]]] = {}
    for method in methods:
        per_kind: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for q in questions:
            ranked = ranked_ids(retriever, method, q.question)
            row = (recall_at(ranked, q.gold, 5), recall_at(ranked, q.gold, 10), reciprocal_rank(ranked, q.gold))
            per_kind[q.kind].append(row)
            per_kind["all"].append(row)
        report[method] = {
            kind: {"R@5": average([r[0] for r in rows]) or 0.0, "R@10": average([r[1] for r in rows]) or 0.0,
                   "MRR": average([r[2] for r in rows]) or 0.0, "n": len(rows)}
            for kind, rows in per_kind.items()
        }
    return report


def print_retrieval(report: dict[str, dict[str, dict[str, float]]]) -> None:
    methods = list(report)
    kinds = sorted({k for m in methods for k in report[m]}, key=lambda k: (k == "all", k))
    header = f"{'kind':<8} {'n':>3}  " + "  ".join(f"{m + ' R@5':>11} {'R@10':>5} {'MRR':>5}" for m in methods)
    print(header)
    for kind in kinds:
        n = report[methods[0]][kind]["n"]
        cells = "  ".join(f"{report[m][kind]['R@5']:>11.3f} {report[m][kind]['R@10']:>5.3f} {report[m][kind]['MRR']:>5.3f}"
                          for m in methods)
        print(f"{kind:<8} {int(n):>3}  {cells}")


def settings_stamp(settings: Settings) -> dict[str, Any]:
    dumped = settings.model_dump(mode="json", exclude={"llm_api_key": True, "model": {"api_key"}, "embedding": {"api_key"}})
    return {"settings_hash": hashlib.sha1(json.dumps(dumped, sort_keys=True, default=str).encode()).hexdigest()[:12],
            "retrieval": dumped["retrieval"], "chunking": dumped["chunking"], "model": settings.llm_name}


def run_eval(what: str, settings: Settings, *, limit: int | None = None, kind: str | None = None,
             json_path: Path | None = None, questions: str | None = None) -> int:
    """`questions` names another file of evals/questions/ with the same format (e.g. list_holdout)."""
    assistant = Assistant(settings)
    name = questions or what
    started = time.perf_counter()
    if what == "retrieval":
        asked = load_questions(name, kind, limit)
        report: dict[str, Any] = evaluate_retrieval(assistant.retriever, asked)
        print_retrieval(report)
    else:
        from evals.answers import evaluate_answers, print_answers

        asked = load_questions(name, kind, limit)
        report = evaluate_answers(assistant, asked)
        print_answers(report)
    print(f"{len(asked)} questions in {time.perf_counter() - started:.1f} s")
    if json_path:
        json_path.write_text(json.dumps({"what": what, **settings_stamp(settings), "report": report}, indent=2))
    return 0
