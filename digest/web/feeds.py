"""The public list feed (RSS and Atom, cached and conditional); the private candidates feed is in private_feed.

A rendered list feed is kept until the list changes; the check is one indexed query (newest add + counts),
so a warm request costs no rendering and a reader that already has it gets 304.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from digest.awesome.importer import list_meta
from digest.clock import as_utc
from digest.relevance.gathering import bundled_abstracts
from digest.storage.db import Database
from digest.storage.models import Entry, ListMeta, Paper
from digest.text import readable_title
from digest.titles import arxiv_abs_url, distinct_feed_keys, feed_key, same_title, title_key
from digest.web.context import WebContext, context_of
from digest.web.feed_coding import accepts_gzip, body_etag, etag_held, gzip_etag, gzipped
from digest.web.syndication import (
    ATOM_CONTENT_TYPE,
    RSS_CONTENT_TYPE,
    Feed,
    FeedItem,
    FeedLink,
    build_atom,
    build_rss,
    paper_date,
    safe_url,
)

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
GUID_PREFIX = "tag:awesome-digest,2025:"


@dataclass(frozen=True)
class RenderedFeed:
    version: tuple[Any, ...]
    body: bytes
    etag: str
    last_modified: datetime
    compressed: bytes = b""  # the body gzipped (web.feed_coding)

    def validators(self, now: datetime, gzip: bool = False) -> dict[str, str]:
        """ETag always (the gzipped bytes' own with `gzip`); Last-Modified once the service's time has reached it
        (`after` may have put it a second ahead, and a date to come is one HTTP forbids sending)."""
        etag = gzip_etag(self.etag) if gzip else self.etag
        headers = {"ETag": etag, "Cache-Control": "public, max-age=300"}
        if self.last_modified <= now:
            headers["Last-Modified"] = self.last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT")
        return headers

    def after(self, previous: RenderedFeed | None) -> RenderedFeed:
        """This rendering with a Last-Modified never earlier than the one served before it, and later when the bytes
        differ. Dated by the list's changes alone, two changes within one second, or one made after the clock was set
        back, left Last-Modified where it was, and a reader asking with If-Modified-Since alone got 304 and never saw
        the second."""
        if previous is None:
            return self
        floor = previous.last_modified + (timedelta(0) if previous.etag == self.etag else timedelta(seconds=1))
        return self if self.last_modified >= floor else replace(self, last_modified=floor)


def utc_or_epoch(moment: datetime | None) -> datetime:
    # Stored times come back aware (storage.times.UTCDateTime); a missing one sorts first.
    return EPOCH if moment is None else as_utc(moment)


_VERSION_QUERY = select(
    select(func.max(Paper.added_at)).scalar_subquery(),
    select(func.count(Paper.id)).scalar_subquery(),
    select(func.max(Entry.added_at)).scalar_subquery(),
    select(func.count(Entry.id)).scalar_subquery(),
    select(func.max(Entry.id)).scalar_subquery(),
    # A re-import that only edits titles or abstracts changes none of the above, but changes the file's hash.
    select(ListMeta.value).where(ListMeta.key == "sha256").scalar_subquery(),
)


def list_version(database: Database) -> tuple[Any, ...]:
    """Changes whenever a paper or entry is added, moved or removed; cheap (indexed max, small counts).

    A Core connection, not an ORM session: this runs on every feed request and the session costs ~7x the query.
    """
    with database.engine.connect() as connection:
        return tuple(connection.execute(_VERSION_QUERY).one())


def paper_guid(paper: Paper) -> str:
    """The paper's id in the feeds: the key it was given when it joined the list (a title or link edited since does
    not make it another item)."""
    return GUID_PREFIX + (paper.feed_key or feed_key(paper.arxiv_id, paper.title_key))


def list_guids(papers: Sequence[Paper]) -> dict[int, str]:
    """Each listed paper's id in the feeds, by its row: `paper_guid`, one for each paper even where a database keyed
    before ids were made distinct holds one for two (the later paper then has what the next import stores for it)."""
    joined = sorted(papers, key=lambda paper: paper.id)
    keys = distinct_feed_keys((paper.feed_key, paper.arxiv_id, paper.title_key) for paper in joined)
    return {paper.id: GUID_PREFIX + key for paper, key in zip(joined, keys, strict=True)}


def paper_links(arxiv_id: str | None, url: str | None, code_url: str | None, others: list[str]) -> list[FeedLink]:
    links: list[FeedLink] = []
    if arxiv_id:
        links.append(FeedLink("arXiv", arxiv_abs_url(arxiv_id)))
        links.append(FeedLink("PDF", f"https://arxiv.org/pdf/{arxiv_id}"))
    elif safe_url(url):
        links.append(FeedLink("Paper", str(safe_url(url))))
    if safe_url(code_url):
        links.append(FeedLink("Code", str(safe_url(code_url))))
    links.extend(FeedLink("Link", str(safe_url(other))) for other in others if safe_url(other))
    return links


def feed_date(paper: Paper) -> datetime:
    """A paper imported with the list is dated by when it appeared, not by the import; an approved one by its
    approval, and one a later import added (a maintainer's edit of the Markdown, brought in by hand or by publishing)
    by that import, since the feed tells readers what was added. Never later than the paper joined the list."""
    added = utc_or_epoch(paper.added_at)
    if paper.origin == "seed":
        texts = [entry.date_text for entry in paper.entries if entry.date_text]
        found = paper_date(paper.published, texts, paper.arxiv_id)
        if found is not None:
            # A date written ahead (a venue's year, a typo) would lead the feed and be its Last-Modified, in the future:
            # If-Modified-Since would then hide every paper added until that day.
            return min(found, added)
    return added


def feed_updated(paper: Paper, published: datetime) -> datetime:
    """When the paper's item last changed: the latest of its entries put in after it joined the list (moved to another
    section, or given a second one; an import that recreates an entry dates it) and of an import that changed its
    title or links (`changed_at`), else `published`. An item dated by `published` alone never showed a reader that the
    paper had moved, nor its corrected title. A section heading renamed is no such change: its papers keep their
    entries' dates (the importer's renamed sections), their categories alone read the new name."""
    joined = utc_or_epoch(paper.added_at)
    later = [utc_or_epoch(entry.added_at) for entry in paper.entries if utc_or_epoch(entry.added_at) > joined]
    changed = [utc_or_epoch(paper.changed_at)] if paper.changed_at is not None else []
    return max([published, *later, *changed])


def feed_abstract(paper: Paper) -> str:
    """The stored abstract, else the bundled one of this paper (the seed list's papers ship with theirs): not one of
    the paper its arXiv ID names when its title is another's (a hand-kept list linking the wrong ID)."""
    if paper.abstract:
        return paper.abstract
    bundled = bundled_abstracts()
    found = [bundled.get(paper.title_key), bundled.get(paper.arxiv_id or "")]
    return next((row[1] for row in found if row and same_title(title_key(row[0]), paper.title_key)), "")


# A reader who polls weekly, or comes back after a month away, finds every paper added meanwhile: the feed holds at
# least those of the last 30 days (in a 60-paper week some 260), however few `feed_items` asks for; of them, at most 500
# (some 1.8 KB an item: 0.9 MB rendered, held for RSS and Atom, plain and gzipped, and rendered again on each change).
RECENT = timedelta(days=30)
RECENT_AT_MOST = 500


def feed_length(dates: Sequence[datetime], now: datetime, feed_items: int) -> int:
    """How many papers, by their `feed_date`s, the feed holds: `feed_items`, or those of the last RECENT when more (up
    to RECENT_AT_MOST)."""
    recent = sum(1 for date in dates if date > now - RECENT)
    return max(feed_items, min(recent, RECENT_AT_MOST))


def list_feed(session: Session, context: WebContext, self_path: str) -> Feed:
    """Papers of the list, newest first by `feed_date`, each with the sections that hold it: `feed_length` of them."""
    papers = session.scalars(
        select(Paper).where(Paper.entries.any()).options(selectinload(Paper.entries).selectinload(Entry.section))
    ).all()
    guids = list_guids(papers)
    dated = sorted(((feed_date(paper), paper.id, paper) for paper in papers), key=lambda row: row[:2], reverse=True)
    held = feed_length([row[0] for row in dated], as_utc(context.clock()), context.settings.web.feed_items)
    items = [
        FeedItem(
            guid=guids[paper.id],
            title=readable_title(paper.title, paper.arxiv_id),
            link=safe_url(paper.url) or (arxiv_abs_url(paper.arxiv_id) if paper.arxiv_id else context.url("/")),
            published=published,
            updated=feed_updated(paper, published),
            abstract=feed_abstract(paper),
            authors=list(paper.authors or []),
            categories=sorted({entry.section.name for entry in paper.entries}),
            links=paper_links(paper.arxiv_id, paper.url, paper.code_url, list(paper.other_urls or [])),
        )
        for published, _, paper in dated[:held]
    ]
    return Feed(
        title=context.settings.list_title,
        home_url=context.url("/"),
        self_url=context.url(self_path),
        description=f"Papers as they are added to {context.settings.list_title}",
        feed_id=f"{GUID_PREFIX}list",
        # When the list last changed, so that If-Modified-Since sees a paper imported with an old date, and a
        # paper taken out (by a decision, or by an import of an edited file) as much as one put in. Never after now:
        # a change stamped while the clock ran ahead (then set right) held Last-Modified on a day to come, and every
        # reader asking with If-Modified-Since got 304 for the papers approved until then.
        updated=min(
            max(
                [item.published for item in items]
                + [utc_or_epoch(paper.added_at) for paper in papers]
                + [utc_or_epoch(entry.added_at) for paper in papers for entry in paper.entries]
                + _list_changes(session),
                default=EPOCH,
            ),
            as_utc(context.clock()),
        ),
        items=items,
    )


def _list_changes(session: Session) -> list[datetime]:
    """When an entry last left the list by a decision, and when an import last changed it."""
    found = []
    meta = list_meta(session)
    for key in ("entries_removed_at", "imported_at"):
        with contextlib.suppress(KeyError, ValueError):
            found.append(utc_or_epoch(datetime.fromisoformat(meta[key])))
    return found


def _render(context: WebContext, kind: str, path: str, version: tuple[Any, ...]) -> RenderedFeed:
    with context.database.reading() as session:
        feed = list_feed(session, context, path)
    body = build_rss(feed) if kind == "rss" else build_atom(feed)
    last_modified = feed.updated.replace(microsecond=0)
    return RenderedFeed(version, body, body_etag(body), last_modified, compressed=gzipped(body))


def not_modified(request: web.Request, feed: RenderedFeed, now: datetime) -> bool:
    matched = etag_held(request.headers.getall("If-None-Match", []), feed.etag)
    if matched is not None:
        return matched
    since = request.if_modified_since
    # A date later than the service's time is not a valid one (RFC 9110, 13.1.3): one sent before the clock was set
    # back says nothing about what the reader holds.
    return since is not None and since <= now and feed.last_modified <= since


async def _serve_list_feed(request: web.Request, kind: str, content_type: str) -> web.Response:
    context = context_of(request)
    path = request.path
    # The version query is a few index lookups, yet asked in a worker thread: on the loop, a database that does not
    # answer (PostgreSQL behind a host that takes the connection and says nothing) froze every page and the bot.
    version = await asyncio.to_thread(list_version, context.database)
    cached: RenderedFeed | None = context.feed_cache.get(kind) if context.cache_feeds else None
    if cached is None or cached.version != version:
        served: RenderedFeed | None = context.feed_served.get(kind)
        cached = (await asyncio.to_thread(_render, context, kind, path, version)).after(served)
        context.feed_served[kind] = cached
        if context.cache_feeds:
            context.feed_cache[kind] = cached
    now = as_utc(context.clock())
    # Feed readers ask for gzip: a list's feed is some 90 KB, a quarter of that gzipped, fetched on every change.
    compress = accepts_gzip(request.headers.get("Accept-Encoding"))
    headers = cached.validators(now, compress) | {"Vary": "Accept-Encoding"}
    if not_modified(request, cached, now):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = content_type
    if compress:
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=cached.compressed if compress else cached.body, headers=headers)


async def list_rss(request: web.Request) -> web.Response:
    return await _serve_list_feed(request, "rss", RSS_CONTENT_TYPE)


async def list_atom(request: web.Request) -> web.Response:
    return await _serve_list_feed(request, "atom", ATOM_CONTENT_TYPE)
