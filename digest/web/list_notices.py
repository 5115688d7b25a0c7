"""The Dismiss button of a notice on /review (a list paper arXiv withdrew or retitled): a CSRF-checked form that
keeps who dismissed it and when (review.list_notices), answered with a 303 back to the page, its filters kept."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from digest.review.list_notices import dismiss_notice
from digest.web.context import WebContext, context_of, not_written
from digest.web.review import checked_form
from digest.web.review_filters import review_address
from digest.web.review_page import web_actor

log = logging.getLogger(__name__)
DISMISS = "/review/notice"


def _dismiss(context: WebContext, arxiv_id: str, notice: str, who: str) -> bool:
    with context.database.transaction() as session:
        return dismiss_notice(session, arxiv_id, notice, who, context.clock())


async def dismiss_posted(request: web.Request) -> web.Response:
    checked = await checked_form(request)
    if isinstance(checked, web.Response):
        return checked
    claim, form = checked
    context = context_of(request)
    arxiv_id, notice, who = form.get("paper", "")[:32], form.get("notice", "")[:16], web_actor(claim).name
    try:
        dismissed = await asyncio.to_thread(_dismiss, context, arxiv_id, notice, who)
    except SQLAlchemyError as exc:
        return not_written(request, exc, "/review")
    if dismissed:  # the form's own values are not logged: only a notice that was there
        log.info("review: %s dismissed the notice that %s was %s on arXiv", who, arxiv_id, notice)
    return web.Response(status=303, headers={"Location": review_address(form.get("filters", ""))})
