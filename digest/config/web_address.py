"""The web's own address: the base_url a listening address stands for when none is set, and when its links would
lead other machines nowhere (pure)."""

from __future__ import annotations

from digest.config.values import on_this_machine

# Addresses that listen on every interface: a browser opens none of them.
WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]", "")  # noqa: S104


def address_url(host: str, port: object) -> str:
    """The base_url a listening address stands for when none is set: `digest run --host/--port` derive it again. A
    wildcard address can be listened on but not opened: links name this machine then (`unreachable_links` says so)."""
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    host = f"[{host}]" if ":" in host else host  # an IPv6 address is bracketed in a URL
    return f"http://{host}:{port}"


def unreachable_links(host: str, base_url: str) -> str | None:
    """The line `digest config check` and the start say when the pages are served to other machines but the links in
    feeds and emails name this one (base_url not set)."""
    if host not in WILDCARD_HOSTS or not on_this_machine(base_url):
        return None
    return f"web.base_url is {base_url}, which other machines cannot open: set [web] base_url to the address people use"
