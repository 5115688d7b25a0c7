"""Where templates are found: the configured templates folder first, then the bundled ones.

So a user can override any single template (the weekly email, the list page, the entry style) by copying just that
file into their folder. Each part builds its own Environment, because escaping differs: Markdown is emitted
verbatim, web pages are autoescaped HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from digest import resources
from digest.text import authors_line

# The web pages' own filters: the pages render with them, and `config check` parses a templates folder with them.
# Three names and "et al. (N authors)", as the list page, the feeds and Discord show a paper's authors.
WEB_FILTERS: Mapping[str, Any] = {"authors": authors_line}
SHORTCUTS_SCRIPT = "web/review.js"  # among the templates, so a folder of one's own can replace it; served as it is


def template_loader(templates_dir: Path) -> jinja2.BaseLoader:
    bundled = resources.templates_dir()
    folders = [str(templates_dir)]
    if bundled.resolve() != templates_dir.resolve():
        folders.append(str(bundled))
    return jinja2.FileSystemLoader(folders)


def template_error_line(exc: jinja2.TemplateError) -> str:
    """A template that cannot be read or rendered, in one line naming the file and line when jinja2 knows them."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where = f"{exc.filename or exc.name}:{exc.lineno}"
        return f"template {where}: {(exc.message or '').rstrip('.')}; mend it, or remove it to use the bundled one"
    return f"a template failed: {' '.join(str(exc).split())}"


def template_findings(templates_dir: Path, filters: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(problems, warnings) of a templates folder of one's own: a template that does not parse (with the parts'
    `filters`), and a file that is no template the service reads (a misspelt copy changes nothing)."""
    bundled = resources.templates_dir()
    if not templates_dir.is_dir() or bundled.resolve() == templates_dir.resolve():
        return [], []
    names = {path.relative_to(bundled).as_posix() for path in bundled.rglob("*") if path.is_file()}
    environment = jinja2.Environment(loader=template_loader(templates_dir), autoescape=False)  # noqa: S701 (parsed only)
    environment.filters.update(filters)
    problems, warnings = [], []
    for path in sorted(templates_dir.rglob("*")):
        name = path.relative_to(templates_dir).as_posix()
        if not path.is_file():
            continue
        if name not in names:
            warnings.append(f"templates_dir holds {name}, which is not a template the service reads")
            continue
        if name == SHORTCUTS_SCRIPT:  # never rendered: what would not parse as a template is served all the same
            continue
        try:
            environment.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(template_error_line(exc))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"template {path} cannot be read: {exc}")
    return problems, warnings
