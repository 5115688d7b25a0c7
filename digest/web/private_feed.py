"""The private candidates feed: pending candidates, best score first, each with its signed approval links; opened only
with the feed token, and answered 304 to a reader that has it already.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.clock import as_utc
from digest.review.queries import pending_candidates, pending_count, pending_query
from digest.review.rules import SuggestedSection, approval_menu
from digest.review.signing import approval_signer, token_matches
from digest.review.suggestions import suggestions_now
from digest.sizes import counted
from digest.storage.models import Candidate
from digest.text import readable_title
from digest.titles import arxiv_abs_url
from digest.vocab import Action
from digest.web.context import WebContext, context_of
from digest.web.feed_coding import body_etag
from digest.web.feeds import GUID_PREFIX, RenderedFeed, not_modified, utc_or_epoch
from digest.web.syndication import RSS_CONTENT_TYPE, Feed, FeedItem, FeedLink, build_rss, safe_url

REFUSED_ADDRESS = (
    "403: that is not this feed's token (it changes when DIGEST_FEED_TOKEN does); subscribe again with the address "
    "on the review page, /review"
)


LAST_DECISION = select(func.max(Candidate.decided_at))


def subscribe_url(context: WebContext) -> str:
    """The feed's address with its token: what the review page gives to subscribe, and what the feed names as its own
    (a reader that follows a feed's self link must not be led to the address without the token, which answers 403)."""
    return context.url("/feeds/candidates.xml?token=" + quote(context.secrets.feed_token.get_secret_value(), safe=""))


def candidate_links(
    candidate: Candidate,
    sections: list[str],
    sign: Callable[[str, str | None], str],
    suggestion: SuggestedSection | None,
    held: Sequence[str] = (),
) -> list[FeedLink]:
    """Approve (into the section the suggestion means now; into each, when sections share its name), Approve into each
    other section, Reject — each a signed link naming the section by the list's label, as an approval resolves it.
    A paper put in the list by hand since it was found (`held`: the sections holding it) is offered only those, as
    the review page offers them: an approval into any other is refused (a link makes no second copy)."""
    links = [FeedLink("arXiv", arxiv_abs_url(candidate.arxiv_id))]
    if safe_url(candidate.code_url):
        links.append(FeedLink("Code", str(safe_url(candidate.code_url))))
    suggested = suggestion.offered() if suggestion is not None and not held else ()
    menu = approval_menu(suggested, sections) if not held else approval_menu((), held)
    for action, section in menu:
        if action == Action.REJECT:
            label = "Reject"
        elif section in suggested:
            label = f"Approve ({section})"
        else:
            label = f"Approve into {section}"
        links.append(FeedLink(label, sign(action, section)))
    return links


def item_note(
    candidate: Candidate, suggestion: SuggestedSection | None, expires: datetime, held: Sequence[str] = ()
) -> str:
    """The line above the abstract: where the list holds the paper when it was put there by hand since it was found,
    else a suggestion that means no one section now (taken out, or a name sections share; the Section line names one
    it means), the score, what matched, when the links expire."""
    suggested = f"Suggested for {suggestion.shown()}; " if suggestion is not None and suggestion.label is None else ""
    if held:
        where = "one of those" if len(held) > 1 else "that section"
        suggested = (
            f"{candidate.arxiv_id} is already in the list ({', '.join(held)}), put there since it was found: approve "
            f"it into {where} to record the decision, or reject the candidate; "
        )
    return (
        f"{suggested}Score {candidate.score:.2f}; matched: {', '.join(candidate.matched or []) or 'nothing'}; "
        f"links expire {expires.strftime('%Y-%m-%d %H:%M')} UTC; a newer entry of it renews them"
    )


def links_expiry(now: datetime, days: int) -> datetime:
    """When the approval links made at `now` expire: at a midnight (UTC) at least `days` ahead, on a grid of every
    half of `days`, so that an item's links (and its id, which holds their expiry) are renewed every half-period: made
    to the second, they changed every item at every poll; renewed each day, every pending candidate came back as a
    new entry daily. The copy a reader holds is renewed while at least half its links' time is left."""
    step = max(1, days // 2)
    first = (now + timedelta(days=days)).date().toordinal() + 1
    return datetime.combine(date.fromordinal(-(-first // step) * step), datetime.min.time(), UTC)


def item_guid(candidate: Candidate, expires: datetime) -> str:
    """The links' expiry is in the id: under one fixed id a reader kept the first copy it saw, and a candidate waiting
    longer than web.approval_link_days was left with links that no longer worked. So is a new version (v2 on): a
    reader knows an item by its id, and kept showing the first version's title after arXiv announced a new one."""
    version = f"v{candidate.version}:" if candidate.version > 1 else ""  # v1 keeps the ids readers hold already
    return f"{GUID_PREFIX}candidate:{candidate.arxiv_id}:{version}{expires.strftime('%Y%m%d')}"


def item_date(candidate: Candidate) -> datetime:
    """When it was found; for a new version, when its text was taken, so a reader files the new entry as new."""
    if candidate.version > 1:
        return utc_or_epoch(max(as_utc(candidate.first_seen_at), as_utc(candidate.updated_at)))
    return utc_or_epoch(candidate.first_seen_at)


def candidate_item(
    context: WebContext,
    candidate: Candidate,
    sections: list[str],
    suggestion: SuggestedSection | None,
    held: list[str],
    expires: datetime,
) -> FeedItem:
    """A pending candidate's entry with its signed links; its Section line names where the list holds it, if it does."""
    sign = approval_signer(context.settings.web.base_url, context.secret_key, candidate.id, candidate.arxiv_id, expires)
    return FeedItem(
        guid=item_guid(candidate, expires),
        title=readable_title(candidate.title, candidate.arxiv_id),
        link=arxiv_abs_url(candidate.arxiv_id),
        published=item_date(candidate),
        abstract=candidate.abstract,
        authors=list(candidate.authors or []),
        categories=held or (list(suggestion.offered()) if suggestion is not None else []),
        links=candidate_links(candidate, sections, sign, suggestion, held),
        note=item_note(candidate, suggestion, expires, held),
    )


def candidates_feed(session: Session, context: WebContext) -> Feed:
    expires = links_expiry(as_utc(context.clock()), context.settings.web.approval_link_days)
    sections = liststore.section_names(session)
    items: list[FeedItem] = []
    pending = pending_candidates(session, limit=context.settings.web.feed_items)
    # The model named its suggestion when it judged the paper: resolved as the list has it now, as Discord does.
    now = suggestions_now(session, [candidate.suggested_section for candidate in pending])
    # Papers a maintainer put in the list by hand since they were found, as the review page and the email say them.
    listed = liststore.sections_holding_each(session, [(c.arxiv_id, c.title_key) for c in pending]) if pending else {}
    for candidate in pending:
        suggestion = now.get(candidate.suggested_section or "")
        items.append(
            candidate_item(context, candidate, sections, suggestion, listed.get(candidate.arxiv_id, []), expires)
        )
    description = "Pending candidates, best score first. Approval links open a confirmation page."
    waiting = pending_count(session)
    if waiting > len(items):
        # A backlog longer than the feed: the papers found since with lower scores never made it in, and nothing
        # said so. One entry says how many wait on the review page, dated by the newest of them, so a reader shows
        # it again when another is found. Its id holds the count and that date: under one fixed id a reader kept the
        # first such entry it saw and never showed it again, so the count it showed went stale and new papers unsaid.
        hidden = pending_query().offset(len(items)).subquery()
        newest = utc_or_epoch(session.scalar(select(func.max(hidden.c.first_seen_at))))
        more = waiting - len(items)
        waits = f"{counted(more, 'more pending candidate')}, lower scored, {'is' if more == 1 else 'are'}"
        items.append(
            FeedItem(
                guid=f"{GUID_PREFIX}candidates:more:{more}:{newest.strftime('%Y%m%dT%H%M%S.%fZ')}",
                title=f"{waits} on the review page",
                link=context.url("/review"),
                published=newest,
                note=f"The feed shows the best {len(items)} of the {waiting} pending (web.feed_items).",
            )
        )
        description += f" The best {len(items) - 1} of {waiting} pending; the rest are on the review page."
    return Feed(
        title=f"{context.settings.list_title}: candidates to review",
        home_url=context.url("/review"),
        self_url=subscribe_url(context),
        description=description,
        feed_id=f"{GUID_PREFIX}candidates",
        # When the queue last changed: a candidate found, or one decided (which takes it out; with none left, the
        # feed said it was last built in 2000).
        updated=max([item.published for item in items] + [utc_or_epoch(session.scalar(LAST_DECISION))]),
        items=items,
    )


async def candidates_rss(request: web.Request) -> web.Response:
    context = context_of(request)
    presented = request.query.get("token", "")
    if not token_matches(context.secrets.feed_token.get_secret_value(), presented):
        # Nothing about the candidates, not even whether there are any. A reader still at the address from before the
        # token was changed is told so: its address holds a token, and "needs its token" left the maintainer guessing.
        text = "403: this feed needs its token (?token=…)" if not presented else REFUSED_ADDRESS
        return web.Response(status=403, text=text + "\n", headers={"Cache-Control": "no-store"})

    def load() -> bytes:
        with context.database.reading() as session:
            return build_rss(candidates_feed(session, context))

    body = await asyncio.to_thread(load)
    now = as_utc(context.clock())
    served = dated_body(context, body, now)
    # no-store keeps the approval links out of browsers' and proxies' caches; a feed reader keeps the ETag or the
    # Last-Modified itself, and the feed is the same from poll to poll until a day turns or the queue changes.
    headers = served.validators(now) | {"Cache-Control": "private, no-store"}
    if not_modified(request, served, now):
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = RSS_CONTENT_TYPE
    return web.Response(body=body, headers=headers)


def dated_body(context: WebContext, body: bytes, now: datetime) -> RenderedFeed:
    """The feed with the Last-Modified of when these bytes were first served, later than any other served before. Not
    dated by the queue: the links' expiry (in the ids) and the list's sections change the feed without it, and a reader
    asking with If-Modified-Since would have been told 304 and kept links that no longer work. After a restart the feed
    is dated anew: a reader then takes it once more, never misses a change."""
    previous: RenderedFeed | None = context.feed_served.get(CANDIDATES)
    if previous is not None and previous.etag == body_etag(body):
        return previous
    served = RenderedFeed((), body, body_etag(body), now.replace(microsecond=0)).after(previous)
    context.feed_served[CANDIDATES] = served
    return served


CANDIDATES = "candidates"
