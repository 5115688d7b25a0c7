"""The relevance package's plain data, a leaf inside it: the budget, the thresholds, a judgement, the examples.

The scoring (numpy, scikit-learn) and the store (the database) both use these without importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from digest.relevance.why import Why


class Tier(StrEnum):
    REVIEW = "review"  # at or over the review threshold: Discord, the review page, the private feed
    SECOND = "second"  # just under it: the maintainers' weekly digest only ("worth a look")


@dataclass(frozen=True)
class Budget:
    """What maintainers are willing to review: `daily` candidates on a day that brings `papers_per_day` papers, and
    `second_tier_per_week` more in the weekly digest. Held as shares of the stream, whatever a poll brings."""

    daily: float
    papers_per_day: float
    second_tier_per_week: float

    @property
    def review_share(self) -> float:
        return min(self.daily / self.papers_per_day, 1.0)

    @property
    def second_share(self) -> float:
        return min(self.review_share + self.second_tier_per_week / (self.papers_per_day * 5), 1.0)


@dataclass(frozen=True)
class Thresholds:
    review: float
    second: float
    fitted_on: int  # papers in the stream they were fitted on
    source: str  # "stream" (papers the polls saw) or "shipped sample" (a new data folder)


@dataclass(frozen=True)
class Judgement:
    relevant: bool
    score: float  # 1.0 is the review threshold
    section: str | None
    sections: list[str]  # ranked, most likely first (top three)
    matched: list[str]
    tier: Tier | None = None
    raw: float = 0.0
    why: Why = field(default_factory=Why)


@dataclass(frozen=True)
class LabeledPaper:
    """A positive example: one of the list's papers with the sections it sits in (or an approval the list does not
    hold, or a shipped paper standing in for a list too small to learn from)."""

    arxiv_id: str | None
    title: str
    abstract: str
    sections: tuple[str, ...] = ()
    in_list: bool = True  # shown as "nearest in the list" only when it is
    stand_in: bool = False


class NotLearnt(StrEnum):
    """Why the model does not learn from an imported decision (`digest decisions list` marks it)."""

    IN_LIST = "in_list"  # a reject of a paper the list holds: the list stands
    OVERRULED_IN_REVIEW = "overruled_in_review"  # decided otherwise in review: that decision stands


@dataclass(frozen=True)
class Feedback:
    """A maintainer's decision: approved (with the section chosen) or rejected."""

    arxiv_id: str
    title: str
    abstract: str
    approved: bool
    section: str | None = None


@dataclass(frozen=True)
class PaperText:
    """A paper as the model reads it."""

    title: str
    abstract: str
    categories: Sequence[str] = ()

    @property
    def text(self) -> str:
        # The title twice: it says what the paper is about.
        return f"{self.title} {self.title} {self.abstract}"

    @property
    def gate_text(self) -> str:
        """What the gate searches for a strong term of the topic (relevance/rules.TermGate)."""
        return f"{self.title}\n{self.abstract}"
