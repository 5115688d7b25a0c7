"""What the review, history and list pages show: the filters read from a query string, and the rule for which
decision a maintainer may still undo (the terms marked in feed text are `highlighting`'s).

Pure: plain data in, plain data out; the web shells call it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from digest.record_ids import parse_record_id
from digest.text import one_line, quoted
from digest.vocab import Action, Channel, Status

STATUSES = ("pending", "approved", "rejected", "all")
MAX_TEXT = 200  # a search text longer than any title is a mistake, said so rather than searched
MAX_BATCH = 200  # the review page shows at most this many candidates, so a batch names at most this many
UNDO_WINDOW = timedelta(minutes=5)


class FilterError(ValueError):
    """A query parameter that cannot be used; one line saying which and what it takes."""


FILTER_NAMES = ("title", "author", "section", "min", "max", "status", "sort", "after")  # ReviewFilter's, in query()
# The orders /review offers (?sort=), each as its count line says it: the first is the page's own.
SORTS = {"best": "best score first", "oldest": "oldest first", "newest": "newest first"}


@dataclass(frozen=True)
class ReviewFilter:
    title: str = ""
    author: str = ""
    section: str = ""
    score_min: float | None = None
    score_max: float | None = None
    status: str = "pending"
    sort: str = "best"  # a key of SORTS: the best scores first, or by the day the poll found them
    after: int | None = None  # a later page: the candidates past this one, the last card of the page before

    def query(self) -> dict[str, str]:
        """The parameters that differ from the defaults, as the page's links and forms carry them."""
        values = {
            "title": self.title,
            "author": self.author,
            "section": self.section,
            "min": _number_text(self.score_min),
            "max": _number_text(self.score_max),
            "status": "" if self.status == "pending" else self.status,
            "sort": "" if self.sort == "best" else self.sort,
            "after": "" if self.after is None else str(self.after),
        }
        return {name: value for name, value in values.items() if value}

    def query_string(self) -> str:
        return urlencode(self.query())

    def page_address(self, after: int | None) -> str:
        """/review with these filters, from the first page (None) or past candidate `after`."""
        query = urlencode(replace(self, after=after).query())
        return "/review" + (f"?{query}" if query else "")

    def sorted_address(self, sort: str) -> str:
        """/review with these filters in another order, from its first page."""
        return replace(self, sort=sort).page_address(None)

    @property
    def narrowed(self) -> bool:
        """True when anything but every pending candidate is asked for (in whichever order)."""
        return bool(replace(self, sort="best").query())


def posted_filter(filters: str) -> ReviewFilter:
    """The filters a form carried back (its page's query string), re-read; the defaults when they cannot be used."""
    try:
        return parse_review_filter(dict(parse_qsl(filters[:2000])))
    except FilterError:
        return ReviewFilter()


def carried_filters(query_string: str) -> str:
    """The review page's own parameters in a query string, as given, for the sign-in form to carry back: others are
    left out, and nothing is judged here, so that one that cannot be used is refused once signed in in the line a
    signed-in page gives (posted_filter would drop it without a word)."""
    given: dict[str, str] = {}
    for name, value in parse_qsl(query_string[:2000]):
        given.setdefault(name, value)  # the first of a repeated one, as the page reads it
    return urlencode({name: given[name] for name in FILTER_NAMES if name in given})


def review_address(filters: str, card: int | None = None, **notice: int) -> str:
    """/review with a notice's numbers and the filters a form came from (re-read, never echoed), at `card`: the
    fragment moves the browser (and, without JavaScript, the keyboard's next Tab) to that candidate's card."""
    query = urlencode({**{name: str(value) for name, value in notice.items()}, **posted_filter(filters).query()})
    return "/review" + (f"?{query}" if query else "") + (f"#candidate-{card}" if card is not None else "")


def carried_add(form: Mapping[str, str]) -> dict[str, str]:
    """What was typed into the Add a paper form (`paper`, and its section as `into`: `section` is a filter), one line
    each and cut to the fields' lengths, for the sign-in form to carry back to the page when the session had ended."""
    values = {"paper": one_line(form.get("paper", ""))[:300], "into": one_line(form.get("into", ""))[:MAX_TEXT]}
    return {name: value for name, value in values.items() if value.strip()}


HISTORY = "history"  # the sign-in form's `page` when it was shown for /history
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_since(text: str | None) -> date | None:
    """The day in /history?since=YYYY-MM-DD; ValueError for anything else."""
    if text is None or text == "":
        return None
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(text)
    return date.fromisoformat(text)


def parse_older_than(text: str | None) -> int | None:
    """The decision id in /history?before=; ValueError for anything but a plain positive number."""
    if text is None or text == "":
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) < 1:
        raise ValueError(text)
    return int(text)


def history_query(query: Mapping[str, str]) -> str:
    """The history page's own parameters (since, before) re-read, as a query string; one that cannot be used is
    left out."""
    values: dict[str, str] = {}
    try:
        since = parse_since(query.get("since"))
    except ValueError:
        since = None
    try:
        older_than = parse_older_than(query.get("before"))
    except ValueError:
        older_than = None
    if since is not None:
        values["since"] = since.isoformat()
    if older_than is not None:
        values["before"] = str(older_than)
    return urlencode(values)


def signed_in_address(page: str, filters: str, fields: Mapping[str, str] | None = None, card: int | None = None) -> str:
    """Where signing in leads: back to the page that offered the form (/history, else /review) with that page's
    parameters re-read from `filters`, so neither a host nor anything else posted is ever echoed into Location."""
    if page == HISTORY:
        query = history_query(dict(parse_qsl(filters[:2000])))
        return "/history" + (f"?{query}" if query else "")
    query = urlencode({**posted_filter(filters).query(), **carried_add(fields or {})})  # refills Add a paper
    return "/review" + (f"?{query}" if query else "") + (f"#candidate-{card}" if card is not None else "")


def _number_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _text(query: Mapping[str, str], name: str) -> str:
    # Controls and bidi overrides carry no word (and PostgreSQL refuses a NUL in a query): they part words, as spaces.
    value = one_line(query.get(name, ""))
    if len(value) > MAX_TEXT:
        raise FilterError(f"?{name}= is longer than {MAX_TEXT} characters: {quoted(value)} has {len(value)}.")
    return value


# A score as people and the page's number field write one; float() alone also read "1_000", "infinity" and "-1".
_SCORE = re.compile(r"\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def _score(query: Mapping[str, str], name: str) -> float | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    value = float(text) if len(text) <= 20 and _SCORE.fullmatch(text) else math.nan
    if not math.isfinite(value):  # shown scores run from 0 up (relevance.scoring.shown_score)
        raise FilterError(f"?{name}= must be a score of 0 or more, such as 0.5 or 1.2, not {quoted(text)}.")
    return value


def parse_review_filter(query: Mapping[str, str]) -> ReviewFilter:
    """The review page's filters from its query string; raises FilterError on a value it cannot use."""
    status = query.get("status", "").strip().lower() or "pending"
    if status not in STATUSES:
        allowed = f"{', '.join(STATUSES[:-1])} or {STATUSES[-1]}"
        raise FilterError(f"?status= must be one of {allowed}, not {quoted(query['status'])}.")
    sort = query.get("sort", "").strip().lower() or "best"
    if sort not in SORTS:
        raise FilterError(f"?sort= must be one of {', '.join(SORTS)}, not {quoted(query['sort'])}.")
    low, high = _score(query, "min"), _score(query, "max")
    if low is not None and high is not None and low > high:
        raise FilterError(f"?min= ({low:g}) is above ?max= ({high:g}), so no score could match: swap them.")
    return ReviewFilter(
        title=_text(query, "title"),
        author=_text(query, "author"),
        section=_text(query, "section"),
        score_min=low,
        score_max=high,
        status=status,
        sort=sort,
        after=_after(query.get("after")),
    )


def _after(text: str | None) -> int | None:
    try:
        return parse_older_than(text)  # a record's number, as /history's ?before=
    except ValueError:
        raise FilterError(f"?after= must be a candidate's number, not {quoted(text or '')}.") from None


def _contains(haystack: str, needle: str) -> bool:
    return not needle or needle.casefold() in haystack.casefold()


def candidate_matches(
    chosen: ReviewFilter,
    *,
    title: str,
    authors: Sequence[str],
    sections: Iterable[str | None],
    score: float,
    status: str,
    arxiv_id: str = "",
) -> bool:
    """Whether a candidate passes every filter (texts: case-insensitive substrings, the title's also the arXiv ID's;
    scores: inclusive)."""
    if chosen.status != "all" and status != chosen.status:
        return False
    if chosen.score_min is not None and score < chosen.score_min:
        return False
    if chosen.score_max is not None and score > chosen.score_max:
        return False
    if not (_contains(title, chosen.title) or _contains(arxiv_id, chosen.title)):
        return False
    if not _contains(" · ".join(authors), chosen.author):
        return False
    return not chosen.section or any(name and _contains(name, chosen.section) for name in sections)


# A phrase in quotes, straight or curly, as search boxes take one; else a word. A quote left unpaired is no part of it.
_SEARCH_TERM = re.compile(r'["\u201c\u201d](?P<phrase>[^"\u201c\u201d]*)["\u201c\u201d]|(?P<word>[^\s"\u201c\u201d]+)')


def search_terms(search: str) -> list[str]:
    """The terms of a search of the list: each phrase typed in quotes (its spaces as one) and each other word."""
    found = (term["phrase"] if term["phrase"] is not None else term["word"] for term in _SEARCH_TERM.finditer(search))
    return [" ".join(term.split()) for term in found if term.strip()]


def entry_matches(search: str, *texts: str | None) -> bool:
    """The list page's search: every term of `search` (a word, or a phrase in quotes) appears in one of the texts
    (title, authors, arXiv ID...)."""
    joined = "\n".join(" ".join(text.split()) for text in texts if text).casefold()  # no phrase runs on to the next
    return all(term in joined for term in search_terms(search.casefold()))


def parse_id_list(text: str) -> list[int] | None:
    """Candidate ids posted as '3,5,8' (a batch); None when any part is not an id or there are too many."""
    parts = text.split(",")
    if not text or len(parts) > MAX_BATCH:
        return None
    ids = [parse_record_id(part) for part in parts]
    if any(value is None for value in ids):
        return None
    return list(dict.fromkeys(value for value in ids if value is not None))


@dataclass(frozen=True)
class DecisionFacts:
    """What the undo rule needs of a candidate's newest applied decision."""

    action: str
    channel: str
    actor_id: str | None
    at: datetime
    # Whether someone else decided since, if only to make the same decision (a check mark in Discord on a paper
    # just approved here): undoing it then would take back their decision too.
    others_since: bool = False


def may_undo(latest: DecisionFacts | None, status: str, actor_id: str, now: datetime) -> bool:
    """A maintainer may undo their own web decision for a few minutes, while it is still the standing one and no one
    else has decided since."""
    if latest is None or status == Status.PENDING or latest.action not in (Action.APPROVE, Action.REJECT):
        return False
    if latest.channel != Channel.WEB or latest.actor_id != actor_id or latest.others_since:
        return False
    return timedelta(0) <= now - latest.at <= UNDO_WINDOW
