"""Which papers an overview would draw on, without writing it: precision / recall against the gold titles.

    PAPERTRAIL_HOME=DIR python -m evals.overview_selection [--no-aspects]

Runs `assistant.strategies.overview.overview_themes` (retrieval and the relevance model, no chat-model calls) on every
overview question of evals/questions/*.jsonl, so a change to paper selection is measured in a minute instead
of the many minutes the written overviews take. --no-aspects ignores the aspects a question enumerates.
"""

from __future__ import annotations

import argparse

import numpy as np

from assistant.api import Assistant
from assistant.chain import Run
from assistant.strategies.overview import overview_request, overview_themes
from evals.harness import QUESTIONS, load_questions


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-aspects", action="store_true")
    args = parser.parse_args()
    chain = Assistant().chain
    scores = []
    for name in sorted(p.stem for p in QUESTIONS.glob("*.jsonl")):
        for q in load_questions(name, kind="overview"):
            topic, aspects = overview_request(q.question)
            run = Run(question=q.question, standalone=q.question, k=None, filters=None)
            selection = overview_themes(chain, run, topic, [] if args.no_aspects else aspects)
            try:
                while True:
                    next(selection)  # progress items
            except StopIteration as done:
                themes = done.value or []
            chosen = {h.paper.paper_id for _, members in themes for h in members}
            hits = len(chosen & q.gold)
            scores.append((hits / len(chosen) if chosen else 0.0, hits / len(q.gold)))
            print(f"{q.id:6} precision {scores[-1][0]:.2f} recall {scores[-1][1]:.2f} papers {len(chosen):2} "
                  f"must-not-cite {len(chosen & q.must_not_cite)} sections {[(n[:30], len(m)) for n, m in themes]}")
    print(f"{len(scores)} overview questions: precision {np.mean([p for p, _ in scores]):.3f} "
          f"recall {np.mean([r for _, r in scores]):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
