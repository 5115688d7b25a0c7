"""The readers' /suggest form: an arXiv ID or URL and an optional note, fetched, scored and queued as a pending
candidate marked "suggested by a reader" (never approved by itself: a maintainer decides, as for any candidate).

Rate-limited per client address with the sign-in throttle's rule shape (the proxy rule is sign-in's:
`web.trusted_proxies`), and in total (`web.suggestions_per_hour`); a filled honeypot field is answered as a success and
stores nothing.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import timedelta

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from digest.arxiv import additions as paper_add
from digest.sizes import counted
from digest.storage.failures import failure_line
from digest.storage.models import APPROVED, PENDING
from digest.vocab import READER_SOURCE
from digest.web.context import (
    EVERYONE,
    SUGGEST_RULE,
    WebContext,
    client_of,
    context_of,
    form_of,
    from_another_site,
    render,
)

log = logging.getLogger(__name__)

HONEYPOT = "website"  # hidden from people by the page's style; bots fill every field


async def suggest_page(request: web.Request) -> web.Response:
    return render(request, "suggest.html", error=None, paper="", note="", honeypot=HONEYPOT)


UNREACHABLE = 502  # AddError's status when arXiv could not be asked
ARXIV_DOWN = "arXiv could not be reached just now, so nothing was queued; please try again in a few minutes."
DATABASE_BUSY = "The list's database is busy just now, so nothing was queued; please try again in a minute."
FROM_ELSEWHERE = (
    "Nothing was suggested: that suggestion did not come from this site's form but from a page on another site. "
    "To suggest a paper yourself, use the form here."
)


def _form_error(request: web.Request, status: int, error: str, form: dict[str, str]) -> web.Response:
    return render(
        request,
        "suggest.html",
        status=status,
        error=error,
        paper=form.get("paper", "")[:300],
        note=form.get("note", "")[: paper_add.MAX_NOTE],
        honeypot=HONEYPOT,
    )


async def suggest_submit(request: web.Request) -> web.Response:
    context = context_of(request)
    address = client_of(request)
    form = await form_of(request)
    if isinstance(form, web.Response):
        return form
    if from_another_site(request):  # refused before the throttles count it: nothing of it is the reader's
        log.info("suggest: refused a suggestion from %s posted by a page on another site", address)
        return _form_error(request, 403, FROM_ELSEWHERE, {})
    refused = _throttled(request, context, address, form)
    if refused is not None:
        return refused
    arxiv_id = paper_add.parse_arxiv_reference(form.get("paper", "")[:300])
    honeypot = bool(form.get(HONEYPOT))
    # Only what may ask arXiv or add to the review queue counts for everyone: many readers suggesting a paper the list
    # or the queue holds already (one that went round social media) must not pause the form for all. A bot's honeypot
    # hits do not count for everyone either: they would pause the form for the readers.
    known = await _known(context, arxiv_id) if arxiv_id is not None and not honeypot else None
    adds = known is not None and known.suggestion_adds
    # Checked again after that read: from here to the counts nothing awaits, so parallel posts cannot all pass first.
    refused = _throttled(request, context, address, form)
    if refused is not None:
        return refused
    throttle, total, now = context.suggest_throttle, context.suggest_total, context.steady()
    # A typo costs the reader nothing; what may reach arXiv (and what a bot fills in) counts.
    if (arxiv_id is not None or honeypot) and throttle.record_failure(address, now):
        log.warning("suggest: %s reached %d suggestions in an hour", address, SUGGEST_RULE.max_failures)
    if adds and total.record_failure(EVERYONE, now):
        log.warning(
            "suggest: %d suggestions in an hour from all addresses; paused for an hour", total.rule.max_failures
        )
    if form.get(HONEYPOT):
        log.info("suggest: a filled honeypot from %s; nothing stored", address)
        return render(request, "suggested.html", outcome="queued", arxiv_id=None)
    if arxiv_id is None or known is None:
        return _form_error(request, 400, paper_add.reference_refused(form.get("paper", ""), quote=True), form)
    try:
        outcome = await queue_suggestion(context, arxiv_id, form.get("note", ""), known)
    except SQLAlchemyError as exc:
        # Another process held the write lock past the busy timeout, or the disk is full: the reason is the
        # operator's (the log's), the reader is told only to try again.
        log.warning("suggest: %s not queued: %s", arxiv_id, failure_line(exc, context.settings.database_url))
        response = _form_error(request, 503, DATABASE_BUSY, form)
        response.headers["Retry-After"] = "60"
        return response
    except paper_add.AddError as exc:
        if exc.status != UNREACHABLE:
            return _form_error(request, exc.status, str(exc), form)
        log.warning("suggest: %s", exc)  # the details (arXiv's address, the error) are for the operator
        response = _form_error(request, 503, ARXIV_DOWN, form)
        response.headers["Retry-After"] = "600"
        return response
    return render(request, "suggested.html", outcome=outcome, arxiv_id=arxiv_id)


def _throttled(request: web.Request, context: WebContext, address: str, form: dict[str, str]) -> web.Response | None:
    """The 429 page when the address, or everyone, must wait; None when the suggestion may be made."""
    now = context.steady()
    wait = context.suggest_throttle.retry_after(address, now)
    if wait is not None:
        return _too_many(request, form, wait, "Too many suggestions from your address: try again in {}.")
    wait = context.suggest_total.retry_after(EVERYONE, now)
    if wait is not None:
        error = "So many suggestions came in this hour that the form is paused for everyone: try again in {}."
        return _too_many(request, form, wait, error)
    return None


async def _known(context: WebContext, arxiv_id: str) -> paper_add.Known:
    return await asyncio.to_thread(paper_add.known_paper, context.database, arxiv_id, None)


def _too_many(request: web.Request, form: dict[str, str], wait: timedelta, error: str) -> web.Response:
    """429 with the form as it was sent, how many minutes to wait in `error`'s {} ('5 minutes'), and a Retry-After."""
    minutes = counted(max(1, math.ceil(wait.total_seconds() / 60)), "minute")
    response = _form_error(request, 429, error.format(minutes), form)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
    return response


async def queue_suggestion(context: WebContext, arxiv_id: str, note: str, known: paper_add.Known) -> str:
    """'listed', 'known' (a candidate in the review queue or decided already) or 'queued' (new, or raised from the
    second tier); AddError when arXiv cannot give the paper. `known`: what the database held when the form came."""
    if known.listed is not None:
        return "listed"
    if known.candidate_id is not None:
        if not await asyncio.to_thread(paper_add.suggest_known, context.database, arxiv_id, note):
            return "known"
        log.info("suggest: %s raised from the second tier for review (suggested by a reader)", arxiv_id)
        return "queued"
    paper = await paper_add.fetch(context.settings, arxiv_id)
    try:
        stored = await asyncio.to_thread(
            lambda: paper_add.store_candidate(
                context.database, context.settings, paper, None, source=READER_SOURCE, note=note
            )
        )
    except paper_add.AddError as exc:
        if "already in the list" in str(exc):
            return "listed"
        raise
    if not stored.created and stored.status != PENDING:  # a maintainer decided it while arXiv was asked
        return "listed" if stored.status == APPROVED else "known"
    log.info("suggest: %s queued for review (suggested by a reader)", arxiv_id)
    return "queued"
