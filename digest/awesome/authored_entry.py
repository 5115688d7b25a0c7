"""A new entry written as most of its neighbours are where they begin with their title or authors, not a title link
(pure): '**Title.** *A. Author, B. Author.* arXiv 2026. [[paper](url)] [[code](url)]', 'Lin et al. **Title**. 2026.
[arXiv](url)'; the parts of those entries are read in authored_layout.py."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from digest.awesome.authored_layout import PREPRINT, Authors, Link, Venue, Written, read_written
from digest.awesome.entry import escape_text

# Link text that names the page it leads to, not the paper ('[DOI]', '[OpenReview]'): an arXiv link is not one.
_PAGE_NAME = re.compile(r"^\[?(?:doi|openreview|proceedings|acl|acm|ieee|springer)\]?$", re.IGNORECASE)
_INITIAL = re.compile(r"^[^\W\d_]\.")
T = TypeVar("T")


@dataclass(frozen=True)
class NewPaper:
    """What a new entry can say of its paper: its title (escaped for Markdown), its authors as arXiv gives them, its
    year, its page (arXiv's where it has one) and its code."""

    title: str
    authors: Sequence[str]
    year: int | None
    url: str
    on_arxiv: bool
    code_url: str | None


def authored_lines(neighbours: Sequence[str], listed: Callable[[], Sequence[str]], paper: NewPaper) -> str | None:
    """The new entry's line ('+ ' and a line end: the marker is the section's, set by entrystyle.in_section_style),
    written as most of `neighbours` (the section's entries, else the list's) are; a preprint's venue 'arXiv' only
    where the list (`listed`: its entries, read only here) writes one so. None where most link their title first."""
    written = [found for raw in neighbours if (found := read_written(raw)) is not None]
    if not written or len(written) * 2 <= len(neighbours):
        return None
    shape = Counter(entry.shape for entry in written).most_common(1)[0][0]
    alike = [entry for entry in written if entry.shape == shape]
    model = alike[0]
    title = model.title.around(paper.title)
    named = [entry.authors for entry in alike if entry.authors is not None]
    authors = _authors_part(named, paper.authors) if named and paper.authors else None
    venue = _venue_part(model.venue, _preprint_venue(listed()), paper.year)
    links = model.link_gap.join(_links(written, paper))
    parts = [authors, title] if model.authors_first else [title, authors]
    return "+ " + " ".join(part for part in [*parts, venue, links] if part) + "\n"


def _authors_part(named: Sequence[Authors], names: Sequence[str]) -> str:
    """The authors as most of `named` write theirs: full names, initials ('A. Author') or surnames ('Lin et al.'),
    and shortened to their first few and 'et al.' where the list shortens more than it writes in full."""
    form = _most([_name_form(authors.names[0]) for authors in named if authors.names], "full")
    written = [escape_text(_name(name, form)) for name in names if name.strip()] or [""]
    short = [authors for authors in named if authors.et_al_gap is not None]
    kept = _most([len(authors.names) for authors in short], 0)
    whole = [authors for authors in named if authors.et_al_gap is None and len(authors.names) > kept]
    if short and kept and len(short) >= len(whole) and len(written) > kept:
        gap = _most([authors.et_al_gap or " " for authors in short], " ")
        words = ", ".join(written[:kept]) + gap + "et al."
    elif len(written) > 1:
        last = _most([authors.last_join for authors in named if len(authors.names) > 1], ", ")
        words = ", ".join(written[:-1]) + last + written[-1]
    else:
        words = written[0]
    return named[0].frame.around(words)


def _name_form(name: str) -> str:
    tokens = name.split()
    return "surname" if len(tokens) == 1 else "initials" if _INITIAL.match(tokens[0]) else "full"


def _name(name: str, form: str) -> str:
    tokens = name.split()
    if form == "full" or len(tokens) < 2:
        return " ".join(tokens)
    if form == "surname":
        return tokens[-1]
    initials = ["-".join(part[0] + "." for part in token.split("-") if part) for token in tokens[:-1]]
    return " ".join([*initials, tokens[-1]])


def _preprint_venue(listed: Sequence[str]) -> str | None:
    """How the list names a preprint's venue ('arXiv', 'arXiv preprint', 'CoRR'), or None where it names none."""
    found = [written.venue.text for raw in listed if (written := read_written(raw)) and written.venue is not None]
    return _most([bare for text in found if PREPRINT.match(bare := text.strip("*_ "))], None)


def _venue_part(venue: Venue | None, preprint: str | None, year: int | None) -> str | None:
    """The venue and year as `venue` is written (in its emphasis: '*arXiv*, 2026.'): a preprint's venue as the list
    names one, else the year alone."""
    if venue is None or (preprint is None and year is None):
        return None
    lead = venue.text[: len(venue.text) - len(venue.text.lstrip("*_"))]
    closed = bool(lead) and venue.text.rstrip().endswith(lead[::-1]) and len(venue.text.strip()) > len(lead)
    if preprint is None:  # the year alone, in an emphasis opened before the venue and closed after the year
        return f"{'' if closed else lead}{year}{venue.end}"
    named = f"{lead}{preprint}{lead[::-1]}" if closed else f"{lead}{preprint}"
    return f"{named}{venue.sep or ' '}{year}{venue.end}" if year else named + venue.end.strip()


def _links(written: Sequence[Written], paper: NewPaper) -> list[str]:
    """The paper's link labelled as the list labels its arXiv links (else its paper links), and its code link as the
    list writes those, where it has code, in the order most entries give the two."""
    links = [link for entry in written for link in entry.links]
    arxiv = [link for link in links if link.kind == "arxiv"]
    pages = [link for link in links if link.kind in ("arxiv", "paper")]
    form = _most(arxiv if paper.on_arxiv and arxiv else pages, Link("arxiv", "[arXiv](", ")", "arXiv"))
    if paper.on_arxiv and form.kind != "arxiv" and _PAGE_NAME.match(form.label):
        form = _relabelled(form, "arXiv")
    shown = [form.to(paper.url)]
    if paper.code_url:
        code = _most([link for link in links if link.kind == "code"], _relabelled(form, "code"))
        code_first = [_code_first(entry) for entry in written if _code_first(entry) is not None]
        shown.insert(
            0 if code_first and sum(map(bool, code_first)) * 2 > len(code_first) else 1, code.to(paper.code_url)
        )
    return shown


def _code_first(entry: Written) -> bool | None:
    kinds = [link.kind for link in entry.links]
    pages = [at for at, kind in enumerate(kinds) if kind in ("arxiv", "paper")]
    return kinds.index("code") < pages[0] if "code" in kinds and pages else None


def _relabelled(link: Link, label: str) -> Link:
    """`link` written with another label in its brackets ('[DOI](' made '[arXiv](')."""
    word = re.sub(r"[^\W_][\w -]*[^\W_]|[^\W_]", label, link.label, count=1)
    at = link.head.rfind(link.label)
    head = link.head[:at] + word + link.head[at + len(link.label) :] if at >= 0 else f"[{label}]("
    return Link(link.kind, head, link.tail, word)


def _most(values: Sequence[T], default: T) -> T:
    """The most common of `values` (the first seen of those tied), else `default`."""
    return Counter(values).most_common(1)[0][0] if values else default
