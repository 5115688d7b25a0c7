"""The maintainers' weekly email's text part as a terminal mail client shows it, as the SMTP server received it from
the real weekly job: its heading broken where a reader would break it, and "Worth a look" and "The most promising"
within an email's width, each link (and command to run) whole on a line of its own."""

from __future__ import annotations

import re

from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.storage.db import Database
from digest.weekly.itemtext import one_line_summary
from digest.weekly.store import run_weekly_job
from tests.relevance_papers import sample_papers
from tests.smtp_server import Inbox, smtp_server
from tests.waiting import finished_within
from tests.weekly_data import APPROVED_IN_WEEK, PAPERS, decide, insert_candidate
from tests.weekly_email import NOW, maintainers_with_worth, parts, statuses, titled, with_smtp
from tests.weekly_email import settings as settings  # the fixture

LONG_TITLE = (
    "Sparse Autoencoders Find Interpretable Features in Vision-Language Models at Scale"
    "\r\nBcc: x@example.com \u202eevil"
)


def maintainers_text(database: Database, settings: Settings, title: str = LONG_TITLE) -> str:
    """The maintainers' text part of a filled week with two second-tier papers, the first titled `title`: by default a
    long title carrying a header injection and a right-to-left override."""
    maintainers, _ = maintainers_with_worth(database, settings, title)
    assert maintainers.get_all("Bcc") is None
    text, _ = parts(maintainers)
    return text


def approved_with_prefix(database: Database, settings: Settings, prefix: str) -> str:
    """The week's second paper approved with `prefix` before its title: its arXiv ID."""
    arxiv_id, section, when = APPROVED_IN_WEEK[1]
    candidate = insert_candidate(database, arxiv_id, seen=when, section=section, title_prefix=prefix)
    decide(database, settings, candidate, "approve", when)
    return arxiv_id


def readers_text(database: Database, settings: Settings) -> str:
    """The readers' text part as the SMTP server received it from the weekly job, the job bounded in time: a wrapper
    that never ends on a word it cannot fit fails the test instead of hanging the suite."""
    inbox = Inbox()
    with smtp_server(inbox) as port:
        result = finished_within(lambda: run_weekly_job(with_smtp(settings, port), database, NOW), "the weekly job")
    assert statuses(result) == [("2026-W48", "sent")]
    text, _ = parts(inbox.messages[0])
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
    word = "Hyper" + "Multimodal" * 14 + "Heads"
    prefix = f"Probing {word} with Sparse Autoencoders: "
    arxiv_id = approved_with_prefix(database, settings, prefix)
    text = readers_text(database, settings)

    assert titled(text, prefix + PAPERS[arxiv_id]["title"]), text
    assert f"\n* Probing\n  {word}\n  with Sparse Autoencoders: " in text, text
    assert [line for line in text.splitlines() if len(line) > 72] == [f"  {word}"]


# The spaces a feed's text may hold between words that a wrapper splitting on ASCII white space reads as letters.
ODD_SPACES = ("\u00a0", "\u202f", "\u2007", "\u2009", "\u3000")


def test_titles_and_summaries_joined_by_non_breaking_spaces_wrap_within_an_emails_width(
    database: Database, settings: Settings
) -> None:
    """A title from a feed may join its words with no-break spaces (U+00A0, U+202F, U+2007) or other odd spaces, and
    a hostile one may be a single run of 200 characters so joined: read as one word, it would be kept whole on a line
    of 200 columns. Expected: such titles and abstracts wrapped on those spaces, every line within 72 columns but a
    link, each title and summary reading whole with plain spaces."""
    (first_id, section, when), (second_id, second_section, second_when) = APPROVED_IN_WEEK[:2]
    words = PAPERS[first_id]["title"].split()
    title = "".join(word + ODD_SPACES[index % len(ODD_SPACES)] for index, word in enumerate(words)).strip()
    abstract = "\u00a0".join(PAPERS[first_id]["abstract"].split())
    run = "\u00a0".join(PAPERS[second_id]["title"].split() * 4)[:200].rstrip("\u00a0")
    assert len(run) >= 195 and " " not in run
    for arxiv_id, name, day, odd_title, odd_abstract in (
        (first_id, section, when, title, abstract),
        (second_id, second_section, second_when, run, None),
    ):
        candidate = insert_candidate(database, arxiv_id, seen=day, section=name, title=odd_title, abstract=odd_abstract)
        decide(database, settings, candidate, "approve", day)
    text = readers_text(database, settings)

    assert titled(text, " ".join(words)), text
    assert titled(text, " ".join(run.split())), text
    summary = one_line_summary(PAPERS[first_id]["abstract"])
    assert "\n  " + summary[:40] in text and " ".join(text.split()).count(summary) == 1, text
    assert not any(space in text for space in ODD_SPACES), text
    long_lines = [line for line in text.splitlines() if len(line) > 72]
    assert [line for line in long_lines if not re.fullmatch(r"\s*(\S+: +)?https?://\S+", line)] == [], long_lines


def test_a_candidates_title_of_one_run_joined_by_no_break_spaces_wraps_within_an_emails_width(
    database: Database, settings: Settings
) -> None:
    """The maintainers' edition shows candidates' titles as the feed gave them (not yet through the list): a title of
    one 200-character run joined by no-break spaces of three kinds. Expected: "Worth a look" wraps it on those spaces
    within 72 columns under its hanging indent, every word shown, no such space left."""
    words = str(sample_papers()[6]["title"]).split()
    joined = "".join(word + ODD_SPACES[index % 3] for index, word in enumerate(words * 3))
    run = joined[:200].rstrip("".join(ODD_SPACES))
    assert len(run) >= 195 and " " not in run
    text = maintainers_text(database, settings, run)
    shown = text[text.index("\n== Worth a look ==") : text.index("\n== The week in numbers ==")]

    title = re.search(r"\n1\. (.*\n(?:   \S.*\n)*?)   https://arxiv\.org/abs/", shown)
    assert title is not None, shown
    assert " ".join(title.group(1).split()).startswith(" ".join(run.split()) + " (score 0.93"), title.group(1)
    assert [line for line in title.group(1).splitlines() if len(line) > 72] == [], title.group(1)
    assert not any(space in text for space in ODD_SPACES), shown


def test_numbered_papers_from_ten_on_hang_their_lines_under_their_text(database: Database, settings: Settings) -> None:
    """The papers of "Worth a look" are numbered "1." to "40.", each wrapped under a hanging indent of three columns:
    from "10." on the text starts a column further right, so the title's next lines, its link and its approval link
    sat one column left of it. Expected: paper 1's lines under its text at three columns, paper 12's at four."""
    haystack = [dict(paper, published="2025-05-23") for paper in sample_papers()[:40]]
    by_length = sorted(haystack, key=lambda paper: len(str(paper["title"])))
    more = by_length[:9] + by_length[-1:]  # the twelfth: the longest title, wrapped over more than one line
    maintainers, worth = maintainers_with_worth(database, settings, str(by_length[-2]["title"]), more=more)
    text, _ = parts(maintainers)
    shown = text[text.index("\n== Worth a look ==") : text.index("\n== The week in numbers ==")]

    for number, paper, indent in ((1, worth[0], "   "), (12, worth[11], "    ")):
        block = re.search(rf"\n{number}\. (.*\n)(( +\S.*\n)*)", shown)
        assert block is not None, shown
        lines = block.group(2).splitlines()
        assert lines and all(line.startswith(indent) and line[len(indent)] != " " for line in lines), block.group(0)
        link = lines.index(indent + f"https://arxiv.org/abs/{paper['arxiv_id']}")
        title_shown = " ".join((block.group(1) + "\n".join(lines[:link])).split())
        assert title_shown.startswith(" ".join(str(paper["title"]).split()) + " (score "), block.group(0)
        assert link >= 1, block.group(0)  # the title wrapped: a line under it to align


def test_every_line_of_the_email_body_as_sent_is_within_quoted_printables_76_characters(
    database: Database, settings: Settings
) -> None:
    """RFC 2045 (6.7) requires a quoted-printable line of at most 76 characters; the email library encodes to its
    header width, 78, so the HTML part's long lines (and a title with accents) went out in lines of 78: against the
    standard, and what spam filters score (SpamAssassin's MIME_QP_LONG_LINE). Expected: no line of the body as the
    server received it past 76 characters, and both parts still reading the same once decoded."""
    prefix = "Café naïveté: Interprétation des modèles multimodaux par des sondes éparses pour les têtes d'attention — "
    arxiv_id = approved_with_prefix(database, settings, prefix)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        assert statuses(run_weekly_job(with_smtp(settings, port), database, NOW)) == [("2026-W48", "sent")]
    sent: bytes = inbox.envelopes[0].original_content
    body = sent.split(b"\r\n\r\n", 1)[1]
    long_lines = [line for line in body.split(b"\r\n") if len(line) > 76]
    assert long_lines == [], long_lines[:3]
    text, html = parts(inbox.messages[0])
    assert titled(text, prefix + PAPERS[arxiv_id]["title"]), text
    assert "Café naïveté: Interprétation" in html
