"""The weekly digest rendered: its subject, its file in the weekly folder, and its templates (the Markdown copy, the
email's text and HTML parts), with text from feeds made inert in Markdown and invisible characters blanked."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment, StrictUndefined, select_autoescape

from digest.templating import rendered, shown, template_loader
from digest.vocab import Edition
from digest.weekly.issue import WeeklyDigestData
from digest.weekly.itemtext import single_line
from digest.weekly.textwidth import heading, unbroken, wrapped
from digest.weekly.weeks import IsoWeek, long_date


def subject_line(digest: WeeklyDigestData) -> str:
    count = digest.added_count
    what = "a quiet week" if digest.quiet else f"{count} new paper{'s' if count != 1 else ''}"
    edition = " (maintainers' edition)" if digest.for_maintainers else ""
    return single_line(f"{digest.list_title} — {digest.week}: {what}{edition}")


def markdown_name(week: IsoWeek, edition: Edition) -> str:
    """The edition's file in the weekly folder: the readers' YYYY-Www.md, the maintainers' YYYY-Www.maintainers.md."""
    return f"{week}.md" if edition == "readers" else f"{week}.maintainers.md"


# Brackets are escaped, so parentheses and "!" can never form a link or an image and stay readable; '$' is, so GitHub
# shows a formula a title keeps as TeX as its source, not as math its escapes break.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~$])")
# What would start a heading, quote or list if a wrapped line began with it.
_BLOCK_START = re.compile(r"^(\d*)([#+=-]|(?<=\d)[.)])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")


def markdown_text(value: object) -> str:
    """Text from a feed made inert in Markdown: no links, emphasis, HTML tags or entities of its own."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", single_line(str(value)))
    text = _BLOCK_START.sub(r"\1\\\2", text)
    return _ENTITY.sub(r"\\&", text)


def template_environment(templates_dir: Path) -> Environment:
    """The user's templates folder first, then the bundled templates; HTML templates are autoescaped. Whatever a
    template puts out has its invisible characters blanked (templating.shown, as on the web pages), whichever data or
    template of one's own it came from: a U+202E in a title would reverse the rest of the line in the email."""
    environment = Environment(
        loader=template_loader(templates_dir),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False, default=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=shown,
    )
    environment.filters["md"] = markdown_text
    environment.filters["long_date"] = long_date
    environment.filters["wrapped"] = wrapped
    environment.filters["unbroken"] = unbroken
    environment.filters["heading"] = heading
    return environment


def render(digest: WeeklyDigestData, templates_dir: Path, name: str, *, unsubscribe: str | None = None) -> str:
    """Renders one of weekly/digest.md.j2, weekly/email.txt.j2, weekly/email.html.j2; `unsubscribe`, the readers'
    email's List-Unsubscribe target, is shown at its end."""
    template = template_environment(templates_dir).get_template(f"weekly/{name}")
    return rendered(template, digest=digest, subject=subject_line(digest), unsubscribe=unsubscribe)
