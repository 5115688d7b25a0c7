"""Where templates are found: the configured templates folder first, then the bundled ones.

So a user can override any single template (the weekly email, the list page, the entry style) by copying just that
file into their folder. Each part builds its own Environment, because escaping differs: Markdown is emitted
verbatim, web pages are autoescaped HTML.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

from digest import resources


def template_loader(templates_dir: Path) -> jinja2.BaseLoader:
    bundled = resources.templates_dir()
    folders = [str(templates_dir)]
    if bundled.resolve() != templates_dir.resolve():
        folders.append(str(bundled))
    return jinja2.FileSystemLoader(folders)
