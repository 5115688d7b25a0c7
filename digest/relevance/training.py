"""Maintainers' earlier verdicts for `digest decisions import`: JSON lines checked into plain data, or what is wrong.

Pure: no SQL and no files. Section names are resolved by a function the caller passes in (the list's own rule, the
one `digest approve --section` uses), so a name means the same section here as there.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from digest.arxiv_references import parse_arxiv_reference, unissued_reason
from digest.text import blank_invisible, one_line

SectionResolver = Callable[[str], str | None]
"""A section name or slug as a maintainer writes it -> the list's label for that section (its name, told apart from
another of that name), or None; raises SeveralSectionsError for a name several sections share."""


class SeveralSectionsError(ValueError):
    """A section name several of the list's sections share (a "Probing" in each year's block): the message says which
    to name instead, as `digest approve --section` says it."""


class Verdict(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class ImportedDecision:
    arxiv_id: str  # versionless: 2501.01234, hep-th/9901001
    title: str
    abstract: str
    verdict: Verdict
    section: str | None  # the list's name for it; only for approve
    line_number: int

    @property
    def approved(self) -> bool:
        return self.verdict is Verdict.APPROVE


@dataclass(frozen=True)
class BadLine:
    line_number: int
    message: str
    unknown_section: str | None = None  # the section name it gave, as written, when the list has no such section


@dataclass(frozen=True)
class Repeat:
    """One paper on several lines of a file: the last line is the one imported."""

    arxiv_id: str
    line_numbers: tuple[int, ...]


@dataclass(frozen=True)
class ParsedDecisions:
    decisions: list[ImportedDecision]  # one per paper, the last line's, in the order of those lines
    bad_lines: list[BadLine]
    repeats: list[Repeat]
    unknown_sections: list[str]  # as written, for the hint that lists the real ones

    def count(self, verdict: Verdict) -> int:
        return sum(1 for decision in self.decisions if decision.verdict is verdict)


class _LineError(Exception):
    """Everything wrong with one line, and the section name it gave if the list has no such section."""

    def __init__(self, messages: list[str], unknown_section: str | None = None) -> None:
        super().__init__("; ".join(messages))
        self.unknown_section = unknown_section


def _given(value: Any) -> str:
    """What a line gave, as its JSON writes it ("APPROVE", true, a number where a string is meant), its first 40
    characters: ", not ..." after the rule, or nothing when the key is missing or null."""
    if value is None:
        return ""
    written = json.dumps(value, ensure_ascii=False)
    shown = written if len(written) <= 40 else written[:40] + "…"
    # 2501.01230 unquoted is a number, read as 2501.0123: it was an ID, and only the quotes are missing
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return f", not {shown}" + (", a number: write it in quotes" if number else "")


def _arxiv_id(value: Any, problems: list[str]) -> str:
    """The versionless ID, read as `digest approve` and `add` read one (arXiv:2501.01234v2, an arxiv.org address)."""
    arxiv_id = parse_arxiv_reference(value) if isinstance(value, str) else None
    if arxiv_id is not None:
        return arxiv_id
    unissued = unissued_reason(value) if isinstance(value, str) else None
    if unissued:  # a digit lost or a month mistyped: a decision on a paper that cannot exist teaches nothing
        problems.append(f"arxiv_id {unissued}")
    else:
        problems.append(
            f"arxiv_id must be an arXiv ID such as 2501.01234, 2501.01234v2 or hep-th/9901001{_given(value)}"
        )
    return ""


def _verdict(value: Any, problems: list[str]) -> Verdict | None:
    try:
        return Verdict(value)
    except ValueError:
        problems.append(f"decision must be approve or reject{_given(value)}")
        return None


def _section_wanted(value: Any, verdict: Verdict | None, problems: list[str]) -> str | None:
    """The section name as written, when there is one to resolve."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        problems.append("section must be a string")
        return None
    # An issue tracker may label a rejected paper with a section too; it means nothing for a reject, so it is dropped.
    return None if verdict is Verdict.REJECT else value


def json_line(text: str) -> Any:
    """One line of a JSON-lines file a maintainer gives; raises ValueError saying in words what is wrong. A line
    nested deeper than the parser goes, or holding a number longer than Python reads, is a bad line like any other,
    not a traceback."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise ValueError("not valid JSON (nested too deeply)") from None
    except ValueError:  # only Python's limit on an integer's digits is left to raise it
        raise ValueError(f"not valid JSON (a number of more than {sys.get_int_max_str_digits()} digits)") from None


def _section(wanted: str | None, resolve: SectionResolver, problems: list[str]) -> tuple[str | None, str | None]:
    """The list's label for the section `wanted` means, and `wanted` again when the list has no such section (for the
    hint listing the real ones); a name several sections share is a problem that names them itself."""
    if wanted is None:
        return None, None
    try:
        section = resolve(wanted)
    except SeveralSectionsError as exc:
        problems.append(str(exc))
        return None, None
    if section is None:
        problems.append(f"no section named {wanted!r} in the list")
        return None, wanted
    return section, None


def _parse_decision(text: str, line_number: int, resolve: SectionResolver) -> ImportedDecision:
    """One line's decision; raises _LineError with everything wrong with it."""
    try:
        row = json_line(text)
    except ValueError as exc:
        raise _LineError([str(exc)]) from None
    if not isinstance(row, dict):
        raise _LineError(["not a JSON object"])
    problems: list[str] = []
    arxiv_id = _arxiv_id(row.get("arxiv_id"), problems)
    title = row.get("title")
    if not isinstance(title, str) or not one_line(title):
        problems.append("title must be a non-empty string")
    abstract = row.get("abstract", "")
    if not isinstance(abstract, str):
        problems.append("abstract must be a string (it may be empty)")
    verdict = _verdict(row.get("decision"), problems)
    wanted = _section_wanted(row.get("section"), verdict, problems)
    section, unknown = _section(wanted, resolve, problems)
    if problems or verdict is None or not isinstance(title, str) or not isinstance(abstract, str):
        raise _LineError(problems, unknown)
    return ImportedDecision(
        arxiv_id=arxiv_id,
        title=one_line(title),
        abstract=blank_invisible(abstract, keep_line_breaks=True).strip(),  # as a polled abstract: no NUL, no controls
        verdict=verdict,
        section=section,
        line_number=line_number,
    )


def _decode(raw: bytes, line_number: int) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _LineError(["not UTF-8 text"]) from None
    return text.removeprefix("\ufeff") if line_number == 1 else text


def check_lines(lines: Iterable[bytes], resolve: SectionResolver) -> Iterator[ImportedDecision | BadLine]:
    """Each non-blank line's decision or what is wrong with it, one line at a time (line numbers count from 1, blank
    lines included): a file of any length is checked holding one line.

    Lines are bytes so that only a real line break ends a line (str.splitlines would also split at U+2028 inside
    a JSON string) and a line that is not UTF-8 is reported with its number."""
    for line_number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            yield _parse_decision(_decode(raw, line_number).strip(), line_number, resolve)
        except _LineError as problems:
            yield BadLine(line_number, str(problems), problems.unknown_section)


def parse_decisions(lines: Iterable[bytes], resolve: SectionResolver) -> ParsedDecisions:
    """Every non-blank line checked (`check_lines`), held together; the last line per paper wins."""
    latest: dict[str, ImportedDecision] = {}
    seen_on: dict[str, list[int]] = {}
    bad_lines: list[BadLine] = []
    for checked in check_lines(lines, resolve):
        if isinstance(checked, BadLine):
            bad_lines.append(checked)
            continue
        latest.pop(checked.arxiv_id, None)  # re-inserted: the dict's order is that of each paper's last line
        latest[checked.arxiv_id] = checked
        seen_on.setdefault(checked.arxiv_id, []).append(checked.line_number)
    repeats = [Repeat(arxiv_id, tuple(numbers)) for arxiv_id, numbers in seen_on.items() if len(numbers) > 1]
    unknown_sections = [bad.unknown_section for bad in bad_lines if bad.unknown_section is not None]
    return ParsedDecisions(list(latest.values()), bad_lines, repeats, unknown_sections)
