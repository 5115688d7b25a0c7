"""The set-up of the arXiv quirk tests: recorded API answer pages (and one with its entries taken out), settings that
ask the loopback arXiv's API, and a withdrawn paper's comment."""

from __future__ import annotations

import re

from digest.config import Settings
from tests.arxiv_server import ARXIV_DATA, ArxivServer
from tests.conftest import make_settings

API_PAGES = "api/api_new_arxiv.py_q_testing_"


def api_page(name: str) -> bytes:
    return (ARXIV_DATA / f"{API_PAGES}{name}_http200.xml").read_bytes()


def without_entries(page: bytes) -> bytes:
    """The same real API answer (its header, totalResults 214881) with no <entry>: what arXiv's API sends now and
    then in the middle of a long result set (a page that comes back empty although totalResults says there is more)."""
    return re.sub(rb"\s*<entry>.*?</entry>", b"", page, flags=re.DOTALL)


def api_settings(settings: Settings, server: ArxivServer) -> Settings:
    return make_settings(
        settings.data_dir,
        f'[arxiv]\ncontact = "maintainers@example.org"\napi_url = "{server.url("/api/query")}"\n',
    )


WITHDRAWN = "This paper has been withdrawn by the author due to a crucial error in the experiments of Section 4."
