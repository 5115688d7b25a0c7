"""A new list entry's Markdown, from text nobody on the team wrote (arXiv titles, submitted URLs).

Titles are escaped so a `](`, `*`, `<script>` or a newline cannot break the list or inject links and HTML;
URLs must pass the one URL policy (digest.text) and are percent-encoded where Markdown would read them as syntax.
"""

from __future__ import annotations

import re

import jinja2

from digest.text import acceptable_url, one_line

# Brackets, emphasis, code and HTML; '!' '(' '#' are harmless once '[' and ']' are escaped, so titles stay readable.
# '$' too: GitHub reads $...$ as math, where these escapes break a formula a title keeps as TeX; escaped, it reads as
# its source.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>~$])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_URL_UNSAFE = {c: f"%{ord(c):02X}" for c in "()<>\"'`\\[]* "}
_GITHUB_REPO = re.compile(r"^https://github\.com/(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?(?:[/?#].*)?$")


def escape_text(text: str) -> str:
    """Plain text made safe inside Markdown link text or bold: one line, every syntax character escaped."""
    flat = one_line(text)
    return _ENTITY.sub("&amp;", _MARKDOWN_SPECIAL.sub(r"\\\1", flat))


def safe_url(url: str | None) -> str | None:
    """The URL if the URL policy accepts it, percent-encoding what Markdown would misread; else None."""
    accepted = acceptable_url(url)
    return None if accepted is None else "".join(_URL_UNSAFE.get(ch, ch) for ch in accepted)


def github_repo(code_url: str | None) -> str | None:
    match = _GITHUB_REPO.match(code_url or "")
    return match["repo"] if match else None


def render_entry_fields(
    environment: jinja2.Environment,
    *,
    short_name: str | None,
    title: str,
    url: str,
    date_text: str | None,
    arxiv_url: str | None,
    code_url: str | None,
) -> str:
    """The entry's lines (ending with a line end, without the blank separator), already-escaped values in."""
    text = environment.get_template("list/entry.md.j2").render(
        short_name=short_name,
        title=title,
        url=url,
        date_text=date_text,
        arxiv_url=arxiv_url,
        code_url=code_url,
        star_repo=github_repo(code_url),
    )
    return text if text.endswith("\n") else text + "\n"
