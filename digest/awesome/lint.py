"""Checks a maintainer wants before a release of the list, each finding with its line number. Pure.

Errors are wrong links a reader would follow (an arXiv ID shared by two titles, a badge pointing at another
paper, a table-of-contents link to nowhere, a malformed URL); warnings are untidiness (dates out of order); notices
need nothing done (a whole last line without a line end).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from digest.awesome.anchors import github_anchor as github_anchor
from digest.awesome.anchors import heading_anchors, html_anchor_names, nearest_anchor_step
from digest.awesome.blocks import hidden_lines, html_block_lines
from digest.awesome.entry import github_repo
from digest.awesome.file_end import cut_off_sign, file_end_message
from digest.awesome.parse import (
    MAX_LIST_BYTES,
    ParsedEntry,
    ParsedList,
    ParsedSection,
    date_order,
    decode_list,
    not_a_list,
    oldest_first,
    parse_list,
    repair_mojibake,
    split_lines,
)
from digest.awesome.references import undefined_references
from digest.awesome.sectionnames import repeated_headings
from digest.sizes import counted
from digest.text import url_problem as policy_problem
from digest.titles import arxiv_abs_url, arxiv_id_from_url, arxiv_id_problem

ERROR = "error"
WARNING = "warning"
NOTICE = "notice"

_MARKUP_IN_TITLE = re.compile(r"(?<!\\)<[A-Za-z/!]|(?<!\\)\*|(?<!\\)`|(?<!\\)\[|(?<!\\)_{2}")
_STAR_IMAGE_REPO = re.compile(r"img\.shields\.io/github/stars/(?P<repo>[^/?#]+/[^/?#]+?)(?:\.svg)?(?:[?#]|$)")


@dataclass(frozen=True)
class Finding:
    line: int
    severity: str  # error | warning | notice
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def url_problem(url: str, *, absolute: bool) -> str | None:
    """Why a link target is malformed, or None: the URL policy (digest.text), and an arXiv link must name a paper.
    Entries need absolute http(s) links; elsewhere in the list a relative link or a mailto: is fine too."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "cannot be parsed as a URL"
    if not absolute and parts.scheme.lower() in ("", "mailto"):
        return None
    problem = policy_problem(url)
    if problem is not None:
        return problem
    host = (parts.hostname or "").removeprefix("www.").removeprefix("export.")
    if (arxiv_id := arxiv_id_from_url(url)) is None and host == "arxiv.org":
        return "is an arXiv link without a valid abs/pdf ID"
    return f"links an ID arXiv cannot have issued: {why}" if (why := arxiv_id_problem(arxiv_id or "")) else None


def _entry_findings(entry: ParsedEntry) -> list[Finding]:
    found: list[Finding] = []
    if entry.title is None or entry.url is None:
        message = "entry has no [Title](url) link; link its title: '+ [Title](https://arxiv.org/abs/...)'"
        return [Finding(entry.line, ERROR, "no-link", message)]
    if not entry.url.strip():
        message = f"title link of {entry.title!r} has no address; put the paper's between the ()"
        found.append(Finding(entry.line, ERROR, "empty-link", message))
    if not entry.title.strip():
        message = "title link has no text, so GitHub shows nothing to click; put the title between the []"
        found.append(Finding(entry.line, WARNING, "empty-link", message))
    if _MARKUP_IN_TITLE.search(entry.title_markdown or ""):
        message = f"title contains Markdown or HTML: {entry.title!r}; put a '\\' before each mark GitHub should show"
        found.append(Finding(entry.line, WARNING, "title-markup", f"{message} as written, or take it out"))
    for label, url in (("title link", entry.url), ("arXiv badge", entry.badge_url), ("code link", entry.code_url)):
        problem = url_problem(url, absolute=True) if url else None
        if problem:
            found.append(Finding(entry.line, ERROR, "malformed-url", f"{label} {url!r} {problem}"))
    if not entry.gives_date:
        asked = "no date in parentheses after the title"  # a table's row with a Date column is dated there alone
        asked = f"row has no date in its {entry.date_column!r} column" if entry.date_column else f"entry has {asked}"
        found.append(Finding(entry.line, WARNING, "no-date", asked))
    elif entry.date_parts is None:
        message = f"date {entry.date_text!r} is not a calendar day written like 'Apr. 4, 2025' or '2025-04-04'"
        found.append(Finding(entry.line, WARNING, "bad-date", message))
    title_id, badge_id = entry.arxiv_id, entry.badge_arxiv_id
    if title_id and badge_id and title_id != badge_id:
        message = f"title links arXiv {title_id} but the arXiv badge links {badge_id}; link the paper's own ID in both"
        message += f" ({arxiv_abs_url(title_id)} or {arxiv_abs_url(badge_id)})"
        found.append(Finding(entry.line, ERROR, "badge-mismatch", message))
    elif entry.badge_url and badge_id is None:
        step = (
            f"link {arxiv_abs_url(title_id)} there" if title_id else "link the paper's arXiv page there, or remove it"
        )
        message = f"the arXiv badge links {entry.badge_url}, not arXiv; {step}"
        found.append(Finding(entry.line, WARNING, "badge-not-arxiv", message))
    if entry.star_image and entry.code_url:
        image = _STAR_IMAGE_REPO.search(entry.star_image)
        linked = github_repo(entry.code_url.replace("http://", "https://"))
        if image and (linked is None or linked.casefold() != image["repo"].casefold()):
            message = f"the Star badge counts {image['repo']} but links {entry.code_url}; make both name one repository"
            counted = f"the link https://github.com/{image['repo']}"
            message += f" (stars/{linked} in the image, or {counted})" if linked else f" ({counted})"
            found.append(Finding(entry.line, WARNING, "star-mismatch", message))
    return found


def _section_findings(section: ParsedSection) -> list[Finding]:
    found: list[Finding] = []
    first_line: dict[str, int] = {}
    previous: ParsedEntry | None = None
    # The section's own order, as most of its entries keep it (a list kept oldest first is not out of order).
    ascending = oldest_first(entry.date_parts for entry in section.entries)
    wrong, word, order = (-1, "older", "oldest first") if ascending else (1, "newer", "newest first")
    for entry in section.entries:
        if entry.title is not None:
            if entry.key in first_line:
                found.append(
                    Finding(
                        entry.line,
                        ERROR,
                        "duplicate-in-section",
                        f"{entry.title!r} is already in {section.name} (line {first_line[entry.key]}); delete this"
                        f" entry or the one on line {first_line[entry.key]}",
                    )
                )
            else:
                first_line[entry.key] = entry.line
        if entry.date_parts is None:
            continue
        if previous and previous.date_parts and date_order(previous.date_parts, entry.date_parts) == wrong:
            found.append(
                Finding(
                    entry.line,
                    WARNING,
                    "date-order",
                    f"{entry.date_text} is {word} than {previous.date_text} above it (line {previous.line});"
                    f" {section.name} is {order}: {_move_step(section, entry, previous, wrong)}",
                )
            )
        previous = entry
    return found


def _move_step(section: ParsedSection, entry: ParsedEntry, previous: ParsedEntry, wrong: int) -> str:
    """What to do about `entry`, dated out of order below `previous`: move it above the first entry of `section` it
    belongs above, or (when `previous` is the one out of place) move `previous` below it."""
    place = next(
        other.line
        for other in section.entries
        if other.date_parts and entry.date_parts and date_order(other.date_parts, entry.date_parts) == wrong
    )
    step = f"move this entry above line {place}"
    return step if place == previous.line else f"{step}, or the one on line {previous.line} below it"


def _document_findings(parsed: ParsedList, text: str) -> list[Finding]:
    found: list[Finding] = []
    owners: dict[str, tuple[str, int, str]] = {}
    for section in parsed.sections:
        for entry in section.entries:
            arxiv_id = entry.paper_arxiv_id  # the paper as the import reads it: its badge's, or one named in its text
            if not arxiv_id or entry.title is None:
                continue
            owner = owners.setdefault(arxiv_id, (entry.key, entry.line, entry.title))
            if owner[0] != entry.key:
                found.append(
                    Finding(
                        entry.line,
                        ERROR,
                        "arxiv-id-conflict",
                        f"arXiv {arxiv_id} is linked from {entry.title!r} and from {owner[2]!r} (line {owner[1]});"
                        " link this entry's own arXiv page, or delete it if it is the same paper",
                    )
                )
    lines = split_lines(text)
    hidden = hidden_lines(lines)
    anchors = heading_anchors(parsed.sections) | html_anchor_names(lines, hidden)
    lowered = {anchor.lower() for anchor in anchors}
    # The links an entry's own check looks at, on the entry's line: every other link is checked as a link.
    checked = {
        (entry.line, url)
        for section in parsed.sections
        for entry in section.entries
        for url in (entry.url, entry.badge_url, entry.code_url)
        if url
    }
    for link in parsed.links:
        if link.url.startswith("#"):
            fragment = unquote(link.url[1:])  # '#%E8%AE%BA%E6%96%87' as a browser's address bar gives it: '#论文'

            if fragment in anchors:
                continue
            if fragment.lower() in lowered:
                meant = min(anchor for anchor in anchors if anchor.lower() == fragment.lower())
                message = f"link {link.url} matches a heading only when case is ignored; write it #{meant}"
                found.append(Finding(link.line, WARNING, "anchor-case", message))
            else:
                message = f"link {link.url} reaches no heading; {nearest_anchor_step(fragment, anchors)}"
                found.append(Finding(link.line, ERROR, "broken-anchor", message))
        elif (link.line, link.url) not in checked:
            problem = url_problem(link.url, absolute=False)
            if problem:
                found.append(Finding(link.line, ERROR, "malformed-url", f"link {link.url!r} {problem}"))
    found.extend(_mojibake_findings(lines))
    for number, written, label in undefined_references(lines, hidden):
        message = f"{written} links nothing: no line defines [{label}] ('[{label}]: https://...'), so GitHub shows it"
        found.append(Finding(number, WARNING, "undefined-reference", f"{message} as text and it lists no paper; add"
                             " that line or fix the label"))  # fmt: skip
    in_html = html_block_lines(lines, hidden)
    for entry in (entry for section in parsed.sections for entry in section.entries if in_html[entry.line - 1]):
        message = "entry is inside the HTML block above it: GitHub shows it as text; put a blank line before it"
        found.append(Finding(entry.line, WARNING, "in-html-block", message))
    return found


def _mojibake_findings(lines: list[str]) -> list[Finding]:
    mojibake = [number for number, line in enumerate(lines, start=1) if _holds_mojibake(line)]
    if not mojibake:
        return []
    holds = "holds" if len(mojibake) == 1 else "hold"
    message = (
        f"{counted(len(mojibake), 'line')} {holds} emoji saved as UTF-8 read as Mac Roman (e.g. 'üìö'); kept as written"
    )
    return [Finding(mojibake[0], WARNING, "mojibake", message)]


def _holds_mojibake(line: str) -> bool:
    """Whether the line holds emoji saved as UTF-8 read as Mac Roman (an ASCII line reads the same either way)."""
    line = line.removeprefix("\ufeff")  # no Mac Roman character: a byte order mark hid the first line's mojibake
    if line.isascii():
        return False
    repaired = repair_mojibake(line)
    return repaired != line and any(ord(ch) > 0x2000 for ch in repaired)


def lint_text(text: str) -> list[Finding]:
    return lint_parsed(parse_list(text), text)


def lint_parsed(parsed: ParsedList, text: str) -> list[Finding]:
    """lint_text of `text` already parsed (`parsed` is parse_list(text)): an import reads the file once."""
    if not any(section.entries for section in parsed.sections):
        return [Finding(1, ERROR, "not-a-list", not_a_list(text))]
    found = _document_findings(parsed, text)
    for earlier, section, earlier_label, label in repeated_headings(parsed.sections):
        message = f"heading {section.name!r} repeats the one on line {earlier.line}: approvals and decisions name them"
        found.append(Finding(section.line, WARNING, "repeated-heading", f"{message} {earlier_label!r} and {label!r}"))
    entries = [entry for section in parsed.sections for entry in section.entries]
    dated = sum(entry.gives_date for entry in entries) * 2 > len(entries)  # else no date is its style
    for section in parsed.sections:
        found.extend(_section_findings(section))
        for entry in section.entries:
            found.extend(finding for finding in _entry_findings(entry) if dated or finding.code != "no-date")
    if text and not text.endswith(("\n", "\r")):  # after the entries' findings: a half-written last entry is cut off
        sign = cut_off_sign(parsed, text, [(finding.line, finding.code) for finding in found])
        severity = WARNING if sign else NOTICE
        found.append(Finding(len(split_lines(text)), severity, "no-final-newline", file_end_message(sign)))
    return sorted(found, key=lambda f: (f.line, f.severity, f.code))


def lint_bytes(data: bytes, source: str) -> list[Finding]:
    """Lint of a file's bytes; undecodable bytes are a finding with their line, and the rest is still checked.

    Raises ListFormatError (one line) for a file over MAX_LIST_BYTES: that is refused, not linted.
    """
    if len(data) > MAX_LIST_BYTES:
        decode_list(data, source)  # raises the size error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = Finding(line, ERROR, "not-utf8", f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8")
        found = lint_text(data.decode("utf-8", errors="replace"))
        return sorted([bad, *found], key=lambda f: (f.line, f.severity, f.code))
    return lint_text(text)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == ERROR for f in findings)
