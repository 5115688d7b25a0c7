"""`digest approve ID [--section NAME]`, `digest reject ID`, `digest pending ID` and `digest history`: the Discord
reactions and the audit log, from the command line.

Decisions go through the same Reviewer as Discord and the web page; a running bot sees them within seconds and edits
its message (the candidate's status then differs from the status its message shows).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from digest.cli.context import CommandError, Context, blank_section, iso_date, print_json
from digest.cli.options import json_option
from digest.record_ids import parse_record_id
from digest.sizes import counted
from digest.text import one_line, readable_title
from digest.vocab import Channel, decided_by

if TYPE_CHECKING:
    from digest.storage.models import Decision

_ID_HELP = (
    "the candidate's id (the ID column of `digest candidates`, the footer of its Discord message), or its paper's"
    " arXiv ID or URL; several decide in turn"
)


def register(subparsers: Any) -> None:
    approve = subparsers.add_parser(
        "approve",
        help="approve a candidate into the list (its suggested section unless --section names another)",
        description="Adds the candidate's paper to the list and regenerates the list's Markdown.",
    )
    approve.add_argument("candidate_ids", metavar="ID", nargs="+", help=_ID_HELP)
    approve.add_argument(
        "--section", metavar="NAME", help="the section to add it to, by name or slug (default: the suggested one)"
    )
    approve.set_defaults(handler=handle_decision, action="approve")
    reject = subparsers.add_parser(
        "reject",
        help="reject a candidate (it never comes back on later polls)",
        description="Marks the candidate rejected; an earlier approval's list entry is removed.",
    )
    reject.add_argument("candidate_ids", metavar="ID", nargs="+", help=_ID_HELP)
    reject.set_defaults(handler=handle_decision, action="reject", section=None)
    pending = subparsers.add_parser(
        "pending",
        help="return a decided candidate to pending (undo an approval or a rejection)",
        description="As removing the deciding reaction in Discord: an approval's list entry is removed, the "
        "candidate waits for a decision again, and the audit log records the change.",
    )
    pending.add_argument("candidate_ids", metavar="ID", nargs="+", help=_ID_HELP)
    pending.set_defaults(handler=handle_decision, action="revert", section=None)
    history = subparsers.add_parser(
        "history",
        help="the audit log: who decided what, when, through which channel, into which section",
        description=f"Every decision on a candidate, oldest first, from any channel ({', '.join(Channel)}: feed and "
        "email are the private feed's and the maintainers' weekly email's approve links); a decision that changed "
        "nothing (approving twice) is marked so, and an approval that stands while a maintainer has taken its paper "
        "out of the list by hand says who and when.",
    )
    history.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help="only decisions from this day (UTC) on")
    json_option(history, help="print JSON")
    history.set_defaults(handler=handle_history)


def actor_name() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def handle_decision(args: argparse.Namespace, context: Context) -> int:
    """Each ID in turn, each its own decision (a batch cleared from the shell); one line per ID, exit 1 when any
    failed. An ID that is neither a number nor an arXiv ID stops everything first (exit 2), before the database."""
    if blank_section(args):
        return 2
    read = _read_ids(args.command, args.candidate_ids)
    if read is None:
        return 2
    wanted, typed_versions = read
    from sqlalchemy.exc import SQLAlchemyError

    from digest.cli.program import database_failure
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor, ReviewError

    reviewer = Reviewer(context.database, context.settings)
    actor = Actor(name=actor_name(), id=None, channel="cli")
    by_arxiv_id = _candidates_of(context, [item for item in wanted if isinstance(item, str)])
    failed = decided = 0
    for position, item in enumerate(wanted):
        try:
            candidate_id, held = (item, None) if isinstance(item, int) else by_arxiv_id.get(item, (None, None))
            if candidate_id is None:
                raise CommandError(_no_candidate(context, str(item)))
            outcome = reviewer.decide(candidate_id, args.action, actor, args.section)
        except SQLAlchemyError as exc:
            if not decided:
                raise  # nothing was decided yet: the one line every command gives says so
            # Each ID is a decision of its own: those printed above were made, and saying "nothing was changed" would
            # have the maintainer decide them again, or think them lost.
            rest = len(wanted) - position - 1
            after = f" and the {rest} after it" if rest else ""
            made = "was made" if decided == 1 else "were made"
            changed = f"the {counted(decided, 'decision')} printed above {made}, {item}{after} were not: run the "
            changed += "command again for those"
            print(f"digest: {database_failure(exc, changed, context.settings.database_url)}", file=sys.stderr)
            return 1
        except (ReviewError, CommandError) as exc:
            if len(wanted) == 1:
                raise CommandError(str(exc)) from exc
            print(f"digest: {exc}", file=sys.stderr)
            failed += 1
            continue
        decided += 1
        print(f"candidate {outcome.candidate_id} ({outcome.arxiv_id}): {one_line(outcome.message)}")
        if isinstance(item, str):
            print_version_note(item, typed_versions.get(item), held)
    return 1 if failed else 0


def print_version_note(arxiv_id: str, typed: int | None, held: int | None) -> None:
    """arXiv papers are decided, not versions: the paper was, and the maintainer who named another version than the
    queue holds hears so (`digest add` as the decisions)."""
    if typed is not None and held is not None and typed != held:
        print(f"  you named v{typed} of {arxiv_id}; the queue holds v{held}: the decision is the paper's, any version")


def _read_ids(command: str, texts: list[str]) -> tuple[list[int | str], dict[str, int]] | None:
    """The candidate numbers and arXiv IDs the arguments name, and the version each ID was typed with; None after a
    one-line refusal of the first that names nothing (an arXiv ID arXiv cannot have issued says why)."""
    from digest.arxiv.additions import parse_arxiv_reference
    from digest.arxiv_references import reference_version, unissued_reason

    wanted: list[int | str] = []
    versions: dict[str, int] = {}
    for text in texts:
        number = parse_record_id(text)
        reference = parse_arxiv_reference(text) if number is None else None
        if (number is None and reference is None) or number == 0:
            why = unissued_reason(text[:300]) if number is None else None
            said = f"is no arXiv ID arXiv can have issued ({why})" if why else "is not a candidate id"
            print(
                f"digest {command}: {text[:40]!a} {said}: give its number (from 1, in the digits 0-9) or its "
                "paper's arXiv ID",
                file=sys.stderr,
            )
            return None
        if reference is not None and (version := reference_version(text)) is not None:
            versions[reference] = version
        wanted.append(number if number is not None else str(reference))
    return wanted, versions


def _no_candidate(context: Context, arxiv_id: str) -> str:
    """Why a paper named by its arXiv ID cannot be decided: no candidate; and where the list holds it, that (a paper a
    maintainer listed by hand, which `digest add` would refuse), else how to find or add one."""
    from digest.arxiv.additions import listed_sections

    with context.database.reading() as session:
        listed = listed_sections(session, arxiv_id)
    if listed is not None:
        where = f" ({', '.join(map(one_line, listed))})" if listed else ""
        return f"no candidate for arXiv {arxiv_id}: the list holds the paper already{where}; nothing was changed"
    from digest.config.invocation import password_note, same_invocation

    settings = context.settings
    listing, adding = same_invocation(settings, "candidates"), same_invocation(settings, "add", arxiv_id)
    return (
        f"no candidate for arXiv {arxiv_id}: `{listing}` lists them; `{adding}` adds a paper the polls never found"
        f"{password_note(settings)}"
    )


def _candidates_of(context: Context, arxiv_ids: list[str]) -> dict[str, tuple[int, int]]:
    """The candidate id and version of the papers with these arXiv IDs (one candidate per paper), in one read."""
    if not arxiv_ids:
        return {}
    from digest.arxiv.candidates import known_candidates

    with context.database.reading() as session:
        found = known_candidates(session, arxiv_ids).items()
        return {arxiv_id: (candidate.id, candidate.version) for arxiv_id, candidate in found}


def history_line(decision: Decision, arxiv_id: str, title: str, left_out: str | None = None) -> str:
    """One decision; `left_out`: why the list lacks the paper of the approval that stands (taken out by hand)."""
    from digest.review.history import action_words

    what = one_line(action_words(decision))  # its section is a heading of the list, as its maintainer wrote it
    unchanged = "" if decision.applied else " (changed nothing)"
    unchanged += f" ({one_line(left_out)})" if left_out else ""
    return (
        f"{decision.at:%Y-%m-%d %H:%M} UTC  {decision.candidate_id:>5} {arxiv_id:<12} {what} by "
        f"{decided_by(decision.actor, decision.channel)}{unchanged}: {one_line(readable_title(title, arxiv_id))}"
    )


def handle_history(args: argparse.Namespace, context: Context) -> int:
    context.reading_only = True
    from digest.review.history import decision_history, left_out

    with context.database.reading() as session:
        rows = decision_history(session, args.since)
        out_of_list = left_out(session)
    if args.json:
        print_json(
            [
                {
                    "at": decision.at.isoformat(),
                    "candidate_id": decision.candidate_id,
                    "arxiv_id": arxiv_id,
                    "title": title,
                    "action": decision.action,
                    "section": decision.section,
                    "moved_from": decision.moved_from,  # an approval that moved the paper: the section(s) it left
                    "actor": decision.actor,
                    "actor_id": decision.actor_id,
                    "channel": decision.channel,
                    "applied": decision.applied,
                    "not_in_list": out_of_list.get(decision.id),  # an approval that stands, its paper taken out
                }
                for decision, arxiv_id, title in rows
            ]
        )
        return 0
    if not rows:
        print("no decisions" + (f" since {args.since}" if args.since else ""))
    for decision, arxiv_id, title in rows:
        print(history_line(decision, arxiv_id, title, out_of_list.get(decision.id)))
    return 0
