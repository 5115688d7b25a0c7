"""The review forms' refusals, each a page of its own address (Post/Redirect/Get): a refused POST answers with a 303 to
GET /review/refused, so Back or a reload after it shows that page again, never Chromium's "Confirm Form
Resubmission" (ERR_CACHE_MISS) that the answer to a POST under Cache-Control: no-store left in the history."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from urllib.parse import urlencode

from digest.record_ids import parse_record_id
from digest.web.review_filters import carried_add, posted_filter

REFUSED = "/review/refused"


class Refusal(StrEnum):
    """Why a form posted to /review was refused, before anything was done."""

    ENDED = "ended"  # no session: signed out in another tab, or after 12 hours
    STALE = "stale"  # the form's CSRF token is not this session's
    ELSEWHERE = "elsewhere"  # a page on another site sent it


SESSION_ENDED = (
    "Sign in first: your session has ended (signed out, or after 12 hours), so nothing was done. "
    "Sign in to go back to the review page, then press the button again."
)
STALE_FORM = (
    "This page was opened before you last signed in (or its form lost its security token), so nothing was done. "
    "Go back to the review page and press the button again."
)
FROM_ANOTHER_SITE = (
    "Nothing was done: this request was sent by a page on another site, not by this site's review page. If you did "
    "not mean to decide anything, there is nothing to do; to decide a candidate, use the review page itself."
)


def carried(query: Mapping[str, str]) -> dict[str, str]:
    """What a sign-in form carries back to the page: the text typed into Add a paper, or the card pressed on."""
    card = parse_record_id(query.get("card", ""))
    return {**carried_add(query), **({"card": str(card)} if card is not None else {})}


def carried_form(path: str, form: Mapping[str, str]) -> dict[str, str]:
    """What the sign-in form carries of a form posted after the session ended, to be pressed again there: the text
    typed into Add a paper, or the card whose button was pressed."""
    if path == "/review/add":
        return carried_add({**form, "into": form.get("section", "")})
    card = parse_record_id(form.get("candidate_id", ""))
    return {"card": str(card)} if card is not None else {}


def refused_address(why: Refusal, path: str = "", form: Mapping[str, str] | None = None) -> str:
    """The refusal's own address: why, the filters of the page the form came from (re-read, never echoed) and, when
    the session had ended, what the sign-in form carries back (`carried_form`)."""
    form = form or {}
    query = {"why": why.value, "filters": posted_filter(form.get("filters", "")).query_string()}
    if why is Refusal.ENDED:
        query.update(carried_form(path, form))
    return REFUSED + "?" + urlencode({name: value for name, value in query.items() if value})
