"""The maintainers' pages beside /review: the decision history (/history) and adding a paper by its arXiv ID or URL
(the field on /review), which does what `digest add` does through digest.arxiv.additions and the Reviewer.
"""

from __future__ import annotations

import asyncio
from datetime import date
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from digest.arxiv import additions as paper_add
from digest.review import handpicked
from digest.review.history import UnknownDecisionError, action_words, decision_history, left_out
from digest.review.rules import Actor
from digest.review.signing import SessionClaim
from digest.storage.models import Decision
from digest.text import quoted
from digest.web.context import WebContext, context_of, not_written, refuse, render
from digest.web.review import checked_form, current_session
from digest.web.review_actions import back_to_review, posted_section
from digest.web.review_filters import (
    HISTORY,
    carried_add,
    history_query,
    parse_older_than,
    parse_since,
    posted_filter,
    review_address,
)
from digest.web.review_page import queue_page, web_actor
from digest.web.signin import signin_page

HISTORY_PAGE = "/history"  # where a refused address of the history page leads back to (its newest decisions)

HISTORY_ROWS = 500  # decisions a page shows; "Older decisions" leads to the next; `digest history` prints them all


def load_history(
    context: WebContext, since: date | None, older_than: int | None = None
) -> tuple[list[tuple[Decision, str, str]], dict[int, str]]:
    """A page of the history, newest first, and why the list lacks the paper of an approval that stands (taken out by
    hand), by decision id, as `digest history` says it; UnknownDecisionError when `older_than` names no decision."""
    with context.database.reading() as session:
        rows = decision_history(session, since, newest_first=True, limit=HISTORY_ROWS, older_than=older_than)
        out_of_list = left_out(session)
        session.expunge_all()
        return rows, out_of_list


async def history_page(request: web.Request) -> web.Response:
    if await current_session(request) is None:
        # Signing in comes back here, with the same day and page.
        return signin_page(request, filters=history_query(request.query), page=HISTORY)
    try:
        since = parse_since(request.query.get("since"))
    except ValueError:
        return refuse(
            request,
            400,
            "Bad request",
            f"?since= must be a day as YYYY-MM-DD, such as 2026-12-01, not {quoted(request.query['since'])}.",
            HISTORY_PAGE,
        )
    try:
        older_than = parse_older_than(request.query.get("before"))
    except ValueError:
        return refuse(
            request,
            400,
            "Bad request",
            f"?before= must be a decision's number, as the Older link gives, not {quoted(request.query['before'])}.",
            HISTORY_PAGE,
        )
    try:
        rows, out_of_list = await asyncio.to_thread(load_history, context_of(request), since, older_than)
    except UnknownDecisionError:
        return refuse(
            request, 404, "Not found", "There is no such decision; start again from the newest.", HISTORY_PAGE
        )
    return render(
        request,
        "history.html",
        rows=[
            (decision, arxiv_id, title, action_words(decision), out_of_list.get(decision.id))
            for decision, arxiv_id, title in rows
        ],
        since=since,
        older_than=older_than,
        next_page=_next_page(rows, since),
    )


def _next_page(rows: list[tuple[Decision, str, str]], since: date | None) -> str | None:
    """The address of the next page: a full page may have more behind it, starting after its last row."""
    if len(rows) < HISTORY_ROWS:
        return None
    query = {"since": since.isoformat()} if since else {}
    return "/history?" + urlencode({**query, "before": str(rows[-1][0].id)})


async def review_add(request: web.Request) -> web.Response:
    """Adds a paper by its arXiv ID or URL and approves it, as `digest add` does; each refusal is one line."""
    checked = await checked_form(request)
    if isinstance(checked, web.Response):
        return checked
    claim, form = checked
    context = context_of(request)
    back = review_address(form.get("filters", ""))  # a refusal leads back to the queue the form was on
    arxiv_id = paper_add.parse_arxiv_reference(form.get("paper", "")[:300])
    if arxiv_id is None:
        return await add_refused(
            request, claim, form, 400, paper_add.reference_refused(form.get("paper", ""), quote=True)
        )
    section = posted_section(form)
    try:
        candidate_id = await added_candidate(context, arxiv_id, section, web_actor(claim))
    except paper_add.AddError as exc:
        return await add_refused(request, claim, form, exc.status, str(exc))
    except SQLAlchemyError as exc:  # rolled back; a paper stored before the approval failed waits in the queue
        return not_written(request, exc, back, "Not added to the list")
    return back_to_review(form, decided=candidate_id)


async def add_refused(
    request: web.Request, claim: SessionClaim, form: dict[str, str], status: int, reason: str
) -> web.Response:
    """The queue the form was on again, Add a paper holding what was typed and the reason beside it (a page of its
    own lost the typing, and the way back was a link to press)."""
    chosen = posted_filter(form.get("filters", ""))
    typed = carried_add({**form, "into": form.get("section", "")})
    csrf = form["csrf"]  # checked_form found it this session's token
    return await queue_page(request, csrf, claim, chosen, {}, typed, add_refused=reason, status=status)


async def added_candidate(context: WebContext, arxiv_id: str, section: str | None, actor: Actor) -> int:
    """The approved candidate's id; AddError when nothing was added (and nothing was written)."""
    added = await handpicked.add_and_approve(
        context.database,
        context.settings,
        context.reviewer,
        arxiv_id,
        section,
        actor,
        section_hint="in the Section field",
    )
    return added.outcome.candidate_id
