"""The list's changed papers on /review, through the real poll: a real recorded API answer (tests/list_notice_answers)
served on loopback, stored into the site's SQLite file, and the page read over HTTP as a signed-in maintainer sees it.
A retitle told and dismissed; a withdrawal arXiv undoes; a dismissed notice of a paper taken out and put back."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path

import pytest

from digest.cli import main
from digest.cli.context import print_json
from tests.arxiv_answers import WITHDRAWN
from tests.list_notice_answers import (
    LISTED_TITLE,
    SEEDED,
    changed_answer,
    dismiss,
    poll_answer,
    poll_summary,
    shown_notices,
)
from tests.web_server import Site, sign_in

NEW_TITLE = "Open Problems in Mechanistic <b>Interpretability</b> & What Remains"
RESTORED = "no longer withdrawn: arXiv restored it in v"


@pytest.mark.asyncio
async def test_a_retitled_list_paper_is_told_on_review_by_the_poll_until_dismissed(site: Site) -> None:
    """A new version retitling a list paper had no test of its own from the poll to the page."""
    report = await poll_answer(site, changed_answer(2, title=NEW_TITLE))
    assert report.retitled == [f"{SEEDED} is in the list as '{LISTED_TITLE}'; arXiv now titles it '{NEW_TITLE}'"]
    _, csrf = await sign_in(site)
    said = await shown_notices(site)
    assert said is not None and f"{SEEDED} {NEW_TITLE} in " in said and ": retitled on arXiv on " in said, said
    assert "withdrawn" not in said, said
    await dismiss(site, csrf, "retitled")
    assert await shown_notices(site) is None
    assert (await poll_answer(site, changed_answer(2, title=NEW_TITLE))).retitled == []  # told once a version
    assert await shown_notices(site) is None


@pytest.mark.asyncio
@pytest.mark.parametrize("dismissed", [False, True])
async def test_a_withdrawn_list_paper_arxiv_restores_is_told_and_ends_the_withdrawn_notice(
    site: Site, dismissed: bool
) -> None:
    """arXiv withdrew a list paper (v3), then announced v4, not withdrawn: /review went on saying it was withdrawn, or
    said nothing if the maintainer had dismissed that. The restore is told now, and ends the withdrawn notice."""
    assert len((await poll_answer(site, changed_answer(3, summary=WITHDRAWN))).withdrawn) == 1
    _, csrf = await sign_in(site)
    said = await shown_notices(site)
    assert said is not None and ": withdrawn on arXiv on " in said, said
    if dismissed:
        await dismiss(site, csrf, "withdrawn")
    report = await poll_answer(site, changed_answer(4))
    assert (report.withdrawn, report.retitled) == ([], [])
    assert report.restored == [f"{SEEDED} is in the list and {RESTORED}4 as '{LISTED_TITLE}'"]
    said = await shown_notices(site)
    assert said is not None and f"{SEEDED} {LISTED_TITLE} in " in said, said
    assert f": {RESTORED}4 on " in said and ": withdrawn on arXiv" not in said, said
    assert (await poll_answer(site, changed_answer(4))).restored == []  # the same version again: the same one notice
    assert (await shown_notices(site) or "").count(SEEDED) == 1
    await dismiss(site, csrf, "restored")
    assert await shown_notices(site) is None
    await poll_answer(site, changed_answer(4))
    assert await shown_notices(site) is None  # a restore dismissed is not told again
    assert len((await poll_answer(site, changed_answer(5, summary=WITHDRAWN))).withdrawn) == 1  # withdrawn anew
    said = await shown_notices(site)
    assert said is not None and ": withdrawn on arXiv on " in said and RESTORED not in said, said
    await poll_answer(site, changed_answer(6))
    said = await shown_notices(site)
    assert said is not None and f": {RESTORED}6 on " in said and ": withdrawn on arXiv" not in said, said


@pytest.mark.asyncio
async def test_the_polls_line_and_json_say_a_list_paper_arxiv_restores_with_its_title_on_one_line(
    site: Site, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """The poll's line (cron's mail) and `--json` said a list paper was withdrawn, but not that arXiv restored it: the
    maintainers told to take it out were never told it was back. The restored version's title is the feed's: its
    line breaks and a right-to-left override come out as spaces, and a long one is cut: it stays one readable line."""
    await poll_answer(site, changed_answer(3, summary=WITHDRAWN))
    caplog.clear()
    tail = "\n\u202eevil\tpart <b>two</b>" + " and more" * 20  # a line break, an override, a title of 240 characters
    summary = await poll_summary(site, changed_answer(4, title=f"{LISTED_TITLE}:{tail}"))
    shown = f"{LISTED_TITLE}: evil part <b>two</b> and more and more and more and more"[:100]
    said = f"{SEEDED} is in the list and {RESTORED}4 as '{shown}…'"
    logged = [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and ": fetched, " in r.getMessage()
    ]  # the source's one line
    assert len(logged) == 1 and f"; {said}" in logged[0] and "\n" not in logged[0] and "\u202e" not in logged[0]
    capsys.readouterr()
    print_json(summary.to_dict())
    assert json.loads(capsys.readouterr().out)["sources"][0]["restored"] == [said]


async def _list(data_dir: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["--data-dir", str(data_dir), "list", *args]) == 0
    return capsys.readouterr().out


@pytest.mark.asyncio
async def test_a_dismissed_notice_stays_dismissed_when_its_paper_is_put_back(
    site: Site, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer dismissed the withdrawn notice of a list paper, took the paper out of list.md and put it back: the
    poll told the same withdrawn version again, in its log and on /review (the dismissed notice was deleted with it)."""
    data_dir = site.settings.data_dir
    answer = changed_answer(3, summary=WITHDRAWN)
    assert len((await poll_answer(site, answer)).withdrawn) == 1
    _, csrf = await sign_in(site)
    await dismiss(site, csrf, "withdrawn")
    listed = await _list(data_dir, capsys, "export")
    entry = re.search(
        rf"\+ \[{LISTED_TITLE}\]\(https://arxiv.org/abs/{SEEDED}\)[^\n]*\n[^\n]*abs/{SEEDED}\)\n\n", listed
    )
    assert entry is not None, listed
    without, back = tmp_path / "without.md", tmp_path / "back.md"
    without.write_text(listed.replace(entry.group(), ""), encoding="utf-8")
    back.write_text(listed, encoding="utf-8")
    for path in (without, back):
        await _list(data_dir, capsys, "import", str(path))
        assert (f"abs/{SEEDED})" in await _list(data_dir, capsys, "export")) == (path == back)
    assert (await poll_answer(site, answer)).withdrawn == []
    assert await shown_notices(site) is None
    assert len((await poll_answer(site, changed_answer(4, summary=WITHDRAWN))).withdrawn) == 1  # a later version is
    said = await shown_notices(site)
    assert said is not None and ": withdrawn on arXiv on " in said, said
