"""Publishing's rules, pure: what a batch of decisions did to the list, its commit message, when to try again, and
whether an upstream file may be imported. No git, no database.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from digest.awesome.blocks import shown_text
from digest.awesome.lint import ERROR, Finding
from digest.awesome.parse import ListFormatError, parse_list
from digest.publish.references import inert_references
from digest.titles import arxiv_abs_url, linked_arxiv_ids
from digest.vocab import Action, decided_by

SUBJECT_MAX = 200
TITLE_MAX = 160
BACKOFF_START = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# Written under each commit the service makes: its own commits are known by it (and by the decisions they hold), not
# by the author, which a maintainer may share with the service.
TRAILER = "Awesome-Digest-Decisions"
_TRAILER_LINE = re.compile(rf"^{TRAILER}: (\d+)$", re.MULTILINE)
# An edit pulled from the list's repository removes this many entries at most, and at most this share of the list,
# before the service holds it for a maintainer (a README truncated or mostly deleted by a bad commit upstream).
UPSTREAM_REMOVAL_LIMIT = 10
UPSTREAM_REMOVAL_SHARE = 0.2
UPSTREAM_REMOVAL_FLOOR = 3  # on a small list, a share is a couple of entries: that many are always a hand edit
# Findings name other lines ('(line 12)', 'move this entry above line 9'), which move with any edit above them.
_LINE_NOTE = re.compile(r"\bline \d+")
# A login refused over https (git then asks for a name it may not prompt for) or over ssh.
LOGIN_REFUSED = re.compile(
    r"could not read (Username|Password)|Authentication failed|returned error: 40[13]|Permission denied \(publickey"
    r"|Invalid username or password",
    re.IGNORECASE,
)
# ssh's own reason, printed before git's "Could not read from remote repository."
SSH_SAID = re.compile(
    r"(ssh: |Host key verification failed|kex_exchange_identification|Connection (closed|reset)|No user exists for uid)"
)


@dataclass(frozen=True)
class Decided:
    """One published-to-be decision: the newest applied one for its candidate in the batch."""

    arxiv_id: str
    title: str
    action: str  # approve | reject | revert
    section: str | None
    actor: str
    channel: str


@dataclass(frozen=True)
class Change:
    verb: str  # Add | Move | Remove
    title: str
    section: str | None
    arxiv_id: str
    actor: str
    channel: str


def one_line(text: str, limit: int = TITLE_MAX) -> str:
    """Text from arXiv or a maintainer made inert for a commit message: control and format characters dropped,
    every run of white space one space, at most `limit` characters."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    kept = "".join(c for c in kept if unicodedata.category(c) not in ("Cf", "Cs", "Co", "Cn"))
    flat = " ".join(kept.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def paper_entries(text: str) -> Counter[tuple[str, str]]:
    """Per arXiv ID and section name, how many of the list's entries there are for that paper, as the list is read
    (paper_arxiv_id): a maintainer links a paper by hand through its pdf, its Hugging Face or alphaXiv page or its DOI
    as often as through the abs page the service writes. A text the reading refuses counts each paper it links once,
    in no section. Only what GitHub shows (blocks.shown_text), as the poll reads it: a link in an HTML comment or in
    code lists no paper."""
    try:
        parsed = parse_list(text)
    except ListFormatError:
        return Counter((arxiv_id, "") for arxiv_id in linked_arxiv_ids(shown_text(text)))
    named = ((entry.paper_arxiv_id, section.name) for section in parsed.sections for entry in section.entries)
    return Counter((arxiv_id, section) for arxiv_id, section in named if arxiv_id)


def doubles_entries(merged: str, ours: str, theirs: str) -> bool:
    """Whether a line merge lists a paper in a section more often than either side did: both added it there, each in
    its own words (a maintainer by hand upstream, an approval here), and the merge kept both entries. Or more often
    in the whole list than either side did: each side moved it into a section of its own (a move here, another by
    hand upstream), and the merge kept it in both."""
    listed, mine, upstream = paper_entries(merged), paper_entries(ours), paper_entries(theirs)
    if any(count > max(mine[key], upstream[key]) for key, count in listed.items()):
        return True
    papers, my_papers, upstream_papers = _per_paper(listed), _per_paper(mine), _per_paper(upstream)
    return any(count > max(my_papers[key], upstream_papers[key]) for key, count in papers.items())


def sections_left(before: str, after: str) -> dict[str, set[str]]:
    """Per arXiv ID, the sections (by name) that list the paper fewer times in `after` than in `before`: where the
    decisions between them took it out (a move's old section, with the paper still listed elsewhere)."""
    listed_before, listed_after = paper_entries(before), paper_entries(after)
    left: dict[str, set[str]] = {}
    for (arxiv_id, section), count in listed_before.items():
        if section and listed_after[(arxiv_id, section)] < count:
            left.setdefault(arxiv_id, set()).add(section)
    return left


def listed_papers(text: str) -> Counter[str]:
    """Per arXiv ID, how many of the list's entries are for that paper (see paper_entries)."""
    return _per_paper(paper_entries(text))


def _per_paper(entries: Counter[tuple[str, str]]) -> Counter[str]:
    counted: Counter[str] = Counter()
    for (arxiv_id, _section), count in entries.items():
        counted[arxiv_id] += count
    return counted


def _where(arxiv_id: str, entries: Counter[tuple[str, str]]) -> Counter[str]:
    """How many entries for the paper each section has."""
    return Counter({section: count for (paper, section), count in entries.items() if paper == arxiv_id})


def _section_names(text: str) -> Counter[str]:
    """How many of the text's sections have each name (none for a text the reading refuses)."""
    try:
        return Counter(section.name for section in parse_list(text).sections)
    except ListFormatError:
        return Counter()


def _section_now(
    item: Decided, before: Counter[tuple[str, str]], after: Counter[tuple[str, str]], names: Counter[str]
) -> str | None:
    """The section an approval put its paper into, as the published file calls it (renamed there since the decision:
    its new name); the decision's own name when the file does not tell (no one section gained the paper, or its name
    is one several headings share, which the decision's label tells apart)."""
    gained = [
        name
        for (arxiv_id, name), count in after.items()
        if arxiv_id == item.arxiv_id and count > before[(arxiv_id, name)]
    ]
    if item.action == Action.APPROVE and len(gained) == 1 and names[gained[0]] == 1:
        return gained[0]
    return item.section


def changes(decided: list[Decided], before: str, after: str) -> list[Change]:
    """What the batch did to the published file: papers that arrived, moved to another section, or left."""
    found = []
    entries_before, entries_after, names = paper_entries(before), paper_entries(after), _section_names(after)
    listed_before, listed_after = _per_paper(entries_before), _per_paper(entries_after)
    for item in decided:
        was, now = listed_before[item.arxiv_id], listed_after[item.arxiv_id]
        if _where(item.arxiv_id, entries_before) == _where(item.arxiv_id, entries_after):
            continue  # listed as it was (pushed by a publish stopped before its record, or by hand): not this commit's
        if item.action == Action.APPROVE and now:
            # A move leaves a section; a paper put into one more section (its entries counted) is an addition.
            verb = "Move" if was and now <= was else "Add"
        elif item.action != Action.APPROVE and was and not now:
            verb = "Remove"
        else:
            continue
        section = _section_now(item, entries_before, entries_after, names)
        found.append(
            Change(
                verb,
                one_line(item.title),
                section and one_line(section, 80),
                item.arxiv_id,
                one_line(item.actor, 80),
                item.channel,
            )
        )
    return found


def _papers(count: int) -> str:
    return f"{count} paper" if count == 1 else f"{count} papers"


def commit_message(found: list[Change], *, first: bool = False) -> str:
    """'Add 2 papers: Title (Steering), Title (Probing)', then one line per paper with its link and who decided;
    `first`: the file is new in the repository, the whole list ('Add the list, with 2 papers approved here: ...')."""
    if not found:
        return f"{'Add' if first else 'Update'} the list\n\nThe list's Markdown regenerated by awesome-digest.\n"
    parts = []
    for verb in ("Add", "Move", "Remove"):
        group = [c for c in found if c.verb == verb]
        if group:
            named = ", ".join(f"{c.title} ({c.section})" if c.section and verb != "Remove" else c.title for c in group)
            lead = f"{verb} {_papers(len(group))}"
            if first and verb == "Add":  # the file is new there: the commit brings the whole list with these
                lead = f"Add the list, with {_papers(len(group))} approved here"
            parts.append(f"{lead}: {named}")
    subject = one_line("; ".join(parts), SUBJECT_MAX)
    body = [
        f"- {c.verb.lower()} {c.title}{f' ({c.section})' if c.section else ''}: {arxiv_abs_url(c.arxiv_id)}"
        f" (by {decided_by(c.actor, c.channel)})"
        for c in found
    ]
    return inert_references(subject + "\n\n" + "\n".join(body) + "\n")


def with_trailer(message: str, upto: int) -> str:
    """The commit message with the trailer naming the newest decision the commit holds."""
    return f"{message.rstrip()}\n\n{TRAILER}: {upto}\n"


def trailer_decisions(message: str) -> int | None:
    """The newest decision a commit of the service holds, from its trailer; None for anyone else's commit."""
    found = _TRAILER_LINE.findall(message)
    return int(found[-1]) if found else None


def new_errors(base: list[Finding], upstream: list[Finding]) -> list[Finding]:
    """Lint errors the upstream file has that the last synced one had not (line numbers aside)."""
    known = {(f.code, _LINE_NOTE.sub("", f.message)) for f in base if f.severity == ERROR}
    return [f for f in upstream if f.severity == ERROR and (f.code, _LINE_NOTE.sub("", f.message)) not in known]


def removes_most(removed: int, before: int) -> bool:
    """Whether an edit upstream removes more entries (moves not counted) than a maintainer's edit plausibly does:
    more than UPSTREAM_REMOVAL_LIMIT, or more than UPSTREAM_REMOVAL_SHARE of the list (from UPSTREAM_REMOVAL_FLOOR)."""
    if removed > UPSTREAM_REMOVAL_LIMIT:
        return True
    return removed >= UPSTREAM_REMOVAL_FLOOR and removed > UPSTREAM_REMOVAL_SHARE * before


def refused_push_line(url: str, branch: str, line: str, stderr: str, publish: str, mode: str, limit: int = 400) -> str:
    """A push the repository refused for its own reason (a hook, a protected branch): git's porcelain line, the remote's
    words (cut to what `limit` leaves beside `publish`, the service's own command) and the fix, ending it whole."""
    head = f"{url} refused the push to {branch}: {one_line(' '.join(line.split(chr(9))[2:]), 120) or 'refused'}"
    said = " ".join(part.strip() for part in stderr.splitlines() if part.strip().startswith("remote:"))
    other = ' (or set publish.mode = "pull-request")' if mode == "commit" else ""
    tail = f"; let the service's account push to {branch} there{other}, then run `{publish}`"
    room = limit + len(publish) - len(head + tail)  # the command is not counted: its paths are the maintainer's own
    remote = one_line(said.replace("remote: ", " ").replace("remote:", " "), min(200, room - 11))
    return f"{head}{f' (remote: {remote})' if remote and room > 50 else ''}{tail}"


def renamed_in(name_status: str, path: str) -> str | None:
    """Where `path` went, from `git diff --name-status -z -M` output, when git saw it renamed; else None."""
    fields = name_status.split("\0")
    at = 0
    while at < len(fields) - 1:
        status = fields[at]
        if status.startswith(("R", "C")):
            if fields[at + 1] == path and status.startswith("R") and at + 2 < len(fields):
                return fields[at + 2]
            at += 3
        else:
            at += 2
    return None


def finding_line(path: str, finding: Finding) -> str:
    """A lint finding of the upstream file as one line: where, how bad, what."""
    return f"{path}:{finding.line}: {finding.severity}: {one_line(finding.message, 200)} [{finding.code}]"


def retry_after(failures: int) -> timedelta:
    """Back-off after `failures` failed attempts in a row: 30 s, 1 min, 2 min, ... at most an hour."""
    if failures <= 0:
        return timedelta(0)
    delay: timedelta = BACKOFF_START * (2 ** min(failures - 1, 16))
    return min(delay, BACKOFF_MAX)


def unified_diff(before: str, after: str, path: str) -> str:
    """A file's last line without a line break is marked as git marks it, not run into the line after it."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(line if line.splitlines() != [line] else f"{line}\n\\ No newline at end of file\n" for line in lines)


def git_command(args: tuple[str, ...]) -> str:
    """The git command in `args`, past the `-c name=value` options before it."""
    at = 0
    while at < len(args) and args[at] == "-c":
        at += 2
    return args[at] if at < len(args) else "git"
