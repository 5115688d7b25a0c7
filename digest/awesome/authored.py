"""Entries whose title is not their link (pure): written as many paper lists write them, their authors or their title
first and the paper linked after by what it is ('* Ying et al. **GNNExplainer**. *NeurIPS*, 2019. [OpenReview](url)',
'- **Title**. Authors. [[paper](url)] [[code](url)]', '1. Title. Authors. [pdf](url)'). The title is the bold text
before the paper's link, else the first sentence (past the authors' 'et al.'); the link is the first to an arXiv, DOI
or OpenReview page or labelled as the paper's ('[pdf]', '[Paper]').
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from digest.titles import arxiv_id_from_url

# Link text that names the paper's page ('[pdf]', '[[Paper]]', '[arXiv]'), not its code or a project page.
PAPER_LABEL = re.compile(
    r"^\[?(?:paper|pdf|arxiv|abs|abstract|html|openreview|doi|link|article|preprint|proceedings)\]?$", re.IGNORECASE
)
_PAPER_HOST = re.compile(r"^(?:https?://)?(?:[\w-]+\.)*(?:doi\.org|openreview\.net)/", re.IGNORECASE)
# The bold text of the line ('**GNNExplainer: ...**'), not a bold link.
_BOLD = re.compile(r"\*\*(?P<text>(?:\\.|[^*\\])+)\*\*")
# The end of a sentence: a full stop and a space (not one inside 'e.g.' nor an initial's: 'A. Author').
_SENTENCE_END = re.compile(r"(?<![\s.][A-Za-z])\.[ \t]+")
_ET_AL = re.compile(r"\bet[ \t]+al$", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
_AFTER_SENTENCE = re.compile(r"[.,;:)*_|][ \t]*\[?[ \t]*$")


def paper_link(text: str, links: Sequence[re.Match[str]]) -> re.Match[str] | None:
    """The first of `links` (LINK matches in `text`) that links the paper: its text names the paper's page ('[pdf]'),
    or it leads to an arXiv, DOI or OpenReview page after a sentence's end ('2019. [NeurIPS](https://openreview...)'),
    not from within one ('see [this paper](https://arxiv.org/...)')."""
    for link in links:
        url = link["url"].strip("<>")
        if PAPER_LABEL.match(link["text"].strip()):
            return link
        if (arxiv_id_from_url(url) or _PAPER_HOST.match(url)) and _AFTER_SENTENCE.search(text[: link.start()]):
            return link
    return None


def authored_title(before: str) -> str | None:
    """The title as written in `before` (the item's text before its paper link, past its marker): the first bold
    text, else the first sentence that is not the authors' ('Vaswani et al.'); None when it holds no words."""
    bold = _BOLD.search(before)
    if bold and "](" not in bold["text"]:
        return bold["text"].strip() if _LETTER.search(bold["text"]) else None
    for sentence in _SENTENCE_END.split(before.strip()):
        sentence = sentence.strip().rstrip(".,;:").strip()
        if _LETTER.search(sentence) and not _ET_AL.search(sentence):
            return sentence if "](" not in sentence and "[" not in sentence else None
    return None


def is_authored(line: str, links: Sequence[re.Match[str]], start: int) -> bool:
    """Whether the item on `line` (its links `links`, its text from `start`, past its marker) is an entry written
    title or authors first: words before its paper's link."""
    link = paper_link(line, links)
    return link is not None and link.start() > start and authored_title(line[start : link.start()]) is not None
