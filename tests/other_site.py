"""Another site for the browser tests: a page on a port of its own whose form posts itself to this site as it opens,
as a hostile page in a maintainer's or reader's browser would."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from html import escape

from aiohttp import web

from digest.web.app import bound_port, serve


@asynccontextmanager
async def page_posting_to(target: str, fields: Mapping[str, str]) -> AsyncIterator[int]:
    """Serves, on 127.0.0.1 while the block runs, a page that posts `fields` to `target` by itself; yields its port
    (reached as 127.0.0.1 it is the same site on another port, as localhost another site)."""
    inputs = "".join(f'<input name="{escape(name)}" value="{escape(value)}">' for name, value in fields.items())
    page = (
        f'<form id="f" method="post" action="{escape(target)}">{inputs}</form>'
        '<script>document.getElementById("f").submit()</script>'
    )

    async def elsewhere(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    other = web.Application()
    other.router.add_get("/", elsewhere)
    runner = await serve(other, "127.0.0.1", 0)
    try:
        yield bound_port(runner)
    finally:
        await runner.cleanup()
