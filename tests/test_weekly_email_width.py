"""The maintainers' weekly email's text part as a terminal mail client shows it, as the SMTP server received it from
the real weekly job: its heading broken where a reader would break it, and "Worth a look" and "The most promising"
within an email's width, each link (and command to run) whole on a line of its own."""

from __future__ import annotations

import re

from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.storage.db import Database
from digest.weekly.store import run_weekly_job
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_data import APPROVED_IN_WEEK, PAPERS, decide, insert_candidate
from tests.weekly_email import NOW, maintainers_with_worth, parts, statuses, titled, with_smtp
from tests.weekly_email import settings as settings  # the fixture

LONG_TITLE = (
    "Sparse Autoencoders Find Interpretable Features in Vision-Language Models at Scale"
    "\r\nBcc: x@example.com \u202eevil"
)


def maintainers_text(database: Database, settings: Settings) -> str:
    """The maintainers' text part of a filled week with two second-tier papers, the first with a long title carrying a
    header injection and a right-to-left override."""
    maintainers, _ = maintainers_with_worth(database, settings, LONG_TITLE)
    assert maintainers.get_all("Bcc") is None
    text, _ = parts(maintainers)
    return text


def test_the_maintainers_heading_is_not_broken_inside_maintainers_edition(
    database: Database, settings: Settings
) -> None:
    """The heading, wrapped at 72 columns, read "... week 2026-W48 (maintainers'" over "edition)": a phrase cut in
    two. Expected: the edition on a line of its own, under the list's title and week."""
    text = maintainers_text(database, settings)
    assert text.startswith("Awesome LMMs Mechanistic Interpretability: week 2026-W48\n(maintainers' edition)\n\n"), (
        text[:200]
    )


def test_worth_a_look_and_the_most_promising_stay_within_an_emails_width(
    database: Database, settings: Settings
) -> None:
    """A second-tier paper's line (number, title, score, section) ran to 130 columns and its approval link's line to
    170; the most promising candidates' lines to 120: a terminal mail client broke them wherever its window ended.
    Expected: every line of these parts within 72 columns but a link, which is whole on a line of its own; the title
    wrapped on words under a hanging indent; nothing of the title's CR LF or U+202E reaching the text."""
    text = maintainers_text(database, settings)
    start = text.index("\nThe most promising:")
    shown = text[start : text.index("\n== The week in numbers ==")]
    long_lines = [line for line in shown.splitlines() if len(line) > 72]
    command = re.escape(f"   {same_invocation(settings)} approve ") + r"\S+ --section NAME"  # to run: kept whole too
    whole = [line for line in long_lines if re.fullmatch(r"   https?://\S+", line) or re.fullmatch(command, line)]
    assert whole == long_lines, "\n".join(long_lines)
    assert "\r" not in text and "\u202e" not in text
    assert (
        "\n1. Sparse Autoencoders Find Interpretable Features in Vision-Language\n"
        "   Models at Scale Bcc: x@example.com evil (score 0.93, suggested for\n"
        "   Sparse Autoencoder)\n   https://arxiv.org/abs/" in shown
    ), shown
    assert re.search(
        r"\n   Approve into Sparse Autoencoder:\n   http://127\.0\.0\.1:8080/approve/\S+\?via=email\n", shown
    )
    pending = shown[: shown.index("\n== Worth a look ==")]
    assert re.search(
        r"\n2\. .+\n   \S.+\(score 0\.84, suggested for Attention\)\n   https://arxiv\.org/abs/", pending
    ), pending


def test_a_title_holding_a_word_wider_than_a_line_is_sent_with_the_word_whole_on_a_line_of_its_own(
    database: Database, settings: Settings
) -> None:
    """Paper titles are wrapped at 72 columns under a hanging indent like the rest of the text part; a title from a
    feed can hold a run of 150 characters without a space, which no line of 72 can hold. Expected: the email is sent,
    the run whole on a line of its own under the title's indent, every other line within 72 columns, the title
    reading whole."""
    arxiv_id, section, when = APPROVED_IN_WEEK[1]
    word = "Hyper" + "Multimodal" * 14 + "Heads"
    prefix = f"Probing {word} with Sparse Autoencoders: "
    decide(
        database,
        settings,
        insert_candidate(database, arxiv_id, seen=when, section=section, title_prefix=prefix),
        "approve",
        when,
    )
    inbox = Inbox()
    with smtp_server(inbox) as port:
        assert statuses(run_weekly_job(with_smtp(settings, port), database, NOW)) == [("2026-W48", "sent")]
    text, _ = parts(inbox.messages[0])

    assert titled(text, prefix + PAPERS[arxiv_id]["title"]), text
    assert f"\n* Probing\n  {word}\n  with Sparse Autoencoders: " in text, text
    assert [line for line in text.splitlines() if len(line) > 72] == [f"  {word}"]
