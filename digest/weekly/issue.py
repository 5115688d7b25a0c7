"""The weekly digest's pure core: the digest data (its two editions) built from plain records (weekly.rendering renders
it, weekly.itemtext shapes its text and links).

Nothing here reads the clock or the database: the caller passes `now` and the records (see weekly/store.py).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from digest.config.invocation import noted
from digest.text import is_blank, readable_section, readable_title
from digest.vocab import EDITIONS as EDITIONS
from digest.vocab import Edition as Edition
from digest.weekly.itemtext import arxiv_url, authors_line, one_line_summary, quote_url, safe_url, single_line
from digest.weekly.listlinks import ListLinks
from digest.weekly.weeks import IsoWeek as IsoWeek
from digest.weekly.weeks import last_complete_week as last_complete_week
from digest.weekly.weeks import week_of as week_of
from digest.weekly.weeks import week_of_day as week_of_day


@dataclass(frozen=True)
class AddedPaper:
    """A paper that entered the list during the week, as the store found it."""

    section: str
    title: str
    authors: Sequence[str]
    abstract: str | None
    arxiv_id: str | None
    url: str | None
    code_url: str | None
    added_at: datetime
    also_in: Sequence[str] = ()  # the other sections holding it, when none is the one it was approved into


@dataclass(frozen=True)
class PendingPaper:
    title: str
    arxiv_id: str
    score: float
    suggested_section: str | None
    why: Sequence[str] = ()  # second tier: why it was flagged (relevance_why's plain lines)
    approve_url: str | None = None  # second tier: its signed one-click approval link
    # second tier, a suggested name sections share ("Probing" in each year's block): a signed link into each of them
    approve_each: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class DigestStats:
    papers_in_list: int
    added_this_week: int
    candidates_seen: int
    candidates_approved: int
    candidates_rejected: int
    entries_in_list: int  # the list page's second count: a paper in two sections is two entries
    second_tier_seen: int = 0  # first seen this week just under the review threshold: not in candidates_seen

    @property
    def candidates_decided(self) -> int:
        return self.candidates_approved + self.candidates_rejected


@dataclass(frozen=True)
class DigestItem:
    title: str
    authors: str
    summary: str
    link: str | None
    arxiv_url: str | None
    code_url: str | None
    also_in: Sequence[str] = ()  # the other sections of the list it is in, named with it (shown under the first)


@dataclass(frozen=True)
class DigestSection:
    name: str
    emoji: str  # the one the section's heading in the list opens with ("📜"), or ""
    items: Sequence[DigestItem]


@dataclass(frozen=True)
class PendingItem:
    title: str
    arxiv_url: str
    score: float
    suggested_section: str | None
    why: Sequence[str] = ()
    approve_url: str | None = None
    arxiv_id: str = ""  # for the command a maintainer runs where the email has no link
    approve_each: Sequence[tuple[str, str]] = ()  # (section, link): one per section sharing the suggested name

    @property
    def has_links(self) -> bool:
        return bool(self.approve_url or self.approve_each)


@dataclass(frozen=True)
class WeeklyDigestData:
    week: IsoWeek
    list_title: str
    sections: Sequence[DigestSection]
    pending_count: int
    pending_top: Sequence[PendingItem]
    stats: DigestStats
    second_tier: Sequence[PendingItem] = ()  # "Worth a look": just under the review threshold, seen this week
    edition: Edition = "maintainers"
    links_left_out: bool = False  # the copy kept on disk: the second tier's signed approval links are taken out
    second_tier_total: int = 0  # how many papers the week's second tier holds (`second_tier` is the best of them)
    links_emailed: bool = True  # the links left out go to the maintainers by email (they have recipients)
    more_count: int = 0  # the email: the week's papers past those shown in full (weekly.fitting), at `more_url`
    more_url: str | None = None
    review_url: str | None = None  # the maintainers' email: the review page, where the waiting candidates are decided
    links_expire_at: datetime | None = None  # when the second tier's approval links stop working (they are emailed)
    second_tier_forgotten: bool = False  # the maintainers' edition of a week whose second tier polls have forgotten
    invocation: str = "digest"  # the `digest` command its hints name: the service's own (config.invocation)
    waiting_as_of: date | None = None  # a week not over: the day its waiting candidates were counted (not its Sunday)
    links: ListLinks = field(default_factory=ListLinks)  # the ways back to the whole list (weekly.listlinks)

    def without_approval_links(self, *, emailed: bool = True) -> WeeklyDigestData:
        """The edition as the weekly folder keeps it. A signed link approves a paper for whoever holds it until it
        expires, and the folder is read by backups and by anyone who publishes it; the links go by email only
        (`emailed`: when the maintainers' edition has recipients)."""
        if not any(item.has_links for item in self.second_tier):
            return self
        stripped = [replace(item, approve_url=None, approve_each=()) for item in self.second_tier]
        return replace(self, second_tier=stripped, links_left_out=True, links_emailed=emailed, links_expire_at=None)

    def approve_command(self, item: PendingItem) -> str:
        """The command that approves a paper worth a look that has no one-click link, NAME a section of the list."""
        return f"{self.invocation} approve {shlex.quote(item.arxiv_id)} --section NAME"

    @property
    def password_note(self) -> str:
        """The sentence its "Worth a look" ends with when a command it prints there (an approval without a link, the
        dry run printing the links left out) names the database with its password `***`; else "". Said once."""
        by_hand = not self.links_left_out and any(not item.has_links for item in self.second_tier)
        if not (by_hand or (self.links_left_out and not self.links_emailed)):
            return ""
        note = noted(self.invocation)[len(self.invocation) :]
        return f" The commands here name the database as DIGEST_DATABASE_URL{note}." if note else ""

    @property
    def second_tier_count(self) -> int:
        """The week's second tier, all of it (the digest lists the best `weekly.second_tier_top`)."""
        return max(self.second_tier_total, len(self.second_tier))

    @property
    def second_tier_said(self) -> str:
        """What follows the count of new candidates: how many were just under the review threshold, or, for a week
        whose second tier polls have forgotten, that it is not in the count."""
        seen, tier = self.stats.second_tier_seen, "just under the review threshold (the second tier)"
        if self.second_tier_forgotten and seen:  # a paper of it someone touched is kept
            return f" for review, and {seen} {tier} kept past 8 weeks: the rest of it is forgotten then, not counted"
        if self.second_tier_forgotten:
            return f" for review; those {tier} are forgotten 8 weeks after: not counted"
        return f" for review, and {seen} {tier}" if seen else ""

    @property
    def for_maintainers(self) -> bool:
        return self.edition == "maintainers"

    @property
    def quiet(self) -> bool:
        return not self.sections and not self.more_count

    @property
    def added_count(self) -> int:
        return sum(len(section.items) for section in self.sections) + self.more_count


def build_digest(
    week: IsoWeek,
    *,
    list_title: str,
    added: Sequence[AddedPaper],
    section_order: Sequence[str],
    heading_emojis: Mapping[str, str],
    pending_count: int,
    pending: Sequence[PendingPaper],
    stats: DigestStats,
    second_tier: Sequence[PendingPaper] = (),
    edition: Edition = "maintainers",
    second_tier_total: int = 0,
    links_expire_at: datetime | None = None,
    second_tier_forgotten: bool = False,
    invocation: str = "digest",
    waiting_as_of: date | None = None,
) -> WeeklyDigestData:
    """Groups the week's papers by section in the list's order (unknown sections last), oldest first within one;
    `invocation`: the `digest` command the maintainers' edition tells them to run (the service's own)."""
    rank = {name: index for index, name in enumerate(section_order)}
    grouped: dict[str, list[AddedPaper]] = {}
    for paper in sorted(added, key=lambda p: (rank.get(p.section, len(rank)), p.section, p.added_at)):
        grouped.setdefault(paper.section, []).append(paper)
    sections = [
        DigestSection(
            name=single_line(readable_section(name)),  # a heading that draws nothing named as Discord names it
            emoji=heading_emojis.get(name, ""),
            items=[
                DigestItem(
                    title=single_line(readable_title(paper.title, paper.arxiv_id)),
                    authors=authors_line(paper.authors),
                    summary=one_line_summary(paper.abstract),
                    link=safe_url(paper.url) or arxiv_url(paper.arxiv_id),
                    arxiv_url=arxiv_url(paper.arxiv_id),
                    code_url=safe_url(paper.code_url),
                    also_in=[single_line(readable_section(also)) for also in paper.also_in],
                )
                for paper in papers
            ],
        )
        for name, papers in grouped.items()
    ]
    if edition == "readers":  # nothing of the review queue, even if a caller passed it
        pending_count, pending, second_tier, second_tier_total = 0, (), (), 0
        stats = DigestStats(stats.papers_in_list, stats.added_this_week, 0, 0, 0, stats.entries_in_list)
    top = [pending_item(paper) for paper in pending]
    worth = [pending_item(paper) for paper in second_tier]
    expiry = links_expire_at if worth else None  # the readers' edition has no links
    digest = WeeklyDigestData(
        week, single_line(list_title), sections, pending_count, top, stats, worth, edition, False, second_tier_total
    )
    forgotten = second_tier_forgotten and edition == "maintainers"
    return replace(
        digest,
        links_expire_at=expiry,
        second_tier_forgotten=forgotten,
        invocation=invocation,
        waiting_as_of=waiting_as_of,
    )


def pending_item(paper: PendingPaper) -> PendingItem:
    return PendingItem(
        title=single_line(readable_title(paper.title, paper.arxiv_id)),
        arxiv_url=arxiv_url(paper.arxiv_id) or "",
        score=paper.score,
        # A heading of characters that draw nothing is no name to show ("Approve into the suggested section").
        suggested_section=None if is_blank(paper.suggested_section or "") else single_line(paper.suggested_section),
        why=tuple(line for line in map(single_line, paper.why) if line),
        approve_url=quote_url(paper.approve_url or None),  # our own signed link
        arxiv_id=single_line(paper.arxiv_id),
        approve_each=tuple((single_line(section), str(quote_url(url))) for section, url in paper.approve_each),
    )
