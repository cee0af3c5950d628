"""Retrieval and answer metrics; pure functions over ids."""

from __future__ import annotations

from statistics import mean


def recall_at(ranked: list[str], gold: set[str], k: int) -> float:
    return len(set(ranked[:k]) & gold) / len(gold) if gold else 0.0


def reciprocal_rank(ranked: list[str], gold: set[str]) -> float:
    for rank, pid in enumerate(ranked, start=1):
        if pid in gold:
            return 1.0 / rank
    return 0.0


def precision(predicted: set[str], gold: set[str]) -> float | None:
    return len(predicted & gold) / len(predicted) if predicted else None


def average(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return mean(kept) if kept else None
