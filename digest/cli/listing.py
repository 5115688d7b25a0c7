"""`digest list import|export|lint`: the curated list between its Markdown file and the database."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TYPE_CHECKING, Any

from digest.awesome.limits import MAX_LIST_BYTES
from digest.cli.context import (
    STDIN,
    CommandError,
    Context,
    input_argument,
    path_argument,
    print_json,
    refuse_non_file,
    shown_path,
    shown_source,
    unreadable,
)
from digest.cli.list_export import handle_export
from digest.cli.options import json_option
from digest.sizes import counted, shown_size

if TYPE_CHECKING:
    from pathlib import Path

    from digest.awesome.importer import ImportReport
    from digest.storage.db import Database


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "list",
        help="import, export or lint the curated list",
        description="The curated list: import its Markdown into the database, export it back, lint it.",
    )
    commands = parser.add_subparsers(dest="list_command", metavar="ACTION", required=True)

    importing = commands.add_parser(
        "import",
        help="make the database hold this Markdown list (reports added, moved, removed entries)",
        description="Import a Markdown list. Re-importing the same file changes nothing; an edited file's "
        f"edits are applied in one transaction. Files over {shown_size(MAX_LIST_BYTES)} are refused.",
    )
    importing.add_argument(
        "path", type=input_argument, metavar="PATH", help="the Markdown file ('-' for standard input)"
    )
    json_option(importing, help="print the report as JSON")
    importing.add_argument(
        "--dry-run", action="store_true", help="print what would be added, moved and removed; change nothing"
    )
    importing.add_argument(
        "--force", action="store_true", help="import even when it removes more than a few entries (refused otherwise)"
    )
    importing.set_defaults(handler=handle_import)

    exporting = commands.add_parser(
        "export",
        help="render the list from the database (byte-identical to the imported file when unchanged)",
        description="Render the list from the database to standard output, or to a file written atomically.",
    )
    exporting.add_argument(
        "-o",
        "--output",
        type=path_argument,
        metavar="PATH",
        help="write to this file (default: standard output, as '-' is); a file there is replaced whole, keeping its "
        "permissions (a hard link to it keeps the old list)",
    )
    json_option(exporting, help="print a JSON summary (with the Markdown if no -o)")
    exporting.set_defaults(handler=handle_export)

    linting = commands.add_parser(
        "lint",
        help="check the list: arXiv IDs, badges, duplicates, date order, TOC links, URLs",
        description="Lint a Markdown list (or, without PATH, the list in the database). Exit status 1 when "
        "there are errors, 0 when there are only warnings or nothing.",
    )
    linting.add_argument(
        "path",
        type=input_argument,
        nargs="?",
        metavar="PATH",
        help="the Markdown file ('-': standard input; default: the database)",
    )
    json_option(linting, help="print the findings as JSON")
    linting.set_defaults(handler=handle_lint)


def read_list_file(path: Path) -> bytes:
    """The file's bytes ('-': standard input's), refusing missing files, folders, named pipes and files over the size
    limit with one line."""
    refuse_non_file(path, "Markdown file")
    if str(path) == "-":  # standard input, as for `score` and `decisions import`
        data = sys.stdin.buffer.read(MAX_LIST_BYTES + 1)
        if len(data) > MAX_LIST_BYTES:
            raise CommandError(f"{STDIN}: over the {shown_size(MAX_LIST_BYTES)} limit for a list file")
        return data
    try:
        size = path.stat().st_size
        if size > MAX_LIST_BYTES:
            raise CommandError(
                f"{shown_path(path)}: {shown_size(size)} is over the {shown_size(MAX_LIST_BYTES)} limit for a list file"
            )
        with path.open("rb") as stream:
            return stream.read(MAX_LIST_BYTES + 1)
    except OSError as exc:  # a folder put there since refuse_non_file looked is "Is a directory" here
        raise unreadable(path, exc) from None


class _RolledBackError(Exception):
    """Rolls an import back (a dry run, or a refusal) while keeping its report."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("discarded")
        self.report = report


def _database_to_import_into(dry_run: bool, context: Context) -> tuple[Database, bool]:
    """The database to import into, and whether it is a scratch one, to dispose of once the dry run is shown. The way
    back for a data folder whose database was lost is to import into it, no seed. A dry run writes nothing: a data
    folder this user cannot write (or a full disk) still shows what the import would do, in a copy of its database;
    a data folder with no database yet (a new one, or one whose database was lost) is left as it was, the import
    tried in the database it would be given."""
    context.restoring = not dry_run
    context.reading_only = dry_run
    if dry_run:
        from digest.service.dry_run import database_to_come

        new = database_to_come(context.settings)
        if new is not None:
            return new, True
    database = context.database
    if not context.opened_read_only:
        return database, False
    from digest.storage.snapshot import scratch_copy

    return scratch_copy(database), True  # the file could only be read: the import is tried in a copy


def _too_many_removals(args: argparse.Namespace, context: Context, removed: str) -> CommandError:
    from digest.config.invocation import password_note, same_invocation  # the dry run on the same settings and data

    dry_run = same_invocation(context.settings, "list", "import", "--dry-run", shown_path(args.path))
    said = f"would remove {removed}; nothing was imported. See them with"
    forced = f"run with --force to remove them{password_note(context.settings)}"
    return CommandError(f"{shown_source(args.path)}: {said} `{dry_run}`; {forced}")


def handle_import(args: argparse.Namespace, context: Context) -> int:
    from digest.awesome import store as liststore
    from digest.awesome.importer import REMOVAL_LIMIT, removes_too_many
    from digest.awesome.parse import ListFormatError, parse_bytes
    from digest.cli.list_links import note_broken_links
    from digest.cli.list_placing import put_in_place, staged_list
    from digest.clock import utc_now
    from digest.progress import ProgressBar
    from digest.review.listed import LIST_IMPORT, settle_listed
    from digest.review.taken_out import TakenOut, approved_listed, note_taken_out
    from digest.storage.files import Staged, held_for_writing

    data, shown = read_list_file(args.path), shown_source(args.path)
    database, scratch = _database_to_import_into(args.dry_run, context)
    bar = ProgressBar("import", sys.stderr)
    discarded, written, staged, settled = None, None, Staged(), []
    try:
        parsed = parse_bytes(data, shown)  # read once, for the import and its lint, before the lock is taken
        with contextlib.ExitStack() as placing:  # list.md's lock, from its writing aside until it is in place
            with database.transaction(exclusive=True) as session:  # after, or before, another's decision
                held = liststore.held_list(session, context.settings.templates_dir)  # to lint it as it was
                listed = approved_listed(session)  # an approved paper the file takes out: its approval again says so
                report = liststore.import_markdown(session, data, source=shown, progress=bar.update, parsed=parsed)
                note_broken_links(session, report, held[0], parsed, data.decode("utf-8"))
                settled = settle_listed(session, utc_now(), LIST_IMPORT) if report.changed else []
                note_taken_out(session, listed, TakenOut(utc_now(), None, "`digest list import`"))
                if args.dry_run or (removes_too_many(report) and not args.force):
                    raise _RolledBackError(report)  # rolls the whole import back
                if report.changed:  # written aside before the commit: a disk too full for it fails the import whole
                    placing.enter_context(held_for_writing(context.settings.list_markdown_path))
                    written = staged_list(session, context, staged, held)
            put_in_place(staged, context)
    except ListFormatError as exc:
        raise CommandError(f"{exc} (nothing was imported)") from None
    except _RolledBackError as exc:
        discarded = exc.report
    finally:
        staged.discard()
        bar.close()
        if scratch:
            database.dispose()
    if discarded is not None and not args.dry_run:
        raise _too_many_removals(args, context, f"{len(discarded.removed)} entries (more than {REMOVAL_LIMIT})")
    if discarded is not None:
        status = report_import(args, discarded, None, dry_run=True)
        if removes_too_many(discarded) and not args.force:
            print(
                f"digest: warning: it removes more than {REMOVAL_LIMIT} entries, so the import itself will be refused "
                "unless run with --force",
                file=sys.stderr,
            )
        return status
    status = report_import(args, report, written, dry_run=False)
    if not args.json:
        for item in settled:
            print(f"  {item.line()}")
    return status


def report_import(args: argparse.Namespace, report: ImportReport, written: Path | None, *, dry_run: bool) -> int:
    if args.json:
        from dataclasses import asdict

        written_to = str(written) if written else None
        print_json({**asdict(report), "source": str(args.path), "written": written_to, "dry_run": dry_run})
        return 0
    summary = f"{counted(report.entries_total, 'entry', 'entries')} in {counted(report.sections_total, 'section')}"
    if not report.changed:
        print(f"{shown_source(args.path)}: unchanged ({summary})")
        return 0
    from digest.awesome import store as liststore

    verb = "would import" if dry_run else "imported"
    print(
        f"{shown_source(args.path)}: {verb} {summary}: {liststore.import_counts(report)}"
        + (" (dry run: nothing was changed)" if dry_run else "")
    )
    for item in report.renamed:
        kept = counted(item["entries"], "entry", "entries")
        print(f"  ~ section {_shown(item['from'])} renamed to {_shown(item['to'])} (its {kept} kept)")
    for item in report.added:
        print(f"  + {_shown(item['section'])}: {_shown(item['title'])} (line {item['line']})")
    for item in report.moved:
        print(f"  ~ {_shown(item['from'])} -> {_shown(item['to'])}: {_shown(item['title'])} (line {item['line']})")
    for item in report.removed:
        print(f"  - {_shown(item['section'])}: {_shown(item['title'])}")
    for item in report.edited:
        print(f"  * {_shown(item['section'])}: {_shown(item['title'])} (line {item['line']})")
    from digest.cli.list_links import broken_link_lines

    for line in broken_link_lines(report, dry_run=dry_run, path=shown_path(args.path)):
        print(line)
    return 0


def _shown(text: str) -> str:
    """A heading or title of the imported file as one line of the answer: no terminal escape (the file may hold
    them), and cut as a poll cuts an arXiv title, so that one entry of megabytes is not printed whole."""
    from digest.arxiv.entries import TITLE_MAX, shortened
    from digest.text import one_line

    return shortened(one_line(text), TITLE_MAX)


def handle_lint(args: argparse.Namespace, context: Context) -> int:
    context.reading_only = True
    from digest.arxiv.unknown_ids import UNKNOWN_RETRY_DAYS, unknown_ids  # not `api`: no aiohttp for a lint
    from digest.awesome import store as liststore
    from digest.awesome.lint import ERROR, NOTICE, WARNING, has_errors, lint_bytes
    from digest.awesome.parse import ListFormatError
    from digest.awesome.unknown_links import unknown_id_findings

    if args.path is not None:
        source = path = shown_source(args.path)
        try:
            findings = lint_bytes(read_list_file(args.path), source)
        except ListFormatError as exc:
            raise CommandError(str(exc)) from None
    else:
        # The lines are those of the database's list as it writes data/list.md: named so, a maintainer can open them.
        source, path = "database", shown_path(context.settings.list_markdown_path)
        with context.database.reading() as session:
            markdown = liststore.render_markdown(session, context.settings.templates_dir)
            unknown = unknown_ids(session)
        findings = lint_bytes(markdown.encode("utf-8"), source) + unknown_id_findings(
            markdown, unknown, UNKNOWN_RETRY_DAYS
        )
    errors, warnings, notices = (sum(f.severity == kind for f in findings) for kind in (ERROR, WARNING, NOTICE))
    if args.json:
        counts = {"errors": errors, "warnings": warnings, "notices": notices}
        print_json({"source": source, "path": path, **counts, "findings": [f.as_dict() for f in findings]})
    else:
        from digest.text import one_line  # a finding quotes the file's headings and titles

        for finding in findings:
            print(f"{path}:{finding.line}: {finding.severity}: {one_line(finding.message)} [{finding.code}]")
        noted = f", {counted(notices, 'notice')}" if notices else ""  # nothing to do: said only when there is one
        print(f"{path}: {counted(errors, 'error')}, {counted(warnings, 'warning')}{noted}")
    return 1 if has_errors(findings) else 0
