"""Feedback scores: each metric's range and how a set of answers sums up (issue 13, item 3). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

FeedbackMetric = Literal["csat", "nps", "ces"]
SCORE_RANGES: dict[str, tuple[int, int]] = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
"""The lowest and highest score each metric accepts, both inclusive."""


def score_in_range(metric: str, score: int) -> bool:
    low, high = SCORE_RANGES[metric]
    return low <= score <= high


def csat(scores: Iterable[int]) -> float | None:
    """The share of answers scoring 4 or 5 (None without answers)."""
    values = list(scores)
    return sum(1 for score in values if score >= 4) / len(values) if values else None


def nps(scores: Iterable[int]) -> float | None:
    """Percent promoters (9-10) minus percent detractors (0-6), from -100 to 100 (None without answers)."""
    values = list(scores)
    if not values:
        return None
    promoters = sum(1 for score in values if score >= 9)
    detractors = sum(1 for score in values if score <= 6)
    return 100 * (promoters - detractors) / len(values)


def ces(scores: Iterable[int]) -> float | None:
    """The mean effort score, 1 (very hard) to 7 (very easy) (None without answers)."""
    values = list(scores)
    return sum(values) / len(values) if values else None
