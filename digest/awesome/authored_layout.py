"""How a list writes its entries that begin with their title or authors, not a title link (pure): one entry's parts
('**Title.** *Authors.* Venue 2024. [[paper](url)] [[code](url)]', 'Lin et al. **Title**. *ICCV*, 2025. [arXiv](url)')
and each part's frame (its emphasis and punctuation), for a new entry to be written as they are (authored_entry.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from digest.awesome.authored import PAPER_LABEL, authored_title, paper_link
from digest.awesome.shapes import ENTRY_HEAD, ENTRY_START, LINK, TASK_BOX, link_target, read_shape
from digest.titles import arxiv_id_from_url

# The end of a sentence, an emphasis closed there too ('.* '), not an initial's ('A. Author').
_SENTENCE_END = re.compile(r"(?<![\s.*_][A-Za-z])\.(?:\*{1,2}|_{1,2})?[ \t]+")
_BOLD = re.compile(r"\*\*(?:\\.|[^*\\])+\*\*[.,;:]*")
# A venue and its year ('ACM Computing Surveys 2024.', '*ICCV*, 2025.', 'arXiv 2024.').
_VENUE_YEAR = re.compile(r"^(?P<venue>.*?)(?P<sep>[ \t]*,?[ \t]*)(?P<year>(?:19|20)\d\d)(?P<end>[^\w]*)$")
_FRAME = re.compile(r"^(?P<open>[*_]*)(?P<inner>.*?)(?P<close>[*_.,;: \t]*)$", re.DOTALL)
_ET_AL = re.compile(r"(?P<gap>,?[ \t]+)et[ \t]+al\.?$", re.IGNORECASE)
_NAME_JOIN = re.compile(r"(,[ \t]*and[ \t]+|[ \t]+and[ \t]+|[ \t]*[,;][ \t]*)")
_CODE_HOST = re.compile(r"^(?:https?://)?(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/", re.IGNORECASE)
_CODE_LABEL = re.compile(r"^\[?(?:code|github|repo|repository|gitlab)\]?$", re.IGNORECASE)
PREPRINT = re.compile(r"^(?:arxiv|corr)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Frame:
    """The emphasis and punctuation around a part's words ('*', '.*' around 'A. Author, B. Author')."""

    open: str
    close: str

    def around(self, words: str) -> str:
        close = self.close.lstrip(".") if words.endswith((".", "?", "!")) else self.close
        return f"{self.open}{words}{close}"


@dataclass(frozen=True)
class Venue:
    """A venue and its year as written: the venue's text ('*ICCV*'), what comes between ', ' and after '.'."""

    text: str
    sep: str
    end: str


@dataclass(frozen=True)
class Authors:
    """The authors as written: their frame, their names (as the list writes them), the text joining the last two,
    and the text before 'et al.' where the list shortens them."""

    frame: Frame
    names: tuple[str, ...]
    last_join: str
    et_al_gap: str | None


@dataclass(frozen=True)
class Link:
    kind: str  # 'arxiv', 'paper', 'code' or 'other'
    head: str  # the text before its target, as written: '[[paper]('
    tail: str  # and after it: ')]'
    label: str

    def to(self, url: str) -> str:
        return f"{self.head}{url}{self.tail}"


@dataclass(frozen=True)
class Written:
    """One entry written title or authors first, in parts."""

    authors_first: bool
    title: Frame
    authors: Authors | None
    venue: Venue | None
    links: tuple[Link, ...]
    link_gap: str

    @property
    def shape(self) -> tuple[object, ...]:
        """What entries written alike share (not their words)."""
        venue = None if self.venue is None else (self.venue.sep, self.venue.end)
        frame = None if self.authors is None else self.authors.frame
        return self.authors_first, self.title, frame, venue


def read_written(raw: str) -> Written | None:
    """The entry's first line in parts, or None where its title is its link (or it reads as no such entry)."""
    line = raw.lstrip("\r\n").splitlines()[0].lstrip(" \t") if raw.strip() else ""
    start = ENTRY_START.match(line)
    if start is None or (read_shape(line).titled is not None and not _bold_then_labelled(line)):
        return None  # as the list is read (shapes.py, parsed_entry.py): no title link first
    body = line[start.end() :]
    body = body[box.end() :] if (box := TASK_BOX.match(body)) else body
    links = list(LINK.finditer(body))
    first = paper_link(body, links)
    if first is None or authored_title(body[: first.start()]) is None:
        return None
    title = _title_span(body[: _wrapped_start(body, first.start())].rstrip())
    if title is None:
        return None
    cut = _wrapped_start(body, next(link.start() for link in links if link.start() >= title[1]))
    before = body[:cut].rstrip()
    authors_text, rest = before[: title[0]].strip(), before[title[1] :].strip()
    authors_first = bool(authors_text)
    if not authors_first:
        found = _SENTENCE_END.search(" " + rest)
        if found is not None:  # the authors' sentence, then the venue's
            authors_text, rest = (" " + rest)[: found.end()].strip(), (" " + rest)[found.end() :]
        elif not _VENUE_YEAR.match(rest):
            authors_text, rest = rest, ""
    tokens = list(_link_tokens(body, [link for link in links if link.start() >= cut]))
    gaps = [body[a_end:b_start] for (_, a_end), (b_start, _) in pairwise([(s, e) for s, e, _ in tokens])]
    return Written(
        authors_first=authors_first,
        title=_frame(before[title[0] : title[1]]),
        authors=_authors(authors_text) if authors_text else None,
        venue=_venue(rest),
        links=tuple(link for _, _, link in tokens),
        link_gap=gaps[0] if gaps and not gaps[0].strip() else " ",
    )


def _bold_then_labelled(line: str) -> bool:
    """Whether the item's first link, after its bold text, is labelled as the paper's page, not its title
    ('- **Title** [[paper]](url) [[code]](url)'): the bold text is the title, as the list is read (parsed_entry.py)."""
    head = ENTRY_HEAD.match(line)
    if head is None or head["short"] is None or "](" in head["short"]:
        return False
    link = LINK.match(line, head.end())
    return link is not None and PAPER_LABEL.match(link["text"].strip()) is not None


def _wrapped_start(body: str, start: int) -> int:
    while start and body[start - 1] == "[":
        start -= 1
    return start


def _title_span(before: str) -> tuple[int, int] | None:
    """Where the title stands in the text before the links, with its emphasis and the punctuation after it."""
    bold = _BOLD.search(before)
    if bold and "](" not in bold[0]:
        return bold.start(), bold.end()
    title = authored_title(before)
    at = before.find(title) if title else -1
    if title is None or at < 0:
        return None
    end = at + len(title)
    while end < len(before) and before[end] in ".,;:":
        end += 1
    return at, end


def _frame(text: str) -> Frame:
    found = _FRAME.match(text.strip())
    return Frame("", "") if found is None else Frame(found["open"], found["close"].strip(" \t"))


def _authors(text: str) -> Authors:
    found = _FRAME.match(text.strip())
    inner = found["inner"] if found else text
    et_al = _ET_AL.search(inner)
    names_text = inner[: et_al.start()] if et_al else inner
    split = _NAME_JOIN.split(names_text)
    names = tuple(name.strip() for name in split[::2] if name.strip())
    last_join = split[-2] if len(split) >= 3 else ", "
    return Authors(_frame(text), names, last_join if "and" in last_join else ", ", et_al["gap"] if et_al else None)


def _venue(text: str) -> Venue | None:
    found = _VENUE_YEAR.match(text.strip())
    return None if found is None else Venue(found["venue"], found["sep"], found["end"])


def _link_tokens(body: str, links: list[re.Match[str]]) -> Iterator[tuple[int, int, Link]]:
    """Each link as written, its wrapping brackets ('[[paper](url)]') included."""
    for link in links:
        start = _wrapped_start(body, link.start())
        end = link.end()
        while end - link.end() < link.start() - start and end < len(body) and body[end] == "]":
            end += 1
        url, label = link_target(link), link["text"].strip()
        yield start, end, Link(_kind(url, label), body[start : link.start("url")], body[link.end("url") : end], label)


def _kind(url: str, label: str) -> str:
    if arxiv_id_from_url(url):
        return "arxiv"
    if _CODE_HOST.match(url) or _CODE_LABEL.match(label):
        return "code"
    return "paper" if PAPER_LABEL.match(label) or "doi.org/" in url or "openreview.net/" in url else "other"
