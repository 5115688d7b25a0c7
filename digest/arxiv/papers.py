"""What a parsed arXiv answer holds: each paper (`ArxivPaper`) and the whole answer (`ParsedFeed`). Pure dataclasses,
a leaf of the package: the entry reader and the answer parser both build them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from digest.titles import arxiv_abs_url

# A title that can do something where it is shown: HTML (a whole tag, a comment, a CDATA end), Markdown links, a link,
# mentions (@everyone, @here, <@123>, <@!123>, <@&123>, <#123>). A lone "<" is no tag: "$a<b$" is TeX.
_MARKUP = re.compile(
    r"</?[a-z][a-z0-9-]*(?:\s[^<>]*)?/?>|<[!?]|\]\]>|\]\(|https?://|@(?:everyone|here)\b|<(?:@[!&]?|#)\d+>",
    re.IGNORECASE,
)
# Markdown code and emphasis, looked for outside TeX: arXiv titles write math ($A^{**}$) and quotes (``x'', `x').
_MARKDOWN = re.compile(r"`|\*\*")
_TEX = re.compile(r"\$[^$]+\$|``[^`']*''|`[^`']*'")
# A character one of the two searches above needs to match ("http" aside, in any case): a title holding none of them is
# plain text, known without the searches (nearly every title of a poll, which asks this of each).
_MARK_SIGNS = frozenset("<]@`*")
# How arXiv marks a withdrawn version: its abstract (or comments) say so, "This paper has been withdrawn by ...".
_WITHDRAWN = re.compile(
    r"\A\W*(?:this (?:paper|article|manuscript|submission|work|version) (?:has been|is|was) withdrawn|withdrawn\b)",
    re.IGNORECASE,
)


def says_withdrawn(abstract: str, comments: str | None) -> bool:
    """Whether a version's abstract or comments open with arXiv's notice that the paper was withdrawn."""
    return any(_WITHDRAWN.match(text) for text in (abstract, comments or ""))


@dataclass(frozen=True)
class ArxivPaper:
    arxiv_id: str  # without version
    version: int | None
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    announce_type: str | None  # new | cross | replace | replace-cross | None (API)
    published: datetime | None
    updated: datetime | None
    doi: str | None
    journal_ref: str | None
    comments: str | None
    primary_category: str | None

    @property
    def abs_url(self) -> str:
        return arxiv_abs_url(self.arxiv_id)

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def title_has_markup(self) -> bool:
        """Whether the title holds markup or a mention (not the TeX arXiv titles write): worth a warning."""
        if _MARK_SIGNS.isdisjoint(self.title) and "http" not in self.title.lower():
            return False
        return bool(_MARKUP.search(self.title) or _MARKDOWN.search(_TEX.sub(" ", self.title)))

    @property
    def withdrawn(self) -> bool:
        """Whether this version withdraws the paper: its abstract or comments open with the notice."""
        return says_withdrawn(self.abstract, self.comments)


@dataclass(frozen=True)
class ParsedFeed:
    kind: str  # rss | atom | api | unknown
    feed_date: datetime | None
    skip_days: tuple[str, ...]
    papers: list[ArxivPaper]
    problems: list[str] = field(default_factory=list)  # one line per item skipped or oddity found
    error: str | None = None  # the whole answer is unusable (error feed, HTML page, not XML)
    title: str = ""
    total_results: int | None = None  # API answers: opensearch:totalResults
    well_formed: bool = True
    # items the answer ends inside (a dropped connection; 1 when it ends between two): what followed never came
    cut_off: int = 0
    skipped: int = 0  # whole items left out (no arXiv ID, no title, a paper again): read, but no paper of their own

    @property
    def items_read(self) -> int:
        """The items read whole, papers or not: where the next page of an API answer starts."""
        return len(self.papers) + self.skipped
