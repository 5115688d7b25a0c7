"""The weekly email's text part under each first-tier paper: its authors line and its "Also in:" line within an
email's width, wrapped under the item's hanging indent as its title is. A real paper with long authors' names from
a feed, approved by the real Reviewer and put by hand in two sections with long names (the list edited and imported),
the readers' edition sent to aiosmtpd on loopback."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from digest.config import Settings
from digest.storage.db import Database
from digest.weekly.contents import load_digest, write_markdown
from digest.weekly.store import send_week
from tests.factories import real_papers
from tests.list_edits import approve, markdown, reimport
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_data import WEEK
from tests.weekly_email import both_editions, parts, titled

MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # the week after: 2026-W48 is complete
# Picasso's baptismal name (120 characters), and names as a feed sends them: one with a line break and an override.
LONGEST = (
    "Pablo Diego José Francisco de Paula Juan Nepomuceno María de los Remedios Cipriano de la Santísima Trinidad Ruiz "
    "Picasso"
)
AUTHORS = [
    "Maximiliane Alexandra Konstantinopoulou-Wittgenstein",
    LONGEST,
    "Venkataraghavan\r\nSubrahmanyam \u202eChandrasekharan",
    "Ana Li",
]
SECTIONS = (
    "Sparse Autoencoders, Transcoders and Crosscoders for Vision-Language Models",
    "Circuit Discovery in Multimodal Transformers",
)


def test_long_authors_and_section_names_wrap_under_the_items_indent(database: Database, settings: Settings) -> None:
    """The authors line (four names) and the "Also in:" line were put on one line each, so a paper with
    long names ran to 200 columns and past a terminal mail client's window. Expected: both wrapped within 72 columns
    under the item's two-column indent, reading whole with plain spaces; nothing of a name's CR LF or U+202E shown."""
    assert len(LONGEST) == 120
    record = dict(real_papers()[2], authors=AUTHORS)
    approve(database, settings, record, "Steering")
    text = markdown(database, settings)
    start = text.index(f"+ [{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})")
    block = text[start : text.index("\n", start) + 1]
    heading = re.search(r"^(#+ \S+ )Probing\n", text, flags=re.MULTILINE)  # new sections put before it, alike
    assert heading is not None, text
    added = "".join(f"{heading.group(1)}{name}\n{block}\n" for name in SECTIONS)
    reimport(database, text[: heading.start()] + added + text[heading.start() :])

    inbox = Inbox()
    with smtp_server(inbox) as port:
        outcome = send_week(both_editions(settings, port), database, WEEK, MONDAY, edition="readers")
    assert outcome.status == "sent" and len(inbox.messages) == 1, outcome
    plain, _ = parts(inbox.messages[0])
    item = plain.split("== Steering ==", 1)[1].split("\n== ", 1)[0]
    assert titled(item, record["title"]), plain
    # Four names are all shown, as the list page and the feeds show them: "et al." stood in for the fourth.
    names = f"{AUTHORS[0]}, {LONGEST}, Venkataraghavan Subrahmanyam Chandrasekharan, Ana Li"
    also = f"Also in: {', '.join(SECTIONS)}"
    after_title = item.split("\n  ", 1)[1]
    for line in (names, also):  # each on lines of its own under the indent, reading whole
        shown = re.search(r"(?:^|\n  )" + r"(?: |\n  )".join(map(re.escape, line.split())) + r"\n", after_title)
        assert shown is not None, item
    assert "\r" not in plain and "\u202e" not in plain
    long_lines = [line for line in plain.splitlines() if len(line) > 72]
    assert [line for line in long_lines if not re.fullmatch(r"\s*(\S+: +)?https?://\S+", line)] == [], long_lines


def test_a_long_author_list_reads_as_on_the_list_page(database: Database, settings: Settings) -> None:
    """The weekly digest named a paper of six authors "A, B, C et al.", where the list page, the feeds and Discord say
    "A, B, C et al. (6 authors)": a reader of the email could not tell a large collaboration from a fourth name.
    Expected: the same line in the email's text and HTML parts and in the weekly folder's Markdown."""
    names = ["Ada Byron", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov", "Donald Knuth"]
    record = dict(real_papers()[2], authors=names)
    approve(database, settings, record, "Steering")
    inbox = Inbox()
    with smtp_server(inbox) as port:
        outcome = send_week(both_editions(settings, port), database, WEEK, MONDAY, edition="readers")
    assert outcome.status == "sent" and len(inbox.messages) == 1, outcome
    plain, page = parts(inbox.messages[0])
    line = "Ada Byron, Alan Turing, Grace Hopper et al. (6 authors)"
    assert line in " ".join(plain.split()), plain
    assert line in " ".join(page.split()), page
    with database.reading() as session:
        digest = load_digest(session, settings, WEEK, now=MONDAY)
    kept = write_markdown(digest, settings).read_text(encoding="utf-8")
    assert line in " ".join(kept.split()), kept
