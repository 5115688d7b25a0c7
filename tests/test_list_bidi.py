"""Bidi controls in the list's own Markdown (a maintainer's file, kept byte for byte): shown to nobody.

A title holding U+202E (RIGHT-TO-LEFT OVERRIDE) reverses what follows it on screen, so a paper can be made to look
like another. Feed text is cleaned when it is fetched; the list's own text is kept as written, so every place that
shows it to a person neutralises the controls: the list page and its feeds, the review page's "nearest in the list",
Discord, the weekly digest and `digest score`. The list file stays as the maintainer wrote it.
"""

from __future__ import annotations

import contextlib
import email
import io
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date
from pathlib import Path

import feedparser
import pytest
import pytest_asyncio
from sqlalchemy import select

from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.cli import main
from digest.discord.messages import candidate_embed
from digest.service.wiring import open_service_database
from digest.storage.models import Candidate
from digest.weekly.contents import compose_email, load_digest
from digest.weekly.issue import WeeklyDigestData, week_of
from digest.weekly.rendering import render
from tests.add_command import HEAT_BATH, add, recorded
from tests.arxiv_server import FakeClock
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.feedbuild import build_rss, load_records
from tests.hostile_text import html_part
from tests.web_server import Site, running_site, sign_in, site_settings

BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
OVERRIDE = "\u202e"
NEW_PAPERS = ("2506.04706", "2504.11695")  # real multimodal-interpretability papers that are not in the list
MONDAY = date(2026, 4, 27)
# The first word of each entry's title, and of its short name: U+202E goes after it ("+ [A\u202e Survey on …").
_ENTRY_TITLE = re.compile(r"(?m)^(\+ (?:\*\*\w+)?(?:[^*\n]*\*\* )?\[\w+)")


def seed_with_overrides(*, in_heading: bool = False) -> bytes:
    """The bundled list, U+202E in each entry's title (with `in_heading`, in the Sparse Autoencoder heading too)."""
    from digest import resources

    seed = resources.seed_list_path().read_text(encoding="utf-8")
    laced, count = _ENTRY_TITLE.subn(lambda match: match[1].replace("** ", OVERRIDE + "** ") + OVERRIDE, seed)
    assert count > 20
    if in_heading:
        laced, count = re.subn(r"(?m)^(###.* Sparse)( Autoencoder)$", f"\\1{OVERRIDE}\\2", laced)
        assert count == 1
    return laced.encode("utf-8")


@pytest_asyncio.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    seed = tmp_path / "list-with-overrides.md"
    seed.write_bytes(seed_with_overrides())
    async with running_site(site_settings(tmp_path / "data", f'seed_list = "{seed}"\n')) as running:
        assert running.settings.list_markdown_path.read_bytes() == seed.read_bytes()
        by_id = {record["arxiv_id"]: record for record in load_records()}
        source = tmp_path / "cs.CV.xml"
        source.write_bytes(build_rss("cs.CV", [by_id[arxiv_id] for arxiv_id in NEW_PAPERS], MONDAY))
        summary = await run_poll(running.settings, running.database, sources=[str(source)], clock=FakeClock())
        assert summary.outcome == "ok", summary.to_dict()
        yield running


def candidates(site: Site) -> list[Candidate]:
    with site.database.reading() as session:
        found = list(session.scalars(select(Candidate).order_by(Candidate.id)))
        session.expunge_all()
    assert {c.arxiv_id for c in found} == set(NEW_PAPERS)
    return found


def assert_list_file_as_written(site: Site) -> None:
    """list.md (and /list.md) keep the maintainer's bytes, controls and all."""
    assert site.settings.list_markdown_path.read_bytes() == seed_with_overrides()


def assert_nothing_reversed(text: str) -> None:
    assert not BIDI & set(text), [text[max(0, i - 40) : i + 40] for i, ch in enumerate(text) if ch in BIDI][:3]


@pytest.mark.asyncio
async def test_the_list_page_shows_titles_without_the_override(site: Site) -> None:
    async with site.client.get("/") as reply:
        page = await reply.text()
    assert "Open Problems in Mechanistic Interpretability" in " ".join(page.split())  # a blank where U+202E was
    assert_nothing_reversed(page)
    async with site.client.get("/list.md") as reply:
        assert (await reply.read()) == seed_with_overrides()  # the file, as written
    assert_list_file_as_written(site)


@pytest.mark.asyncio
async def test_the_lists_rss_and_atom_feeds_show_titles_without_the_override(site: Site) -> None:
    for path in ("/feeds/list.xml", "/feeds/list.atom"):
        async with site.client.get(path) as reply:
            body = (await reply.read()).decode("utf-8")
        assert feedparser.parse(body).entries, path
        assert_nothing_reversed(body)
    assert_list_file_as_written(site)


@pytest.mark.asyncio
async def test_the_review_pages_nearest_in_the_list_shows_no_override(site: Site) -> None:
    await sign_in(site)
    async with site.client.get("/review") as reply:
        page = await reply.text()
    assert "nearest in the list:" in page
    assert_nothing_reversed(page)
    assert_list_file_as_written(site)


@pytest.mark.asyncio
async def test_discord_messages_name_list_papers_without_the_override(site: Site) -> None:
    for candidate in candidates(site):
        embed = candidate_embed(candidate, site.settings.discord.section_emojis)
        assert any("nearest in the list" in field["value"] for field in embed["fields"]), embed["fields"]
        assert_nothing_reversed(json.dumps(embed, ensure_ascii=False))
    assert_list_file_as_written(site)


HAND_ADDED = "+ [Sparse\u202e Autoencoders, Hand Added](https://arxiv.org/abs/2505.14071) (May. 20, 2025)\n\n"


def email_parts(digest: WeeklyDigestData, site: Site) -> list[str]:
    message = email.message_from_bytes(compose_email(digest, site.settings, site.clock()).as_bytes())
    return [html_part(message, "html"), html_part(message, "plain"), str(message["Subject"])]


@pytest.mark.asyncio
async def test_the_weekly_digest_shows_a_hand_added_entry_without_the_override(site: Site) -> None:
    """A maintainer adds an entry to list.md by hand and imports it: the readers' digest that week names it."""
    kept = site.settings.list_markdown_path.read_text(encoding="utf-8")
    heading = "\n([Back to Table of Contents](#table-of-contents))\n\n"
    at = kept.index(heading, kept.index("Sparse Autoencoder\n")) + len(heading)
    edited = kept[:at] + HAND_ADDED + kept[at:]
    site.settings.list_markdown_path.write_text(edited, encoding="utf-8")
    with site.database.transaction() as session:
        liststore.import_markdown(session, edited.encode("utf-8"), source="list.md", now=site.clock())
    with site.database.reading() as session:
        digest = load_digest(session, site.settings, week_of(site.clock(), UTC))
    assert digest.added_count == 1
    markdown = render(digest, site.settings.templates_dir, "digest.md.j2")
    html, plain, subject = email_parts(digest, site)
    for text in (markdown, html, plain):
        assert "Hand Added" in text
    for text in (markdown, html, plain, subject):
        assert_nothing_reversed(text)
    assert site.settings.list_markdown_path.read_text(encoding="utf-8") == edited


@pytest.mark.asyncio
async def test_the_maintainers_digest_says_why_without_the_override(site: Site) -> None:
    """A paper just under the review threshold, flagged for its likeness to list papers: "Worth a look" names them."""
    polled = candidates(site)[0]
    insert_candidate(
        site.database, real_papers()[0], relevant=False, score=0.7, why=polled.why, first_seen_at=site.clock()
    )
    with site.database.reading() as session:
        digest = load_digest(session, site.settings, week_of(site.clock(), UTC), edition="maintainers")
    for text in [render(digest, site.settings.templates_dir, "digest.md.j2"), *email_parts(digest, site)[:2]]:
        assert "nearest in the list:" in text
        assert_nothing_reversed(text)
    assert_list_file_as_written(site)


@pytest.mark.asyncio
async def test_digest_score_says_why_without_the_override(site: Site, tmp_path: Path, data_dir: Path) -> None:
    by_id = {record["arxiv_id"]: record for record in load_records()}
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        "".join(json.dumps({k: by_id[i][k] for k in ("arxiv_id", "title", "abstract")}) + "\n" for i in NEW_PAPERS)
    )
    out = io.StringIO()
    config = tmp_path / "data-config.toml"
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(["--config", str(config), "--data-dir", str(data_dir), "score", str(papers)])
    assert status == 0
    whys = [line for row in map(json.loads, out.getvalue().splitlines()) for line in row["why"]]
    assert any(line.startswith("nearest in the list:") for line in whys), whys
    assert_nothing_reversed(out.getvalue())
    assert_list_file_as_written(site)


def test_digest_score_names_the_lists_sections_without_the_override(data_dir: Path, tmp_path: Path) -> None:
    """A heading keeps what the maintainer wrote too: `digest score` showed it raw as the paper's section."""
    seed = tmp_path / "list-with-overrides.md"
    seed.write_bytes(seed_with_overrides(in_heading=True))
    config = tmp_path / "config.toml"
    config.write_text(f'seed_list = "{seed}"\n', encoding="utf-8")
    by_id = {record["arxiv_id"]: record for record in load_records()}
    papers = tmp_path / "papers.jsonl"
    papers.write_text(
        "".join(json.dumps({k: by_id[i][k] for k in ("arxiv_id", "title", "abstract")}) + "\n" for i in NEW_PAPERS)
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(["--config", str(config), "--data-dir", str(data_dir), "score", str(papers)])
    assert status == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert any("Autoencoder" in (row["section"] or "") for row in rows), rows
    assert_nothing_reversed(out.getvalue())
    assert (data_dir / "list.md").read_bytes() == seed.read_bytes()


def test_the_command_lines_naming_a_section_show_it_without_the_override(data_dir: Path) -> None:
    """`digest candidates`, `approve` and `history` name the list's sections, whose headings keep what the maintainer
    wrote: a U+202E there reversed the rest of the printed line in a terminal that reorders bidi text."""
    seed = data_dir.parent / "list-with-overrides.md"
    seed.write_bytes(seed_with_overrides(in_heading=True))
    settings = make_settings(data_dir, f'seed_list = "{seed}"\n')
    database = open_service_database(settings)
    try:
        with database.reading() as session:
            (section,) = [name for name in liststore.section_names(session) if "Autoencoder" in name]
        assert OVERRIDE in section  # the database keeps the heading as written
        candidate_id = insert_candidate(database, real_papers()[0], suggested_section=section)
    finally:
        database.dispose()
    config = ["--config", str(data_dir.parent / f"{data_dir.name}-config.toml"), "--data-dir", str(data_dir)]
    printed = []
    for command in (["candidates"], ["approve", str(candidate_id)], ["history"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([*config, *command]) == 0
        printed.append(out.getvalue())
        assert "Sparse Autoencoder" in " ".join(out.getvalue().split()), out.getvalue()
        assert_nothing_reversed(out.getvalue())
    markdown = settings.list_markdown_path.read_text(encoding="utf-8")
    assert f"Sparse{OVERRIDE} Autoencoder\n" in markdown and real_papers()[0]["arxiv_id"] in markdown


def test_digest_add_names_the_lists_sections_without_the_override(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest add` names the list's sections when it refuses one, adds a paper or finds it listed: the heading's
    U+202E went raw into those lines, the error lines too."""
    seed = data_dir.parent / "list-with-overrides.md"
    seed.write_bytes(seed_with_overrides(in_heading=True))
    open_service_database(make_settings(data_dir, f'seed_list = "{seed}"\n')).dispose()
    assert add(data_dir, "1605.08386", "--section", "Nowhere")[0] == 1
    assert add(data_dir, "1605.08386", "--section", "sparse autoencoder", reply=recorded(HEAT_BATH))[0] == 0
    assert add(data_dir, "1605.08386")[0] == 1
    out = capsys.readouterr()
    refused, listed = out.err.splitlines()
    assert refused.startswith("digest: no section named 'Nowhere' in the list (sections: ") and "already" in listed
    assert "approved into" in out.out and "Sparse Autoencoder" in " ".join(out.out.split())
    for line in (refused, listed, out.out):
        assert_nothing_reversed(line)
    assert f"Sparse{OVERRIDE} Autoencoder\n" in (data_dir / "list.md").read_text(encoding="utf-8")


def test_digest_decisions_names_the_lists_sections_without_the_override(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest decisions import` and `list` name the section a verdict went into, and the list's sections when one is
    unknown: the heading's U+202E went raw into those lines."""
    seed = data_dir.parent / "list-with-overrides.md"
    seed.write_bytes(seed_with_overrides(in_heading=True))
    open_service_database(make_settings(data_dir, f'seed_list = "{seed}"\n')).dispose()
    paper = real_papers()[0]
    verdicts = {}
    for name, section in (("good", "sparse autoencoder"), ("bad", "Nowhere")):
        verdicts[name] = data_dir.parent / f"{name}.jsonl"
        line = {"arxiv_id": paper["arxiv_id"], "title": paper["title"], "decision": "approve", "section": section}
        verdicts[name].write_text(json.dumps(line) + "\n", encoding="utf-8")
    config = ["--data-dir", str(data_dir), "decisions"]
    assert main([*config, "import", str(verdicts["bad"])]) == 1
    assert main([*config, "import", str(verdicts["good"]), "--dry-run"]) == 0
    assert main([*config, "import", str(verdicts["good"])]) == 0
    assert main([*config, "list"]) == 0
    out = capsys.readouterr()
    assert "the list's sections are: " in out.err and out.out.count("Sparse") >= 2
    assert_nothing_reversed(out.err)
    assert_nothing_reversed(out.out)
    assert f"Sparse{OVERRIDE} Autoencoder\n" in (data_dir / "list.md").read_text(encoding="utf-8")


def test_digest_publish_status_names_the_lists_sections_without_the_override(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest publish --status` names the section each pending decision went into, who made it and the last error: a
    heading's U+202E (kept as the maintainer wrote it) went raw into that line and reversed the rest of it."""
    from digest.publish.store import record_failure
    from digest.review.reviewer import Reviewer
    from digest.review.rules import Actor
    from tests.git_remote import NOW, make_remote, publish_config

    seed = data_dir.parent / "list-with-overrides.md"
    seed.write_bytes(seed_with_overrides(in_heading=True))
    remote = make_remote(data_dir.parent)
    config = data_dir.parent / "publish.toml"
    config.write_text(f'seed_list = "{seed}"\n' + publish_config(remote.url), encoding="utf-8")
    settings = make_settings(data_dir, f'seed_list = "{seed}"\n' + publish_config(remote.url))
    database = open_service_database(settings)
    try:
        candidate_id = insert_candidate(database, real_papers()[0])
        actor = Actor(f"ann{OVERRIDE}ymous", "1001", "discord")
        Reviewer(database, settings, clock=lambda: NOW).decide(candidate_id, "approve", actor, "sparse autoencoder")
        record_failure(database, settings.templates_dir, f"git push: remote says {OVERRIDE}gnp.exe", NOW)
    finally:
        database.dispose()
    capsys.readouterr()
    assert main(["--config", str(config), "--data-dir", str(data_dir), "publish", "--status"]) == 0
    out = capsys.readouterr().out
    assert "pending decisions: 1" in out and "Sparse Autoencoder" in " ".join(out.split()), out
    assert "by ann ymous" in out and "remote says gnp.exe" in " ".join(out.split()), out
    assert_nothing_reversed(out)
    assert f"Sparse{OVERRIDE} Autoencoder\n" in settings.list_markdown_path.read_text(encoding="utf-8")
