"""The decided cards of /review (status approved, rejected or all) say who decided through which channel, in the words
`digest history` and /history use, so that a team reading either sees one record. Through the real app on loopback."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest

from digest.cli import main
from digest.review.rules import Actor
from tests.factories import insert_candidate, real_papers
from tests.web_pages import card, review
from tests.web_server import Site, sign_in


def shown_line(page: str, candidate_id: int) -> str:
    """The card's line of its standing: 'approved into Steering by ann via discord on ... UTC.'"""
    found = re.search(r'<p class="meta">((?:approved|rejected)[^<]*)</p>', card(page, candidate_id))
    assert found is not None, card(page, candidate_id)
    return unescape(found.group(1))


@pytest.mark.asyncio
async def test_a_decided_card_names_the_channel_as_the_history_does(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    """A card said "approved into Steering by ann on ...": whether ann had used Discord, the shell or a link was in the
    history only, and a team comparing the two saw different records."""
    ann, cat, link = (insert_candidate(site.database, record) for record in real_papers()[:3])
    site.reviewer.decide(ann, "approve", Actor("ann", "800000000000000001", "discord"), "Steering")
    site.reviewer.decide(cat, "reject", Actor("cat", None, "cli"))
    site.reviewer.decide(link, "approve", Actor("feed link", None, "feed"), "Probing")
    await sign_in(site)
    page = await review(site, status="all")

    lines = [shown_line(page, candidate_id) for candidate_id in (ann, cat, link)]
    assert [line.split(" on ")[0] for line in lines] == [
        "approved into Steering by ann via discord",
        "rejected by cat via cli",
        "approved into Probing by feed link via feed",
    ]
    assert main(["--data-dir", str(Path(site.settings.data_dir)), "history"]) == 0
    history = capsys.readouterr().out
    for line in lines:
        assert line.split(" on ")[0] in history
