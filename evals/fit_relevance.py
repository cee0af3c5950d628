"""Fit the list-relevance model (assistant/relevance_model.json) on the labelled list questions.

    PAPERTRAIL_HOME=DIR python -m evals.fit_relevance [--questions answers,list_holdout,...] [--holdout NAME]

For every list question it retrieves the candidate pool exactly as the list strategy does, computes
`assistant.relevance.feature_table`, and labels each candidate by the grep-checked gold set. It fits an
L2-regularised logistic regression (Newton steps, numpy only), reports leave-one-set-out precision and recall per
threshold (each question file was written at another time, by another helper session: a held-out file is the
closest thing to the unseen questions), keeps the threshold whose figures come closest to both goals, and writes
the model. With --holdout it also scores questions that were never used for fitting.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from assistant.api import Assistant
from assistant.relevance import FEATURES, feature_table, list_pool, list_request, probabilities, search_topic
from evals.harness import Question, load_questions

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "assistant" / "relevance_model.json"
THRESHOLDS = [round(t, 2) for t in np.arange(0.2, 0.65, 0.05)]
LIST_SETS = ("answers", "list_holdout", "list_extra", "list_short", "list_holdout3", "mixed_holdout", "mixed_holdout2",
             "mixed_holdout3", "mixed_holdout4", "mixed_holdout5", "mixed_holdout6", "mixed_holdout7", "mixed_holdout8",
             "mixed_holdout9", "mixed_holdout10", "mixed_holdout11", "mixed_holdout12", "mixed_holdout13", "mixed_holdout14",
             "mixed_holdout15", "mixed_holdout16", "mixed_holdout17")


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> dict:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * l2
    penalty[-1, -1] = 0.0  # the intercept is not shrunk
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return {"features": list(FEATURES), "mean": mean.tolist(), "scale": scale.tolist(), "coef": w[:-1].tolist(),
            "intercept": float(w[-1])}


def tables(assistant: Assistant, questions: list[Question]) -> list[tuple[Question, np.ndarray, np.ndarray]]:
    pool_size = assistant.settings.answer.list_pool
    out, memo = [], {}  # text -> vector: pools of different questions share many papers
    for q in questions:
        asked, filters = list_request(assistant.retriever, q.question)
        topic = search_topic(assistant.retriever, asked)
        hits = list_pool(assistant.retriever, topic, filters, pool_size)
        table, _ = feature_table(topic, hits, assistant.embedder, memo)
        labels = np.array([h.paper.paper_id in q.gold for h in hits], dtype=np.float64)
        out.append((q, table, labels))
        print(f"{q.id}: pool {len(hits)}, gold in pool {int(labels.sum())}/{len(q.gold)}", flush=True)
    return out


def precision_recall(kept: np.ndarray, labels: np.ndarray, gold: int) -> tuple[float, float]:
    hits = float((kept & (labels > 0)).sum())
    return (hits / kept.sum() if kept.sum() else 0.0), hits / gold


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", default=",".join(LIST_SETS), help="question files, comma-separated")
    parser.add_argument("--holdout", default=None)
    args = parser.parse_args()
    assistant = Assistant()
    names = args.questions.split(",")
    data = {name: tables(assistant, load_questions(name, kind="list")) for name in names}
    held_out: dict[float, list[tuple[float, float]]] = {t: [] for t in THRESHOLDS}
    for name in names:  # each file scored by a model fit on the others
        rest = [d for other in names if other != name for d in data[other]]
        model = fit(np.vstack([d[1] for d in rest]), np.concatenate([d[2] for d in rest]))
        for q, table, labels in data[name]:
            chances = probabilities(table, model)
            for t in THRESHOLDS:
                held_out[t].append(precision_recall(chances >= t, labels, len(q.gold)))
    summary = {t: (float(np.mean([p for p, _ in v])), float(np.mean([r for _, r in v]))) for t, v in held_out.items()}
    for t, (p, r) in summary.items():
        print(f"threshold {t:.2f}: leave-one-set-out precision {p:.3f} recall {r:.3f}")
    # the threshold that comes closest to both goals of the list questions (precision 0.85, recall 0.9)
    threshold = max(summary, key=lambda t: min(summary[t][0] / 0.85, summary[t][1] / 0.9))
    every = [d for name in names for d in data[name]]
    model = fit(np.vstack([d[1] for d in every]), np.concatenate([d[2] for d in every]))
    model |= {"threshold": threshold, "fit_on": f"list questions of {', '.join(f'evals/questions/{n}.jsonl' for n in names)} ({len(every)})",
              "fit_date": time.strftime("%Y-%m-%d"),
              "leave_one_set_out": {"precision": round(summary[threshold][0], 3), "recall": round(summary[threshold][1], 3)}}
    if args.holdout:
        held = tables(assistant, load_questions(args.holdout, kind="list"))
        for t in THRESHOLDS:  # for the record only: the threshold was chosen without these questions
            pr = [precision_recall(probabilities(table, model) >= t, labels, len(q.gold)) for q, table, labels in held]
            print(f"threshold {t:.2f}: held-out precision {np.mean([p for p, _ in pr]):.3f} "
                  f"recall {np.mean([r for _, r in pr]):.3f}")
        scores = [precision_recall(probabilities(table, model) >= threshold, labels, len(q.gold))
                  for q, table, labels in held]
        model["holdout"] = {"questions": f"evals/questions/{args.holdout}.jsonl ({len(scores)})",
                            "precision": round(float(np.mean([p for p, _ in scores])), 3),
                            "recall": round(float(np.mean([r for _, r in scores])), 3)}
        print(f"held-out: precision {model['holdout']['precision']:.3f} recall {model['holdout']['recall']:.3f}")
    MODEL.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"threshold {threshold:.2f} written to {MODEL.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
