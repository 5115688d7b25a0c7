"""The weekly digest's pure core: ISO weeks, the digest data built from plain records, and its rendering.

Nothing here reads the clock or the database: the caller passes `now` and the records (see weekly/store.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, StrictUndefined, select_autoescape

from digest.templating import template_loader
from digest.text import acceptable_url
from digest.titles import arxiv_abs_url

_WEEK_PATTERN = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
_SUMMARY_LIMIT = 220
_AUTHORS_SHOWN = 3


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """'2026-W48' (or '2026W48'); raises ValueError with one line saying what is expected."""
        match = _WEEK_PATTERN.match(text)
        if not match:
            raise ValueError(f"{text!r} is not an ISO week: use YYYY-Www, e.g. 2026-W48")
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValueError(f"{year} has no ISO week {week}") from None
        return cls(year, week)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[Monday 00:00, next Monday 00:00) in the zone; built per day so a DST change keeps midnights."""
        start = datetime.combine(self.monday, time(), tz)
        end = datetime.combine(self.monday + timedelta(days=7), time(), tz)
        return start, end

    def previous(self) -> IsoWeek:
        return week_of_day(self.monday - timedelta(days=7))


def week_of_day(day: date) -> IsoWeek:
    year, week, _ = day.isocalendar()
    return IsoWeek(year, week)


def week_of(moment: datetime, tz: tzinfo) -> IsoWeek:
    return week_of_day(moment.astimezone(tz).date())


def last_complete_week(now: datetime, tz: tzinfo) -> IsoWeek:
    """The week before the one `now` falls in, in the list's time zone."""
    return week_of(now, tz).previous()


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


@dataclass(frozen=True)
class PendingPaper:
    title: str
    arxiv_id: str
    score: float
    suggested_section: str | None
    why: Sequence[str] = ()  # second tier: why it was flagged (relevance_why's plain lines)
    approve_url: str | None = None  # second tier: its signed one-click approval link


@dataclass(frozen=True)
class DigestStats:
    papers_in_list: int
    added_this_week: int
    candidates_seen: int
    candidates_approved: int
    candidates_rejected: int

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


@dataclass(frozen=True)
class DigestSection:
    name: str
    emoji: str
    items: Sequence[DigestItem]


@dataclass(frozen=True)
class PendingItem:
    title: str
    arxiv_url: str
    score: float
    suggested_section: str | None
    why: Sequence[str] = ()
    approve_url: str | None = None


@dataclass(frozen=True)
class WeeklyDigestData:
    week: IsoWeek
    list_title: str
    sections: Sequence[DigestSection]
    pending_count: int
    pending_top: Sequence[PendingItem]
    stats: DigestStats
    second_tier: Sequence[PendingItem] = ()  # "Worth a look": just under the review threshold, seen this week

    @property
    def quiet(self) -> bool:
        return not self.sections

    @property
    def added_count(self) -> int:
        return sum(len(section.items) for section in self.sections)


def single_line(text: str | None) -> str:
    """Collapses every run of whitespace (newlines, tabs, control characters) into one space."""
    if not text:
        return ""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def one_line_summary(abstract: str | None, limit: int = _SUMMARY_LIMIT) -> str:
    """The abstract's first sentence, cut at a word boundary when it runs past `limit` characters."""
    text = single_line(abstract)
    match = re.search(r"(?<=[.!?])\s+(?=[A-Z])", text[20:])
    if match:
        text = text[: 20 + match.start()]
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def authors_line(authors: Iterable[str]) -> str:
    names = [single_line(name) for name in authors if single_line(name)]
    if len(names) > _AUTHORS_SHOWN:
        return ", ".join(names[:_AUTHORS_SHOWN]) + " et al."
    return ", ".join(names)


def safe_url(url: str | None) -> str | None:
    """A URL the URL policy (digest.text) accepts, fit for a Markdown link or an href; anything else is dropped."""
    return quote_url(acceptable_url(url))


def quote_url(url: str | None) -> str | None:
    """Characters that could end a Markdown link or break out of an attribute percent-encoded. Alone (without the
    policy) only for this service's own links, made from the configured base URL: http://127.0.0.1:8080 is fine."""
    return None if url is None else quote(url.strip(), safe="/:?#[]@!$&'*+,;=%-._~")


def arxiv_url(arxiv_id: str | None) -> str | None:
    return safe_url(arxiv_abs_url(arxiv_id)) if arxiv_id else None


def build_digest(
    week: IsoWeek,
    *,
    list_title: str,
    added: Sequence[AddedPaper],
    section_order: Sequence[str],
    section_emojis: Mapping[str, str],
    pending_count: int,
    pending: Sequence[PendingPaper],
    stats: DigestStats,
    second_tier: Sequence[PendingPaper] = (),
) -> WeeklyDigestData:
    """Groups the week's papers by section in the list's order (unknown sections last), oldest first within one."""
    rank = {name: index for index, name in enumerate(section_order)}
    grouped: dict[str, list[AddedPaper]] = {}
    for paper in sorted(added, key=lambda p: (rank.get(p.section, len(rank)), p.section, p.added_at)):
        grouped.setdefault(paper.section, []).append(paper)
    sections = [
        DigestSection(
            name=single_line(name),
            emoji=section_emojis.get(name, ""),
            items=[
                DigestItem(
                    title=single_line(paper.title),
                    authors=authors_line(paper.authors),
                    summary=one_line_summary(paper.abstract),
                    link=safe_url(paper.url) or arxiv_url(paper.arxiv_id),
                    arxiv_url=arxiv_url(paper.arxiv_id),
                    code_url=safe_url(paper.code_url),
                )
                for paper in papers
            ],
        )
        for name, papers in grouped.items()
    ]
    top = [pending_item(paper) for paper in pending]
    worth = [pending_item(paper) for paper in second_tier]
    return WeeklyDigestData(week, single_line(list_title), sections, pending_count, top, stats, worth)


def pending_item(paper: PendingPaper) -> PendingItem:
    return PendingItem(
        title=single_line(paper.title),
        arxiv_url=arxiv_url(paper.arxiv_id) or "",
        score=paper.score,
        suggested_section=single_line(paper.suggested_section) or None,
        why=tuple(line for line in map(single_line, paper.why) if line),
        approve_url=quote_url(paper.approve_url or None),  # our own signed link
    )


def subject_line(digest: WeeklyDigestData) -> str:
    count = digest.added_count
    what = "a quiet week" if digest.quiet else f"{count} new paper{'s' if count != 1 else ''}"
    return single_line(f"{digest.list_title} — {digest.week}: {what}")


# Brackets are escaped, so parentheses and "!" can never form a link or an image and stay readable.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")
# What would start a heading, quote or list if a wrapped line began with it.
_BLOCK_START = re.compile(r"^(\d*)([#+=-]|(?<=\d)[.)])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def markdown_text(value: object) -> str:
    """Text from a feed made inert in Markdown: no links, emphasis, HTML tags or entities of its own."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", single_line(str(value)))
    text = _BLOCK_START.sub(r"\1\\\2", text)
    return _ENTITY.sub(r"\\&", text)


def long_date(day: date) -> str:
    """'Monday 23 November 2026', without the platform-specific strftime flags for unpadded days."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def template_environment(templates_dir: Path) -> Environment:
    """The user's templates folder first, then the bundled templates; HTML templates are autoescaped."""
    environment = Environment(
        loader=template_loader(templates_dir),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False, default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["md"] = markdown_text
    environment.filters["long_date"] = long_date
    return environment


def render(digest: WeeklyDigestData, templates_dir: Path, name: str) -> str:
    """Renders one of weekly/digest.md.j2, weekly/email.txt.j2, weekly/email.html.j2."""
    template = template_environment(templates_dir).get_template(f"weekly/{name}")
    return template.render(digest=digest, subject=subject_line(digest))
