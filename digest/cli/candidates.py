"""`digest candidates`: what the polls found, each with its section as the list has it now."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from digest.cli.context import Context, print_json
from digest.text import one_line, readable_title

if TYPE_CHECKING:
    from digest.review.rules import SuggestedSection
    from digest.storage.models import Candidate, Decision

# The header line over the rows, aligned with them:
# "{id:>5}  {status:<8} {score:.2f}  {arxiv_id:<12} {found:%Y-%m-%d} [section] title".
HEADER = f"{'ID':>5}  {'STATUS':<8} {'SCORE':<5} {'ARXIV ID':<12} {'FOUND':<10} [SECTION] TITLE"


def handle_candidates(args: argparse.Namespace, context: Context) -> int:
    context.reading_only = True
    from digest.arxiv.listing import candidate_dict, list_candidates, second_tier_waiting
    from digest.arxiv.retitled import list_titles
    from digest.review.history import standing_decisions
    from digest.review.suggestions import suggestions_now
    from digest.review.where_now import approved_where_now

    with context.database.reading() as session:
        found = list_candidates(session, args.status, args.second_tier)
        # Each section by the list's name now, resolved as `digest approve --section` resolves it: a suggestion made
        # before its heading was renamed, taken out or repeated in another year's block says so.
        named = [name for candidate in found for name in [candidate.suggested_section, *candidate.suggested_sections]]
        now = suggestions_now(session, named)
        # An approved paper where the list holds it now: the name its decision recorded may be a heading renamed since.
        where_now = approved_where_now(session, found)
        # The list's title of a paper it holds: its maintainers' text, kept when a new version on arXiv retitles it.
        in_list = list_titles(session, (candidate.arxiv_id for candidate in found))
        # Who decided each decided one, and through which channel, as `digest history` says it.
        standing = standing_decisions(session, [candidate.id for candidate in found if candidate.status != "pending"])
        rows = [
            {
                **candidate_dict(candidate),
                "suggested_section_now": _now(now.get(candidate.suggested_section or "")),
                "suggested_sections_now": [_now(now.get(name)) for name in candidate.suggested_sections],
                "decided_section": candidate.decided_section,
                "decided_sections_now": where_now.get(candidate.id),
                "earlier_verdict": _earlier(candidate),
                "title_in_list": in_list.get(candidate.arxiv_id),
                **_decided(standing.get(candidate.id)),
            }
            for candidate in found
        ]
        hidden = (
            0 if args.json or args.second_tier or args.status not in (None, "pending") else second_tier_waiting(session)
        )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no candidates" + (f" with status {args.status}" if args.status else ""))
    _print_rows(rows, found, now, where_now, in_list, standing)
    if hidden:
        print(f"and {hidden} pending in the second tier, for the weekly digest (--second-tier lists them)")
    return 0


def _print_rows(
    rows: list[dict[str, object]],
    found: list[Candidate],
    now: dict[str, SuggestedSection],
    where_now: dict[int, list[str]],
    in_list: dict[str, str],
    standing: dict[int, Decision],
) -> None:
    """The candidates as `digest candidates` prints them, each with its notes underneath (a decided one's last: who
    decided it, in `digest history`'s words)."""
    from digest.arxiv.announcements import found_as
    from digest.arxiv.retitled import retitled, retitled_line
    from digest.relevance.why import why_from_json

    if rows:  # the columns, named as each row shows them; the empty queue says so alone
        print(HEADER)
    for row, candidate in zip(rows, found, strict=True):
        # An approved paper is shown where the list holds it, which a maintainer may have chosen over the model's.
        suggested = now.get(candidate.suggested_section or "")
        section, recorded = (suggested.shown() if suggested else None), None
        if row["status"] == "approved":
            section, recorded = _approved_where(candidate.decided_section, where_now.get(candidate.id, []))
        # The section is a heading of the list, as its maintainer wrote it: shown without a bidi override's reversal.
        where = f"[{one_line(str(section or 'no section'))}]" + (" (second tier)" if row["tier"] == "second" else "")
        if recorded:
            where += f" ({one_line(recorded)})"
        title = one_line(readable_title(str(row["title"]), str(row["arxiv_id"])))  # as the pages: not blank
        found_on = f"{candidate.first_seen_at:%Y-%m-%d}" if candidate.first_seen_at else "?"
        print(f"{row['id']:>5}  {row['status']:<8} {row['score']:.2f}  {row['arxiv_id']:<12} {found_on:<10} ", end="")
        print(f"{where} {title}")
        older = found_as(candidate.announce_type, candidate.arxiv_id)
        if older:
            print(f"{'':>7}{older}")  # a new version of a paper the polls never saw: maybe new to you, not to arXiv
        listed_as = in_list.get(candidate.arxiv_id)
        if listed_as is not None and retitled(listed_as, candidate.title):  # the list keeps its maintainers' title
            print(f"{'':>7}{retitled_line(candidate.arxiv_id, listed_as, candidate.title)}")
        if row["withdrawn"]:  # a pending one left the review queue, but it stays a candidate
            print(f"{'':>7}withdrawn on arXiv" + (": not in the review queue" if row["status"] == "pending" else ""))
        earlier = why_from_json(candidate.why).earlier
        if earlier is not None and row["status"] == "pending":
            print(f"{'':>7}{one_line(earlier.line())}")  # what a maintainer decided before the poll found it
        decision = standing.get(candidate.id)
        if decision is not None:  # last: who decided it, and how
            print(f"{'':>7}{_decided_line(decision)}")


def _decided(decision: Decision | None) -> dict[str, object]:
    """The decision that stands in `--json`, in `history --json`'s words; nulls for a pending candidate."""
    if decision is None:
        return {"decided_at": None, "decided_action": None, "decided_by": None, "decided_channel": None}
    return {
        "decided_at": decision.at.isoformat(),
        "decided_action": decision.action,
        "decided_by": decision.actor,
        "decided_channel": decision.channel,
    }


def _decided_line(decision: Decision) -> str:
    """'approved into Probing on 2026-12-01 14:02 UTC by ann via discord', as `digest history` says who and how."""
    from digest.review.history import action_words
    from digest.vocab import decided_by

    what = one_line(action_words(decision))
    return f"{what} on {decision.at:%Y-%m-%d %H:%M} UTC by {decided_by(decision.actor, decision.channel)}"


def _earlier(candidate: Candidate) -> dict[str, object] | None:
    """The verdict brought in by `digest decisions import` before the paper was found, in `--json`; null for none."""
    from digest.relevance.why import why_from_json

    earlier = why_from_json(candidate.why).earlier
    return earlier.to_json() if earlier else None


def _approved_where(decided: str | None, held: list[str]) -> tuple[str | None, str | None]:
    """An approved paper's section as shown: where the list holds it now, and beside it what differs in the decision's
    record (the name it recorded, a heading renamed or the paper moved since; or that the list no longer holds it)."""
    if not held:
        return decided, "not in the list now"
    return ", ".join(held), None if decided in held else f"recorded as {decided}" if decided else None


def _now(suggestion: SuggestedSection | None) -> dict[str, object] | None:
    """A suggested section in `--json`: the list's section it means now (null when it means none), and the sections
    sharing its name when it means several; null for no suggestion."""
    if suggestion is None:
        return None
    shared = {"sections_sharing_its_name": list(suggestion.sharing)} if suggestion.sharing else {}
    return {"suggested": suggestion.suggested, "section": suggestion.label, **shared}
