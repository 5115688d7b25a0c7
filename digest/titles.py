"""Normalised titles and arXiv identifiers: the keys every dedupe compares."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

TITLE_KEY_MAX = 500  # models.Paper/Candidate.title_key are String(500)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# New-style IDs (2411.16198, 2411.16198v2) and old-style ones (hep-th/9901001, cs.AI/0101001v1), in ASCII digits
# only: Python's \d also takes the fullwidth and Arabic-Indic digits, and "２５０６.０４７０６" is no arXiv ID, though
# it reads like one (a second candidate for a known paper, with an arXiv link that leads nowhere).
# The archive name is bounded (real ones, hep-th or cond-mat, are short) so an ID always fits the String(32) columns:
# PostgreSQL refuses a longer string where SQLite would store it, which would fail the whole feed's transaction.
# The version is bounded for the same reason (Candidate.version is a 32-bit Integer; arXiv's run to a few dozen): a
# longer number is no version at all, not a version that fails the pass.
# A digit of any script next to the ID ends the match: "2506.0470６" is not 2506.0470, nor "2506.047061" 2506.04706.
# An archive name in any case is read (HEP-TH/9901001 is hep-th/9901001 to arXiv); canonical_arxiv_id writes it as
# arXiv does. The version's "v" stays lower-case.
_NEW_STYLE = r"(?<!\d)[0-9]{4}\.[0-9]{4,5}"
_OLD_STYLE = r"[a-zA-Z][a-zA-Z.-]{0,19}(?:\.[A-Z]{2})?/[0-9]{7}"
_VERSION = r"(?!\d)(?:v(?P<version>[0-9]{1,9})(?!\d))?"
ARXIV_ID = re.compile(rf"(?P<id>{_NEW_STYLE}|{_OLD_STYLE}){_VERSION}")
# The same search where no old-style ID can be (no `/` and seven digits): an item's guid and link, read twice for each
# of a poll's 2,000 items, are searched three times as fast, since the old style's archive is tried at every letter.
_NEW_STYLE_ID_ONLY = re.compile(rf"(?P<id>{_NEW_STYLE}){_VERSION}")
_OLD_STYLE_NUMBER = re.compile(r"/[0-9]{7}")
# The pages of one arXiv paper a list links: arXiv's abs, pdf and html pages, and the pages people share of it by its
# arXiv ID: Hugging Face's papers page, alphaXiv's and ar5iv's renderings; and the paper's DOI (10.48550/arXiv.ID).
_ARXIV_PAGES = (
    r"(?:(?:(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)|(?:www\.)?(?:huggingface|hf)\.co/papers"
    r"|(?:www\.)?alphaxiv\.org/(?:abs|overview|pdf)|ar5iv\.labs\.arxiv\.org/(?:abs|html)"
    r"|(?:www\.)?ar5iv\.org/(?:abs|html))/|(?:dx\.)?doi\.org/10\.48550/arxiv\.)"
)
_ARXIV_URL = re.compile(
    rf"^https?://{_ARXIV_PAGES}"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]{0,19}(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE | re.ASCII,
)

# The lookahead (the first letters of _ARXIV_PAGES) lets a search skip most places at once: a 6,000-entry list is
# searched on every write of it, and that took three times as long without it.
_ARXIV_LINKED = re.compile(
    rf"(?=[adehw]){_ARXIV_PAGES}(\d{{4}}\.\d{{4,5}}|[a-z][a-z.-]{{0,19}}(?:\.[A-Z]{{2}})?/\d{{7}})(?!\d)",
    re.IGNORECASE | re.ASCII,
)


# An old-style ID's archive and, as math.GT/0309136 writes it, its two-letter subject class.
_OLD_STYLE_ARCHIVE = re.compile(r"^(?P<archive>[^/]+?)(?P<subject>\.[A-Za-z]{2})?/", re.ASCII)


def canonical_arxiv_id(arxiv_id: str) -> str:
    """The ID as arXiv writes it: an old-style archive lower-case and its subject class upper-case (HEP-TH/9901001 is
    hep-th/9901001, math.gt/0309136 math.GT/0309136). arXiv reads archive names in any case, and lists and people
    write them so; every dedupe compares IDs as plain strings, so each ID read is made canonical where it is read."""
    found = _OLD_STYLE_ARCHIVE.match(arxiv_id)
    if found is None:
        return arxiv_id
    subject = (found["subject"] or "").upper()
    return f"{found['archive'].lower()}{subject}{arxiv_id[found.end() - 1 :]}"


# The month an arXiv ID was issued in (its first version's submission): 2411.16198 and hep-th/9901001 start with YYMM.
_ARXIV_MONTH = re.compile(r"(?:^|/)(?P<year>\d\d)(?P<month>0[1-9]|1[0-2])(?:\.|\d{3}\b)", re.ASCII)


def arxiv_id_month(arxiv_id: str) -> tuple[int, int] | None:
    """The year and month the ID was issued in (old-style IDs from 1991 on), or None when it tells none."""
    found = _ARXIV_MONTH.search(arxiv_id)
    if found is None:
        return None
    two_digits = int(found["year"])
    return (1900 if two_digits >= 91 else 2000) + two_digits, int(found["month"])


_NEW_STYLE_ID = re.compile(r"(?P<period>[0-9]{4})\.(?P<number>[0-9]{4,5})", re.ASCII)


def arxiv_id_problem(arxiv_id: str) -> str | None:
    """Why arXiv cannot have issued a new-style ID, or None (old-style IDs and other text are not judged here): IDs
    started in April 2007, with four digits after the dot until December 2014 and five from January 2015 (`2501.0123`
    is a five-digit ID with a digit missing). Every place that reads an ID a person typed, or a list links, says so
    by this one rule."""
    found = _NEW_STYLE_ID.fullmatch(arxiv_id)
    if found is None:
        return None
    year, month, digits = int(found["period"][:2]), int(found["period"][2:]), len(found["number"])
    if not 1 <= month <= 12:
        return f"{arxiv_id} names month {found['period'][2:]}, which no year has"
    if year >= 91:  # 9912.0001 is December 1999 written new-style, not an ID of 2099 with a digit missing
        return f"{arxiv_id} is dated before April 2007, when arXiv's IDs were old-style (like hep-th/9912001)"
    if year >= 15 and digits != 5:
        return f"{arxiv_id} has {digits} digits after the dot; arXiv gives IDs 5 from January 2015 on"
    if year < 15 and digits != 4:
        return f"{arxiv_id} has {digits} digits after the dot; arXiv gave IDs 4 before January 2015"
    if (year, month) < (7, 4):
        return f"{arxiv_id} is dated before April 2007, when arXiv's IDs were old-style (like hep-th/0612001)"
    return None


# The Cyrillic letters drawn as Latin ones, and the Greek omicron, keyed as those Latin letters: "Sраrse Autoencoders"
# with a Cyrillic р and а is the list's "Sparse Autoencoders" to every dedupe, as the same title in capitals is. A small
# table of Unicode's confusables (the standard library has not their data), read after casefold so that a capital is
# its small letter (Cyrillic В and М become в and м, so those are in it too). Cyrillic never stands for a symbol in a
# paper's title; the other Greek letters do (β-decay, ν-SVM, the κ-generalised distribution) and are left as they are.
LOOKALIKES = str.maketrans("авекмнорстухүіјѕһԁԛԝӏο", "abekmhopctyxyijshdqwlo")


def title_key(title: str) -> str:
    """Case, accents, punctuation and spacing removed, Cyrillic lookalikes read as the Latin letters they look like:
    'Prisma : An Open…' == 'prisma an open…' == 'Prism\u0430 : \u0410n Open…' (with a Cyrillic а and А)."""
    text = title.casefold()
    if not text.isascii():  # ASCII has no accents to take off (a poll keys 2,000 titles, nearly all ASCII)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(LOOKALIKES)
    # Cut to the column's String(500): PostgreSQL refuses longer strings (a hostile feed title would block the feed).
    return _NON_WORD.sub(" ", text).strip()[:TITLE_KEY_MAX].rstrip()


def arxiv_abs_url(arxiv_id: str) -> str:
    """The abstract page of an arXiv paper: the one link every list entry, message, feed and digest gives."""
    return f"https://arxiv.org/abs/{arxiv_id}"


def arxiv_id_from_url(url: str) -> str | None:
    """The versionless arXiv ID an abs/pdf/html URL (or a Hugging Face, alphaXiv or ar5iv page of the paper) points
    at, or None for any other URL."""
    match = _ARXIV_URL.match(url.strip())
    return canonical_arxiv_id(match.group("id")) if match else None


def linked_arxiv_ids(text: str) -> set[str]:
    """The arXiv papers a text links to (versions aside): found without parsing the list, for a check on every write."""
    return {canonical_arxiv_id(found) for found in _ARXIV_LINKED.findall(text)}


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """'2411.16198v3' -> ('2411.16198', 3); 'oai:arXiv.org:2411.16198v1' -> ('2411.16198', 1)."""
    old_style = "/" in text and _OLD_STYLE_NUMBER.search(text) is not None
    match = (ARXIV_ID if old_style else _NEW_STYLE_ID_ONLY).search(text)
    if match is None:
        raise ValueError(f"no arXiv identifier in {text!r}")
    version = match.group("version")
    return canonical_arxiv_id(match.group("id")), int(version) if version else None


def feed_key(arxiv_id: str | None, key: str) -> str:
    """What the public feeds call a paper for good (models.Paper.feed_key), worked out once, when it joins the list:
    its arXiv ID then, else a digest of its title key then. A title or a link edited later leaves it as it was, or
    every feed reader would show the paper a second time."""
    if arxiv_id:
        return f"arxiv:{arxiv_id}"
    return f"paper:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}"


def distinct_feed_keys(papers: Iterable[tuple[str | None, str | None, str]]) -> list[str]:
    """Each paper's feed key, from (the key it keeps or None, its arXiv ID, its title key) in the order the papers
    joined the list: a key an earlier paper holds already (a hand-kept list links two titles to one arXiv ID) gives way
    to the digest of the title key, since a feed reader knows an item by its id and would show only one of the two."""
    taken: set[str] = set()
    keys = []
    for kept, arxiv_id, title in papers:
        key = kept or feed_key(arxiv_id, title)
        if key in taken:
            key = feed_key(None, title)
        taken.add(key)
        keys.append(key)
    return keys


def same_title(key: str, other: str) -> bool:
    """Whether two title keys name one paper: at least half their words shared (a typo, an edition's subtitle), where a
    hand-kept list that links a title to the wrong arXiv ID puts two papers' titles with next to none in common."""
    words, others = set(key.split()), set(other.split())
    return len(words & others) * 2 >= len(words | others) > 0
