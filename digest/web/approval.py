"""The signed one-click approval links of the private feed and the maintainers' email: GET shows the paper and one
button, only the POST decides (link scanners and prefetchers approve nothing), and only a candidate still pending.

They decide through `Reviewer.decide`, the same path Discord reactions and /review take.
"""

from __future__ import annotations

import asyncio
import logging
from typing import NamedTuple

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from digest.awesome import store as liststore
from digest.awesome.sectionnames import several_named
from digest.review.applying import holds_candidate, unasked_copy
from digest.review.queries import on_review_page, standing_of, stands_as
from digest.review.rules import Actor, AlreadyDecidedError, ReviewError, Standing, decide_command
from digest.review.signing import EMAILED, MALFORMED, ApprovalLink, LinkError, verify_link
from digest.storage.failures import failure_line
from digest.storage.models import PENDING, Candidate
from digest.vocab import Channel, link_actor
from digest.web import context as web_context
from digest.web.context import WebContext, context_of, not_written, refuse, render, tell_listeners
from digest.web.highlighting import highlight
from digest.web.publishing import publish_trouble_now
from digest.web.review import card_terms, why_lines
from digest.web.syndication import safe_url

log = logging.getLogger(__name__)

ELSEWHERE = "Nothing was changed: this button was pressed on a page of another site, not on this link's own page."
REVIEW_PAGE = "/review"  # where a refused link leads: only maintainers are given approval links, and decide there

_FORGED = (
    "This link was not made with this service's signing key: it was made up, or made before the key "
    "(DIGEST_SECRET_KEY) was changed."
)
REASONS = {
    "forged": f"{_FORGED} Take a fresh one from the candidates feed or use the review page.",
    "altered": "This link was changed after it was made (its action, section or expiry was edited).",
    "expired": "This link has expired. Take a fresh one from the candidates feed or use the review page.",
    "malformed": "This is not a valid approval link (it may have been cut off when it was copied).",
}


def forged_emailed(digest: str) -> str:
    """An emailed link is for a paper worth a look, which neither the candidates feed nor the review page shows: the
    commands that list and approve one, `digest` the service's own invocation (run as printed: on its database)."""
    return _FORGED + (
        f" A paper the weekly email lists as worth a look is shown nowhere else: `{digest} candidates --second-tier` on"
        f" the server lists them, and `{digest} approve ARXIV_ID` approves one."
    )


async def _check_link(request: web.Request) -> ApprovalLink | web.Response:
    context = context_of(request)
    try:
        if len(set(request.query)) != len(request.query):  # which copy counts is the reader's guess: neither
            raise LinkError(MALFORMED, "the link repeats a parameter")
        return verify_link(context.secret_key, request.match_info["token"], context.clock())
    except LinkError as exc:
        log.info("approval link refused: %s", exc.reason)
        reason = REASONS[exc.reason]
        decided = await _decided_since(context, exc.link) if exc.link is not None else None
        if decided is not None:
            reason = decided
        elif exc.link is not None and _emailed(request):
            reason = _expired_from_email(exc.link, context.reviewer.digest)
        elif exc.reason == "forged" and _emailed(request):
            reason = forged_emailed(context.reviewer.digest)
        return refuse(request, 403, f"Link refused: {exc.reason}", reason, REVIEW_PAGE)


async def _decided_since(context: WebContext, link: ApprovalLink) -> str | None:
    """What an expired link's paper has become when it was decided since: no fresh link is needed, and the command
    that approved it "still" would overrule someone's decision. None while it waits (or is gone, or another paper),
    and when the database cannot say: the link has expired all the same, and a 503's "try again" would not help."""
    try:
        loaded = await asyncio.to_thread(_load_candidate, context, link.candidate_id)
    except SQLAlchemyError as exc:
        log.warning(
            "expired approval link: whether it was decided since cannot be read: %s",
            failure_line(exc, context.settings.database_url),
        )
        return None
    if loaded is None or loaded[1].status == PENDING or (link.arxiv_id and loaded[0].arxiv_id != link.arxiv_id):
        return None
    candidate, standing = loaded
    return (
        f"This link expired on {link.expires_at:%Y-%m-%d %H:%M} UTC, and nothing was changed: arXiv:"
        f"{candidate.arxiv_id} was already {standing.describe()}. To change that decision on purpose, run "
        f"`{standing.change_command(context.reviewer.digest)}` on the server."
    )


def _expired_from_email(link: ApprovalLink, digest: str) -> str:
    """An emailed link is for a paper worth a look, which neither the review page nor the candidates feed shows: the
    command that still decides it, not advice that leads nowhere."""
    paper = link.arxiv_id or str(link.candidate_id)
    command = decide_command(link.action, paper, link.section, digest=digest)
    return (
        f"This link from the weekly email expired on {link.expires_at:%Y-%m-%d %H:%M} UTC. A paper the email lists as"
        f" worth a look is shown nowhere else: to {link.action} it still, run `{command}` on the server."
    )


def _load_candidate(context: WebContext, candidate_id: int) -> tuple[Candidate, Standing] | None:
    with context.database.reading() as session:
        candidate = session.get(Candidate, candidate_id)
        if candidate is None:
            return None
        standing = standing_of(session, candidate)
        # Detached before `reading()` rolls back, so the page can still read its columns.
        session.expunge_all()
        return candidate, standing


async def _checked(request: web.Request) -> tuple[ApprovalLink, tuple[Candidate, Standing]] | web.Response:
    """The link's signature and the candidate it was made for, as both the page and its button check them; the
    refusal page when either fails."""
    link = await _check_link(request)
    if isinstance(link, web.Response):
        return link
    loaded = await _linked_candidate(request, link)
    return loaded if isinstance(loaded, web.Response) else (link, loaded)


class _Approval(NamedTuple):
    section: str | None  # the list's section an approval into the wanted one goes to today; None for none
    refused: str | None = None  # why pressing the button would change nothing, in the decision's words; else None
    heading: str = ""  # what the page's heading says of it


def _approval_now(context: WebContext, candidate: Candidate, link: ApprovalLink, wanted: str | None) -> _Approval:
    """What the button would do today: the section it approves into (a heading renamed since the link was made is
    found as the decision finds it), or the refusal pressing it would meet, in the decision's words: a name the list
    now gives several headings (a year block added), or a paper a maintainer has put in the list by hand since it was
    found (a link makes no second copy)."""
    if not wanted:
        return _Approval(None)
    with context.database.reading() as session:
        found = liststore.resolve_section(session, wanted)
        if found is None:
            several = liststore.sections_called(session, wanted)
            if len(several) > 1:
                return _Approval(None, several_named(wanted, several), f"the list has {len(several)} such sections now")
            return _Approval(None)
        if candidate.status != PENDING or holds_candidate(session, candidate, found):
            return _Approval(found.name)
        label = liststore.label_of(session, found)
        refused = unasked_copy(session, candidate, label, link.section, copies=False, digest=context.reviewer.digest)
        return _Approval(found.name, refused, "the paper is in the list already")


def _emailed(request: web.Request) -> bool:
    """Whether the link came in the weekly email. Only the audit log's channel hangs on it: the signed token alone
    decides what the link may do, so whoever edits this part of a genuine link mislabels their own decision at most."""
    return request.query.get("via") == "email"


async def _linked_candidate(request: web.Request, link: ApprovalLink) -> tuple[Candidate, Standing] | web.Response:
    """The candidate the link was made for, or a 404 page: gone, or its number now names another paper (a database
    restored from a backup numbers the next papers it finds as those it lost)."""
    context = context_of(request)
    loaded = await asyncio.to_thread(_load_candidate, context, link.candidate_id)
    if loaded is None:
        return refuse(request, 404, "Unknown candidate", _gone(link, context.reviewer.digest), REVIEW_PAGE)
    if link.arxiv_id and loaded[0].arxiv_id != link.arxiv_id:
        log.warning(
            "approval link for %s refused: candidate %s is %s now", link.arxiv_id, link.candidate_id, loaded[0].arxiv_id
        )
        return refuse(
            request,
            404,
            "Unknown candidate",
            f"This link was made for arXiv:{link.arxiv_id}, which is no longer candidate {link.candidate_id}; "
            f"nothing was changed. Use the review page, or run `{context.reviewer.digest} approve {link.arxiv_id}` on"
            " the server.",
            REVIEW_PAGE,
        )
    return loaded


def _gone(link: ApprovalLink, digest: str) -> str:
    """A link's candidate the database no longer has (a paper worth a look the polls forgot, left undecided): the
    command that adds the paper still, for an approval link that names it."""
    if not link.arxiv_id:
        return "This candidate is no longer in the database."
    if link.action != "approve":
        return f"arXiv:{link.arxiv_id} is no longer a candidate: nothing was changed, and there is nothing to reject."
    command = decide_command("add", link.arxiv_id, link.section, digest=digest)
    gone = f"arXiv:{link.arxiv_id} is no longer a candidate; nothing was changed."
    return f"{gone} To add it still, run `{command}` on the server."


async def approval_page(request: web.Request) -> web.Response:
    """Shows what the link would do; changes nothing, so link scanners and prefetchers approve nothing. After its
    button's decision (`?done=1`, the POST's redirect) it says what was done, while that decision stands."""
    checked = await _checked(request)
    if isinstance(checked, web.Response):
        return checked
    link, (candidate, standing) = checked
    if request.query.get("done") and await _made_by_link(request, link):
        return await _decided_page(request, candidate, standing.describe(), changed=True)
    wanted = link.section or candidate.suggested_section
    # The page names the section the button approves into today, or says there is none (no button then).
    approval = _Approval(None)
    if link.action == "approve":
        approval = await asyncio.to_thread(_approval_now, context_of(request), candidate, link, wanted)
    return render(
        request,
        "approve.html",
        candidate=candidate,
        wanted=wanted,
        section=approval.section,
        # Said up front, with no button that could only be refused.
        refused=approval.refused,
        refused_heading=approval.heading,
        # A decided candidate gets its status and no button: links decide only pending candidates.
        decided=standing.describe() if standing.status != PENDING else None,
        on_review_page=on_review_page(candidate),
        change_command=standing.change_command(context_of(request).reviewer.digest),
        digest=context_of(request).reviewer.digest,
        link=link,
        code_url=safe_url(candidate.code_url),
        action_path=request.path + (EMAILED if _emailed(request) else ""),
        why_lines=why_lines([candidate]),
        highlighted={candidate.id: highlight(candidate.abstract, card_terms(candidate)[0])},
    )


async def approval_submit(request: web.Request) -> web.Response:
    if web_context.from_another_site(request):
        # A page elsewhere holding a link (a forwarded email) must not decide through a maintainer's browser.
        log.warning("approval link: refused a POST from %s sent by a page elsewhere", web_context.client_of(request))
        return refuse(request, 403, "Not done", ELSEWHERE, REVIEW_PAGE)
    checked = await _checked(request)
    if isinstance(checked, web.Response):
        return checked
    link, (candidate, _) = checked
    context = context_of(request)
    try:
        outcome = await asyncio.to_thread(
            context.reviewer.decide, link.candidate_id, link.action, _actor(request), link.section, only_pending=True
        )
    except AlreadyDecidedError as exc:
        if await _made_by_link(request, link):  # the same button pressed twice (a double submit, a retry): done
            raise _done(request) from None
        return refuse(request, 409, f"Already {exc.standing.status}", str(exc), REVIEW_PAGE)
    except ReviewError as exc:
        return refuse(request, 409, "Not done", str(exc), REVIEW_PAGE)
    except SQLAlchemyError as exc:
        return not_written(request, exc, REVIEW_PAGE)
    await tell_listeners(context, outcome)
    if not outcome.changed:
        return await _decided_page(request, candidate, outcome.message, changed=False)
    raise _done(request)


def _done(request: web.Request) -> web.HTTPSeeOther:
    """Post/Redirect/Get: reloading the page that says "Done" asks for this link's page again, not for the decision
    (which, taken back meanwhile, it would make again)."""
    return web.HTTPSeeOther(request.path + (f"{EMAILED}&done=1" if _emailed(request) else "?done=1"))


def _actor(request: web.Request) -> Actor:
    channel = Channel.EMAIL if _emailed(request) else Channel.FEED
    return Actor(name=link_actor(channel), id=None, channel=channel)


async def _made_by_link(request: web.Request, link: ApprovalLink) -> bool:
    """Whether the candidate's standing decision is the one this link makes, through the same channel, with the same
    action, into the same section (not someone's since, nor another section's link)."""
    database, actor = context_of(request).database, _actor(request)

    def read() -> bool:
        with database.reading() as session:
            return stands_as(session, link.candidate_id, actor, link.action, link.section)

    return await asyncio.to_thread(read)


async def _decided_page(request: web.Request, candidate: Candidate, message: str, *, changed: bool) -> web.Response:
    """What a link's button did, said once under the paper's title."""
    context = context_of(request)
    trouble = await asyncio.to_thread(publish_trouble_now, context.database, context.settings)
    return render(
        request,
        "decided.html",
        candidate=candidate,
        message=message,
        changed=changed,
        publishing=trouble,
        digest=context.reviewer.digest,  # the command its notice names, run as printed: on the service's database
    )
