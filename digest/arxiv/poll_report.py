"""What a poll says: one `SourceReport` per source (its outcome and counts, and the one line the log and
`digest poll` show for it) and the pass's `PollSummary` (its outcome over the sources, its line, its JSON for
scripts). Plain data; the poller fills them in and stores nothing here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from digest.arxiv.outcomes import FAILED_OUTCOMES, FETCHED
from digest.arxiv.withdrawn import withdrawn_clause
from digest.sizes import counted


@dataclass
class SourceReport:
    source: str
    outcome: str  # fetched | not-modified | quiet | broken | error
    message: str = ""
    entries: int = 0
    matched: int = 0
    already_known: int = 0
    new_candidates: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)
    second_tier: int = 0  # new papers just under the review threshold: the weekly digest's "Worth a look"
    second_tier_known: int = 0  # papers just under it the database held already (not in already_known: not matched)
    new: list[str] = field(default_factory=list)  # the arXiv IDs of the new candidates, for scripts (--json)
    new_candidate_ids: list[int] = field(default_factory=list)  # their candidate IDs, in the same order
    cut_off: int = 0  # the answer was cut off: what followed was not read (fetched whole at the retry)
    missed: str = ""  # the announcement days since the last feed read whose feeds were never read, in one clause
    awaiting: bool = False  # a feed read before, read again on an announcement day without that day's announcement
    left: int = 0  # an API query's results past the page read (a poll reads the newest max_results only)
    withdrawn: list[str] = field(default_factory=list)  # papers in the list that arXiv announced withdrawn
    restored: list[str] = field(default_factory=list)  # papers in the list told withdrawn that a later version is not
    retitled: list[str] = field(default_factory=list)  # papers in the list a new version titles otherwise
    unreached: str = ""  # the host (or host:port) no connection reached: unresolved, refused, out of reach, lost
    slow: str = ""  # the host (or host:port) whose last try took the connection and had no answer in time

    @property
    def failed(self) -> bool:  # broken, unreachable, or read only in part: the poll's retry asks again
        return self.outcome in FAILED_OUTCOMES or self.cut_off > 0

    def line(self) -> str:
        if self.outcome == FETCHED:
            text = (
                f"fetched, {counted(self.entries, 'entry', 'entries')}, {self.matched} matched "
                f"({self.already_known} already known, {counted(self.new_candidates, 'new candidate')})"
            )
            if self.second_tier or self.second_tier_known:
                text += (f", {self.second_tier + self.second_tier_known} for the weekly digest's second tier "
                         f"({self.second_tier_known} already known, {self.second_tier} new)")  # fmt: skip
            if self.updated:
                text += f", {counted(self.updated, 'new version')}"
            if self.problems:
                text += f", {counted(len(self.problems), 'item')} skipped or odd"
            if self.left:
                text += (f"; {self.left:,} more results past these not read (a poll reads the newest max_results of "
                         "an [[api]] query: raise it, up to 2,000, or narrow the query)")  # fmt: skip
            if self.cut_off:
                text += "; the answer is cut off, so the rest of the feed is missing: asked again at the retry"
            changed = withdrawn_clause([*self.withdrawn, *self.restored, *self.retitled])  # list papers arXiv changed
            return f"{self.source}: {text}{changed}{self.missed}"
        detail = self.message.removeprefix(f"{self.source}: ")  # a fetcher's message names the source already
        return f"{self.source}: {self.outcome}" + (f" ({detail})" if detail else "") + self.missed


@dataclass
class PollSummary:
    run_id: int | None
    started_at: datetime
    finished_at: datetime | None = None
    outcome: str = "running"  # ok | partial | failed
    sources: list[SourceReport] = field(default_factory=list)
    reason: str = ""  # why the whole pass failed, when no source is to blame (rules that cannot be used)
    timeout_seconds: float | None = None  # how long a request waits ([arxiv] timeout_seconds), for a slow host's clause

    @property
    def new_candidates(self) -> int:
        return sum(report.new_candidates for report in self.sources)

    def to_dict(self) -> dict[str, Any]:
        payload = asdict(self)
        payload["started_at"] = self.started_at.isoformat()
        payload["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        payload["new_candidates"] = self.new_candidates
        return payload

    def __str__(self) -> str:
        counts: dict[str, int] = {}
        for report in self.sources:
            counts[report.outcome] = counts.get(report.outcome, 0) + 1
        if self.reason:
            return f"{self.outcome}: {self.reason}"
        if not self.sources and self.outcome == "interrupted":  # stopped first (while the model was built, say)
            return f"{self.outcome}: stopped before any source's answer was stored; the next poll reads them"
        if not self.sources:
            return f"{self.outcome}: nothing to poll: no feeds or API queries (feeds/sources.toml, or [arxiv] sources)"
        parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items()))
        found = counted(self.new_candidates, "new candidate")
        return f"{self.outcome}: {counted(len(self.sources), 'source')} ({parts}), {found}{self._unreached_clause()}"

    def _unreached_clause(self) -> str:
        """When no source's host could be reached (no network, a proxy in the way; not arXiv refusing: a 429 or
        5xx), the setting that points the poll elsewhere and where the README says how. When a host took the connection
        and did not answer in time, that it is slow: no network to check, no mirror needed. Said when every source
        failed in one of these two ways; both, each naming its hosts, when some failed in each."""
        if not all(report.unreached or report.slow for report in self.sources):
            return ""
        hosts = list(dict.fromkeys(report.unreached for report in self.sources if report.unreached))
        slow = list(dict.fromkeys(report.slow for report in self.sources if report.slow))
        waited = f"within {self.timeout_seconds:g} s" if self.timeout_seconds else "in time"
        unreached = (f"; could not reach {', '.join(hosts)}: check the network, or set [arxiv] sources to a mirror "
                     "(README: 'Configuration')")  # fmt: skip
        answered = (f"; {', '.join(slow)} took the connection but did not answer {waited}: the server is slow, not the "
                    "network; the next poll asks again (or raise [arxiv] timeout_seconds)")  # fmt: skip
        return (unreached if hosts else "") + (answered if slow else "")


def overall_outcome(reports: Sequence[SourceReport]) -> str:
    """ok; failed when no source gave anything; partial otherwise (a source read only in part counts here)."""
    if not any(report.failed for report in reports):
        return "ok"
    return "failed" if all(report.outcome in FAILED_OUTCOMES for report in reports) else "partial"
