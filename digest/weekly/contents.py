"""A week read from the database as the pure digest's plain records (weekly.issue builds and renders them), in one
of two editions, and the Markdown and the email made from them. The readers' edition holds the papers added and the
list's size only: it reads nothing of the review queue and never calls the signer. The maintainers' edition adds the
candidates waiting, the second tier with its signed approval links, and the week's decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import TemplateError
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from digest.arxiv.candidates import SECOND_TIER_KEPT
from digest.awesome.headings import heading_emojis
from digest.clock import as_utc
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.review.queries import pending_candidates, pending_count
from digest.storage.files import write_atomic
from digest.storage.models import (
    APPROVED,
    REJECTED,
    Candidate,
    Decision,
    Entry,
    Paper,
    Section,
    in_second_tier,
)
from digest.templating import template_error_line
from digest.vocab import Action
from digest.weekly import mailer
from digest.weekly.fitting import fitted_email
from digest.weekly.issue import AddedPaper, DigestStats, Edition, IsoWeek, PendingPaper, WeeklyDigestData, build_digest
from digest.weekly.listlinks import list_links
from digest.weekly.rendering import markdown_name, render, subject_line
from digest.weekly.secondtier import second_tier, shown_now


def load_digest(
    session: Session,
    settings: Settings,
    week: IsoWeek,
    *,
    now: datetime | None = None,
    edition: Edition = "readers",
) -> WeeklyDigestData:
    """The week's digest in the edition; `now` dates the maintainers' second tier approval links (they expire
    web.approval_link_days later). The readers' edition reads no candidate waiting and signs nothing."""
    start, end = (as_utc(bound) for bound in week.bounds(settings.tz))
    covered: set[int] = set()
    added = approved_papers(session, start, end, covered)
    added.extend(added_by_other_paths(session, start, end, covered))
    pending: list[PendingPaper] = []
    worth: list[PendingPaper] = []
    worth_total: int | None = 0
    expires: datetime | None = None
    if edition == "readers":
        waiting, stats = 0, DigestStats(list_size(session, end), len(added), 0, 0, 0, entry_count(session, end))
    else:
        top = pending_candidates(session, limit=max(settings.weekly.pending_top, 0), seen_before=end)
        named = shown_now(session, [c.suggested_section for c in top])  # as the list has it now, as the feed says it
        pending = [PendingPaper(c.title, c.arxiv_id, c.score, named(c.suggested_section)) for c in top]
        waiting = pending_count(session, seen_before=end)  # found by the week's end, as the top above
        stats = week_stats(session, start, end, added_this_week=len(added))
        expires = as_utc(now or datetime.now(UTC)) + timedelta(days=settings.web.approval_link_days)
        worth = second_tier(session, settings, start, end, expires)
        worth_total = session.scalar(
            select(func.count())
            .select_from(Candidate)
            .where(in_second_tier())
            .where(Candidate.first_seen_at >= start, Candidate.first_seen_at < end)
        )
    headings = session.execute(select(Section.name, Section.intro_raw).order_by(Section.position)).tuples().all()
    digest = build_digest(
        week,
        list_title=settings.list_title,
        added=added,
        section_order=[name for name, _ in headings],
        # Each section headed as the list heads it (its emoji there), the one readers know; not its Discord reaction.
        heading_emojis=heading_emojis(headings),
        pending_count=waiting,
        pending=pending,
        stats=stats,
        second_tier=worth,
        edition=edition,
        second_tier_total=worth_total or 0,
        links_expire_at=expires if any(paper.approve_url or paper.approve_each for paper in worth) else None,
        # A poll forgets a second-tier paper nobody touched SECOND_TIER_KEPT after it was first seen.
        second_tier_forgotten=start < as_utc(now or datetime.now(UTC)) - SECOND_TIER_KEPT,
        invocation=same_invocation(settings),  # its hints run as printed act on this database
        waiting_as_of=counted_on(settings, end, now),
    )
    return replace(digest, links=list_links(settings.web.base_url, settings.publish.repository))


def counted_on(settings: Settings, end: datetime, now: datetime | None) -> date | None:
    """The day (in the list's time zone) a week not over had its waiting candidates counted: "found by" its Sunday
    would name a day still to come. None for a complete week."""
    moment = as_utc(now or datetime.now(UTC))
    return moment.astimezone(settings.tz).date() if moment < end else None


def approved_papers(session: Session, start: datetime, end: datetime, covered: set[int]) -> list[AddedPaper]:
    """The candidates approved in [start, end), in the order they were, whose papers the list still holds (a
    maintainer may have taken one out since); their papers' ids go into `covered`."""
    added: list[AddedPaper] = []
    approved = select(Candidate).where(
        Candidate.status == APPROVED, Candidate.decided_at >= start, Candidate.decided_at < end
    )
    for candidate in session.scalars(approved.order_by(Candidate.decided_at, Candidate.id)):
        paper = session.get(Paper, candidate.paper_id) if candidate.paper_id is not None else None
        if paper is not None:
            covered.add(paper.id)
            if not paper.entries:
                continue  # approved, then taken out of the list by hand: it did not join it
        if _listed_before(session, candidate, start, covered):
            continue  # approved again into another section (a move), or already in the list by hand: no news
        section, *also_in = _listed_sections(paper, candidate.decided_section or candidate.suggested_section or "Other")
        added.append(
            AddedPaper(
                section=section,
                # As the list holds it: a title a maintainer fixed by hand since, not arXiv's (nor a later version's)
                title=paper.title if paper is not None else candidate.title,
                authors=list((paper.authors if paper is not None else None) or candidate.authors),
                abstract=(paper.abstract if paper is not None else None) or candidate.abstract,
                arxiv_id=candidate.arxiv_id,
                url=None,
                code_url=candidate.code_url or (paper.code_url if paper else None),
                added_at=as_utc(candidate.decided_at or start),
                also_in=also_in,
            )
        )
    return added


def _listed_sections(paper: Paper | None, approved_into: str | None) -> list[str]:
    """Every section of the list that holds the paper, in the list's order, the one it is shown under first: the
    section an approval put it in while the list holds it there, else the first. The others are named with it ('Also
    in'), as the review page, Discord and the feed name them, whether an approval or a maintainer put it there."""
    if paper is None or not paper.entries:
        return [approved_into or "Other"]
    holding = sorted((entry.section for entry in paper.entries), key=lambda section: section.position)
    names = list(dict.fromkeys(section.name for section in holding))
    shown = approved_into if approved_into in names else names[0]
    return [shown, *(name for name in names if name != shown)]


def _listed_before(session: Session, candidate: Candidate, start: datetime, covered: set[int]) -> bool:
    """Whether the candidate's paper was in the list before the week began: its last decision before then was an
    approval (this week's is a move), or a maintainer had put the paper in by hand (the approval reused that entry, or
    added one in another section)."""
    earlier = session.scalar(
        select(Decision.action)
        .where(Decision.candidate_id == candidate.id, Decision.applied.is_(True), Decision.at < start)
        .order_by(Decision.id.desc())
        .limit(1)
    )
    if earlier == Action.APPROVE:
        return True
    if candidate.paper_id is not None:  # its own entry, maybe beside one a maintainer wrote in another section
        paper = session.get(Paper, candidate.paper_id)  # dated anew when an approval brings it back to the list
        return paper is not None and as_utc(paper.added_at) < start
    by_hand = session.execute(
        select(Paper.id, Paper.added_at, Paper.entries.any()).where(Paper.arxiv_id == candidate.arxiv_id)
    ).all()
    listed = {paper_id: as_utc(added_at) for paper_id, added_at, held in by_hand if held}
    covered.update(listed)  # told once, as this approval
    # The paper by hand whose entry the approval kept, taken out since, did not join the list either: no news.
    return any(added_at < start for added_at in listed.values()) or bool(by_hand and not listed)


def added_by_other_paths(session: Session, start: datetime, end: datetime, covered: set[int]) -> list[AddedPaper]:
    """Papers added by another path than a candidate's approval in [start, end): a maintainer's command, or an edit
    of the Markdown brought in by `digest list import` or publishing (anything after the list's first import); once
    each, and none already in `covered`."""
    added: list[AddedPaper] = []
    entries = (
        select(Entry, Paper)
        .join(Paper, Entry.paper_id == Paper.id)
        # By when the paper joined the list, not when its entry was made: a renamed heading or a moved entry makes
        # new entries for papers that were there already.
        .where(Paper.origin.in_(("review", "import")), Paper.added_at >= start, Paper.added_at < end)
        .order_by(Entry.added_at, Entry.id)  # one import gives its papers one time: the id keeps their order
    )
    for entry, paper in session.execute(entries).tuples():
        if paper.id in covered:
            continue
        covered.add(paper.id)
        section, *also_in = _listed_sections(paper, None)  # the first entry dates it; all its sections name it
        added.append(
            AddedPaper(
                section,
                paper.title,
                list(paper.authors),
                paper.abstract,
                paper.arxiv_id,
                paper.url,
                paper.code_url,
                as_utc(entry.added_at),
                also_in=also_in,
            )
        )
    return added


def week_stats(session: Session, start: datetime, end: datetime, *, added_this_week: int) -> DigestStats:
    """The list's size and the week's review numbers."""

    def count(*conditions: Any) -> int:
        return session.scalar(select(func.count()).select_from(Candidate).where(*conditions)) or 0

    def decided(status: str) -> int:
        return count(Candidate.status == status, Candidate.decided_at >= start, Candidate.decided_at < end)

    seen = and_(Candidate.first_seen_at >= start, Candidate.first_seen_at < end)

    return DigestStats(
        papers_in_list=list_size(session, end),
        entries_in_list=entry_count(session, end),
        added_this_week=added_this_week,
        # Those for review, as "waiting for a maintainer" counts them; the second tier is counted apart
        candidates_seen=count(seen, Candidate.relevant.is_(True)),
        second_tier_seen=count(seen, Candidate.relevant.is_(False), Candidate.below_tiers.is_(False)),
        candidates_approved=decided(APPROVED),
        candidates_rejected=decided(REJECTED),
    )


def _listed_by(end: datetime) -> ColumnElement[bool]:
    """The papers the list held when the week ended, as far as it is known: those it holds now, less those that joined
    it later (the list's first import, "seed", was there all along). A week's digest made again later (an email
    retried, a week the service missed) then says what it said the first time."""
    return or_(Paper.origin == "seed", Paper.added_at < end)


def list_size(session: Session, end: datetime) -> int:
    listed = select(func.count(func.distinct(Entry.paper_id))).join(Paper, Entry.paper_id == Paper.id)
    return session.scalar(listed.where(_listed_by(end))) or 0


def entry_count(session: Session, end: datetime) -> int:
    entries = select(func.count()).select_from(Entry).join(Paper, Entry.paper_id == Paper.id)
    return session.scalar(entries.where(_listed_by(end))) or 0


def kept_markdown(digest: WeeklyDigestData, settings: Settings) -> Path | None:
    """The maintainers' file of a week whose second tier the polls have since forgotten, when one is written: kept as
    it is, since written again it would lose its "Worth a look" and the count of that tier."""
    target = settings.weekly_dir / markdown_name(digest.week, digest.edition)
    return target if digest.second_tier_forgotten and target.exists() else None


def write_markdown(digest: WeeklyDigestData, settings: Settings) -> Path:
    """Writes the edition's file atomically (a reader never sees half a file): <weekly_dir>/YYYY-Www.md for readers,
    YYYY-Www.maintainers.md for maintainers, without the signed approval links (they are sent by email only)."""
    emailed = bool(settings.smtp.host and settings.smtp.recipients_of("maintainers"))
    text = render(digest.without_approval_links(emailed=emailed), settings.templates_dir, "digest.md.j2")
    target = settings.weekly_dir / markdown_name(digest.week, digest.edition)
    write_atomic(target, text)
    return target


def compose_email(
    digest: WeeklyDigestData, settings: Settings, now: datetime, recipients: Sequence[str] | None = None
) -> EmailMessage:
    """The edition's email, to its recipients (or `recipients`: those a retry still owes it). The readers' edition is
    a mailing list's message: a List-Id, and the unsubscribe target in a header and at the end of the text."""
    # The readers' mailing list is one people unsubscribe from; the maintainers' edition is not a list.
    unsubscribe = None if digest.for_maintainers else settings.weekly.list_unsubscribe
    try:  # a template of one's own that fails is the edition's failure, recorded and retried like a send's
        # A big week: its first papers in full and a link to the list for the rest, so Gmail does not clip the end.
        digest = fitted_email(digest, settings.templates_dir, unsubscribe, settings.web.base_url)
        text = render(digest, settings.templates_dir, "email.txt.j2", unsubscribe=unsubscribe)
        html = render(digest, settings.templates_dir, "email.html.j2", unsubscribe=unsubscribe)
    except TemplateError as exc:
        raise mailer.MailError(template_error_line(exc)) from None
    return mailer.build_message(
        subject=subject_line(digest),
        text=text,
        html=html,
        sender=settings.smtp.sender,
        recipients=settings.smtp.recipients_of(digest.edition) if recipients is None else recipients,
        now=now,
        list_unsubscribe=unsubscribe,
        list_title=None if digest.for_maintainers else digest.list_title,
        web_host=urlsplit(settings.web.base_url).hostname,
        message_key=f"{digest.week}.{digest.edition}",
    )
