"""What an arXiv reference a person writes names: an ID (new or old style) or an address of the paper's page, and
whether arXiv can have issued it. Pure, a leaf: `digest add`, /suggest, Discord, and the abstracts of the list's
papers asked from the API all read IDs by this one rule."""

from __future__ import annotations

import re

from digest.titles import canonical_arxiv_id

# ASCII digits only (digest.titles.ARXIV_ID says why).
_NEW_STYLE_ID = re.compile(r"(?P<id>\d{4}\.\d{4,5})(?:v[1-9]\d*)?", re.ASCII)
# Old-style IDs (before April 2007): archive, an optional subject class arXiv no longer writes, year, month, number.
# The archive in any case (HEP-TH/9901001 is hep-th/9901001 to arXiv); the version's "v" lower-case as everywhere.
_OLD_STYLE_ID = re.compile(
    r"(?P<archive>[a-zA-Z]+(?:-[a-zA-Z]+)?)(?:\.[a-zA-Z]{2})?/(?P<month>\d{4})(?P<number>\d{3})(?:v[1-9]\d*)?",
    re.ASCII,
)
# The archives old-style IDs were issued in (arxiv.org/help/arxiv_identifier).
# fmt: off
OLD_ARCHIVES = frozenset((
    "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an", "chao-dyn", "chem-ph", "cmp-lg",
    "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math",
    "math-ph", "mtrl-th", "nlin", "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio",
    "quant-ph", "solv-int", "supr-con",
))
# fmt: on
# The paper's abs, pdf or html page, as the address bar shows it: a query (`?context=cs.CV` from another category's
# listing) or a fragment after it names the same paper.
_ARXIV_PAGE = re.compile(
    r"https?://(?:www\.|export\.)?arxiv\.org/(?P<kind>abs|pdf|html)/(?P<rest>[^?#\s]+?)/?(?:[?#]\S*)?", re.I
)


def parse_arxiv_reference(text: str) -> str | None:
    """The versionless arXiv ID in '2501.01234', '2501.01234v2', 'arXiv:2501.01234', an old-style 'hep-th/9901001'
    (or 'math.GT/0309136', written as arXiv writes it now: 'math/0309136') or an arxiv.org abs/pdf/html URL of one;
    None for anything else."""
    text = text.strip()
    page = _ARXIV_PAGE.fullmatch(text)
    if page is not None:
        text = page["rest"]
        if page["kind"].lower() == "pdf":
            text = text.removesuffix(".pdf")
    elif text[:6].casefold() == "arxiv:":
        text = text[6:]
    match = _NEW_STYLE_ID.fullmatch(text)
    if match is not None:
        return match["id"] if _is_issued(match["id"]) else None
    old = _OLD_STYLE_ID.fullmatch(text)
    if old is None:
        return None
    arxiv_id = canonical_arxiv_id(f"{old['archive']}/{old['month']}{old['number']}")
    if arxiv_id.partition("/")[0] not in OLD_ARCHIVES or not _is_old_month(old["month"]) or old["number"] == "000":
        return None
    return arxiv_id


def _is_old_month(period: str) -> bool:
    """A month old-style IDs were issued in: August 1991 to March 2007."""
    year, month = int(period[:2]), int(period[2:])
    full_year = (1900 if year >= 91 else 2000) + year
    return 1 <= month <= 12 and (1991, 8) <= (full_year, month) <= (2007, 3)


def _is_issued(arxiv_id: str) -> bool:
    """Whether arXiv can have issued this ID: a month 01 to 12 from April 2007 on, four digits after the dot until
    December 2014 and five from January 2015 (`2501.0123` is a five-digit ID with a digit missing)."""
    period, number = arxiv_id.split(".")
    year, month = int(period[:2]), int(period[2:])
    if not 1 <= month <= 12 or (year, month) < (7, 4):
        return False
    return len(number) == (5 if year >= 15 else 4)
