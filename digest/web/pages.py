"""Public pages: the list as it stands (HTML and Markdown) and the health check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Set
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from aiohttp import web
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from digest import health
from digest.arxiv import poll_runs, poll_sources
from digest.arxiv.additions import parse_arxiv_reference
from digest.arxiv.fetch_types import source_line
from digest.awesome import store as liststore
from digest.storage.failures import failure_line
from digest.storage.models import Entry, Section
from digest.storage.poll_state import PollRun
from digest.storage.room import low_room
from digest.text import authors_line, quoted, readable_title
from digest.web.context import context_of, refuse, render, said_unreachable
from digest.web.feed_coding import coded_page
from digest.web.review_filters import entry_matches
from digest.web.syndication import safe_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EntryView:
    title: str
    short_name: str | None
    url: str | None
    arxiv_id: str | None
    code_url: str | None
    other_urls: list[str]
    date_text: str | None
    authors: str  # the first few and "et al." (text.authors_line)
    paper_id: int
    new: bool


@dataclass(frozen=True)
class SectionView:
    name: str
    slug: str
    level: int
    entries: list[EntryView]


@dataclass(frozen=True)
class ListView:
    """What the list page shows; papers and entries are counted alike everywhere (a paper may sit in two sections)."""

    sections: list[SectionView]
    papers_total: int
    entries_total: int
    search: str

    @property
    def papers_shown(self) -> int:
        return len({entry.paper_id for section in self.sections for entry in section.entries})

    @property
    def entries_shown(self) -> int:
        return sum(len(section.entries) for section in self.sections)

    @property
    def new_papers(self) -> int:
        return len({entry.paper_id for section in self.sections for entry in section.entries if entry.new})


NEW_FOR = timedelta(days=7)
MAX_SEARCH = 200


def load_list(session: Session, now: datetime, search: str = "") -> ListView:
    """The sections that hold entries (those matching `search`, when given), in document order, with both counts.

    An entry is new when its paper joined the list in the last week by an approval, `digest add` or a later import
    (the first import's papers, "seed", came out whenever they did; an entry moved with a renamed heading is no news).
    """
    sections = session.scalars(
        select(Section).order_by(Section.position).options(selectinload(Section.entries).selectinload(Entry.paper))
    ).all()
    # An arXiv reference written as /suggest takes it (arXiv:2506.11976v2, its abs or pdf URL) searches by its ID.
    wanted = (parse_arxiv_reference(search) or search) if search else search
    views: list[SectionView] = []
    for section in sections:
        entries = [
            EntryView(
                title=readable_title(entry.paper.title, entry.paper.arxiv_id),
                short_name=entry.short_name,
                url=safe_url(entry.paper.url),
                arxiv_id=entry.paper.arxiv_id,
                code_url=safe_url(entry.paper.code_url),
                other_urls=[url for url in map(safe_url, entry.paper.other_urls or []) if url],
                date_text=entry.date_text,
                authors=authors_line(entry.paper.authors or []),
                paper_id=entry.paper_id,
                # By when the paper joined the list, as the weekly digest dates it: a renamed heading or a moved
                # entry makes new entries for papers that were there already.
                new=entry.paper.origin != "seed" and now - entry.paper.added_at <= NEW_FOR,
            )
            for entry in section.entries
            if entry_matches(
                wanted,
                readable_title(entry.paper.title, entry.paper.arxiv_id),  # as the page shows it
                entry.short_name,
                entry.paper.arxiv_id,
                " ".join(entry.paper.authors or []),
            )
        ]
        if entries:
            views.append(SectionView(name=section.name, slug=section.slug, level=section.level, entries=entries))
    papers = session.scalar(select(func.count(func.distinct(Entry.paper_id)))) or 0
    entries_total = session.scalar(select(func.count(Entry.id))) or 0
    return ListView(views, int(papers), int(entries_total), search)


async def list_page(request: web.Request) -> web.Response:
    context = context_of(request)
    search = " ".join(request.query.get("q", "").split())
    if len(search) > MAX_SEARCH:
        return refuse(
            request,
            400,
            "Bad request",
            f"?q= is longer than {MAX_SEARCH} characters: {quoted(search)} has {len(search)}.",
        )
    now = context.clock()

    def load() -> ListView:
        with context.database.reading() as session:
            return load_list(session, now, search)

    view = await asyncio.to_thread(load)
    page = render(request, "list.html", view=view, sections=view.sections, paper_count=view.papers_total)
    # Tens of KB: gzipped for a browser that takes it, not sent (304) to one that holds it. No Last-Modified: the page
    # changes with the week too (its "new this week" marks), so its bytes are its validator.
    body = cast(bytes, page.body)  # render's text, held encoded
    asked = request.headers
    status, headers, coded = coded_page(body, asked.get("Accept-Encoding"), asked.getall("If-None-Match", []))
    if status == 304:
        return web.Response(status=304, headers=headers)
    return web.Response(body=coded, headers=headers | {"Content-Type": page.headers["Content-Type"]})


async def list_markdown(request: web.Request) -> web.Response:
    context = context_of(request)

    def load() -> str:
        with context.database.reading() as session:
            return liststore.render_markdown(session, context.settings.templates_dir)

    body = await asyncio.to_thread(load)
    # text/markdown is shown as text by browsers; nosniff (set on every response) keeps it from being run as HTML.
    return web.Response(text=body, content_type="text/markdown", charset="utf-8")


def _utc_text(moment: datetime) -> str:
    """Stored times come back aware (storage.times.UTCDateTime); shown in UTC with the offset, whatever the database."""
    return moment.astimezone(UTC).isoformat()


# A poll visits a handful of sources with bounded retries (minutes); one still "running" after this was left by a
# process that died, or hangs.
STALE_POLL_RUN = timedelta(hours=1)
HEALTHY_POLL_OUTCOMES = ("ok", "partial", "running")


def _first_failure(summary: Any) -> str:
    """The first failing source's line from a stored poll summary (free-form JSON: read with care)."""
    reason = summary.get("reason") if isinstance(summary, dict) else None
    if isinstance(reason, str) and reason:  # the whole pass failed, no source to blame (rules that cannot be used)
        return f": {reason}"
    sources = summary.get("sources") if isinstance(summary, dict) else None
    for source in sources if isinstance(sources, list) else []:
        if isinstance(source, dict) and source.get("outcome") in ("error", "broken"):
            return f": {source_line(str(source.get('source')), str(source.get('message') or source.get('outcome')))}"
    return ""


def poll_run_problem(last: PollRun | None, now: datetime, polling: Set[int] = frozenset()) -> str | None:
    """What is wrong with the latest poll run as the database holds it, in one line; None when nothing is.
    `polling`: the runs this process is polling (see poll_runs.left_running)."""
    if last is None:
        return None
    started = last.started_at.astimezone(UTC)
    if last.outcome == "running" and poll_runs.left_running(last, polling):  # its database went away meanwhile
        return (
            f"poll: the run started at {_utc_text(started)} never finished (its process stopped or lost the database)"
        )
    if last.outcome == "running" and now - started > STALE_POLL_RUN:
        return f"poll: the run started at {_utc_text(started)} is still 'running' (its process died or it hangs)"
    if last.outcome not in HEALTHY_POLL_OUTCOMES:
        return f"poll: the last run (started {_utc_text(started)}) {last.outcome}{_first_failure(last.summary)}"
    return None


def component_views(parts: list[health.Component]) -> list[dict[str, Any]]:
    return [
        {"name": part.name, "ok": part.ok, "message": part.message, "since": _utc_text(part.since)} for part in parts
    ]


def _no_polls() -> Set[int]:
    return frozenset()


def health_report(
    session: Session,
    now: datetime,
    sources: Collection[str] = (),
    polling: Callable[[], Set[int]] = _no_polls,
    room: Collection[str] = (),
) -> dict[str, Any]:
    """The database, the latest poll run of `sources` (the configured ones: a `digest poll --source` of a saved file
    that failed says nothing of them), the disks short of `room` and what the service's parts reported; "degraded"
    names what failed.
    `polling`: the runs this process is polling now (poll_runs.polls_in_progress), asked before and after the latest
    run is read: a poll starting meanwhile is counted before its row can be read, one ending is let go of only after
    its end is written, so either answer names a run the read found "running" while it polled."""
    session.execute(text("SELECT 1"))
    polling_before = polling()
    last = poll_runs.latest_run(session, sources)
    in_progress = polling_before | polling()
    poll: dict[str, Any] | None = None
    if last is not None:
        poll = {
            "started_at": _utc_text(last.started_at),
            "finished_at": _utc_text(last.finished_at) if last.finished_at else None,
            "outcome": last.outcome,
        }
    parts = health.components()
    problems = [*room, *(f"{part.name}: {part.message}" for part in parts if not part.ok)]
    run_problem = poll_run_problem(last, now, in_progress)
    if run_problem is not None:
        problems.insert(0, run_problem)
    return {
        "status": "degraded" if problems else "ok",
        "database": "reachable",
        "last_poll": poll,
        "problems": [" ".join(problem.split())[:300] for problem in problems],
        "components": component_views(parts),
    }


async def healthz(request: web.Request) -> web.Response:
    """200 when all is well; 503 when the database is unreachable ("failing") or a part failed ("degraded")."""
    context = context_of(request)
    now = context.clock()

    def check() -> dict[str, Any]:
        sources = poll_sources.sources_spoken_for(context.settings)
        with context.database.reading() as session:  # the poll lock is not looked at: a poll starting then would refuse
            return health_report(session, now, sources, lambda: poll_runs.polls_in_progress(context.database), room)

    room = await asyncio.to_thread(low_room, context.settings)  # a full disk fails writes, not this read
    try:
        report = await asyncio.to_thread(check)
    except SQLAlchemyError as exc:
        said_unreachable(request, failure_line(exc, context.settings.database_url))
        parts = health.components()
        report = {
            "status": "failing",
            "database": "unreachable",
            "last_poll": None,
            "problems": [
                "database: unreachable",
                *room,
                *(f"{part.name}: {part.message}" for part in parts if not part.ok),
            ],
            "components": component_views(parts),
        }
        return web.json_response(report, status=503, headers={"Cache-Control": "no-store"})
    status = 200 if report["status"] == "ok" else 503
    return web.json_response(report, status=status, headers={"Cache-Control": "no-store"})
