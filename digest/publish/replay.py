"""The pending decisions replayed on another copy of the list, by the list's own rules.

When an upstream edit and a pending approval touch neighbouring lines, the line merge gives up. Put the same way a
maintainer would (the upstream file brought in, then each pending decision made again), the two rarely meet: the
approved paper goes into its section in the upstream file at its date's place. Every step runs in a savepoint that
is rolled back: only the rendered text comes out, or why a decision cannot be made there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.awesome.parse import ListFormatError
from digest.config.invocation import digest_command
from digest.publish.rules import Decided, one_line
from digest.review.applying import add_candidate_entry
from digest.sizes import counted
from digest.storage.models import APPROVED, Candidate
from digest.titles import arxiv_abs_url
from digest.vocab import Action


def replayed(
    session: Session,
    text: str,
    decided: list[Decided],
    templates_dir: Path,
    now: datetime,
    path: str = "the file",
    left: Mapping[str, set[str]] | None = None,
    command: Callable[..., str] = digest_command,
) -> tuple[str | None, str]:
    """`text` as the list with the pending decisions made on it; else None and, when a decision cannot be made again
    there, why and what to do, in one clause naming the paper (`path`: the list file's name in the repository). A
    removal of a paper whose entry `text` holds, or an approval into a section it lacks, stays for a maintainer.
    `left`: per arXiv ID, the sections the decisions took the paper out of (rules.sections_left): an approval of such
    a paper moved it, and moves its entry in `text` as written there (a maintainer's edits in it kept). `command`: the
    `digest` command of the given words that a maintainer would run (the service's settings file and data folder)."""
    savepoint = session.begin_nested()
    try:
        liststore.import_markdown(session, text.encode("utf-8"), source="publish replay", now=now)
        for item in decided:
            if item.action != Action.APPROVE:
                if arxiv_abs_url(item.arxiv_id).split("://", 1)[1] in text:
                    return None, (
                        f"{item.arxiv_id} was taken out of the list here and its entry, or a line beside it, was "
                        f"edited there: take its entry out of {path} there by hand, and publishing goes on"
                    )
                continue
            candidate = session.scalars(
                select(Candidate)
                .where(Candidate.arxiv_id == item.arxiv_id, Candidate.status == APPROVED)
                .order_by(Candidate.id)
            ).first()
            section = candidate.decided_section if candidate is not None else None
            if candidate is None or section is None:
                return None, ""
            if liststore.resolve_section(session, section) is None:
                return None, (
                    f"{item.arxiv_id} was approved into {one_line(section, 80)}, a section {path} there no longer "
                    f"has: approve it again into one of its sections (`{_approve(command, item.arxiv_id)}`)"
                )
            gone = (left or {}).get(item.arxiv_id, set())
            moved, stuck = _moved_entry(session, candidate, section, gone, now, _approve(command, item.arxiv_id))
            if stuck:
                return None, f"{item.arxiv_id} was moved here into {one_line(section, 80)}, and {path} there {stuck}"
            add_candidate_entry(session, candidate, section, now, templates_dir, moved)
        return liststore.render_markdown(session, templates_dir), ""
    except ListFormatError:
        return None, ""
    finally:
        savepoint.rollback()


def _approve(command: Callable[..., str], arxiv_id: str) -> str:
    return command("approve", arxiv_id, "--section", "NAME")


def _moved_entry(
    session: Session, candidate: Candidate, section: str, left: set[str], now: datetime, approve: str
) -> tuple[liststore.WrittenEntry | None, str]:
    """A move made again: the paper's entry taken out of the section it left (`left`, by name) as the list there
    holds it, to be written so into `section`; None when it is not a move, or there is nothing to take out (the list
    there has it in `section` already, or nowhere else). When which entry moves is unclear (the section it left has it
    not, another has; several have), why and what to do, in words that follow `... and the file there `."""
    if not left:
        return None, ""
    ids = liststore.paper_ids(session, candidate.arxiv_id, candidate.title_key)
    labelled = liststore.labelled_sections(session)
    holding = [(found, label) for found, label in labelled if any(e.paper_id in ids for e in found.entries)]
    target = liststore.resolve_section(session, section)
    if not holding or any(found is target for found, _ in holding):
        return None, ""  # taken out there, or moved there by hand: the approval finds it as it is
    named = [(found, label) for found, label in holding if found.name in left]
    if not named and len(holding) == 1 and not any(found.name in left for found, _ in labelled):
        named = holding  # the section it left was renamed there
    if len(named) != 1:
        where = ", ".join(one_line(label, 80) for _, label in holding)
        return None, (
            f"lists it in {where}: move its entry into {one_line(section, 80)} there by hand (or approve it again "
            f"into one of those: `{approve}`), and publishing goes on"
        )
    found, label = named[0]
    entry = next(e for e in found.entries if e.paper_id in ids)
    written = liststore.WrittenEntry(entry.raw, entry.short_name, entry.date_text)
    liststore.remove_paper_entry(session, paper_id=entry.paper_id, section_name=label, now=now)
    return written, ""


def conflict_line(source: str, conflicts: int, stuck: str, list_import: str) -> str:
    """Why an upstream edit and the pending decisions cannot be merged, and what to do, in one line (`list_import`:
    the `digest list import` command a maintainer would run)."""
    if stuck and not conflicts:  # no line met: each side moved a paper into a section of its own
        return f"an edit upstream in {source} and a pending change both moved a paper: {stuck}"
    changes = counted(conflicts, "pending change")
    if stuck:
        return f"an edit upstream in {source} touches the same lines as {changes}: {stuck}"
    return (
        f"an edit upstream in {source} touches the same lines as {changes}, and the list here "
        f"holds edits of its own; bring the upstream file in with `{list_import}`, then approve the pending "
        "papers again"
    )
