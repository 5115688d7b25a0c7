"""A list of one's own (its Markdown in `seed_list`, its `list_title`) with `feeds_dir` left out: the polls kept papers
by the bundled list's keyword rules (multimodal models' interpretability) and read its four arXiv categories, whatever
the list was about, and `digest config check` said "configuration OK" with one line asking to rename the hints in
[sections] (of the bundled feeds/rules.toml, a file of the installed program). It now says in one line that the rules
and feeds are the bundled list's and how to take a copy of one's own; through the real command line and service."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest import resources
from digest.service.process import Service
from tests.arxiv_server import ArxivServer
from tests.config_cmd import ROOT, run, write
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.conftest import make_settings

MINE = (
    "# Awesome ViT Explainability\n\n## Attention and Attribution\n\n"
    "- [Quantifying Attention Flow in Transformers](https://arxiv.org/abs/2005.00928) - 2020.05\n"
    "- [Transformer Interpretability Beyond Attention Visualization](https://arxiv.org/abs/2012.09838) - 2020.12\n"
)


def said(config: Path) -> str:
    bundled = resources.feeds_dir().resolve()
    return (
        f"feeds_dir is the bundled {bundled}, written for 'Awesome LMMs Mechanistic Interpretability': its rules.toml"
        " picks the papers the polls keep for your list by that topic's keywords, and its sources.toml the arXiv feeds"
        f" they read; copy it (`cp -r {bundled} {config.parent / 'feeds'}`), write your topic's terms and sections in"
        f" its rules.toml (README: 'Rules for a list of your own') and set feeds_dir = \"{config.parent / 'feeds'}\""
        " in the settings file"
    )


def test_config_check_says_the_rules_are_the_bundled_lists_until_feeds_dir_names_ones_own(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = write(clean_environment / "mine.md", MINE)
    config = write(clean_environment / "config.toml", f'seed_list = "{mine}"\nlist_title = "Awesome ViT XAI"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 0, out
    assert f"warning: {said(config)}\n" in out, out
    assert "[sections] names sections" not in out, out  # the line above says it: not to edit the bundled file

    shutil.copytree(resources.feeds_dir(), clean_environment / "feeds")
    write(config, f'seed_list = "{mine}"\nlist_title = "Awesome ViT XAI"\nfeeds_dir = "feeds"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 0, out
    assert "feeds_dir is the bundled" not in out, out
    assert "[sections] names sections the list does not have" in out, out  # the copy's hints are theirs to rename


def test_the_bundled_list_with_the_bundled_rules_is_no_warning(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = run(capsys, "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0, out
    assert "feeds_dir" not in out, out


@pytest.mark.asyncio
async def test_the_service_says_so_at_its_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    mine = write(tmp_path / "mine.md", MINE)
    service = Service(make_settings(tmp_path / "data", f'seed_list = "{mine}"\nlist_title = "Awesome ViT XAI"\n'))
    caplog.set_level(logging.INFO)
    await service.start(schedule=False, serve_web=False)
    await service.stop()
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "feeds_dir" in r.getMessage()]
    assert warned == [f"relevance: {said(tmp_path / 'data-config.toml')}"]


def test_a_feeds_folder_of_ones_own_lacking_a_file_says_where_to_start_from(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`feeds_dir` naming a folder of one's own holding rules.toml alone (or sources.toml alone) was refused with
    "feeds file .../sources.toml does not exist", and nothing said what goes in it or where an example is."""
    feeds = clean_environment / "feeds"
    feeds.mkdir()
    config = write(clean_environment / "config.toml", 'feeds_dir = "feeds"\n')
    data = str(clean_environment / "data")
    for present, missing, what in (
        ("rules.toml", "sources.toml", "the arXiv feeds to poll"),
        ("sources.toml", "rules.toml", "your topic's terms and sections"),
    ):
        shutil.copy(resources.feeds_dir() / present, feeds / present)
        (feeds / missing).unlink(missing_ok=True)
        status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
        assert status == 1, out
        assert (
            f"feeds file {feeds / missing} does not exist: copy the bundled {resources.feeds_dir() / missing} there and"
            f" write {what} in it (README: 'Your own list')\n"
        ) in out, out


def test_config_check_names_the_feeds_polled_and_the_rules_they_are_kept_by(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest config check` said when the polls run, never what they read: a maintainer with feeds of their own (or
    with the bundled folder left in place) could not see from it which feeds and which keyword rules were in use."""
    feeds = clean_environment / "feeds"
    write(feeds / "sources.toml", 'feeds = ["https://rss.arxiv.org/rss/cs.CV"]\n')
    shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")
    config = write(clean_environment / "config.toml", 'feeds_dir = "feeds"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 0, out
    said = f"feeds: polls 1 source from {feeds / 'sources.toml'}: https://rss.arxiv.org/rss/cs.CV; keyword rules in"
    assert f"\n{said} {feeds / 'rules.toml'}\n" in out, out

    write(config, 'feeds_dir = "feeds"\n[arxiv]\nsources = ["http://127.0.0.1:9/rss/cs.CV", "http://127.0.0.1:9/a"]\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 0, out
    said = "feeds: polls 2 sources from [arxiv] sources: http://127.0.0.1:9/rss/cs.CV, http://127.0.0.1:9/a; keyword"
    assert f"\n{said} rules in {feeds / 'rules.toml'}\n" in out, out


def test_a_feeds_folder_of_rules_alone_serves_feeds_named_in_the_settings(tmp_path: Path) -> None:
    """With the feeds named in `[arxiv] sources`, which every poll, backfill and the service read instead of
    sources.toml, `digest config check` still refused a feeds folder without that file, "does not exist"."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")

    async def check_and_poll() -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
        async with ArxivServer() as server:
            feed = server.serve_file("/rss/cs.CL", "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml", today=True)
            write(
                tmp_path / "config.toml",
                f'feeds_dir = "feeds"\ndata_dir = "data"\n[arxiv]\nsources = ["{feed}"]\nmin_interval_seconds = 0\n'
                'api_url = "http://127.0.0.1:9/api/query"\nmax_retries = 0\n',
            )
            command = [sys.executable, "-m", "digest", "--config", str(tmp_path / "config.toml")]
            env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
            done = [
                await asyncio.to_thread(
                    subprocess.run, [*command, *args], cwd=tmp_path, env=env, capture_output=True, text=True
                )
                for args in (["config", "check"], ["poll"])
            ]
            return done[0], done[1]

    checked, polled = asyncio.run(check_and_poll())
    assert checked.returncode == 0 and "sources.toml" not in checked.stdout, checked.stdout
    assert polled.returncode == 0 and polled.stdout.startswith("poll ok: 1 source (1 fetched)"), polled
