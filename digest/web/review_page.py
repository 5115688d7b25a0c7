"""The maintainers' /review page: candidates filtered by GET parameters, each with one-click decisions, undo and
"reject all shown" as plain CSRF-checked forms (posted to web_review_actions; the keyboard shortcuts in
templates/web/review.js only press their buttons).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime

from aiohttp import web
from markupsafe import Markup

from digest.arxiv_references import parse_arxiv_reference
from digest.awesome import store as liststore
from digest.record_ids import MAX_RECORD_ID
from digest.review.list_notices import StandingNotice, standing_notices
from digest.review.queries import (
    standing_of,
)
from digest.review.rules import Actor, Standing, SuggestedSection
from digest.review.signing import SessionClaim, csrf_token, session_digest
from digest.review.suggestions import suggestions_among
from digest.review.where_now import decided_where_now
from digest.storage.models import PENDING, Candidate
from digest.templating import SHORTCUTS_SCRIPT
from digest.vocab import READER_SOURCE, SHARED_MAINTAINER, decided_by
from digest.web.context import SECURITY_HEADERS, WebContext, context_of, refuse, render
from digest.web.highlighting import highlight
from digest.web.private_feed import subscribe_url
from digest.web.publishing import PublishTrouble, publish_trouble
from digest.web.review import card_terms, current_session, why_lines
from digest.web.review_filters import (
    SORTS,
    UNDO_WINDOW,
    FilterError,
    ReviewFilter,
    carried_add,
    carried_filters,
    may_undo,
    parse_review_filter,
)
from digest.web.review_notice import decided_since, decision_facts_of, parse_notice, taken_back
from digest.web.review_queue import queue_page_of
from digest.web.signin import signin_page

# The review page alone runs a script: its own keyboard shortcuts, served from this site (no inline script).
REVIEW_CSP = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "default-src 'none';", "default-src 'none'; script-src 'self';"
)
UNDO_MINUTES = int(UNDO_WINDOW.total_seconds() // 60)
UNFOLDED = 20  # cards shown in full; the rest of a long queue is folded to a line each (200 full cards: 72,000 px)


def web_actor(claim: SessionClaim) -> Actor:
    """The web maintainer: named by their admin token (the shared token's is "web maintainer"). Undo offers only one's
    own decisions: a named token is one maintainer in every browser they sign in from (no name holds an "@"), while
    the people sharing the one token are told apart per session."""
    if claim.maintainer is not None:
        return Actor(name=claim.maintainer, id=f"web:@{claim.maintainer}", channel="web")
    return Actor(name=SHARED_MAINTAINER, id=f"web:{session_digest(claim.nonce)[:32]}", channel="web")


class NoSuchPageError(LookupError):
    """A later page's ?after= names no candidate: there is no page it follows."""


@dataclass
class ReviewView:
    candidates: list[Candidate]
    sections: list[str]
    matched_total: int
    decided: Candidate | None = None  # the candidate the notice is about (decided, refused or not undone)
    standing: Standing | None = None  # and who decided it, when
    also: list[str] = field(default_factory=list)  # and who decided it the same way since (decided_since)
    changed_by: str | None = None  # who took it back or decided it since this maintainer did (taken_back)
    undoable: dict[int, datetime] = field(default_factory=dict)  # candidate id -> until when undo is offered
    suggested: dict[int, list[str]] = field(default_factory=dict)  # candidate id -> its suggestions, as offered
    # candidate id -> its suggestions that mean no one section now (taken out, or a name sections share)
    unsure: dict[int, list[SuggestedSection]] = field(default_factory=dict)
    undone: Candidate | None = None  # the candidate an undo returned to pending (its notice names the paper)
    notices: list[StandingNotice] = field(default_factory=list)  # of list papers arXiv withdrew or retitled
    # arXiv ID -> the sections holding a pending candidate's paper, put in the list by hand since it was found: an
    # approval into another section from here is refused, so the card says where it is before a button is pressed.
    listed: dict[str, list[str]] = field(default_factory=dict)
    publishing: PublishTrouble | None = None  # the list's repository refuses or fails the publish of what is decided
    # candidate id -> the section an approved card names: where the list holds the paper now (decided_where_now)
    section_now: dict[int, str] = field(default_factory=dict)
    # candidate id -> who decided a decided card, through which channel, as the history says it: 'ann via discord'
    decided_by: dict[int, str] = field(default_factory=dict)


def load_review(
    context: WebContext, chosen: ReviewFilter, decided_id: int | None, actor: Actor, undone_id: int | None = None
) -> ReviewView:
    now = context.clock()
    # A paper named by its arXiv address or "arXiv:2501.01234v2" (as Discord and feeds give it) is searched by its ID.
    searched = replace(chosen, title=parse_arxiv_reference(chosen.title) or chosen.title) if chosen.title else chosen
    with context.database.reading() as session:
        # A candidate no longer there (or never; past the 32-bit ids PostgreSQL refuses to compare): no page follows it.
        after = chosen.after
        if after is not None and not (0 < after <= MAX_RECORD_ID and session.get(Candidate, after) is not None):
            raise NoSuchPageError(after)
        shown, matched_total = queue_page_of(session, searched)
        labelled = liststore.labelled_sections(session)
        view = ReviewView(shown, [label for _, label in labelled], matched_total)
        # Each suggestion as the list has it now, as the feed, Discord and `digest candidates` say it (suggestions_now).
        ranked = [name for c in view.candidates for name in [c.suggested_section, *(c.suggested_sections or [])]]
        named = suggestions_among(labelled, ranked)
        for candidate in view.candidates:
            view.suggested[candidate.id], view.unsure[candidate.id] = offered_sections(candidate, named)
        pending = [(c.arxiv_id, c.title_key) for c in view.candidates if c.status == PENDING]
        view.listed = liststore.sections_holding_each(session, pending) if pending else {}
        view.decided = session.get(Candidate, decided_id) if decided_id is not None else None
        view.undone = session.get(Candidate, undone_id) if undone_id is not None else None
        view.standing = standing_of(session, view.decided) if view.decided is not None else None
        view.also = decided_since(session, view.decided) if view.decided is not None else []
        view.changed_by = taken_back(session, view.decided, actor) if view.decided is not None else None
        view.publishing = publish_trouble(session, context.settings)
        view.notices = standing_notices(session)
        decided_ones = [c for c in [*view.candidates, view.decided] if c is not None and c.status != PENDING]
        recent = [c for c in decided_ones if c.decided_at is not None and now - c.decided_at <= UNDO_WINDOW]
        facts = decision_facts_of(session, [candidate.id for candidate in decided_ones]) if decided_ones else {}
        view.decided_by = {
            c.id: decided_by(c.decided_by, facts[c.id].channel) for c in decided_ones if c.id in facts and c.decided_by
        }
        for candidate in recent:
            latest = facts.get(candidate.id)
            if latest is not None and may_undo(latest, candidate.status, str(actor.id), now):
                view.undoable[candidate.id] = latest.at + UNDO_WINDOW
        decided = [c for c in view.candidates if c.status != PENDING and c.decided_section]
        # Where the list holds an approved paper now, as `digest candidates` and its Discord message say it.
        into = decided_where_now(session, decided)
        view.section_now = {c.id: into[c.id] or "" for c in decided}
        session.expunge_all()
        return view


def offered_sections(
    candidate: Candidate, now: dict[str, SuggestedSection]
) -> tuple[list[str], list[SuggestedSection]]:
    """The sections the candidate's suggestions offer, best first, by the list's labels (`suggestions_now`: one a
    suggestion, or each section sharing its name), and the suggestions that mean no one section, said on its card."""
    ranked = candidate.suggested_sections or ([candidate.suggested_section] if candidate.suggested_section else [])
    suggestions = [now[name] for name in dict.fromkeys(ranked) if name and name in now]
    offered = dict.fromkeys(label for suggestion in suggestions for label in suggestion.offered())
    return list(offered), [suggestion for suggestion in suggestions if suggestion.label is None]


async def review_page(request: web.Request) -> web.Response:
    context = context_of(request)
    signed_in = await current_session(request)
    if signed_in is None:  # signing in comes back here, with the same filters
        return signin_page(request, filters=carried_filters(request.query_string))
    session_value, claim = signed_in
    try:
        chosen = parse_review_filter(request.query)
        notice = parse_notice(request.query)
    except FilterError as exc:
        return refuse(request, 400, "Bad request", str(exc), "/review")  # the page afresh: the filters were refused
    csrf = csrf_token(context.secret_key, session_value)
    adding = carried_add(request.query)  # Add a paper as it was when a sign-in interrupted it
    return await queue_page(request, csrf, claim, chosen, notice, adding)


async def queue_page(
    request: web.Request,
    csrf: str,
    claim: SessionClaim,
    chosen: ReviewFilter,
    notice: dict[str, int],
    adding: dict[str, str],
    *,
    add_refused: str | None = None,
    status: int = 200,
) -> web.Response:
    """The queue as `chosen` filters it, with the notice's line; a refused Add a paper (`add_refused`, answered with
    `status`) shows again as it was typed, its reason beside it."""
    context = context_of(request)
    # A refused decision or undo comes back naming its candidate, whose standing the notice then tells.
    refused = next((name for name in ("already", "not_undone") if name in notice), None)
    decided_id = notice.get("decided", notice[refused] if refused is not None else None)
    undone = notice.get("undone")
    try:
        view = await asyncio.to_thread(load_review, context, chosen, decided_id, web_actor(claim), undone)
    except NoSuchPageError:
        message = f"There is no candidate {chosen.after} for this page to follow: start again from the first page."
        return refuse(request, 404, "Not found", message, chosen.page_address(None))
    highlighted: dict[int, Markup] = {
        candidate.id: highlight(candidate.abstract, card_terms(candidate)[0]) for candidate in view.candidates
    }
    response = render(
        request,
        "review.html",
        status=status,
        view=view,
        candidates=view.candidates,
        sections=view.sections,
        decided=view.decided,
        refused=refused,
        undone=undone,
        rejected=notice.get("rejected"),
        skipped=notice.get("skipped"),
        chosen=chosen,
        sorts=SORTS,
        filters=chosen.query_string(),
        adding=adding,
        add_refused=add_refused,
        quick={key: offered[:3] for key, offered in view.suggested.items()},
        suggested=view.suggested,
        highlighted=highlighted,
        csrf=csrf,
        signed_in_as=web_actor(claim).name,
        digest=context.reviewer.digest,  # the commands the page names, run as printed: on the service's database
        why_lines=why_lines(view.candidates),
        undo_minutes=UNDO_MINUTES,
        unfolded=UNFOLDED,
        reader_source=READER_SOURCE,
        subscribe_url=subscribe_url(context),
    )
    response.headers["Content-Security-Policy"] = REVIEW_CSP
    return response


async def shortcuts_script(request: web.Request) -> web.Response:
    """The keyboard shortcuts (a static file among the templates, served as is)."""
    context = context_of(request)
    loader = context.templates.loader
    if loader is None:
        raise web.HTTPNotFound()
    source, _, _ = loader.get_source(context.templates, SHORTCUTS_SCRIPT)
    return web.Response(text=source, content_type="text/javascript", charset="utf-8")
