"""What the branch's history says about the last sync, before anything is merged: a rewritten history (force-push), a
renamed or deleted branch, a list file renamed or deleted upstream, a file there that no longer reads as the list.
Each gives the merge base to use, or stops publishing with one line saying what happened and what to do.
"""

from __future__ import annotations

import logging
import posixpath

from digest.awesome.lint import lint_bytes
from digest.awesome.parse import ListFormatError, parse_list
from digest.publish.git import GitClone, GitError
from digest.publish.references import inert_references
from digest.publish.results import Merged
from digest.publish.rules import (
    finding_line,
    new_errors,
    one_line,
    paper_entries,
    trailer_decisions,
)
from digest.sizes import counted
from digest.storage.db import Database
from digest.storage.state import PublishState
from digest.titles import arxiv_abs_url, linked_arxiv_ids

log = logging.getLogger("digest.publish")


class PublishBlockedError(Exception):
    """The upstream file cannot be brought back (it no longer parses, new lint errors, a conflicting edit, gone)."""

    def __init__(self, line: str, findings: list[str] | None = None) -> None:
        super().__init__(line)
        self.findings = findings or []


def synced_commit(database: Database) -> str | None:
    """The upstream commit of the last sync; None before the first."""
    with database.reading() as session:
        state = session.get(PublishState, 1)
        return state.synced_commit if state is not None else None


def decoded(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PublishBlockedError(f"{source} upstream is not UTF-8 text; fix it in the repository") from None


def check_branch_is_new(git: GitClone, synced: str | None, *, accepting: bool = False) -> None:
    """A branch the repository lacks is created only in an empty repository before the first sync: once synced, a
    missing branch was renamed or deleted, and beside other branches it is a mistyped name; either way a new history
    under that name would fork the list silently. A repository with no branch at all after a sync is a new one (the
    list moved): started with the list as it is here once a maintainer accepts it (`accepting`)."""
    branch = git.settings.branch
    others = git.branches()
    if synced is not None and not others and accepting:
        log.warning("publish: %s has no branch; starting %s there with the list, as asked", git.redact(git.url), branch)
        return
    if synced is not None and not others:
        raise GitError(
            f"{git.redact(git.url)} has no branch at all (an empty repository; last synced at {synced[:12]}): push "
            f"the list's history there (from a clone of the repository it was in), or run `{git.publish} "
            "--accept-upstream` to start it with the list as it is here"
        )
    default = git.default_branch() if synced is not None else None
    if synced is not None and default is not None and default != branch and default in others:
        raise GitError(
            f"branch {branch} is gone from {git.redact(git.url)} (last synced at {synced[:12]}), whose default branch "
            f'is {one_line(default, 100)} now: if the list went there, set publish.branch = "{one_line(default, 100)}"'
        )
    if synced is not None:
        raise GitError(
            f"branch {branch} is gone from {git.redact(git.url)} (last synced at {synced[:12]}); "
            "if it was renamed, set publish.branch to its new name"
        )
    if others:
        raise GitError(
            f"branch {branch} is not in {git.redact(git.url)} (it has {', '.join(sorted(others)[:10])}): set "
            "publish.branch to the list's branch, or create the branch there first; nothing was pushed"
        )


def check_file_is_kept(git: GitClone, synced: str | None, head: str) -> None:
    """A list file the branch lacks is created before the first sync, or when it was not there at the last sync either
    (publish.path set to a new file). Otherwise it was renamed or deleted upstream, and writing it again would start a
    second copy of the list beside the maintainers' (whose edits would never come back). Before the first sync the
    same holds of a list kept elsewhere in the repository (a mistyped publish.path): only a repository with no list
    yet gets a new file."""
    if synced is None:
        check_no_list_elsewhere(git, head)
        return
    known = git.knows(synced)
    if known and git.read(synced) is None:  # not there at the last sync either: publish.path names a new file
        return
    path, branch = git.settings.path, git.settings.branch
    renamed = git.renamed_to(synced, head, path) if known else None
    if renamed is not None:
        raise PublishBlockedError(
            f"{path} was renamed to {renamed} on branch {branch} of {git.redact(git.url)} (at {head[:12]}); "
            f'set publish.path = "{renamed}" in the config; nothing was pushed'
        )
    raise PublishBlockedError(
        f"{path} is gone from branch {branch} of {git.redact(git.url)} (at {head[:12]}, last synced at "
        f"{synced[:12]}); restore it there, or set publish.path to where the list is now; nothing was pushed"
    )


# Markdown files read for a list kept elsewhere, and their size: a repository of documentation is not read whole.
_MAX_FILES_READ = 50
_MAX_FILE_BYTES = 5_000_000


def check_no_list_elsewhere(git: GitClone, head: str) -> None:
    """A first publish to a path the branch lacks, in a repository holding the list in another Markdown file (one
    linking arXiv papers in entries), stops naming that file: writing the new path would start a second copy."""
    path, branch = git.settings.path, git.settings.branch
    markdown = [name for name in git.files(head) if name.lower().endswith((".md", ".markdown"))]
    for other in markdown[:_MAX_FILES_READ]:
        data = git.read(head, other)
        if data is None or len(data) > _MAX_FILE_BYTES:
            continue
        text = data.decode("utf-8", "replace")
        try:
            if not linked_arxiv_ids(text) or not any(section.entries for section in parse_list(text).sections):
                continue
        except ListFormatError:  # no list's shape: the file is something else
            continue
        raise PublishBlockedError(
            f"{path} is not on branch {branch} of {git.redact(git.url)} (at {head[:12]}), which keeps a list in "
            f'{one_line(other, 200)}: set publish.path = "{one_line(other, 200)}" in the config, or commit {path} '
            "there first to start the list in it; nothing was pushed"
        )


def check_is_a_file(git: GitClone, head: str, data: bytes) -> None:
    """A list file that is a symbolic link upstream (README.md left pointing at the list's new place) reads as the
    path it points to, a file with no entries: it stops publishing, naming the file to set as publish.path. So does a
    publish.path naming a folder (`read` gives its listing), where nothing upstream needs fixing."""
    mode, path, branch = git.mode_of(head), git.settings.path, git.settings.branch
    if mode == "040000":
        raise PublishBlockedError(
            f"{path} is a folder on branch {branch} of {git.redact(git.url)} (at {head[:12]}): set publish.path to "
            "the list's file in the config; nothing was pushed"
        )
    if mode != "120000":
        return
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), data.decode("utf-8", "replace")))
    where = f'set publish.path = "{target}"' if not target.startswith(("../", "/")) else "set publish.path to the list"
    raise PublishBlockedError(
        f"{path} is a symbolic link to {one_line(target, 200)} on branch {branch} of {git.redact(git.url)} (at "
        f"{head[:12]}); {where} in the config; nothing was pushed"
    )


def base_before_rewrite(
    git: GitClone, synced: str | None, head: str | None, source: str, *, accepting: bool = False
) -> str | None:
    """When the branch's history was rewritten (a force-push) so that the last synced commit is no longer in it:
    the file as of the commit both histories share, as the merge base. Measured from the last sync, what the
    rewrite dropped would read as taken out by hand; measured from there, approvals the rewrite dropped are put
    back and the rewrite's own edits are kept. A history sharing no commit (squashed into a new one) stops
    publishing until a maintainer accepts it (`accepting`): then it is merged from the last synced file (None), as
    an edit of it. The last synced commit stays the old one until that publish, so nothing else gets past."""
    if head is None or synced is None or not git.knows(synced) or git.is_ancestor(synced, head):
        return None
    shared = git.merge_base(synced, head)
    data = git.read(shared) if shared is not None else None
    if data is None and accepting:
        log.warning(
            "publish: the history of %s was rewritten and shares no commit with the last sync (%s); merging it as "
            "an edit of the last synced file, as asked",
            source,
            synced[:12],
        )
        return None
    if data is None:
        raise PublishBlockedError(
            f"the history of {source} was rewritten and shares no commit with the last sync ({synced[:12]}); check "
            f"the list there, then run `{git.publish} --accept-upstream` to merge it as an edit of the last synced "
            "file (what the new history left out is taken out here too)"
        )
    log.warning(
        "publish: the history of %s was rewritten (%s is no longer in it); merging from %s, the commit both share",
        source,
        synced[:12],
        shared[:12] if shared else "",
    )
    return decoded(data, source)


def put_back_papers(theirs: str, final: str) -> list[tuple[str, str, str]]:
    """(arXiv ID, title, section) of each paper `final` lists that `theirs` does not: after a force-push, what the
    list here puts back that the new history dropped (with the pending approvals, which the callers leave out)."""
    try:
        listed = [(entry, section.name) for section in parse_list(final).sections for entry in section.entries]
    except ListFormatError:
        return []
    there = {arxiv_id for arxiv_id, _section in paper_entries(theirs)}
    return [
        (arxiv_id, one_line(entry.title or arxiv_id), one_line(section, 80))
        for entry, section in listed
        if (arxiv_id := entry.paper_arxiv_id) and arxiv_id not in there
    ]


def put_back_lines(theirs: str, final: str, named: str) -> str:
    """After a force-push: a line of the commit message's body for each paper the new history dropped that the list
    here puts back (published before), so that the message (`named`, so far) names every paper its diff adds."""
    back = [paper for paper in put_back_papers(theirs, final) if arxiv_abs_url(paper[0]) not in named]
    if not back:
        return ""
    log.warning(
        "publish: put back %s the rewritten history had dropped: %s",
        counted(len(back), "paper"),
        ", ".join(arxiv_id for arxiv_id, _title, _section in back),
    )
    lines = [
        f"- put back {title} ({section}): {arxiv_abs_url(arxiv_id)} (published before; the upstream history, "
        "rewritten, had dropped it)"
        for arxiv_id, title, section in back
    ]
    return inert_references("\n" + "\n".join(lines) + "\n")


def check_upstream(source: str, path: str, base: str, theirs: str, *, first: bool) -> None:
    """Stops publishing when the upstream file no longer parses as the list, or (after the first sync) has lint errors
    the last synced file had not."""
    try:
        upstream_findings = lint_bytes(theirs.encode("utf-8"), path)
        base_findings = [] if first else lint_bytes(base.encode("utf-8"), "base")
    except ListFormatError as exc:
        raise PublishBlockedError(f"{source} upstream no longer parses as the list: {exc}") from None
    if first:
        return
    found = new_errors(base_findings, upstream_findings)
    if found:
        lines = [finding_line(path, f) for f in found]
        raise PublishBlockedError(
            f"{source} upstream has {counted(len(found), 'new lint error')}: {lines[0]}; fix it in the repository",
            lines,
        )


def pushed_before(git: GitClone, head: str | None, synced: str | None, merged: Merged) -> str | None:
    """This service's commit of the pending decisions at or under the branch's head: a publish stopped (killed)
    after its push and before it was recorded, maybe with a maintainer's commit on top since; without this the
    push would never show as published. Known by the trailer naming the decisions it holds, not by its author
    (a maintainer may commit under the same name)."""
    if head is None or head == synced or not merged.decided:
        return None
    for commit, message in git.messages_since(synced, head):
        if trailer_decisions(message) == merged.upto:
            log.info("publish: %s already holds the pending decisions (a publish stopped after its push)", commit)
            return commit
    return None
