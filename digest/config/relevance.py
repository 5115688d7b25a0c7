"""[relevance]: the review budget, a share of the papers that arrive, and the stream the threshold is fitted on."""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from digest.config.problems import problem
from digest.config.sections import Section


class RelevanceSettings(Section):
    """The review budget: `daily_budget` candidates on a day of `papers_per_day` papers (held as that share of the
    stream), `second_tier_per_week` more for the weekly digest, fitted on the last `calibration_window` papers."""

    daily_budget: float = Field(6.5, ge=0.01)
    papers_per_day: float = Field(1500.0, ge=1)
    second_tier_per_week: float = Field(40.0, ge=0)
    calibration_window: int = Field(6000, ge=100, le=10_000_000)  # SQLite takes no count past 2**63 - 1

    @model_validator(mode="after")
    def _meant(self) -> RelevanceSettings:
        """A budget is a share of the papers that arrive: TOML's inf, or more a day than the day brings (1500 read
        as "all of them", 1e9), would send every paper naming the topic to review, or (papers_per_day) none."""
        numbers = ("daily_budget", "papers_per_day", "second_tier_per_week")
        problems = [
            f"relevance.{key} must be a finite number, not {getattr(self, key)}"
            for key in numbers
            if not math.isfinite(getattr(self, key))
        ]
        week, chosen = self.papers_per_day * 5, self.model_fields_set
        # Only a budget written in the file is held to its day: a narrow feed's `papers_per_day = 5` under the default
        # budget (all of its papers that name the topic) worked before these checks, and an upgrade must not stop it.
        if not problems and "daily_budget" in chosen and self.daily_budget > self.papers_per_day:
            problems.append(
                f"relevance.daily_budget ({self.daily_budget:g} a day) is more than papers_per_day "
                f"({self.papers_per_day:g}): it is how many candidates a day you want to review, of that many papers"
            )
        if not problems and "second_tier_per_week" in chosen and self.second_tier_per_week > week:
            problems.append(
                f"relevance.second_tier_per_week ({self.second_tier_per_week:g}) is more than a week's papers "
                f"({week:g}, papers_per_day x 5): it is how many papers just under the threshold a week's digest lists"
            )
        if problems:
            raise problem("\n".join(problems))
        return self
