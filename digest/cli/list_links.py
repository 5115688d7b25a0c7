"""`digest list import` saying the links within the list it leaves reaching no heading (a heading renamed by hand,
its table of contents link left as it was), and the other lint errors the file brings, which `digest list lint` then
counts: still imported, the maintainer's text being theirs, each said on a line of its own (a link with its fix)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from digest.awesome.importer import ImportReport
    from digest.awesome.parse import ParsedList

LINT_ERRORS_SAID = 10  # a file with many more (the wrong one imported) is counted, not printed whole


def note_broken_links(session: Session, report: ImportReport, held: str, parsed: ParsedList, text: str) -> None:
    """Notes in `report` the links of the imported file (`text`, read as `parsed`) reaching no heading that the list
    held before the import (`held`, as rendered) had whole; a list the import left unchanged has none to note. The
    file's lint errors are kept with it (awesome.lint_memo): the next import need not lint the list it held again."""
    if not report.changed:
        return
    from digest.awesome.import_report import errors_brought, links_broken
    from digest.awesome.lint import has_errors, lint_parsed, lint_text
    from digest.awesome.lint_memo import remember_errors, remembered_errors

    after = lint_parsed(parsed, text)
    before = remembered_errors(session, held) if has_errors(after) else None  # before this import's are kept
    remember_errors(session, text, after)
    if not has_errors(after):  # both are errors of the file the list had not: the list held is not read (big lists)
        return
    before = before if before is not None else lint_text(held)
    report.broken_links = links_broken(before, after)
    report.lint_errors = errors_brought(before, after)


def broken_link_lines(report: ImportReport, *, dry_run: bool, path: str) -> list[str]:
    """One line per link the import leaves reaching no heading: its line in the file, the link and lint's fix; then one
    per other lint error the file brings (`LINT_ERRORS_SAID` at most, the rest counted: `digest list lint` on `path`
    names them)."""
    from digest.text import one_line  # the link is the file's text: no terminal escape is printed

    when = "before importing" if dry_run else "and import the file again"
    lines = []
    for item in report.broken_links:
        step = item["message"].partition("; ")[2]
        lines.append(
            f"  ! line {item['line']}: link {one_line(item['link'])} reaches no heading now; {step} {when}"
            " (`digest list lint` counts it an error)"
        )
    for item in report.lint_errors[:LINT_ERRORS_SAID]:
        lines.append(f"  ! line {item['line']}: new error: {one_line(item['message'])} [{item['code']}]")
    if (rest := len(report.lint_errors) - LINT_ERRORS_SAID) > 0:
        more = "1 more new error" if rest == 1 else f"{rest} more new errors"
        lines.append(f"  ! and {more}: `digest list lint {path}` names them")
    return lines
