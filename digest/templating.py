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
from markupsafe import Markup

from digest import resources
from digest.text import blank_invisible

# Files of the templates folders served as they are, never rendered: the review page's keyboard shortcuts.
SHORTCUTS_SCRIPT = "web/review.js"
STATIC_FILES = frozenset({SHORTCUTS_SCRIPT})


def shown(value: object) -> object:
    """Jinja's `finalize` for what people read: each value a template puts out with the invisible characters of the
    text policy blanked (digest.text, line breaks kept). The list's own text is kept as its maintainer wrote it, so a
    U+202E in a title would reverse what follows it on screen and make a paper look like another; the file and the
    database keep it, the page does not. A value already made HTML (Markup) stays Markup, unescaped again by no one."""
    if isinstance(value, Markup):
        return Markup(blank_invisible(str(value), keep_line_breaks=True))  # noqa: S704 (it was Markup already)
    if isinstance(value, str):
        return blank_invisible(value, keep_line_breaks=True)
    return value


def rendered(template: jinja2.Template, **values: Any) -> str:
    """The template rendered; a Python error raised inside it (a template of one's own calling a method wrongly:
    `{{ day.strftime() }}`'s TypeError, which jinja2 passes on as it is) made a TemplateError naming the template, so
    the callers that take a failing template in their stride (the weekly job, the command's one line) take this too."""
    try:
        return template.render(**values)
    except jinja2.TemplateError:
        raise
    except Exception as exc:
        raise jinja2.TemplateRuntimeError(f"{template.name}: {type(exc).__name__}: {exc}") from exc


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
        parts = path.relative_to(templates_dir).parts
        if not path.is_file() or any(part.startswith(".") for part in parts):
            continue  # hidden: a folder kept in git (.git/), an editor's swap file, .DS_Store
        name = "/".join(parts)
        if name not in names:
            warnings.append(f"templates_dir holds {name}, which is not a template the service reads")
            continue
        if name in STATIC_FILES:
            continue  # served whole: not Jinja
        try:
            environment.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(template_error_line(exc))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"template {path} cannot be read: {exc}")
    return problems, warnings
