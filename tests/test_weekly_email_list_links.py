"""The weekly digest leads back to the whole list: its repository's page and the site with its public feed, as the
settings have them, at the end of both editions' email (text and HTML, as aiosmtpd on 127.0.0.1 received it) and of
their Markdown copies; none when the settings have no address a reader can open."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import Settings
from digest.storage.db import Database
from digest.weekly.store import run_weekly_job
from tests.conftest import make_settings
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_data import fill_week
from tests.weekly_email import CONFIG, NOW, both_editions, parts, statuses

REPOSITORY = "https://git.example.org/lab/awesome-lmms.git"
LIST_PAGE = "https://git.example.org/lab/awesome-lmms"
SITE = "https://digest.example.org/"
FEED = "https://digest.example.org/feeds/list.xml"
SERVED = f'[web]\nbase_url = "https://digest.example.org"\n\n[publish]\nrepository = "{REPOSITORY}"\n'


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", CONFIG + SERVED)


def _sent_and_written(database: Database, settings: Settings) -> dict[str, tuple[str, str, str]]:
    """Each edition as its readers got it (text, HTML) and as the weekly folder keeps it (Markdown)."""
    fill_week(database, settings)
    inbox = Inbox()
    with smtp_server(inbox) as port:
        configured = both_editions(settings, port)
        result = run_weekly_job(configured, database, NOW)
    assert statuses(result) == [("2026-W48", "sent"), ("2026-W48", "sent")]
    editions = {}
    for message in inbox.messages:
        edition = "maintainers" if "maintainers' edition" in message["Subject"] else "readers"
        name = "2026-W48.md" if edition == "readers" else "2026-W48.maintainers.md"
        markdown = (settings.weekly_dir / name).read_text(encoding="utf-8")
        editions[edition] = (*parts(message), markdown)
    assert sorted(editions) == ["maintainers", "readers"]
    return editions


def test_each_edition_ends_with_the_lists_page_the_site_and_its_feed(database: Database, settings: Settings) -> None:
    """A reader of the weekly email had no way to the whole list (only a big week's "more papers" line linked
    anywhere), nor to the site's feed."""
    for edition, (text, html, markdown) in _sent_and_written(database, settings).items():
        assert f"\nThe whole list: {LIST_PAGE}\nOn the web: {SITE}\nIts feed: {FEED}\n" in text, edition
        assert f'The whole list: <a href="{LIST_PAGE}" style="color:#0969da;">{LIST_PAGE}</a>' in html, edition
        assert f'On the web: <a href="{SITE}" style="color:#0969da;">{SITE}</a>' in html, edition
        assert f'(<a href="{FEED}" style="color:#0969da;">its feed</a>)' in html, edition
        assert markdown.endswith(f"\nThe whole list: <{LIST_PAGE}>\n\nOn the web: <{SITE}> ([its feed]({FEED}))\n")


def test_no_link_back_when_the_settings_have_none_a_reader_can_open(database: Database, tmp_path: Path) -> None:
    """The default base_url (http://127.0.0.1:8080) opens on the server alone, and an ssh repository has no page the
    settings know: no link to either, and no relative one."""
    ssh = '[publish]\nrepository = "git@git.example.org:lab/awesome-lmms.git"\n'
    settings = make_settings(tmp_path / "data", CONFIG + ssh)
    for edition, (text, html, markdown) in _sent_and_written(database, settings).items():
        for part in (text, html, markdown):
            assert "The whole list" not in part and "On the web" not in part, edition
            assert "feeds/list.xml" not in part and 'href="/' not in part and "git.example.org" not in part, edition


def test_the_text_parts_links_back_stay_within_an_emails_width(database: Database, tmp_path: Path) -> None:
    """The text part said "On the web: SITE (its feed: FEED)" on one line, 93 characters with this short address and
    more with a longer one, past the 78 an email's line should hold: a text mail reader ran it off the window or broke
    it wherever it ended, the feed's address too. Expected: no line past 72 characters but a single word (an address
    kept whole), each address on a line of its own, with no bracket after it that a mail reader could take for part
    of it."""
    site = "https://lab.example.org/reading-group/awesome-lmms-mechanistic-interpretability"
    served = f'[web]\nbase_url = "{site}"\n\n[publish]\nrepository = "{REPOSITORY}"\n'
    settings = make_settings(tmp_path / "data", CONFIG + served)
    for edition, (text, _, _) in _sent_and_written(database, settings).items():
        long_lines = [line for line in text.splitlines() if len(line) > 72 and " " in line.strip()]
        assert long_lines == [], (edition, long_lines)
        ending = text[text.index("\nThe whole list:") :]
        lines = ending.split("\n")
        assert lines[1:5] == [f"The whole list: {LIST_PAGE}", "On the web:", f"{site}/", "Its feed:"], (edition, lines)
        assert lines[5] == f"{site}/feeds/list.xml", (edition, lines)
