"""The web's own address: the base_url a listening address stands for when none is set, when its links would lead
other machines nowhere, and which host names a request may be sent to (pure)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from digest.config.values import host_on_this_machine, on_this_machine

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


# A Host header: a name or an address (an IPv6 one in brackets), and a port or not.
_HOST_HEADER = re.compile(r"(?:\[(?P<bracketed>[0-9A-Fa-f:.]+)\]|(?P<name>[^\s:/@\[\]?#\\]+))(?::[0-9]{0,5})?")


def answers_to(base_url: str, host: str) -> bool:
    """Whether the site answers a request sent to `host` (its Host header): the host of `base_url`, this machine
    (localhost, a loopback address: the container's health check, a reverse proxy on this machine that passes its own
    upstream address, as nginx's and Apache's do unless told otherwise), or any address written as one (a LAN's
    address, a pod's). A DNS-rebinding page, whose name leads a visitor's browser here, makes it send that name, never
    an address; refusing the name keeps the page from reading the site, or posting to it, as its own. Ports aside: a
    reverse proxy's public port is not the one served on."""
    found = _HOST_HEADER.fullmatch(host)
    if found is None:
        return False
    name = (found["bracketed"] or found["name"]).lower().rstrip(".")
    if name == (urlsplit(base_url).hostname or "").rstrip(".") or host_on_this_machine(name):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
