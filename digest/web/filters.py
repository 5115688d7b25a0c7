"""The pages' own Jinja2 filters: the web app renders with them, and `digest config check` reads templates with them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from digest.arxiv.announcements import found_as
from digest.text import authors_line, readable_title
from digest.web.syndication import safe_url

# Three names and "et al. (N authors)", as the list page, the feeds and Discord show a paper's authors.
# `title|readable_title(arxiv_id)`: "Untitled paper, arXiv <id>" for a title of characters that draw nothing.
# `announce_type|found_as(arxiv_id)`: the line saying a candidate was found as a new version of an older paper.
# `code_url|safe_url`: the link when the URL policy accepts it (as the list entry takes it), else None.
PAGE_FILTERS: Mapping[str, Callable[..., Any]] = {
    "authors": authors_line,
    "readable_title": readable_title,
    "found_as": found_as,
    "safe_url": safe_url,
}
