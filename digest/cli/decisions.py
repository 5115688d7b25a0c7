"""`digest decisions import FILE.jsonl | list`: maintainers' earlier verdicts as training for the relevance model.

Imported decisions never change the list. A file with any bad line imports nothing; a good one is imported in one
transaction, a paper imported again replacing its earlier verdict.
"""

from __future__ import annotations

import argparse
import sys
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from digest.cli.context import STDIN, CommandError, Context, input_argument, print_json, print_json_streamed, shown_path
from digest.cli.decisions_list import handle_list
from digest.cli.options import json_option
from digest.sizes import counted
from digest.text import one_line

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy.orm import Session

    from digest.cli.decisions_file import Spool
    from digest.relevance.training import ImportedDecision, SectionResolver


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "decisions",
        help="import earlier approve/reject verdicts to train the relevance model (the list is not changed)",
        description="Maintainers' earlier verdicts (from an issue tracker, say) as training for the relevance model.",
    )
    commands = parser.add_subparsers(dest="decisions_command", metavar="ACTION", required=True)
    importing = commands.add_parser(
        "import",
        help="import decisions from a JSON-lines file (all or nothing)",
        description="One JSON object a line: arxiv_id, title, abstract, decision (approve or reject) and, for "
        "approve, an optional section (a name or slug of the list's sections, as `digest approve --section` "
        "takes; ignored for reject). Blank lines are skipped. If any line is bad, each is reported and nothing "
        "is imported. A paper imported again replaces its earlier verdict; within one file the last line for a "
        "paper wins.",
    )
    importing.add_argument(
        "path",
        type=input_argument,
        metavar="FILE.jsonl",
        help="the decisions ('-' for standard input; .gz is read as gzip)",
    )
    importing.add_argument("--dry-run", action="store_true", help="check the file and show what would be imported")
    json_option(importing, help="print the summary as JSON")
    importing.set_defaults(handler=handle_import)
    listing = commands.add_parser(
        "list",
        help="the imported decisions, most recent first",
        description="Prints each imported decision: arXiv ID, decision, section, title; the most recent first. One "
        "the model does not learn from is marked with why: a reject of a paper the list holds, or a paper decided "
        "otherwise in review.",
    )
    json_option(listing, help="print them as JSON")
    listing.set_defaults(handler=handle_list)


_NAMES_REMEMBERED = 256  # section names looked up once each: a wrong file's endless different names are not all kept


def _resolver(session: Session) -> SectionResolver:
    """The list's section names and slugs, resolved as `digest approve --section` resolves them (a name several
    sections share refused in its words), to the section's label, as an approval records it: a heading the list
    repeats ("Probing (2024)") is then its own section to the model, not a name two share. The sections are read once
    (an import does not change the list): each name looked up against the whole list took 5-13 ms, minutes for a
    wrong file of 200k lines with a different name on each."""
    from functools import lru_cache

    from digest.awesome import store as liststore
    from digest.awesome.sectionnames import SectionMatcher, several_fit, several_named
    from digest.relevance.training import SeveralSectionsError
    from digest.titles import title_key

    labelled = liststore.labelled_sections(session)
    labels = [label for _, label in labelled]
    matcher = SectionMatcher([(section.name, section.slug) for section, _ in labelled], labels)
    keys = [title_key(section.name) for section, _ in labelled]

    @lru_cache(maxsize=_NAMES_REMEMBERED)
    def looked_up(name: str) -> tuple[str | None, str | None]:
        """The label `name` means, or why it means no one section when it names several (None when it names none)."""
        found = matcher.fitting(name)
        if len(found) == 1:
            return labels[found[0]], None
        key = title_key(name)
        shared = [label for label, named in zip(labels, keys, strict=True) if named == key]
        if len(shared) > 1:
            return None, several_named(name, shared)
        return None, several_fit(name, [labels[index] for index in found]) if found else None

    def resolve(name: str) -> str | None:
        label, several = looked_up(name)
        if several is not None:
            raise SeveralSectionsError(several)
        return label

    return resolve


def _report_bad_lines(source: str, spool: Spool, sections: list[str], as_json: bool) -> int:
    for bad in spool.bad_lines:
        print(f"{source}:{bad.line_number}: {bad.message}", file=sys.stderr)
    more = spool.bad_count - len(spool.bad_lines)
    if more:
        print(f"{source}: and {counted(more, 'more bad line')}, not shown", file=sys.stderr)
    if spool.unknown_section:
        # The list's headings as its maintainer wrote them: shown without a bidi override reversing the line.
        print(f"{source}: the list's sections are: {', '.join(map(one_line, sections))}", file=sys.stderr)
    print(f"{source}: {counted(spool.bad_count, 'bad line')}; nothing was imported", file=sys.stderr)
    if as_json:
        lines = [{"line": bad.line_number, "message": bad.message} for bad in spool.bad_lines]
        print_json({"source": source, "imported": 0, "bad_lines": lines, "bad_line_count": spool.bad_count})
    return 1


def _decision_dict(decision: ImportedDecision) -> dict[str, object]:
    return {
        "arxiv_id": decision.arxiv_id,
        "decision": str(decision.verdict),
        "section": decision.section,
        "title": decision.title,
        "line": decision.line_number,
    }


def _print_summary(source: str, spool: Spool, counts: _Counts, dry_run: bool) -> None:
    replaced, listed, listed_rejects, decided, overruled, pending, pending_rejects = counts
    summary = f"{counted(spool.count(), 'decision')} ({spool.count(approved=True)} approve, "
    summary += f"{spool.count(approved=False)} reject) from {source}"
    if dry_run:
        print(f"would import {summary}; nothing was written (--dry-run)")
        for chunk in spool.decisions():
            for decision in chunk:
                into = f" into {one_line(decision.section)}" if decision.section else ""
                print(f"  {decision.verdict:<7} {decision.arxiv_id}{into}: {decision.title}")
    else:
        print(f"imported {summary}; they train the relevance model and do not change the list")
    for arxiv_id, line_numbers in spool.repeats():
        lines = ", ".join(map(str, line_numbers))
        print(f"  {arxiv_id} is on lines {lines}: the last, line {line_numbers[-1]}, wins")
    if replaced:
        verb = "would replace" if dry_run else "replaced"
        print(f"  {replaced} of them {verb} an earlier imported verdict for the same paper")
    if listed - listed_rejects:
        approves = listed - listed_rejects
        papers = "is an approve of a paper" if approves == 1 else "are approves of papers"
        print(f"  {approves} of them {papers} the list holds: the list agrees, and {_it(approves)} learnt")
    if listed_rejects:
        papers = "is a reject of a paper" if listed_rejects == 1 else "are rejects of papers"
        print(
            f"  {listed_rejects} of them {papers} the list holds: the list stands, and {_it(listed_rejects)} not learnt"
        )
    if decided:
        papers = "is a paper" if decided == 1 else "are papers"
        print(
            f"  {decided} of them {papers} decided in review (digest candidates) and not in the list: that decision "
            "stands, and the imported one is not learnt"
        )
    for item in islice(spool.each(overruled=True), _OVERRULED_SHOWN):
        where = f"{_in_review(item)} in review, where the file {item.verdict}s it"
        print(f"    {item.arxiv_id} (line {item.line_number}): {where}")
    if overruled > _OVERRULED_SHOWN:
        print(f"    and {overruled - _OVERRULED_SHOWN} more decided otherwise in review (--json names them all)")
    if pending:
        one = pending == 1
        papers, cards = ("is a candidate", "its card") if one else ("are candidates", "their cards")
        shows = "would show" if dry_run else "shows" if one else "show"
        print(
            f"  {pending} of them {papers} pending in review (digest candidates), {pending_rejects} rejected in the "
            f"file: {cards} {shows} the earlier verdict, and a maintainer decides {'it' if one else 'them'} there"
        )


class _Counts(NamedTuple):
    replaced: int  # the papers that already have an imported decision
    listed: int  # the papers the list holds
    listed_rejects: int  # of those, the ones the file rejects (not learnt: the list stands)
    decided: int  # the papers decided in review that the list does not hold
    overruled: int  # of those, the ones the review decided otherwise than the file (marked in the spool)
    pending: int = 0  # the papers a pending candidate holds: its card shows the verdict, a maintainer decides
    pending_rejects: int = 0  # of those, the ones the file rejects (still pending)


_OVERRULED_SHOWN = 20  # papers named in the summary; --json names them all


def _it(count: int) -> str:
    return "it is" if count == 1 else "they are"


def _in_review(decision: ImportedDecision) -> str:
    """What the review decided of a paper whose verdict in the file it overrules: the other verdict."""
    return "rejected" if decision.approved else "approved"


def _check(context: Context, lines: Iterable[bytes], spool: Spool) -> tuple[list[str], _Counts]:
    """The file's decisions checked against the list's sections into `spool`; the section names (for the hint) when
    one was unknown; how many of the papers already have an imported decision, how many the list holds and how many
    others were decided in review (whose decision stands over the file's)."""
    from digest.awesome import store as liststore
    from digest.relevance import training_store
    from digest.relevance.training import check_lines

    replaced = listed = listed_rejects = decided = pending = pending_rejects = 0
    with context.database.reading() as session:
        spool.take(check_lines(lines, _resolver(session)))
        if spool.bad_count:
            return (liststore.section_names(session) if spool.unknown_section else []), _Counts(0, 0, 0, 0, 0)
        for chunk in spool.decisions():
            ids = [decision.arxiv_id for decision in chunk]
            in_list = training_store.listed_ids(session, ids)
            review = training_store.review_verdicts(session, ids)
            replaced += len(training_store.imported_ids(session, ids))
            listed += len(in_list)
            listed_rejects += sum(1 for item in chunk if item.arxiv_id in in_list and not item.approved)
            decided += len(set(review) - in_list)
            waiting = training_store.pending_candidates(session, ids)
            pending += len(waiting)
            pending_rejects += sum(1 for item in chunk if item.arxiv_id in waiting and not item.approved)
            spool.overrule(
                item
                for item in chunk
                if item.arxiv_id not in in_list and review.get(item.arxiv_id, item.approved) != item.approved
            )
    overruled = spool.overruled_count()
    return [], _Counts(replaced, listed, listed_rejects, decided, overruled, pending, pending_rejects)


def _summary_json(source: str, spool: Spool, counts: _Counts, dry_run: bool) -> dict[str, object]:
    """The summary, its lists as iterators drawn from the spool as they are printed (never held whole)."""
    checked = spool.count()
    return {
        "source": source,
        "dry_run": dry_run,
        "checked": checked,
        "imported": 0 if dry_run else checked,
        "approve": spool.count(approved=True),
        "reject": spool.count(approved=False),
        "replaced": counts.replaced,
        "in_list": counts.listed,
        "in_list_rejected": counts.listed_rejects,
        "decided_in_review": counts.decided,
        "pending_in_review": counts.pending,
        "pending_in_review_rejected": counts.pending_rejects,
        "overruled_in_review": (
            {**_decision_dict(item), "in_review": _in_review(item)} for item in spool.each(overruled=True)
        ),
        "repeated": ({"arxiv_id": arxiv_id, "lines": lines} for arxiv_id, lines in spool.repeats()),
        "decisions": (_decision_dict(decision) for decision in spool.each()),
    }


def handle_import(args: argparse.Namespace, context: Context) -> int:
    from digest.cli.decisions_file import Spool, decision_lines, refusing_json_array

    source = STDIN if str(args.path) == "-" else shown_path(args.path)
    context.reading_only = args.dry_run  # writes nothing: a read-only or full data folder still checks the file
    context.dry_run = args.dry_run  # a new data folder is checked against the list it would start with, not made
    spool = Spool()
    try:
        sections, counts = _check(context, refusing_json_array(source, decision_lines(args.path)), spool)
        if spool.bad_count:
            return _report_bad_lines(source, spool, sections, args.json)
        if not spool.count():
            raise CommandError(f"{source}: no decisions in the file; nothing was imported")
        if not args.dry_run:  # what the write met: a poll may have stored some of the papers since the check
            counts = counts._replace(**_store(context, spool, STDIN if source == STDIN else args.path.name))
        if args.json:
            print_json_streamed(_summary_json(source, spool, counts, args.dry_run))
        else:
            _print_summary(source, spool, counts, args.dry_run)
        return 0
    finally:
        spool.close()


def _store(context: Context, spool: Spool, file_name: str) -> dict[str, int]:
    """The spooled decisions written in one transaction, a chunk at a time: how many replaced an earlier import, and
    how many pending candidates (and of those, rejected in the file) now show their verdict."""
    from datetime import UTC, datetime

    from digest.relevance.training_store import mark_pending, store_decisions

    now = datetime.now(UTC)
    replaced = pending = pending_rejects = 0
    with context.database.transaction() as session:
        for chunk in spool.decisions():
            replaced += store_decisions(session, chunk, file_name, now).replaced
            marked = mark_pending(session, chunk, file_name)  # their cards say it; they stay pending for a maintainer
            pending += len(marked)
            pending_rejects += sum(1 for item in chunk if item.arxiv_id in marked and not item.approved)
            session.expunge_all()  # flushed: the rows written need not stay in memory until the commit
    return {"replaced": replaced, "pending": pending, "pending_rejects": pending_rejects}
