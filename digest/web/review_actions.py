"""Decisions posted from /review: approve, reject, undo and "reject all shown", each a CSRF-checked form that
answers with a 303 back to the page it came from, its filters kept (re-read, never echoed).

Every decision goes through `Reviewer.decide` with `only_pending=True`; undo is a "revert" allowed only for the
maintainer's own decision of the last few minutes while it still stands (web_review_filters.may_undo).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from digest.record_ids import parse_record_id
from digest.review.queries import stands_as
from digest.review.reviewer import NotAllowedError
from digest.review.rules import Actor, AlreadyDecidedError, Outcome, ReviewError, UnknownCandidateError
from digest.review.signing import SessionClaim, csrf_token
from digest.storage.models import PENDING, Candidate
from digest.text import quoted
from digest.vocab import Action
from digest.web.context import WebContext, context_of, not_written, refuse, render, tell_listeners
from digest.web.review import checked_form, current_session
from digest.web.review_filters import MAX_BATCH, MAX_TEXT, may_undo, parse_id_list, posted_filter, review_address
from digest.web.review_notice import decision_facts
from digest.web.review_page import web_actor
from digest.web.signin import signin_page

REJECT_CONFIRM = "/review/reject"  # the confirmation of "reject all shown", a page of its own (GET)


def posted_section(form: Mapping[str, str]) -> str | None:
    """The section an approval or Add a paper names, cut to the section field's length (a longer name is no section's,
    and the refusal repeats it); None for the suggested one."""
    return form.get("section", "").strip()[:MAX_TEXT] or None


def back_to_review(form: dict[str, str], card: int | None = None, **notice: int) -> web.Response:
    """303 to /review with the notice's numbers and the filters the form came from, at `card` or else at the card
    that followed the decided one on the page (the form's `next`), so the next key or Tab acts there, not at the top."""
    following = card if card is not None else parse_record_id(form.get("next", ""))
    return web.Response(status=303, headers={"Location": review_address(form.get("filters", ""), following, **notice)})


def undo_now(context: WebContext, candidate_id: int, actor: Actor) -> Outcome | None:
    """Reverts the maintainer's own recent decision; None when the rule does not allow it (nothing is written). The
    rule is asked under the candidate's lock, so a decision someone else made a moment before is never undone. No
    such candidate raises UnknownCandidateError (a 404, as approve and reject answer it)."""

    def own_recent(session: Session, candidate: Candidate, now: datetime) -> bool:
        return may_undo(decision_facts(session, candidate.id), candidate.status, str(actor.id), now)

    try:
        return context.reviewer.decide(candidate_id, "revert", actor, only_if=own_recent)
    except UnknownCandidateError:
        raise
    except (NotAllowedError, ReviewError):  # not allowed now
        return None


async def review_decide(request: web.Request) -> web.Response:
    try:
        return await _decide_posted(request)
    except SQLAlchemyError as exc:
        return not_written(request, exc, "/review")


async def _decide_posted(request: web.Request) -> web.Response:
    checked = await checked_form(request)
    if isinstance(checked, web.Response):
        return checked
    claim, form = checked
    action = form.get("action", "")
    if action == "reject-shown":
        return await reject_shown(request, claim, form)
    candidate_id = parse_record_id(form.get("candidate_id", ""))
    if action not in ("approve", "reject", "undo") or candidate_id is None:
        wrong = (
            f"action {quoted(action)}"
            if candidate_id is not None
            else f"candidate {quoted(form.get('candidate_id', ''))}"
        )
        message = f"The form did not name a candidate and an action (approve, reject or undo): not {wrong}."
        return refuse(request, 400, "Bad request", message, "/review")
    actor = web_actor(claim)
    try:
        return await _decide_one(request, form, candidate_id, action, actor)
    except UnknownCandidateError as exc:  # a missing record, as the rest of the site answers one
        return refuse(request, 404, "Not found", str(exc), back=review_address(form.get("filters", "")))


async def _decide_one(
    request: web.Request, form: dict[str, str], candidate_id: int, action: str, actor: Actor
) -> web.Response:
    """Approve, reject or undo of one candidate, answered with a 303 back to the queue (UnknownCandidateError when
    there is no such candidate)."""
    context = context_of(request)
    if action == "undo":
        outcome = await asyncio.to_thread(undo_now, context, candidate_id, actor)
        if outcome is None and await asyncio.to_thread(decided_by, context, candidate_id, actor, Action.REVERT):
            # The same Undo sent twice (a double tap of `u`): it stands done.
            return back_to_review(form, card=candidate_id, undone=candidate_id)
        if outcome is None:  # too late, not one's own, or decided since: the page's notice says which stands
            return back_to_review(form, not_undone=candidate_id)
        await tell_listeners(context, outcome)
        return back_to_review(form, card=candidate_id, undone=candidate_id)
    section = posted_section(form) if action == Action.APPROVE else None
    try:
        outcome = await asyncio.to_thread(
            context.reviewer.decide, candidate_id, action, actor, section, only_pending=True
        )
    except AlreadyDecidedError:
        # The same press sent twice (a double click, a key pressed twice before the page moved on): it stands done,
        # with its Undo. A page opened before someone else decided: nothing written, the page says by whom.
        if await asyncio.to_thread(decided_by, context, candidate_id, actor, action, section):
            return back_to_review(form, decided=candidate_id)
        return back_to_review(form, already=candidate_id)
    except UnknownCandidateError:
        raise
    except ReviewError as exc:
        return refuse(request, 409, "Not done", str(exc), back=review_address(form.get("filters", "")))
    await tell_listeners(context, outcome)
    return back_to_review(form, decided=candidate_id)


async def reject_shown(request: web.Request, claim: SessionClaim, form: dict[str, str]) -> web.Response:
    """Rejects the candidates the page showed, after a confirmation page; one already decided elsewhere is skipped."""
    context = context_of(request)
    ids = parse_id_list(form.get("ids", ""))
    if ids is None:
        return refuse(
            request,
            400,
            "Bad request",
            f"The form must list up to {MAX_BATCH} candidate numbers, not {quoted(form.get('ids', ''))}.",
            "/review",
        )
    if form.get("confirm") != "yes":
        # Post/redirect/get: the confirmation has an address of its own, so that Back from the queue after "Yes" (or
        # a reload) shows it again instead of the browser's "Confirm Form Resubmission" error page.
        return web.Response(status=303, headers={"Location": confirm_address(ids, form.get("filters", ""))})
    actor = web_actor(claim)
    rejected = skipped = 0
    outcomes: list[Outcome] = []
    for candidate_id in ids:
        try:
            outcomes.append(
                await asyncio.to_thread(context.reviewer.decide, candidate_id, "reject", actor, only_pending=True)
            )
            rejected += 1
        except AlreadyDecidedError:  # decided meanwhile: elsewhere, or by this same confirmation sent twice
            if await asyncio.to_thread(decided_by, context, candidate_id, actor, Action.REJECT):
                rejected += 1
            else:
                skipped += 1
        except ReviewError:  # gone
            skipped += 1
        except SQLAlchemyError as exc:  # the others would wait for the same lock: not tried
            await tell_listeners(context, *outcomes)
            return not_written(request, exc, "/review", f"Rejected {rejected} of the {len(ids)}; the others were not")
    await tell_listeners(context, *outcomes)
    return back_to_review(form, rejected=rejected, skipped=skipped)


def confirm_address(ids: list[int], filters: str) -> str:
    """The address of the page asking to confirm the rejection of `ids`, the filters re-read (never echoed)."""
    query = urlencode({"ids": ",".join(map(str, ids)), "filters": posted_filter(filters).query_string()})
    return f"{REJECT_CONFIRM}?{query}"


async def reject_confirm_page(request: web.Request) -> web.Response:
    """The page asking to confirm "reject all shown": the pending among the candidates it names, and the form that
    rejects them. Opening it changes nothing; without a session it is the sign-in form, back to the queue."""
    context = context_of(request)
    filters = posted_filter(request.query.get("filters", "")).query_string()
    signed_in = await current_session(request)
    if signed_in is None:
        return signin_page(request, filters=filters)
    ids = parse_id_list(request.query.get("ids", ""))
    if ids is None:
        given = quoted(request.query.get("ids", ""))
        message = f"The address must list up to {MAX_BATCH} candidate numbers, not {given}."
        return refuse(request, 400, "Bad request", message, review_address(filters))

    def load() -> list[Candidate]:
        with context.database.reading() as session:
            found = [c for c in (session.get(Candidate, i) for i in ids) if c is not None and c.status == PENDING]
            session.expunge_all()
            return found

    candidates = await asyncio.to_thread(load)
    return render(
        request,
        "reject_confirm.html",
        candidates=candidates,
        ids=",".join(str(candidate.id) for candidate in candidates),
        csrf=csrf_token(context.secret_key, signed_in[0]),
        filters=filters,
    )


def decided_by(context: WebContext, candidate_id: int, actor: Actor, action: str, section: str | None = None) -> bool:
    """review.queries.stands_as, read from the web's database (a thread's work)."""
    with context.database.reading() as session:
        return stands_as(session, candidate_id, actor, action, section)
