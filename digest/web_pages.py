"""Public pages: the list as it stands (HTML and Markdown) and the health check."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from digest.models import Entry, PollRun, Section
from digest.syndication import safe_url
from digest.web import context_of, render

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
    authors: list[str]


@dataclass(frozen=True)
class SectionView:
    name: str
    slug: str
    level: int
    entries: list[EntryView]


def load_list(session: Session) -> tuple[list[SectionView], int]:
    """The sections that hold entries, in document order, and the number of distinct papers in the list."""
    sections = session.scalars(
        select(Section).order_by(Section.position).options(selectinload(Section.entries).selectinload(Entry.paper))
    ).all()
    views: list[SectionView] = []
    for section in sections:
        entries = [
            EntryView(
                title=entry.paper.title,
                short_name=entry.short_name,
                url=safe_url(entry.paper.url),
                arxiv_id=entry.paper.arxiv_id,
                code_url=safe_url(entry.paper.code_url),
                other_urls=[url for url in map(safe_url, entry.paper.other_urls or []) if url],
                date_text=entry.date_text,
                authors=list(entry.paper.authors or []),
            )
            for entry in section.entries
        ]
        if entries:
            views.append(SectionView(name=section.name, slug=section.slug, level=section.level, entries=entries))
    papers = session.scalar(select(func.count(func.distinct(Entry.paper_id)))) or 0
    return views, int(papers)


async def list_page(request: web.Request) -> web.Response:
    context = context_of(request)

    def load() -> tuple[list[SectionView], int]:
        with context.database.reading() as session:
            return load_list(session)

    sections, papers = await asyncio.to_thread(load)
    return render(request, "list.html", sections=sections, paper_count=papers)


async def list_markdown(request: web.Request) -> web.Response:
    context = context_of(request)
    from digest import liststore

    def load() -> str:
        with context.database.reading() as session:
            return liststore.render_markdown(session, context.settings.templates_dir)

    body = await asyncio.to_thread(load)
    # text/markdown is shown as text by browsers; nosniff (set on every response) keeps it from being run as HTML.
    return web.Response(text=body, content_type="text/markdown", charset="utf-8")


def _utc_text(moment: datetime) -> str:
    """Stored times come back aware (models.UTCDateTime); shown in UTC with the offset, whatever the database."""
    return moment.astimezone(UTC).isoformat()


def health_report(session: Session) -> dict[str, Any]:
    session.execute(text("SELECT 1"))
    last = session.scalars(select(PollRun).order_by(PollRun.started_at.desc(), PollRun.id.desc()).limit(1)).first()
    poll: dict[str, Any] | None = None
    if last is not None:
        poll = {
            "started_at": _utc_text(last.started_at),
            "finished_at": _utc_text(last.finished_at) if last.finished_at else None,
            "outcome": last.outcome,
        }
    return {"status": "ok", "database": "reachable", "last_poll": poll}


async def healthz(request: web.Request) -> web.Response:
    context = context_of(request)

    def check() -> dict[str, Any]:
        with context.database.reading() as session:
            return health_report(session)

    try:
        report = await asyncio.to_thread(check)
    except SQLAlchemyError as exc:
        log.warning("healthz: the database is unreachable: %s", exc.__class__.__name__)
        report = {"status": "failing", "database": "unreachable", "last_poll": None}
        return web.json_response(report, status=503, headers={"Cache-Control": "no-store"})
    return web.json_response(report, headers={"Cache-Control": "no-store"})
