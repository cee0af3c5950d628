"""Answer-level evaluation: citations, key facts, refusals, time — per question kind."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from evals.metrics import average, precision

if TYPE_CHECKING:
    from assistant.api import Assistant
    from evals.harness import Question


def score_answer(q: "Question", answer: Any, seconds: float) -> dict[str, Any]:
    cited = {c.paper_id for c in answer.citations}
    retrieved = {h.paper.paper_id for h in answer.retrieved}
    text = answer.answer.lower()
    row: dict[str, Any] = {
        "id": q.id, "kind": q.kind, "seconds": seconds, "refused": answer.refused, "answer_kind": answer.kind,
        "invalid": answer.dropped_citations + len(cited - retrieved), "error": answer.error,
        "extractive": answer.extractive,
    }
    if q.answerable:
        row["false_refusal"] = answer.refused
        row["precision"] = precision(cited, q.gold) if q.gold else None
        row["recall"] = len(cited & q.gold) / len(q.gold) if q.gold else None
        missed = [f for f in q.key_facts if f.lower() not in text]
        row["key_facts"] = (1 - len(missed) / len(q.key_facts)) if q.key_facts else None
        row["missed_key_facts"] = missed
        row["bad_cites"] = len(cited & q.must_not_cite)
    else:
        row["correct_refusal"] = answer.refused
    return row


def evaluate_answers(assistant: "Assistant", questions: list["Question"]) -> dict[str, Any]:
    rows = []
    for q in questions:
        started = time.perf_counter()
        answer = assistant.ask(q.question)
        rows.append(score_answer(q, answer, time.perf_counter() - started))
        r = rows[-1]
        print(f"{q.id} {q.kind:<8} {r['seconds']:5.1f}s refused={answer.refused!s:<5} "
              f"P={_fmt(r.get('precision'))} R={_fmt(r.get('recall'))} facts={_fmt(r.get('key_facts'))} "
              f"invalid={r['invalid']}", flush=True)
    return {"summary": summarize(rows), "rows": rows}


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row["kind"]].append(row)
        groups["all"].append(row)
    out = {}
    for kind, items in groups.items():
        answerable = [r for r in items if "false_refusal" in r]
        absent = [r for r in items if "correct_refusal" in r]
        out[kind] = {
            "n": len(items),
            "citation_precision": average([r.get("precision") for r in answerable]),
            "citation_recall": average([r.get("recall") for r in answerable]),
            "invalid_citations": sum(r["invalid"] for r in items),
            "key_fact_hit_rate": average([r.get("key_facts") for r in answerable]),
            "refusal_accuracy": average([float(r["correct_refusal"]) for r in absent]),
            "false_refusals": average([float(r["false_refusal"]) for r in answerable]),
            "must_not_cite_hits": sum(r.get("bad_cites", 0) for r in answerable),
            "seconds_per_question": average([r["seconds"] for r in items]),
            "errors": sum(1 for r in items if r["error"]),
        }
    return out


def _fmt(value: float | None) -> str:
    return "  - " if value is None else f"{value:.2f}"


def print_answers(report: dict[str, Any]) -> None:
    cols = ["citation_precision", "citation_recall", "invalid_citations", "key_fact_hit_rate", "refusal_accuracy",
            "false_refusals", "must_not_cite_hits", "seconds_per_question"]
    short = ["cit.P", "cit.R", "invalid", "facts", "refuse.acc", "false.ref", "bad.cite", "s/q"]
    print(f"{'kind':<9}{'n':>3} " + " ".join(f"{s:>10}" for s in short))
    summary = report["summary"]
    for kind in sorted(summary, key=lambda k: (k == "all", k)):
        row = summary[kind]
        cells = []
        for col in cols:
            value = row[col]
            cells.append(f"{'-':>10}" if value is None else f"{value:>10.2f}" if isinstance(value, float) else f"{value:>10}")
        print(f"{kind:<9}{row['n']:>3} " + " ".join(cells))
