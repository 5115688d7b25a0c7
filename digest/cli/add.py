"""`digest add ARXIV_ID_OR_URL [--section NAME]`: a paper a maintainer heard of, fetched from the arXiv API, scored
like a polled paper and approved into the list through the one decision path (channel "cli").
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from digest.cli.context import CommandError, Context, blank_section
from digest.text import one_line


def __getattr__(name: str) -> Any:
    """`parse_arxiv_reference`, still importable from here; digest.arxiv.additions (dataclasses, datetime) is imported
    on first use, not by `digest --help`."""
    if name == "parse_arxiv_reference":
        from digest.arxiv.additions import parse_arxiv_reference

        return parse_arxiv_reference
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register(subparsers: Any) -> None:
    add = subparsers.add_parser(
        "add",
        help="add a paper to the list by its arXiv ID or URL (fetched from the arXiv API and scored)",
        description="Fetches the paper from the arXiv API, scores it with the current model and approves it into "
        "--section or the suggested section, as `digest approve` would. A pending candidate for the same paper is "
        "approved instead; a paper already in the list is refused (exit 1).",
    )
    add.add_argument(
        "paper",
        metavar="ARXIV_ID_OR_URL",
        help="2501.01234, 2501.01234v2, arXiv:2501.01234, an old-style ID (hep-th/9901001), or its address on "
        "arxiv.org (/abs/, /pdf/ or /html/)",
    )
    add.add_argument("--section", metavar="NAME", help="the section to add it to (default: the suggested one)")
    add.set_defaults(handler=handle_add)


def handle_add(args: argparse.Namespace, context: Context) -> int:
    from digest.arxiv.additions import EXAMPLE, AddError, parse_arxiv_reference

    if blank_section(args):
        return 2
    arxiv_id = parse_arxiv_reference(args.paper)
    if arxiv_id is None:
        from digest.arxiv_references import unissued_reason

        why = unissued_reason(args.paper[:300])
        said = f"is no arXiv ID arXiv can have issued ({why})" if why else "is not an arXiv ID or URL"
        print(f"digest add: {args.paper[:80]!a} {said}: {EXAMPLE}", file=sys.stderr)
        return 2
    try:
        return add(context, arxiv_id, args.section, args.paper)
    except AddError as exc:
        raise CommandError(str(exc)) from exc


def add(context: Context, arxiv_id: str, section: str | None, typed: str | None = None) -> int:
    """Approve the paper (`typed`: as the maintainer wrote it, a version named in it said apart from the queue's)."""
    import asyncio

    from digest.arxiv import additions as paper_add
    from digest.arxiv.additions import AddError
    from digest.arxiv_references import reference_version
    from digest.cli.review import actor_name, print_version_note
    from digest.review.handpicked import approve_added
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor
    from digest.storage.models import PENDING

    known = paper_add.known_paper(context.database, arxiv_id, section)
    if known.listed is not None:
        raise AddError(paper_add.already_listed(arxiv_id, known.listed))
    candidate_id, created, status_before = known.candidate_id, False, known.status
    if candidate_id is None:
        paper = asyncio.run(paper_add.fetch(context.settings, arxiv_id))
        stored = paper_add.store_candidate(context.database, context.settings, paper, section, name_sections=True)
        # Found stored meanwhile (by a poll, a reader, another maintainer's add): approved only while still pending.
        candidate_id, created = stored.candidate_id, stored.created
        status_before = None if created else PENDING
    reviewer = Reviewer(context.database, context.settings)
    actor = Actor(name=actor_name(), id=None, channel="cli")
    outcome = approve_added(
        reviewer, arxiv_id, candidate_id, section, actor, created=created, status_before=status_before
    )
    how = "a new candidate" if created else f"a candidate {status_before} until now"
    section = one_line(outcome.section or "")  # a heading of the list, as its maintainer wrote it
    print(f"{arxiv_id}: approved into {section} (candidate {outcome.candidate_id}, {how})")
    if typed is not None:
        print_version_note(arxiv_id, reference_version(typed), known.version)
    return 0
