"""The date windows a backfill asks arXiv's API about, pure: the API gives no result past the 30,000th of a query (it
refuses `start` beyond, or answers empty pages), so a long period is read a month at a time, and a month holding more
than that a day at a time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

# arXiv's API: no result past this many of one query (start + max_results beyond it is refused or empty).
API_RESULT_LIMIT = 30_000
# What a backfill asks when the feeds name no category (files, a mirror's own paths): the bundled list's.
DEFAULT_CATEGORIES = ("cs.CV", "cs.CL", "cs.LG", "cs.AI")
# An arXiv category as its feed addresses name it: cs.CV, math.GT, hep-th, astro-ph.CO.
_CATEGORY = re.compile(r"[a-z][a-z-]*(\.[A-Za-z][A-Za-z-]*)?")
# An open upper bound keeps the window holding today the same query on every run in it (and so its saved place).
_OPEN_END = "299912312359"


@dataclass(frozen=True)
class Window:
    first: date
    last: date | None  # None: open-ended, the window that holds today

    def query(self, categories: Sequence[str]) -> str:
        cats = " OR ".join(f"cat:{category}" for category in categories)
        end = f"{self.last:%Y%m%d}2359" if self.last else _OPEN_END
        return f"({cats}) AND submittedDate:[{self.first:%Y%m%d}0000 TO {end}]"

    def opened(self) -> Window:
        """The same window as a run in its own month asked it (open-ended): its saved place still counts."""
        return Window(self.first, None)

    def label(self) -> str:
        if self.last == self.first:
            return f"{self.first}"
        return f"{self.first} to {self.last or 'now'}"

    def days(self, today: date) -> list[Window]:
        """The window a day at a time (the last day open-ended when the window is)."""
        last = self.last or max(today, self.first)
        count = (last - self.first).days + 1
        days = [Window(self.first + timedelta(days=n), self.first + timedelta(days=n)) for n in range(count)]
        if self.last is None:
            days[-1] = Window(days[-1].first, None)
        return days


def month_windows(since: date, today: date) -> list[Window]:
    """From `since` to today a calendar month at a time, oldest first; the month holding today is open-ended."""
    windows: list[Window] = []
    first = since
    while True:
        following = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
        if following > today:
            windows.append(Window(first, None))
            return windows
        windows.append(Window(first, following - timedelta(days=1)))
        first = following


def watched_categories(addresses: Sequence[str]) -> tuple[str, ...]:
    """The arXiv categories the polled feeds read (`https://rss.arxiv.org/rss/cs.IR`, `.../atom/cs.CL+cs.DL`), each
    once and in order, so a backfill reads the papers the polls would have: DEFAULT_CATEGORIES when they name none."""
    found: dict[str, None] = {}
    for address in addresses:
        parts = [part for part in urlsplit(address.strip()).path.split("/") if part]
        if len(parts) >= 2 and parts[-2] in ("rss", "atom"):
            found.update((category, None) for category in parts[-1].split("+") if _CATEGORY.fullmatch(category))
    return tuple(found) or DEFAULT_CATEGORIES
