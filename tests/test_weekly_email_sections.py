"""The weekly digest's email names every section of the list a paper joined, as the review page, Discord and the feed
do: a paper approved into one section and then moved by a maintainer into two others. Through the real Reviewer,
the list's Markdown edited and imported, and the maintainers' edition sent to aiosmtpd on loopback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.config import Settings
from digest.storage.db import Database
from digest.weekly.store import send_week
from tests.factories import real_papers
from tests.list_edits import approve, markdown, reimport
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_data import WEEK
from tests.weekly_email import both_editions, parts, titled

MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # the week after: 2026-W48 is complete


def test_a_paper_moved_by_hand_into_two_other_sections_is_named_in_both_in_the_maintainers_email(
    database: Database, settings: Settings
) -> None:
    """Approved into Steering, then moved by a maintainer into Sparse Autoencoder and Probing (the list edited and
    imported): the maintainers' email listed it under Sparse Autoencoder alone, while the review page, Discord and
    the feed name both. Expected: shown once, under the first of them, naming the other with it."""
    record = real_papers()[1]
    approve(database, settings, record, "Steering")
    text = markdown(database, settings)
    start = text.index(f"+ [{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})")
    end = text.index("\n+ ", start) + 1
    block, text = text[start:end], text[:start] + text[end:]
    for heading in (" Probing\n", " Sparse Autoencoder\n"):  # the later section first: the earlier one stays put
        at = text.index("\n+ ", text.index(heading)) + 1
        text = text[:at] + block + text[at:]
    reimport(database, text)

    inbox = Inbox()
    with smtp_server(inbox) as port:
        outcome = send_week(both_editions(settings, port), database, WEEK, MONDAY, edition="maintainers")
    assert outcome.status == "sent" and len(inbox.messages) == 1, outcome
    plain, html = parts(inbox.messages[0])
    assert " ".join(plain.split()).count(record["title"]) == 1, plain  # read across the title's wrapped lines
    item = plain.split("== Sparse Autoencoder ==", 1)[1].split("\n== ", 1)[0]
    assert titled(item, record["title"]) and "\n  Also in: Probing\n" in item, plain
    assert "Also in: Probing</div>" in html, html


def _with_entry(text: str, block: str, headings: tuple[str, ...]) -> str:
    """The list's Markdown with the entry `block` put first under each of the `headings`."""
    for heading in headings:
        at = text.index("\n+ ", text.index(heading)) + 1
        text = text[:at] + block + text[at:]
    return text


@pytest.mark.parametrize("path", ["imported", "approved"])
def test_a_paper_a_maintainer_put_in_two_sections_is_named_in_both_in_the_readers_email(
    database: Database, settings: Settings, path: str
) -> None:
    """A paper a maintainer put in Sparse Autoencoder and Probing by hand (the list edited and imported), or approved
    into Steering (as `digest add` does) and then also put in Probing by hand: the readers' email showed it under one
    section and named no other, while a paper an approval put in one section and a maintainer moved into two got
    'Also in'. Expected: alike, shown once and the other section named with it."""
    record = real_papers()[2]
    block = f"+ [{record['title']}](https://arxiv.org/abs/{record['arxiv_id']}) (Nov. 20, 2026)\n"
    headings: tuple[str, ...]
    shown, headings = "Sparse Autoencoder", (" Probing\n", " Sparse Autoencoder\n")
    if path == "approved":
        approve(database, settings, record, "Steering")
        shown, headings = "Steering", (" Probing\n",)
    reimport(database, _with_entry(markdown(database, settings), block, headings))

    inbox = Inbox()
    with smtp_server(inbox) as port:
        outcome = send_week(both_editions(settings, port), database, WEEK, MONDAY, edition="readers")
    assert outcome.status == "sent" and len(inbox.messages) == 1, outcome
    plain, html = parts(inbox.messages[0])
    assert " ".join(plain.split()).count(record["title"]) == 1, plain  # read across the title's wrapped lines
    item = plain.split(f"== {shown} ==", 1)[1].split("\n== ", 1)[0]
    assert titled(item, record["title"]) and "\n  Also in: Probing\n" in item, plain
    assert "Also in: Probing</div>" in html, html
