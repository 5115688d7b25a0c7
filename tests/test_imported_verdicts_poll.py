"""Verdicts brought in by `digest decisions import`, then a poll whose feed holds their papers: what /review, Discord
and `digest candidates` offer a maintainer."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from digest.arxiv.poll_pass import run_poll
from digest.cli import main
from digest.service.wiring import open_service_database
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.conftest import make_settings
from tests.decision_files import decision_line, write_lines
from tests.discord_bot import running, section_of
from tests.fake_discord import FakeDiscord
from tests.poller_feeds import RELEVANT, UNRELATED, feed, records
from tests.web_server import SECRETS_ENV, running_site, sign_in

EARLIER = "earlier verdict: approved into Probing (imported from good.jsonl by digest decisions import)"


@pytest.mark.asyncio
async def test_a_poll_knows_a_paper_rejected_earlier_and_offers_one_approved_earlier_saying_so(
    data_dir: Path, fake: FakeDiscord, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest decisions import good.jsonl` (an approve of a paper not in the list, a reject), then a poll whose feed
    holds both: each was posted to Discord and /review as a new candidate, with no word of the earlier verdict. The
    rejected one is known now, as a paper rejected in review is; the approved one is offered with its verdict said."""
    approved, rejected = UNRELATED[0], RELEVANT[0]
    config = fake.config_toml(post_cap=5) + '[arxiv]\ncontact = "maintainers@example.org"\n'
    settings = make_settings(data_dir, config, {**SECRETS_ENV, "DISCORD_TOKEN": "fake-token"})
    async with running_site(settings) as site:
        (approve,), (reject,) = records(approved), records(rejected)
        lines = decision_line(approve, "approve", section="probing"), decision_line(reject, "reject")
        path = write_lines(data_dir.parent / "good.jsonl", *lines)
        assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 0
        async with ArxivServer() as server:
            url = server.program("/rss/cs.CV", Reply(body=feed(*RELEVANT, approved)))
            summary = await run_poll(settings, site.database, sources=[url], clock=FakeClock())
        assert (summary.sources[0].new_candidates, summary.sources[0].already_known) == (3, 1)

        await sign_in(site)
        async with site.client.get("/review") as reply:
            page = await reply.text()
        assert EARLIER in page
        assert records(approved)[0]["title"] in page and records(rejected)[0]["title"] not in page

        async with running(settings, site.database) as bot:
            assert (await bot.post_pending()).posted == 3
        shown = {body["embeds"][0]["title"]: body["embeds"][0]["fields"] for body in fake.posted()}
        assert records(rejected)[0]["title"] not in shown
        why = {field["name"]: field["value"] for field in shown[records(approved)[0]["title"]]}["Why"]
        assert why.splitlines()[0].replace("\\", "") == EARLIER  # as Discord shows its Markdown

    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "candidates"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert rejected not in "\n".join(out)
    (line,) = [number for number, text in enumerate(out) if f"  {approved} " in text]
    assert out[line + 1].strip() == EARLIER
    assert main(["--data-dir", str(data_dir), "candidates", "--json"]) == 0
    earlier = {row["arxiv_id"]: row["earlier_verdict"] for row in json.loads(capsys.readouterr().out)}
    assert earlier == {
        approved: {"decision": "approve", "section": "Probing", "source": "good.jsonl"},
        RELEVANT[1]: None,
        RELEVANT[2]: None,
    }


@pytest.mark.asyncio
async def test_an_import_marks_the_candidates_already_pending_and_leaves_them_for_a_maintainer(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A poll found three papers, then `digest decisions import` brought verdicts on two of them (an approve, a
    reject): their cards said nothing of it, while a poll after the import would have said it. The import now says
    how many pending candidates it concerns; their cards show the earlier verdict; both stay pending (the import
    decides nothing in review: a maintainer does, one click away)."""
    approved, rejected, untouched = RELEVANT
    settings = make_settings(data_dir, '[arxiv]\ncontact = "maintainers@example.org"\n', SECRETS_ENV)
    async with running_site(settings) as site:
        async with ArxivServer() as server:
            url = server.program("/rss/cs.CV", Reply(body=feed(*RELEVANT)))
            summary = await run_poll(settings, site.database, sources=[url], clock=FakeClock())
        assert summary.sources[0].new_candidates == 3
        (approve,), (reject,) = records(approved), records(rejected)
        lines = decision_line(approve, "approve", section="probing"), decision_line(reject, "reject")
        path = write_lines(data_dir.parent / "good.jsonl", *lines)
        capsys.readouterr()
        assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 0
        said = [line for line in capsys.readouterr().out.splitlines() if "pending in review" in line]
        assert [line.strip() for line in said] == [
            "2 of them are candidates pending in review (digest candidates), 1 rejected in the file: their cards "
            "show the earlier verdict, and a maintainer decides them there"
        ]

        await sign_in(site)
        async with site.client.get("/review") as reply:
            page = await reply.text()
        assert EARLIER in page and EARLIER.replace("approved into Probing", "rejected") in page
        assert records(untouched)[0]["title"] in page

    assert main(["--data-dir", str(data_dir), "candidates", "--json"]) == 0
    rows = {row["arxiv_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert {arxiv_id: (row["status"], row["earlier_verdict"]) for arxiv_id, row in rows.items()} == {
        approved: ("pending", {"decision": "approve", "section": "Probing", "source": "good.jsonl"}),
        rejected: ("pending", {"decision": "reject", "section": None, "source": "good.jsonl"}),
        untouched: ("pending", None),
    }


def test_an_import_says_the_candidates_a_poll_stored_while_it_read_the_file(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest decisions import` checked its file while no candidate held its papers; a poll beside it stored two of
    them (one the file rejects) before the import wrote. Their cards showed the file's verdicts, but the import's
    summary said nothing of them: the maintainer was not told that a paper the file rejects waits in review. It says
    what its write met."""
    import digest.cli.decisions as decisions_command

    approved, rejected, _ = RELEVANT
    settings = make_settings(data_dir, '[arxiv]\ncontact = "maintainers@example.org"\n')
    assert main(["--data-dir", str(data_dir), "candidates"]) == 0  # the data folder made, no candidate yet
    (approve,), (reject,) = records(approved), records(rejected)
    path = write_lines(
        data_dir.parent / "good.jsonl", decision_line(approve, "approve"), decision_line(reject, "reject")
    )
    polled = data_dir.parent / "cs.CV.xml"
    polled.write_bytes(feed(approved, rejected))
    store = decisions_command._store

    def a_poll_first(*args: Any) -> Any:
        database = open_service_database(settings)
        try:
            summary = asyncio.run(run_poll(settings, database, sources=[str(polled)], clock=FakeClock()))
        finally:
            database.dispose()
        assert summary.sources[0].new_candidates == 2
        return store(*args)

    monkeypatch.setattr(decisions_command, "_store", a_poll_first)
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 0
    said = [line.strip() for line in capsys.readouterr().out.splitlines() if "pending in review" in line]
    assert said == [
        "2 of them are candidates pending in review (digest candidates), 1 rejected in the file: their cards show the "
        "earlier verdict, and a maintainer decides them there"
    ]


def test_a_paper_approved_earlier_into_a_section_is_approved_there_without_naming_it_again(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest decisions import` of an approve into Probing, then a poll that met the paper scoring it low: it was
    offered for review with "earlier verdict: approved into Probing" under it, yet `digest candidates` showed it
    "[no section]" and `digest approve ID` refused ("has no suggested section: name one"), though the verdict named
    one. The verdict's section is its suggested section now: shown, and approved into with no --section."""
    approved = UNRELATED[0]
    make_settings(data_dir, '[arxiv]\ncontact = "maintainers@example.org"\n')
    (approve,) = records(approved)
    path = write_lines(data_dir.parent / "good.jsonl", decision_line(approve, "approve", section="probing"))
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 0
    polled = data_dir.parent / "cs.CV.xml"
    polled.write_bytes(feed(approved))
    assert main(["--data-dir", str(data_dir), "poll", "--source", str(polled)]) == 0
    capsys.readouterr()

    assert main(["--data-dir", str(data_dir), "candidates"]) == 0
    out = capsys.readouterr().out.splitlines()
    (line,) = [number for number, text in enumerate(out) if f"  {approved} " in text]
    assert out[line].split()[3] == approved and " [Probing] " in out[line] and out[line + 1].strip() == EARLIER

    assert main(["--data-dir", str(data_dir), "approve", approved]) == 0
    assert capsys.readouterr().out.strip().endswith(f"({approved}): approved into Probing")
    probing = section_of((data_dir / "list.md").read_text(encoding="utf-8"), "Probing")
    assert f"https://arxiv.org/abs/{approved}" in probing
