"""Review on the web: one-click approval links (GET shows, POST decides) and the maintainers' sessions (sign-in,
sign-out, the CSRF-checked form); the /review page itself is web_review_page, its forms web_review_actions.

Both decide through `Reviewer.decide_async`, the same path Discord reactions take, and only on a candidate still
pending. Sessions are signed cookies that signing out revokes in the database; every POST on /review carries a
CSRF token tied to the session, and wrong admin tokens are throttled per client address.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import math
import secrets
from datetime import timedelta
from urllib.parse import parse_qsl

from aiohttp import web

from digest.awesome import store as liststore
from digest.config.admin_tokens import SHARED_MAINTAINER, maintainer_for
from digest.relevance.why import why_from_json
from digest.review.queries import standing_of
from digest.review.rules import Actor, AlreadyDecidedError, ReviewError, Standing
from digest.review.signing import (
    EMAILED,
    ApprovalLink,
    LinkError,
    SessionClaim,
    csrf_matches,
    read_session,
    sign_session,
    token_tag,
    verify_link,
)
from digest.storage.models import PENDING, Candidate
from digest.vocab import Channel
from digest.web import sessions as session_store
from digest.web.context import WebContext, client_of, context_of, form_of, refuse, render
from digest.web.review_filters import HISTORY, highlight, history_query, posted_filter, signed_in_address
from digest.web.syndication import safe_url

log = logging.getLogger(__name__)

SESSION_COOKIE = "digest_session"
SESSION_LIFETIME = timedelta(hours=12)
REASONS = {
    "forged": "This link was not made with this service's signing key: it was made up, or made before the key "
    "(DIGEST_SECRET_KEY) was changed. Take a fresh one from the candidates feed or use the review page.",
    "altered": "This link was changed after it was made (its action, section or expiry was edited).",
    "expired": "This link has expired. Take a fresh one from the candidates feed or use the review page.",
    "malformed": "This is not a valid approval link (it may have been cut off when it was copied).",
}


def _check_link(request: web.Request) -> ApprovalLink | web.Response:
    context = context_of(request)
    try:
        return verify_link(context.secret_key, request.match_info["token"], context.clock())
    except LinkError as exc:
        log.info("approval link refused: %s", exc.reason)
        return refuse(request, 403, f"Link refused: {exc.reason}", REASONS[exc.reason])


def _load_candidate(context: WebContext, candidate_id: int) -> tuple[Candidate, Standing] | None:
    with context.database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is None:
            return None
        standing = standing_of(session, candidate)
        # Detached before `reading()` rolls back, so the page can still read its columns.
        session.expunge_all()
        return candidate, standing


def _section_now(context: WebContext, wanted: str | None) -> str | None:
    """The list's section an approval into `wanted` goes to today (a heading renamed since the link was made is found
    as the decision finds it), or None when the list has no such section any more."""
    if not wanted:
        return None
    with context.database.reading() as session:
        found = liststore.resolve_section(session, wanted)
        return None if found is None else found.name


def why_lines(candidates: list[Candidate]) -> dict[int, list[str]]:
    """Why each candidate was flagged, as plain lines (escaped by the template); older rows have none."""
    return {candidate.id: why_from_json(candidate.why).lines() for candidate in candidates}


def _emailed(request: web.Request) -> bool:
    """Whether the link came in the weekly email. Only the audit log's channel hangs on it: the signed token alone
    decides what the link may do, so whoever edits this part of a genuine link mislabels their own decision at most."""
    return request.query.get("via") == "email"


async def _linked_candidate(request: web.Request, link: ApprovalLink) -> tuple[Candidate, Standing] | web.Response:
    """The candidate the link was made for, or a 404 page: gone, or its number now names another paper (a database
    restored from a backup numbers the next papers it finds as those it lost)."""
    loaded = await asyncio.to_thread(_load_candidate, context_of(request), link.candidate_id)
    if loaded is None:
        return refuse(request, 404, "Unknown candidate", "This candidate is no longer in the database.")
    if link.arxiv_id and loaded[0].arxiv_id != link.arxiv_id:
        log.warning(
            "approval link for %s refused: candidate %s is %s now", link.arxiv_id, link.candidate_id, loaded[0].arxiv_id
        )
        return refuse(
            request,
            404,
            "Unknown candidate",
            f"This link was made for arXiv:{link.arxiv_id}, which is no longer candidate {link.candidate_id}; "
            f"nothing was changed. Use the review page, or run `digest approve {link.arxiv_id}` on the server.",
        )
    return loaded


async def approval_page(request: web.Request) -> web.Response:
    """Shows what the link would do; changes nothing, so link scanners and prefetchers approve nothing."""
    link = _check_link(request)
    if isinstance(link, web.Response):
        return link
    loaded = await _linked_candidate(request, link)
    if isinstance(loaded, web.Response):
        return loaded
    candidate, standing = loaded
    wanted = link.section or candidate.suggested_section
    # The page names the section the button approves into today, or says there is none (no button then).
    section = await asyncio.to_thread(_section_now, context_of(request), wanted) if link.action == "approve" else None
    return render(
        request,
        "approve.html",
        candidate=candidate,
        wanted=wanted,
        section=section,
        # A decided candidate gets its status and no button: links decide only pending candidates.
        decided=standing.describe() if standing.status != PENDING else None,
        change_command=standing.change_command(),
        link=link,
        code_url=safe_url(candidate.code_url),
        action_path=request.path + (EMAILED if _emailed(request) else ""),
        why_lines=why_lines([candidate]),
        highlighted={candidate.id: highlight(candidate.abstract, candidate.matched or [])},
    )


async def approval_submit(request: web.Request) -> web.Response:
    link = _check_link(request)
    if isinstance(link, web.Response):
        return link
    loaded = await _linked_candidate(request, link)
    if isinstance(loaded, web.Response):
        return loaded
    context = context_of(request)
    if _emailed(request):
        actor = Actor(name="email approval link", id=None, channel=Channel.EMAIL)
    else:
        actor = Actor(name="feed approval link", id=None, channel=Channel.FEED)
    try:
        outcome = await context.reviewer.decide_async(
            link.candidate_id, link.action, actor, link.section, only_pending=True
        )
    except AlreadyDecidedError as exc:
        return refuse(request, 409, f"Already {exc.standing.status}", str(exc))
    except ReviewError as exc:
        return refuse(request, 409, "Not done", str(exc))
    return render(request, "decided.html", outcome=outcome)


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
    if context.sign_in_throttle.record_failure(address, context.clock()):
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
    filters = history_query(dict(parse_qsl(posted[:2000]))) if page else posted_filter(posted).query_string()
    # From here to record_failure nothing awaits, so a burst of parallel guesses cannot all pass this check first.
    wait = context.sign_in_throttle.retry_after(address, context.clock())
    if wait is not None:
        # Refused before the token is compared: a locked-out address learns nothing from its guesses.
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        response = render(
            request,
            "signin.html",
            status=429,
            error=f"Too many wrong admin tokens from your address: try again in {minutes} minute(s).",
            filters=filters,
            page=page,
        )
        response.headers["Retry-After"] = str(max(1, math.ceil(wait.total_seconds())))
        return response
    presented = form.get("token")
    maintainer = None
    if isinstance(presented, str):
        maintainer = maintainer_for(
            context.admin_tokens, context.secrets.admin_token.get_secret_value(), presented.strip()
        )
    if maintainer is None:
        _count_wrong_token(context, address)
        error = "That is not the admin token."
        return render(request, "signin.html", status=403, error=error, filters=filters, page=page)
    context.sign_in_throttle.clear(address)
    log.info("review: %s signed in from %s", maintainer, address)
    named = None if maintainer == SHARED_MAINTAINER else maintainer
    tag = token_tag(context.secret_key, presented.strip() if isinstance(presented, str) else "")
    value = sign_session(context.secret_key, secrets.token_urlsafe(16), context.clock() + SESSION_LIFETIME, tag, named)
    response = web.Response(status=303, headers={"Location": signed_in_address(page, filters)})
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


async def checked_form(request: web.Request) -> tuple[SessionClaim, dict[str, str]] | web.Response:
    """The session and the form when both the cookie and the form's CSRF token are right; else a 403 page: the
    sign-in form, when the session has ended, that returns to the review page the form came from."""
    context = context_of(request)
    signed_in = await current_session(request)
    form = await form_of(request)
    if isinstance(form, web.Response):
        return form
    if signed_in is None:
        # Signed out in another tab, or 12 hours passed: nothing is done, and signing in leads back to the page.
        return render(
            request,
            "signin.html",
            status=403,
            error="Sign in first: your session has ended (signed out, or after 12 hours), so nothing was done. "
            "Sign in to go back to the review page, then press the button again.",
            filters=posted_filter(form.get("filters", "")).query_string(),
        )
    session_value, claim = signed_in
    if not csrf_matches(context.secret_key, session_value, form.get("csrf", "")):
        return refuse(request, 403, "Form refused", "The form's security token is missing or stale: reload the page.")
    return claim, form


async def sign_out(request: web.Request) -> web.Response:
    """Revokes the session in the database (a copy of the cookie stops working too), then drops the cookie."""
    checked = await checked_form(request)
    if isinstance(checked, web.Response):
        return checked
    context = context_of(request)
    claim, _ = checked
    await asyncio.to_thread(session_store.revoke, context.database, claim, context.clock())
    response = web.Response(status=303, headers={"Location": "/review"})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
