"""With DIGEST_DATABASE_URL naming the database, the commands a refused decision and a web page print start
`DIGEST_DATABASE_URL='postgresql+psycopg://postgres:***@...'`; each message, and each page, says once what `***` is
(pasted as it is, PostgreSQL answers "password authentication failed"). A throwaway PostgreSQL on loopback, the real
Reviewer and the real web app with a real HTTP client."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

import pytest

from digest.cli import main
from digest.config.invocation import ASTERISKS_NOTE
from digest.discord.messages import NOTE_LIMIT, escape, overruled_note, units
from digest.publish.publisher import FAILURE_LINE_LIMIT
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, AlreadyDecidedError
from digest.review.signing import ApprovalLink, sign_link
from digest.service.wiring import open_service_database
from digest.vocab import Action, Channel
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_remote import make_remote, publish_config
from tests.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.web_server import SECRETS_ENV, running_site

PASSWORD = "s3cret-word"
CLI = Actor(name="alice", id=None, channel=Channel.CLI)
_TAGS = re.compile(r"<[^>]+>")


def with_password(url: str) -> str:
    return url.replace("postgres@", f"postgres:{PASSWORD}@")


def says_the_note_once(text: str) -> None:
    """The commands hide the password, and the text says once what stands for it."""
    assert PASSWORD not in text and ":***@" in text, text
    assert text.count(ASTERISKS_NOTE) == 1, text


def test_a_refused_decision_says_once_what_the_stars_in_its_command_stand_for(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """A link's or the review page's decision on a candidate decided already, and a Discord reaction overturning a
    decision made elsewhere, name the command that changes it on purpose: with the password `***`, they said nothing
    of what that is; each now ends "(*** stands for its password)", once."""
    settings = make_settings(tmp_path / "data", environ={"DIGEST_DATABASE_URL": with_password(postgres_url)})
    database = open_service_database(settings)
    try:
        candidate = insert_candidate(database, real_papers()[0])
        reviewer = Reviewer(database, settings)
        reviewer.decide(candidate, Action.REJECT, CLI)
        feed = Actor(name="feed", id=None, channel=Channel.FEED)
        with pytest.raises(AlreadyDecidedError) as refused:
            reviewer.decide(candidate, Action.APPROVE, feed, only_pending=True)
        said = str(refused.value)
        says_the_note_once(said)
        assert said.endswith(f"digest --data-dir {settings.data_dir.absolute()} approve {candidate}`. {ASTERISKS_NOTE}")
        discord = Actor(name="bob", id="42", channel=Channel.DISCORD)
        outcome = reviewer.decide(candidate, Action.APPROVE, discord, first_stands=True)
        assert not outcome.changed and outcome.overruled_by is not None, outcome
        says_the_note_once(outcome.overruled_by)
        assert outcome.overruled_by.endswith(f" approve {candidate}` {ASTERISKS_NOTE}"), outcome.overruled_by
    finally:
        database.dispose()


@pytest.mark.asyncio
async def test_an_approval_links_page_says_once_what_the_stars_in_its_commands_stand_for(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """The page of a link whose candidate was decided since names the commands that change it (two of them, for an
    approved paper); the page says once, under them, what their `***` is. Without a password, it says nothing of it."""
    for number, (url, hidden) in enumerate(((with_password(postgres_url), True), (postgres_url, False)), start=1):
        environ = {**SECRETS_ENV, "DIGEST_DATABASE_URL": url}
        settings = make_settings(tmp_path / f"data-{hidden}", environ=environ)
        async with running_site(settings) as site:
            paper = real_papers()[number]  # one database for both: a paper each
            candidate = insert_candidate(site.database, paper)
            site.reviewer.decide(candidate, Action.REJECT, CLI)
            expires = site.clock() + timedelta(days=1)
            link = ApprovalLink(candidate, "approve", None, expires, str(paper["arxiv_id"]))
            async with site.client.get(f"/approve/{sign_link(site.secret_key(), link)}") as reply:
                assert reply.status == 200
                page = await reply.text()
        text = html.unescape(_TAGS.sub("", page))
        assert f"approve {candidate}" in text, text  # the command that changes the decision on purpose
        if hidden:
            says_the_note_once(text)
            assert 'id="password-note"' in page
            assert "The commands on this page name the database as DIGEST_DATABASE_URL (*** stands for" in text
        else:
            assert "***" not in text and "stands for" not in text, text


def test_a_long_refusal_on_discord_keeps_its_password_note_within_its_limit(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
) -> None:
    """A reaction overruled by a decision made elsewhere, in a deep data folder: its reason, cut to NOTE_LIMIT for
    Discord, lost "(*** stands for its password)" with the end of the command. The reason's own words make room now."""
    deep = tmp_path.joinpath(*(f"folder-{n}-" + "d" * 180 for n in range(4)), "data")
    settings = make_settings(deep, environ={"DIGEST_DATABASE_URL": with_password(postgres_url)})
    database = open_service_database(settings)
    try:
        candidate = insert_candidate(database, real_papers()[0])
        reviewer = Reviewer(database, settings)
        reviewer.decide(candidate, Action.REJECT, CLI)
        discord = Actor(name="bob", id="42", channel=Channel.DISCORD)
        outcome = reviewer.decide(candidate, Action.APPROVE, discord, first_stands=True)
    finally:
        database.dispose()
    assert outcome.overruled_by is not None and units(outcome.overruled_by) > NOTE_LIMIT, outcome
    shown = overruled_note("approve", outcome.overruled_by)
    reason = shown.removeprefix("⚠️ Couldn't approve: ")
    assert reason.endswith(f"… {escape(ASTERISKS_NOTE)}") and units(reason) <= NOTE_LIMIT, shown
    assert "\\*\\*\\*@" in reason and shown.count("stands for its password") == 1, shown


def test_digest_publish_run_by_hand_keeps_its_failure_line_and_its_note_within_the_limit(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`digest publish` by hand, its repository away, says to run the same command again (DIGEST_DATABASE_URL with
    the password `***`, the settings file, the data folder): in a deep folder that line was cut to FAILURE_LINE_LIMIT
    and "(*** stands for its password)" added after it, past the limit; and the command had lost its user and `***`
    with a remote URL's user. The line's own words make room for the note now, the command's user kept."""
    deep = tmp_path.joinpath(*(f"folder-{n}-" + "d" * 200 for n in range(4)), "data")
    deep.mkdir(parents=True)
    remote = make_remote(tmp_path)
    settings = make_settings(deep, publish_config(str(remote.bare)))
    monkeypatch.setenv("DIGEST_DATABASE_URL", with_password(postgres_url))
    command = ["--config", str(settings.config_path), "--data-dir", str(deep), "publish"]
    assert main(command) == 0
    remote.bare.rename(tmp_path / "unmounted.git")
    capsys.readouterr()
    assert main(command) == 1
    said = capsys.readouterr()
    assert "is not on this machine" in said.err, said
    assert main([*command, "--status"]) == 0
    status = capsys.readouterr().out
    error = next(line for line in status.splitlines() if line.startswith("last error"))
    recorded = error.split("): ", 1)[1]
    assert len(recorded) <= FAILURE_LINE_LIMIT and recorded.endswith(f" {ASTERISKS_NOTE}"), recorded[-300:]
    says_the_note_once(recorded)
