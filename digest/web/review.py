"""Review on the web: the maintainers' sessions (sign-in, sign-out, the CSRF-checked form); the /review page itself is
web_review_page, its forms web_review_actions, the one-click approval links web_approval.

Sessions are signed cookies that signing out revokes in the database; every POST on /review carries a
CSRF token tied to the session, and wrong admin tokens are throttled per client address. The sign-in form's own
protections (its CSRF token, the plain-http page of an https site) are in web.signin.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import secrets
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qsl

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from digest.config.admin_tokens import maintainer_for
from digest.record_ids import parse_record_id
from digest.relevance.why import why_from_json
from digest.review.signing import (
    LinkError,
    SessionClaim,
    csrf_matches,
    read_session,
    sign_session,
    token_tag,
)
from digest.sizes import counted
from digest.storage.models import Candidate
from digest.vocab import SHARED_MAINTAINER
from digest.web import sessions as session_store
from digest.web.context import (
    WebContext,
    client_of,
    context_of,
    form_of,
    from_another_site,
    not_written,
    refuse,
)
from digest.web.highlighting import marked_terms
from digest.web.review_filters import (
    HISTORY,
    FilterError,
    carried_add,
    carried_filters,
    history_query,
    parse_review_filter,
    posted_filter,
    review_address,
    signed_in_address,
)
from digest.web.review_refusals import (
    FROM_ANOTHER_SITE,
    SESSION_ENDED,
    STALE_FORM,
    Refusal,
    carried,
    refused_address,
)
from digest.web.signin import refused_signin, signin_page

log = logging.getLogger(__name__)

SESSION_COOKIE = "digest_session"
SESSION_LIFETIME = timedelta(hours=12)


def card_terms(candidate: Candidate) -> tuple[list[str], list[str]]:
    """The terms a candidate's card marks in its abstract and lists as matched (`marked_terms`)."""
    return marked_terms([*(candidate.matched or []), *why_from_json(candidate.why).terms])


def why_lines(candidates: list[Candidate]) -> dict[int, list[str]]:
    """Why each candidate was flagged, as plain lines (escaped by the template); older rows have none. Its "matched:"
    line names every term the abstract marks."""
    lines: dict[int, list[str]] = {}
    for candidate in candidates:
        marked, unmarked = card_terms(candidate)
        why = replace(why_from_json(candidate.why), terms=(*marked, *unmarked))
        lines[candidate.id] = why.lines(shown=len(marked))
    return lines


# -- /review ------------------------------------------------------------------------------------------------------


def opening_token(context: WebContext, maintainer: str | None) -> str | None:
    """The admin token a session of this maintainer is opened with today: a named token's, or the shared one."""
    if maintainer is None:
        return context.secrets.admin_token.get_secret_value()
    return next((named.token for named in context.admin_tokens if named.name == maintainer), None)


async def current_session(request: web.Request) -> tuple[str, SessionClaim] | None:
    """The cookie's value and what it holds when it is a genuine, unexpired session that was not signed out."""
    context = context_of(request)
    value = request.cookies.get(SESSION_COOKIE)
    if not value:
        return None
    try:
        claim = read_session(context.secret_key, value, context.clock())
    except LinkError:
        return None
    token = opening_token(context, claim.maintainer)
    if token is None or not hmac.compare_digest(claim.tag, token_tag(context.secret_key, token)):
        return None  # the token that opened it was replaced or taken out: its sessions end with it
    if await asyncio.to_thread(session_store.is_revoked, context.database, claim.nonce):
        return None
    return value, claim


def _count_wrong_token(context: WebContext, address: str) -> None:
    """A wrong admin token: logged, and counted towards the address's lock-out."""
    log.warning("review: a sign-in with a wrong admin token from %s", address)
    if context.sign_in_throttle.record_failure(address, context.steady()):
        rule = context.sign_in_throttle.rule
        log.warning(
            "review: %s locked out of sign-in for %d minutes after %d wrong admin tokens",
            address,
            int(rule.window.total_seconds() // 60),
            rule.max_failures,
        )


async def sign_in(request: web.Request) -> web.Response:
    context = context_of(request)
    address = client_of(request)
    form = await form_of(request)
    if isinstance(form, web.Response):
        return form
    # Where to return to: the history page that offered the form, or where on /review.
    page = HISTORY if form.get("page") == HISTORY else ""
    posted = form.get("filters", "")
    filters = history_query(dict(parse_qsl(posted[:2000]))) if page else carried_filters(posted)
    refused = refused_signin(request, form, address)
    if refused is not None:
        return signin_page(request, status=403, error=refused, filters=filters, page=page, carried=carried(form))
    # From here to record_failure nothing awaits, so a burst of parallel guesses cannot all pass this check first.
    locked_out = _locked_out(request, address, form, filters, page)
    if locked_out is not None:
        return locked_out
    presented = form.get("token")
    maintainer = None
    if isinstance(presented, str):
        maintainer = maintainer_for(
            context.admin_tokens, context.secrets.admin_token.get_secret_value(), presented.strip()
        )
    if maintainer is None:
        _count_wrong_token(context, address)
        error = "That is not the admin token."
        return signin_page(
            request, status=403, error=error, filters=filters, page=page, carried=carried(form), wrong_token=True
        )
    context.sign_in_throttle.clear(address)
    log.info("review: %s signed in from %s", maintainer, address)
    named = None if maintainer == SHARED_MAINTAINER else maintainer
    tag = token_tag(context.secret_key, presented.strip() if isinstance(presented, str) else "")
    value = sign_session(context.secret_key, secrets.token_urlsafe(16), context.clock() + SESSION_LIFETIME, tag, named)
    # Back to the Add a paper form as it was, or at the card whose button was pressed, when the session had ended.
    address = signed_in_address(page, filters, carried_add(form), parse_record_id(form.get("card", "")))
    response = web.Response(status=303, headers={"Location": address})
    if not page:
        try:  # a filter that cannot be used: the line the review page gives, where the redirect would drop it
            parse_review_filter(dict(parse_qsl(filters)))
        except FilterError as exc:
            response = refuse(request, 400, "Bad request", str(exc), "/review")
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        # Lax: sent when a link from Discord or an email opens /review; every change is a CSRF-checked POST, and a
        # POST from another site gets no cookie at all.
        samesite="Lax",
        secure=context.secure_cookies,
    )
    return response


def _locked_out(
    request: web.Request, address: str, form: dict[str, str], filters: str, page: str
) -> web.Response | None:
    """The 429 page for an address locked out by wrong admin tokens, refused before the token is compared: a
    locked-out address learns nothing from its guesses. None when it may try."""
    context = context_of(request)
    wait = context.sign_in_throttle.retry_after(address, context.steady())
    if wait is None:
        return None
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    response = signin_page(
        request,
        status=429,
        error=f"Too many wrong admin tokens from your address: try again in {counted(minutes, 'minute')}.",
        filters=filters,
        page=page,
        carried=carried(form),
    )
    response.headers["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
    return response


async def checked_form(request: web.Request) -> tuple[SessionClaim, dict[str, str]] | web.Response:
    """The session and the form when both the cookie and the form's CSRF token are right; else a 303 to the refusal's
    own page (`refused_page`), which says nothing was done: for a form a page on another site sent; when the session
    has ended, with the sign-in form returning to the review page the form came from; for a stale page's form."""
    context = context_of(request)
    if from_another_site(request):
        # Before the session: a page elsewhere learns nothing, and is not offered a sign-in or a button to press again.
        log.warning(
            "review: refused a POST to %s from %s sent by a page on another site", request.path, client_of(request)
        )
        return _see(refused_address(Refusal.ELSEWHERE))
    signed_in = await current_session(request)
    form = await form_of(request)
    if isinstance(form, web.Response):
        return form
    if signed_in is None:  # signed out in another tab, or 12 hours passed: signing in leads back to the page
        return _see(refused_address(Refusal.ENDED, request.path, form))
    session_value, claim = signed_in
    if not csrf_matches(context.secret_key, session_value, form.get("csrf", "")):
        # A page of an earlier session (signed out and in again in another tab): a reload would post the same stale
        # form, so the way on is back to the page the form came from, filters kept.
        return _see(refused_address(Refusal.STALE, request.path, form))
    return claim, form


def _see(address: str) -> web.Response:
    return web.Response(status=303, headers={"Location": address})


async def refused_page(request: web.Request) -> web.Response:
    """GET /review/refused: a refused form's page (403), which Back and reload show again. Once signed in again, that of
    an ended session leads on to the page the form came from, so Back after signing in lands there."""
    why, query = request.query.get("why", ""), request.query
    filters = posted_filter(query.get("filters", "")).query_string()
    if why == Refusal.STALE:
        return refuse(request, 403, "Form refused", STALE_FORM, back=review_address(filters))
    if why == Refusal.ELSEWHERE:
        return refuse(request, 403, "Refused: sent from another site", FROM_ANOTHER_SITE, back="/review")
    card = parse_record_id(query.get("card", ""))
    if why != Refusal.ENDED or await current_session(request) is not None:
        return _see(signed_in_address("", filters, carried_add(query), card))
    return signin_page(request, status=403, error=SESSION_ENDED, filters=filters, carried=carried(query))


async def sign_out(request: web.Request) -> web.Response:
    """Revokes the session in the database (a copy of the cookie stops working too), then drops the cookie. A session
    that has ended already (12 hours, or signed out in another tab) is signed out: its dead cookie is dropped, where
    checked_form would ask to sign in first to press the button again. Nothing is written either way."""
    if await current_session(request) is None:
        return _signed_out(dead_cookie=SESSION_COOKIE in request.cookies)
    checked = await checked_form(request)
    if isinstance(checked, web.Response):
        return checked
    context = context_of(request)
    claim, _ = checked
    try:
        await asyncio.to_thread(session_store.revoke, context.database, claim, context.clock())
    except SQLAlchemyError as exc:  # the session still stands, and its cookie stays: pressing again can end it
        return not_written(request, exc, "/review", "Not signed out")
    return _signed_out()


def _signed_out(*, dead_cookie: bool = True) -> web.Response:
    """To /review, where the sign-in form is, the cookie dropped (when the browser sent one)."""
    response = web.Response(status=303, headers={"Location": "/review"})
    if dead_cookie:
        response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def form_address(request: web.Request) -> web.Response:
    """A GET of an address that only takes a form (a tab restored after a sign-in or a decision, Enter in its address
    bar) goes to the review page, where the form is, rather than a bare 405."""
    return web.Response(status=303, headers={"Location": "/review"})
