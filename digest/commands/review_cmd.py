"""`digest approve ID [--section NAME]` and `digest reject ID`: the Discord reactions, from the command line.

Decisions go through the same Reviewer as Discord and the web page; a running bot sees them within seconds and edits
its message (the candidate's status then differs from the status its message shows).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from digest.commands import CommandError, Context
from digest.record_ids import parse_record_id
from digest.review import Actor, Reviewer, ReviewError


def register(subparsers: Any) -> None:
    approve = subparsers.add_parser(
        "approve",
        help="approve a candidate into the list (its suggested section unless --section names another)",
        description="Adds the candidate's paper to the list and regenerates the list's Markdown.",
    )
    approve.add_argument("candidate_id", metavar="ID", help="the candidate's id (footer of its message)")
    approve.add_argument("--section", metavar="NAME", help="the section to add it to (name or slug)")
    approve.set_defaults(handler=handle_decision, action="approve")
    reject = subparsers.add_parser(
        "reject",
        help="reject a candidate (it never comes back on later polls)",
        description="Marks the candidate rejected; an earlier approval's list entry is removed.",
    )
    reject.add_argument("candidate_id", metavar="ID", help="the candidate's id (footer of its message)")
    reject.set_defaults(handler=handle_decision, action="reject", section=None)


def actor_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "cli"


def handle_decision(args: argparse.Namespace, context: Context) -> int:
    candidate_id = parse_record_id(args.candidate_id)
    if candidate_id is None:
        # A usage error (exit 2) in one line, before the database is opened.
        shown = ascii(args.candidate_id[:40])
        print(f"digest {args.action}: {shown} is not a candidate id: give its number (0-9 only)", file=sys.stderr)
        return 2
    reviewer = Reviewer(context.database, context.settings)
    actor = Actor(name=actor_name(), id=None, channel="cli")
    try:
        outcome = reviewer.decide(candidate_id, args.action, actor, args.section)
    except ReviewError as exc:
        raise CommandError(str(exc)) from exc
    print(f"candidate {outcome.candidate_id} ({outcome.arxiv_id}): {outcome.message}")
    return 0
