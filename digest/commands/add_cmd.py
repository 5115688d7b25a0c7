"""`digest add ARXIV_ID_OR_URL [--section NAME]`: a paper a maintainer heard of, fetched from the arXiv API, scored
like a polled paper and approved into the list through the one decision path (channel "cli").
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING, Any

from digest.commands import CommandError, Context

if TYPE_CHECKING:  # the database, the model and the fetcher are imported when a paper is added, not by `--help`
    from sqlalchemy.orm import Session

    from digest.arxiv import ArxivPaper

_NEW_STYLE_ID = re.compile(r"(?P<id>\d{4}\.\d{4,5})(?:v[1-9]\d*)?")
_ARXIV_PAGE = re.compile(r"https?://(?:www\.|export\.)?arxiv\.org/(?P<kind>abs|pdf)/(?P<rest>[^?#\s]+?)/?", re.I)
_EXAMPLE = "give one like 2501.01234, arXiv:2501.01234 or https://arxiv.org/abs/2501.01234"


def register(subparsers: Any) -> None:
    add = subparsers.add_parser(
        "add",
        help="add a paper to the list by its arXiv ID or URL (fetched from the arXiv API and scored)",
        description="Fetches the paper from the arXiv API, scores it with the current model and approves it into "
        "--section or the suggested section, as `digest approve` would. A pending candidate for the same paper is "
        "approved instead; a paper already in the list is refused (exit 1).",
    )
    add.add_argument("paper", metavar="ARXIV_ID_OR_URL", help="2501.01234, 2501.01234v2, arXiv:2501.01234 or its URL")
    add.add_argument("--section", metavar="NAME", help="the section to add it to (default: the suggested one)")
    add.set_defaults(handler=handle_add)


def parse_arxiv_reference(text: str) -> str | None:
    """The versionless arXiv ID in '2501.01234', '2501.01234v2', 'arXiv:2501.01234' or an arxiv.org abs/pdf URL;
    None for anything else."""
    text = text.strip()
    page = _ARXIV_PAGE.fullmatch(text)
    if page is not None:
        text = page["rest"]
        if page["kind"].lower() == "pdf":
            text = text.removesuffix(".pdf")
    elif text[:6].casefold() == "arxiv:":
        text = text[6:]
    match = _NEW_STYLE_ID.fullmatch(text)
    return match["id"] if match else None


def listed_sections(session: Session, arxiv_id: str) -> list[str] | None:
    """The sections holding the paper with this arXiv ID (title link, badge or other link), or None when the list
    does not hold it."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from digest import liststore
    from digest.models import Entry, Paper

    if arxiv_id not in liststore.known_keys(session).arxiv_ids:
        return None
    papers = session.scalars(
        select(Paper).where(Paper.arxiv_id == arxiv_id).options(selectinload(Paper.entries).selectinload(Entry.section))
    )
    return sorted({entry.section.name for paper in papers for entry in paper.entries})


def already_listed(arxiv_id: str, sections: list[str]) -> CommandError:
    where = f" ({', '.join(sections)})" if sections else ""
    return CommandError(f"{arxiv_id} is already in the list{where}; nothing was added")


def fetch(context: Context, arxiv_id: str) -> ArxivPaper:
    """The paper from the arXiv API; CommandError (one line) when arXiv cannot be reached or has no such paper."""
    import asyncio

    from digest.arxiv_api import fetch_paper
    from digest.fetcher import FetchError

    try:
        paper = asyncio.run(fetch_paper(context.settings, arxiv_id))
    except FetchError as exc:
        raise CommandError(f"could not fetch {arxiv_id} from arXiv: {exc} (nothing was added)") from None
    if paper is None:
        raise CommandError(f"arXiv has no paper {arxiv_id} (nothing was added)")
    return paper


def store_candidate(context: Context, paper: ArxivPaper, section: str | None) -> int:
    """Scores the paper and keeps it as a pending candidate (the poller's row, source "digest add"); its id."""
    from datetime import UTC, datetime

    from digest.candidates import known_candidates, list_keys, new_candidate, paper_text
    from digest.relevance import RulesError
    from digest.relevance_stream import ensure_thresholds
    from digest.titles import title_key

    try:
        judgement = ensure_thresholds(context.database, context.settings).judge_many([paper_text(paper)])[0]
    except RulesError as exc:
        raise CommandError(str(exc)) from exc
    if not (section or judgement.section):
        raise CommandError(f"no section suggested for {paper.arxiv_id}: name one with --section (nothing was added)")
    with context.database.transaction() as session:
        if title_key(paper.title) in list_keys(session).title_keys:
            raise CommandError(
                f"{paper.arxiv_id} ({paper.title}) is already in the list by its title; nothing was added"
            )
        known = known_candidates(session, [paper.arxiv_id]).get(paper.arxiv_id)
        if known is not None:  # another process found it meanwhile
            return known.id
        candidate = new_candidate(paper, judgement, "digest add", datetime.now(UTC))
        session.add(candidate)
        session.flush()
        return candidate.id


def forget_candidate(context: Context, candidate_id: int) -> None:
    """Removes a candidate this command created when its approval failed, so a refusal leaves nothing behind."""
    from digest.models import Candidate

    with context.database.transaction() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is not None:
            session.delete(candidate)


def handle_add(args: argparse.Namespace, context: Context) -> int:
    arxiv_id = parse_arxiv_reference(args.paper)
    if arxiv_id is None:
        print(f"digest add: {args.paper[:80]!a} is not an arXiv ID or URL: {_EXAMPLE}", file=sys.stderr)
        return 2
    from digest import liststore
    from digest.candidates import known_candidates
    from digest.commands.review_cmd import actor_name
    from digest.review import Actor, Reviewer, ReviewError

    with context.database.reading() as session:
        sections = listed_sections(session, arxiv_id)
        if args.section is not None and liststore.resolve_section(session, args.section) is None:
            known = ", ".join(liststore.section_names(session))
            raise CommandError(f"no section named {args.section!r} in the list (sections: {known})")
        existing = known_candidates(session, [arxiv_id]).get(arxiv_id)
        candidate_id = existing.id if existing is not None else None
        was = existing.status if existing is not None else None
    if sections is not None:
        raise already_listed(arxiv_id, sections)
    created = candidate_id is None
    if candidate_id is None:
        candidate_id = store_candidate(context, fetch(context, arxiv_id), args.section)
    reviewer = Reviewer(context.database, context.settings)
    try:
        outcome = reviewer.decide(
            candidate_id, "approve", Actor(name=actor_name(), id=None, channel="cli"), args.section
        )
    except ReviewError as exc:
        if created:
            forget_candidate(context, candidate_id)
        raise CommandError(f"{exc} (nothing was added)") from exc
    if not outcome.changed:
        raise CommandError(f"candidate {outcome.candidate_id} ({arxiv_id}): {outcome.message}")
    how = "new candidate" if created else f"candidate, {was} until now"
    print(f"{arxiv_id}: approved into {outcome.section} (candidate {outcome.candidate_id}, {how})")
    return 0
