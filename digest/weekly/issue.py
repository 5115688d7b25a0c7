"""The weekly digest's pure core: the digest data (its two editions) built from plain records, and its rendering.

Nothing here reads the clock or the database: the caller passes `now` and the records (see weekly/store.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, StrictUndefined, select_autoescape

from digest.templating import rendered, shown, template_loader
from digest.text import acceptable_url, is_blank, one_line, readable_section, readable_title
from digest.titles import arxiv_abs_url
from digest.vocab import EDITIONS as EDITIONS
from digest.vocab import Edition as Edition
from digest.weekly.weeks import IsoWeek as IsoWeek
from digest.weekly.weeks import last_complete_week as last_complete_week
from digest.weekly.weeks import long_date
from digest.weekly.weeks import week_of as week_of
from digest.weekly.weeks import week_of_day as week_of_day

_SUMMARY_LIMIT = 220
# A full stop, then a capital: a sentence ends, unless the stop ends an abbreviation abstracts use mid-sentence.
_ABBREVIATIONS = ("e.g.", "i.e.", "et al.", "cf.", "vs.", "Fig.", "Eq.")
_SENTENCE_END = re.compile("".join(rf"(?<!\b{re.escape(word)})" for word in _ABBREVIATIONS) + r"(?<=[.!?])\s+(?=[A-Z])")
_AUTHORS_SHOWN = 3


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
    entries_in_list: int  # the list page's second count: a paper in two sections is two entries

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
    arxiv_id: str = ""  # for the command a maintainer runs where the email has no link


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

    def without_approval_links(self, *, emailed: bool = True) -> WeeklyDigestData:
        """The edition as the weekly folder keeps it. A signed link approves a paper for whoever holds it until it
        expires, and the folder is read by backups and by anyone who publishes it; the links go by email only
        (`emailed`: when the maintainers' edition has recipients)."""
        if not any(item.approve_url for item in self.second_tier):
            return self
        stripped = [replace(item, approve_url=None) for item in self.second_tier]
        return replace(self, second_tier=stripped, links_left_out=True, links_emailed=emailed, links_expire_at=None)

    @property
    def second_tier_count(self) -> int:
        """The week's second tier, all of it (the digest lists the best `weekly.second_tier_top`)."""
        return max(self.second_tier_total, len(self.second_tier))

    @property
    def for_maintainers(self) -> bool:
        return self.edition == "maintainers"

    @property
    def quiet(self) -> bool:
        return not self.sections and not self.more_count

    @property
    def added_count(self) -> int:
        return sum(len(section.items) for section in self.sections) + self.more_count


def single_line(text: str | None) -> str:
    """Collapses every run of whitespace (newlines, tabs, control characters) into one space, by the text policy
    (digest.text): the format characters that join or hyphenate a word (U+200C in a Persian name, a soft hyphen, the
    U+200D of an emoji) stay, as the list and the feeds show them."""
    return one_line(text) if text else ""


def one_line_summary(abstract: str | None, limit: int = _SUMMARY_LIMIT) -> str:
    """The abstract's first sentence, cut at a word boundary when it runs past `limit` characters."""
    text = single_line(abstract)
    match = _SENTENCE_END.search(text[20:])
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
    edition: Edition = "maintainers",
    second_tier_total: int = 0,
    links_expire_at: datetime | None = None,
) -> WeeklyDigestData:
    """Groups the week's papers by section in the list's order (unknown sections last), oldest first within one."""
    rank = {name: index for index, name in enumerate(section_order)}
    grouped: dict[str, list[AddedPaper]] = {}
    for paper in sorted(added, key=lambda p: (rank.get(p.section, len(rank)), p.section, p.added_at)):
        grouped.setdefault(paper.section, []).append(paper)
    sections = [
        DigestSection(
            name=single_line(readable_section(name)),  # a heading that draws nothing named as Discord names it
            emoji=section_emojis.get(name, ""),
            items=[
                DigestItem(
                    title=single_line(readable_title(paper.title, paper.arxiv_id)),
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
    if edition == "readers":  # nothing of the review queue, even if a caller passed it
        pending_count, pending, second_tier, second_tier_total = 0, (), (), 0
        stats = DigestStats(stats.papers_in_list, stats.added_this_week, 0, 0, 0, stats.entries_in_list)
    top = [pending_item(paper) for paper in pending]
    worth = [pending_item(paper) for paper in second_tier]
    expiry = links_expire_at if worth else None  # the readers' edition has no links
    digest = WeeklyDigestData(
        week, single_line(list_title), sections, pending_count, top, stats, worth, edition, False, second_tier_total
    )
    return replace(digest, links_expire_at=expiry)


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
    )


def subject_line(digest: WeeklyDigestData) -> str:
    count = digest.added_count
    what = "a quiet week" if digest.quiet else f"{count} new paper{'s' if count != 1 else ''}"
    edition = " (maintainers' edition)" if digest.for_maintainers else ""
    return single_line(f"{digest.list_title} — {digest.week}: {what}{edition}")


def markdown_name(week: IsoWeek, edition: Edition) -> str:
    """The edition's file in the weekly folder: the readers' YYYY-Www.md, the maintainers' YYYY-Www.maintainers.md."""
    return f"{week}.md" if edition == "readers" else f"{week}.maintainers.md"


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


def template_environment(templates_dir: Path) -> Environment:
    """The user's templates folder first, then the bundled templates; HTML templates are autoescaped. Whatever a
    template puts out has its invisible characters blanked (templating.shown, as on the web pages), whichever data or
    template of one's own it came from: a U+202E in a title would reverse the rest of the line in the email."""
    environment = Environment(
        loader=template_loader(templates_dir),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False, default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=shown,
    )
    environment.filters["md"] = markdown_text
    environment.filters["long_date"] = long_date
    return environment


def render(digest: WeeklyDigestData, templates_dir: Path, name: str, *, unsubscribe: str | None = None) -> str:
    """Renders one of weekly/digest.md.j2, weekly/email.txt.j2, weekly/email.html.j2; `unsubscribe`, the readers'
    email's List-Unsubscribe target, is shown at its end."""
    template = template_environment(templates_dir).get_template(f"weekly/{name}")
    return rendered(template, digest=digest, subject=subject_line(digest), unsubscribe=unsubscribe)
