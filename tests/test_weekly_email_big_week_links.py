"""A big week's "N more papers ... read them in the list" line, and every other link of both editions (text and
HTML as aiosmtpd on 127.0.0.1 received them, and the Markdown copies), with the default loopback `[web] base_url` and
with a public one: the readers' edition never links the service's own loopback address, which opens on the server
alone; the maintainers' edition, whose readers run the service, keeps its review page there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from digest.config import Settings
from digest.config.values import on_this_machine
from digest.service.wiring import open_service_database
from digest.weekly.store import run_weekly_job
from tests.big_week import NOW, approve_in_week, haystack
from tests.conftest import make_settings
from tests.factories import insert_candidate
from tests.smtp_server import Inbox, smtp_server
from tests.weekly_email import CONFIG, both_editions, parts

REPOSITORY = "https://git.example.org/lab/awesome-lmms.git"
LIST_PAGE = "https://git.example.org/lab/awesome-lmms"
PUBLIC = '[web]\nbase_url = "https://digest.example.org"\n'
WITH_REPOSITORY = f'[publish]\nrepository = "{REPOSITORY}"\n'
MORE = re.compile(r"(\d+) more papers joined the list this week, too many for one email: ([^\n]*?)\.(?:</p>|\s|$)")
ADDRESS = re.compile(r"""(?:https?|ftp)://[^\s"'<>)]+""")


def _editions(tmp_path: Path, config: str) -> dict[str, tuple[str, str, str]]:
    """A week of 200 approved papers and one waiting, sent to both editions: each as its readers got it (text, HTML;
    the text unwrapped) and as the weekly folder keeps it (Markdown)."""
    settings: Settings = make_settings(tmp_path / "data", CONFIG + config)
    database = open_service_database(settings)
    records = haystack(201)
    inbox = Inbox()
    try:
        approve_in_week(database, records[:200])
        insert_candidate(database, records[200])
        with smtp_server(inbox) as port:
            result = run_weekly_job(both_editions(settings, port), database, NOW)
    finally:
        database.dispose()
    assert [outcome.status for outcome in result.emails] == ["sent", "sent"]
    editions: dict[str, tuple[str, str, str]] = {}
    for message in inbox.messages:
        edition: Literal["readers", "maintainers"] = (
            "maintainers" if "maintainers' edition" in message["Subject"] else "readers"
        )
        text, html = parts(message)
        markdown = result.markdown_paths[edition].read_text(encoding="utf-8")
        editions[edition] = (" ".join(text.split()), html, markdown)
    assert sorted(editions) == ["maintainers", "readers"]
    return editions


def _more_line(part: str) -> str:
    found = MORE.search(part)
    assert found is not None, part[-3000:]
    return found.group(2)


def _loopback(*texts: str) -> list[str]:
    return [address for text in texts for address in ADDRESS.findall(text) if on_this_machine(address)]


def test_a_loopback_base_url_sends_readers_to_the_lists_repository_page(tmp_path: Path) -> None:
    """With the default base_url (http://127.0.0.1:8080), a big week's readers' email linked "read them in the list"
    to http://127.0.0.1:8080/, which opens on the server alone. Expected: the list's repository page (as the footer's
    "The whole list" has it), and no loopback address anywhere in the readers' edition."""
    editions = _editions(tmp_path, WITH_REPOSITORY)
    text, html, markdown = editions["readers"]
    assert _more_line(text) == f"read them in the list at {LIST_PAGE}"
    assert _more_line(html) == f'<a href="{LIST_PAGE}" style="color:#0969da;">read them in the list</a>'
    assert _loopback(text, html, markdown) == []
    assert 'href="/' not in html


def test_with_no_address_a_reader_can_open_the_count_is_said_with_no_link(tmp_path: Path) -> None:
    """A loopback base_url and an ssh repository: no page another machine can open. Expected: the count alone, no
    loopback and no relative link."""
    ssh = '[publish]\nrepository = "git@git.example.org:lab/awesome-lmms.git"\n'
    text, html, markdown = _editions(tmp_path, ssh)["readers"]
    assert _more_line(text) == "read them in the list"
    assert _more_line(html) == "read them in the list"
    assert _loopback(text, html, markdown) == []
    assert 'href="/' not in html and "git.example.org" not in text + html


def test_the_maintainers_edition_keeps_its_loopback_review_page(tmp_path: Path) -> None:
    """The maintainers run the service: with the default base_url its review page and list are at the loopback
    address (from the server, or through a tunnel), as the approval links of the same email are. Expected: kept."""
    text, html, _ = _editions(tmp_path, WITH_REPOSITORY)["maintainers"]
    assert "Decide it on the review page: http://127.0.0.1:8080/review" in text
    assert '<a href="http://127.0.0.1:8080/review" style="color:#0969da;">Decide it on the review page</a>' in html
    assert _more_line(text) == "read them in the list at http://127.0.0.1:8080/"


def test_a_public_base_url_is_linked_in_both_editions_and_nothing_on_loopback(tmp_path: Path) -> None:
    """A base_url other machines can open: the list's page on the site in both editions, the review page there for
    the maintainers, and no loopback address in any part of either edition."""
    editions = _editions(tmp_path, PUBLIC + "\n" + WITH_REPOSITORY)
    for edition, (text, html, markdown) in editions.items():
        assert _more_line(text) == "read them in the list at https://digest.example.org/", edition
        assert 'href="https://digest.example.org/" style="color:#0969da;">read them in the list</a>' in html, edition
        assert _loopback(text, html, markdown) == [], edition
    text, html, _ = editions["maintainers"]
    assert "Decide it on the review page: https://digest.example.org/review" in text
