"""The set-up of the tests of adding a paper from the review page: IDs arXiv cannot have issued, a recorded new
paper, the site beside a loopback arXiv, the counts a refusal must leave unchanged, and the add form posted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from digest.storage.models import Candidate, Decision, Entry
from tests.add_command import API_PATH
from tests.arxiv_server import ArxivServer
from tests.web_server import Site

UNISSUED = [
    ("2501.0123", "2501.0123 has 4 digits after the dot"),
    ("0612.12345", "0612.12345 has 5 digits after the dot"),
    ("9912.0001", "9912.0001 is dated before April 2007"),
    ("2613.00001", "2613.00001 names month 13"),
    ("https://arxiv.org/abs/2501.0123v2", "2501.0123 has 4 digits after the dot"),
    ("hep-th/9913001", "hep-th/9913001 names month 13"),
    ("hep-th/0801001", "hep-th/0801001 is dated after March 2007"),
    ("qed-th/9901001", "qed-th is no archive"),
]
NEW_PAPER = "api/api_new_all-all_2025-11-23_10entries.xml"  # 2511.16674: the model suggests Probing


@dataclass
class ArxivSite:
    site: Site
    arxiv: ArxivServer


def counts(site: Site) -> tuple[int, ...]:
    with site.database.reading() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(model)) or 0 for model in (Candidate, Decision, Entry)
        )


def arxiv_config(arxiv: ArxivServer, retries: bool = False) -> str:
    """The [arxiv] settings of a site beside the loopback arXiv: asked without spacing, a refusal not asked again
    unless `retries` (then the default retries and back-off hold)."""
    return (
        f'[arxiv]\nsources = ["{arxiv.url("/rss/unused")}"]\napi_url = "{arxiv.url(API_PATH)}"\n'
        "min_interval_seconds = 0\n" + ("" if retries else "max_retries = 0\n")
    )


async def add(site: Site, csrf: str, paper: str, section: str = "") -> tuple[int, str]:
    form = {"csrf": csrf, "paper": paper, "section": section, "filters": ""}
    async with site.client.post("/review/add", data=form) as reply:
        return reply.status, await reply.text()
