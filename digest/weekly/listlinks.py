"""Pure: the ways back to the whole list a weekly digest ends with, from what the settings know: the list's
repository page (an http(s) repository), and the site with its public feed (a `[web] base_url` other machines can
open). None of them when the settings have none: never a link a reader could not open."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from digest.config.values import on_this_machine
from digest.weekly.itemtext import quote_url

FEED_PATH = "/feeds/list.xml"  # the public feed, as the web app serves it


@dataclass(frozen=True)
class ListLinks:
    repository_url: str | None = None  # the list's repository, as a browser opens it
    site_url: str | None = None  # the list's page on the site
    feed_url: str | None = None  # the site's public feed of the list

    @property
    def any(self) -> bool:
        return bool(self.repository_url or self.site_url)


def list_links(base_url: str, repository: str | None) -> ListLinks:
    """The links the digest ends with: the repository's page when it is reached over http(s) on another machine (its
    user and a `.git` left out), the site's list and feed when `base_url` is not this machine's own (the default
    http://127.0.0.1:8080 opens nowhere else)."""
    site = base_url.rstrip("/")
    served = bool(site) and not on_this_machine(site)
    return ListLinks(
        repository_url=_repository_page(repository),
        site_url=quote_url(site + "/") if served else None,
        feed_url=quote_url(site + FEED_PATH) if served else None,
    )


def _repository_page(repository: str | None) -> str | None:
    """An http(s) repository's web page: git's address without its user, query and `.git`; None for ssh, a path on
    this machine, or a repository on this machine."""
    if not repository:
        return None
    try:
        parts = urlsplit(repository.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host or on_this_machine(repository):
        return None
    path = parts.path.rstrip("/").removesuffix(".git").rstrip("/")
    if not path:
        return None
    where = f"[{host}]" if ":" in host else host
    return quote_url(f"{parts.scheme}://{where}{f':{port}' if port else ''}{path}")
