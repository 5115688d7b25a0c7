"""An edit made in the list's repository brought into the database: imported with the `list import` rules, logged line
by line, and held for a maintainer when it removes most of the list at once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.awesome.importer import ImportReport
from digest.awesome.parse import ListFormatError
from digest.publish.history import PublishBlockedError
from digest.publish.rules import one_line, removes_most
from digest.review.listed import PUBLISH_PULL, settle_listed
from digest.review.taken_out import Finder, TakenOut, approved_listed, note_taken_out

log = logging.getLogger("digest.publish")


class UpstreamHeldError(PublishBlockedError):
    """An edit upstream that a maintainer must confirm first (it removes most of the list): held, not retried."""


def import_upstream(
    session: Session,
    text: str,
    source: str,
    now: datetime,
    templates_dir: Path,
    *,
    accepting_removals: bool,
    said: list[str] | None = None,
    found: Finder | None = None,
    publish: str,
) -> str:
    """Imports the merged text into the database and returns the list rendered from it; raises PublishBlockedError
    when it cannot be imported, UpstreamHeldError (nothing written) when it removes most of the list unasked.
    `said`: a dry run's import (rolled back), which logs nothing of what it brought but adds to `said` one clause
    saying it (its line read "up to date" while the real run then removed entries from the list here). An approved
    paper whose last entry it takes out is noted so, by whom `found` says (review/taken_out.py)."""
    listed = approved_listed(session)
    try:
        report = liststore.import_markdown(session, text.encode("utf-8"), source=source, now=now)
    except ListFormatError as exc:
        raise PublishBlockedError(f"{source} cannot be imported: {exc}") from None
    before = report.entries_total - len(report.added) + len(report.removed)
    if removes_most(len(report.removed), before) and not accepting_removals:
        raise UpstreamHeldError(
            f"{source} removes {len(report.removed)} of the list's {before} entries at once; nothing was pulled "
            f"or pushed. If that is meant, run `{publish} --accept-upstream`; if not, restore the entries "
            "in the repository"
        )
    if said is not None:
        said.append(brought_clause(report))
        return liststore.render_markdown(session, templates_dir)
    log.info("publish: brought back edits from %s: %s", source, liststore.import_counts(report))
    # Headings and titles written upstream are one inert line each, as titles from arXiv are.
    for item in report.renamed:  # a heading renamed with all its entries: one line, not a move of each
        renamed = (one_line(item["from"] or ""), one_line(item["to"] or ""), item["entries"])
        log.info("publish:   ~ section %s renamed to %s (its %s entries kept)", *renamed)
    for item in report.added:
        section, title = one_line(item["section"] or ""), one_line(item["title"] or "")
        log.info("publish:   + %s: %s (line %s)", section, title, item["line"])
    for item in report.moved:
        moved = (one_line(item["from"] or ""), one_line(item["to"] or ""), one_line(item["title"] or ""))
        log.info("publish:   ~ %s -> %s: %s", *moved)
    for item in report.removed:
        log.info("publish:   - %s: %s", one_line(item["section"] or ""), one_line(item["title"] or ""))
    for item in report.edited:
        log.info("publish:   * %s: %s", one_line(item["section"] or ""), one_line(item["title"] or ""))
    for settled in settle_listed(session, now, PUBLISH_PULL):  # as `digest list import` does
        log.info("publish:   %s", settled.line())
    note_taken_out(session, listed, TakenOut(now, None, f"an edit in {source}"), found)
    return liststore.render_markdown(session, templates_dir)


SHOWN = 3  # entries a dry run's line names


def brought_clause(report: ImportReport) -> str:
    """What an upstream edit brings into the list here, as one clause of a dry run's line: the counts, and the first
    entries added, moved or removed."""
    counts = liststore.import_counts(report)
    items = [f"~ section {one_line(item['from'])} renamed to {one_line(item['to'])}" for item in report.renamed]
    items += [f"+ {one_line(item['section'] or '')}: {one_line(item['title'] or '')}" for item in report.added]
    items += [f"~ {one_line(item['to'] or '')}: {one_line(item['title'] or '')}" for item in report.moved]
    items += [f"- {one_line(item['section'] or '')}: {one_line(item['title'] or '')}" for item in report.removed]
    items += [f"* {one_line(item['section'] or '')}: {one_line(item['title'] or '')}" for item in report.edited]
    more = f"; and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return f"; it would bring the edits made there into the list here: {counts} ({'; '.join(items[:SHOWN])}{more})"
