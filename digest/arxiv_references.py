"""What an arXiv reference a person writes names: an ID (new or old style) or an address of the paper's page, and
whether arXiv can have issued it. Pure, a leaf: `digest add`, /suggest, Discord, the abstracts of the list's
papers asked from the API and `digest decisions import` all read IDs by this one rule."""

from __future__ import annotations

import re

from digest.titles import arxiv_id_problem, canonical_arxiv_id

# ASCII digits only (digest.titles.ARXIV_ID says why).
# Any version is matched, so that one no paper has (v0, v99999999999) is refused, not read as the bare ID: a maintainer
# who typed a version meant one. arXiv numbers them from v1, and its longest-revised papers run to a few dozen.
_NEW_STYLE_ID = re.compile(r"(?P<id>\d{4}\.\d{4,5})(?:v(?P<version>\d+))?", re.ASCII)
_VERSION_DIGITS = 4
# Old-style IDs (before April 2007): archive, an optional subject class arXiv no longer writes, year, month, number.
# The archive in any case (HEP-TH/9901001 is hep-th/9901001 to arXiv); the version's "v" lower-case as everywhere.
_OLD_STYLE_ID = re.compile(
    r"(?P<archive>[a-zA-Z]+(?:-[a-zA-Z]+)?)(?:\.[a-zA-Z]{2})?/(?P<month>\d{4})(?P<number>\d{3})(?:v(?P<version>\d+))?",
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
    text = _bare(text)
    match = _NEW_STYLE_ID.fullmatch(text)
    if match is not None:
        plausible = _version_problem(match["id"], match["version"]) is None
        return match["id"] if plausible and arxiv_id_problem(match["id"]) is None else None
    old = _OLD_STYLE_ID.fullmatch(text)
    if old is None or _version_problem(old["archive"], old["version"]) is not None:
        return None
    arxiv_id = canonical_arxiv_id(f"{old['archive']}/{old['month']}{old['number']}")
    if arxiv_id.partition("/")[0] not in OLD_ARCHIVES or not _is_old_month(old["month"]) or old["number"] == "000":
        return None
    return arxiv_id


def reference_version(text: str) -> int | None:
    """The version a reference names ('2501.01234v2': 2), or None when it names none or is no reference."""
    bare = _bare(text)
    match = _NEW_STYLE_ID.fullmatch(bare) or _OLD_STYLE_ID.fullmatch(bare)
    if match is None or match["version"] is None or _version_problem("", match["version"]) is not None:
        return None
    return int(match["version"])


def _version_problem(arxiv_id: str, version: str | None) -> str | None:
    """Why a version written after an ID is none a paper has, or None (no version written is none to judge)."""
    if version is None or (len(version) <= _VERSION_DIGITS and not version.startswith("0")):
        return None
    shown = version if len(version) <= 12 else f"{version[:12]}..."
    return f"{arxiv_id} names version v{shown}, which no paper has: arXiv numbers versions from v1, to a few dozen"


def _is_old_month(period: str) -> bool:
    """A month old-style IDs were issued in: August 1991 to March 2007."""
    year, month = int(period[:2]), int(period[2:])
    full_year = (1900 if year >= 91 else 2000) + year
    return 1 <= month <= 12 and (1991, 8) <= (full_year, month) <= (2007, 3)


def unissued_reason(text: str) -> str | None:
    """Why arXiv cannot have issued the ID a reference names, or None: a new-style one by arxiv_id_problem ('2501.0123':
    a digit missing), an old-style one by its archive, its month (August 1991 to March 2007) and its number."""
    bare = _bare(text)
    match = _NEW_STYLE_ID.fullmatch(bare)
    if match is not None:
        return arxiv_id_problem(match["id"]) or _version_problem(match["id"], match["version"])
    old = _OLD_STYLE_ID.fullmatch(bare)
    if old is None:
        return None
    arxiv_id = canonical_arxiv_id(f"{old['archive']}/{old['month']}{old['number']}")
    if _version_problem(arxiv_id, old["version"]) is not None:
        return _version_problem(arxiv_id, old["version"])
    archive, period = arxiv_id.partition("/")[0], old["month"]
    if archive not in OLD_ARCHIVES:
        return f"{archive[:20]} is no archive arXiv gave old-style IDs in (like hep-th or math)"
    if not 1 <= int(period[2:]) <= 12:
        return f"{arxiv_id} names month {period[2:]}, which no year has"
    if not _is_old_month(period):
        when = "after March 2007, when arXiv's IDs became new-style (like 0704.0001)"
        return f"{arxiv_id} is dated {'before August 1991, when arXiv began' if int(period[:2]) >= 91 else when}"
    if old["number"] == "000":
        return f"{arxiv_id} is numbered 000; arXiv numbered each month's papers from 001"
    return None


def _bare(text: str) -> str:
    """The ID part of a reference: an arxiv.org page's path, or the text without its 'arXiv:'."""
    text = text.strip()
    page = _ARXIV_PAGE.fullmatch(text)
    if page is not None:
        text = page["rest"]
        return text.removesuffix(".pdf") if page["kind"].lower() == "pdf" else text
    return text[6:] if text[:6].casefold() == "arxiv:" else text
