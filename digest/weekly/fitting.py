"""The weekly email kept whole in Gmail: past 102 KB of HTML it clips a message behind "View entire message", and
the end (the numbers, the Unsubscribe link) is no longer seen. A big week shows its first papers in full, then how
many more joined and where to read them. Only with templates that say so (`digest.more_count`): a template of one's
own from before is sent whole (Gmail may clip it), never with papers left out without a word."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

from digest.weekly.issue import WeeklyDigestData
from digest.weekly.itemtext import quote_url
from digest.weekly.listheaders import BODY_POLICY
from digest.weekly.rendering import render, template_environment

# Gmail clips at 102 KB of HTML as sent; a margin for what a relay adds.
HTML_BUDGET = 100_000
_COMMENT = re.compile(r"{#.*?#}", re.DOTALL)


def html_part_size(html: str) -> int:
    """The bytes the HTML part takes in the message as sent (quoted-printable, as weekly.mailer writes it)."""
    part = EmailMessage(policy=BODY_POLICY)
    part.set_content(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return len(part.as_bytes())


def shortened(digest: WeeklyDigestData, shown: int, more_url: str | None) -> WeeklyDigestData:
    """The digest with its first `shown` papers (in section order) and a count of the others, read at `more_url`."""
    sections, left = [], shown
    for section in digest.sections:
        if left <= 0:
            break
        sections.append(replace(section, items=list(section.items[:left])))
        left -= len(section.items)
    kept = sum(len(section.items) for section in sections)
    return replace(digest, sections=sections, more_count=digest.added_count - kept, more_url=more_url)


def fitted(
    digest: WeeklyDigestData, render_html: Callable[[WeeklyDigestData], str], more_url: str | None
) -> WeeklyDigestData:
    """The digest as it is when its HTML is within the budget, else with the most papers shown in full that keep it
    within (none, if even the rest of the message is too big)."""

    def fits(candidate: WeeklyDigestData) -> bool:
        return html_part_size(render_html(candidate)) <= HTML_BUDGET

    if fits(digest):
        return digest
    low, high = 0, digest.added_count - 1  # the most papers shown that fit lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if fits(shortened(digest, middle, more_url)):
            low = middle
        else:
            high = middle - 1
    return shortened(digest, low, more_url)


def says_what_is_left_out(templates_dir: Path) -> bool:
    """Whether both email templates in use show `digest.more_count` (the bundled ones do), outside their comments."""
    environment = template_environment(templates_dir)
    assert environment.loader is not None
    names = ("weekly/email.html.j2", "weekly/email.txt.j2")
    sources = (_COMMENT.sub("", environment.loader.get_source(environment, name)[0]) for name in names)
    return all("more_count" in source for source in sources)


def fitted_email(
    digest: WeeklyDigestData, templates_dir: Path, unsubscribe: str | None, base_url: str
) -> WeeklyDigestData:
    """The digest as its email shows it: the maintainers' edition with the review page's address (where the waiting
    candidates are decided), and `fitted` to the HTML template in use when the templates say what is left out, the
    rest read at `more_address`."""
    site = base_url.rstrip("/")
    if digest.for_maintainers:
        digest = replace(digest, review_url=quote_url(site + "/review"))
    if not says_what_is_left_out(templates_dir):
        return digest
    more_url = more_address(digest, site)
    return fitted(
        digest, lambda shown: render(shown, templates_dir, "email.html.j2", unsubscribe=unsubscribe), more_url
    )


def more_address(digest: WeeklyDigestData, site: str) -> str | None:
    """Where a big week's papers left out are read. The maintainers' edition: the list's page on the site at
    `base_url`, loopback too (they run the service, as its review and approval links in the same email assume). The
    readers': the list's site or repository page a reader on another machine can open (weekly.listlinks), else none:
    the count is said with no link."""
    if digest.for_maintainers:
        return quote_url(site + "/")
    return digest.links.site_url or digest.links.repository_url
