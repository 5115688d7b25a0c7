"""The host names the site answers to: a request sent to another name (a DNS-rebinding page's, which a visitor's
browser sends once that name leads here) is refused with one plain line before any handler reads it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web

from digest.config.web_address import answers_to
from digest.text import quoted
from digest.web.context import context_of, logged_path

log = logging.getLogger("digest.web")

# Answered whatever name it is asked by: a health check names the service as it reaches it (Docker's 127.0.0.1, a
# monitor's compose service name, a load balancer's own name for it), and a 400 would have it restarted. /healthz
# changes nothing and shows no paper, candidate or secret, only what any client reaching the port is told.
ANY_NAME = frozenset({"/healthz"})


@web.middleware
async def known_hosts_only(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A request whose Host header names neither `web.base_url`'s host, this machine, nor an address: 400, one plain
    line. A request without a Host header (an HTTP/1.0 client) comes from no browser, and is served."""
    if request.path in ANY_NAME:
        return await handler(request)
    base_url = context_of(request).settings.web.base_url
    refused = next((host for host in request.headers.getall(hdrs.HOST, []) if not answers_to(base_url, host)), None)
    if refused is None:
        return await handler(request)
    log.info(
        "web: refused %s %s sent to host %s: the site answers to web.base_url's host (%s), this machine and addresses; "
        "if people open it by that name, set web.base_url to the address they use",
        *(request.method, logged_path(request)[:100], quoted(refused, 60), base_url),
    )
    return web.Response(status=400, text=f"{WRONG_HOST} {base_url}\n", content_type="text/plain", charset="utf-8")


WRONG_HOST = "This site does not answer to the host name this request was sent to; open it at"
