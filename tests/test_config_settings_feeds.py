"""feeds/sources.toml read the same way by `digest config check`, `digest run` and the service's start-up and polls:
a malformed file, a wrong API query, one asking more than arXiv gives, a feed address holding a password."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from digest import health, resources
from digest.cli import main
from digest.config import ConfigError, FeedsError, read_feed_sources
from digest.service.process import Service
from tests.config_settings import ROOT, VARIABLES
from tests.conftest import make_settings


# -- feeds/sources.toml ---------------------------------------------------------------------------------------------
def malformed_feeds(folder: Path) -> tuple[Path, str]:
    """A feeds folder whose sources.toml has an [[api]] query with a wordy max_results; the line both should say."""
    feeds = folder / "feeds"
    feeds.mkdir(parents=True)
    shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")
    sources = feeds / "sources.toml"
    sources.write_text(
        'feeds = ["https://rss.arxiv.org/rss/cs.CV"]\n\n[[api]]\nsearch_query = "abs:probing"\nmax_results = "many"\n',
        encoding="utf-8",
    )
    return feeds, f"{sources}: api.max_results of item 1 (search_query 'abs:probing') must be an integer, not 'many'"


def feeds_config(folder: Path, feeds: Path) -> Path:
    config = folder / "config.toml"
    config.write_text(f'feeds_dir = "{feeds}"\n', encoding="utf-8")
    return config


def test_the_bundled_sources_fit_the_model() -> None:
    sources = read_feed_sources(resources.feeds_dir())
    assert sources.feeds and all(feed.startswith("https://rss.arxiv.org/") for feed in sources.feeds)


def test_config_check_reports_a_malformed_sources_file_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    feeds, line = malformed_feeds(tmp_path)
    config = feeds_config(tmp_path, feeds)
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    problems = [text for text in capsys.readouterr().out.splitlines() if text.startswith("problem: ")]
    assert problems == [f"problem: {line}"]
    (feeds / "sources.toml").write_text('feeds = "https://rss.arxiv.org/rss/cs.CV"\n', encoding="utf-8")
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    assert f"problem: {feeds / 'sources.toml'}: feeds must be a list, not " in capsys.readouterr().out


def test_a_wrong_api_query_is_named_by_its_place_and_its_search(tmp_path: Path) -> None:
    """Four [[api]] queries, three wrong: each line said only "api.max_results must be between 1 and 2000" or
    "api.search_query is required", and which query it was the maintainer had to find. Expected: its place, and its
    search when it has one."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "sources.toml").write_text(
        'feeds = ["https://rss.arxiv.org/rss/cs.CV"]\n\n[[api]]\nsearch_query = "abs:probing"\n\n'
        '[[api]]\nsearch_query = "abs:steering"\nmax_results = 0\n\n[[api]]\nsearch_query = ""\ncolour = 1\n\n'
        '[[api]]\nmax_results = "many"\n',
        encoding="utf-8",
    )
    with pytest.raises(FeedsError) as caught:
        read_feed_sources(feeds)
    where = f"{feeds / 'sources.toml'}: "
    assert caught.value.problems == [
        f"{where}api.max_results of item 2 (search_query 'abs:steering') must be between 1 and 2000, not 0",
        f"{where}api.search_query of item 3 must not be empty",
        f"{where}unknown setting api.colour of item 3",
        f"{where}api.search_query of item 4 is required",
        f"{where}api.max_results of item 4 must be an integer, not 'many'",
    ]


@pytest.mark.asyncio
async def test_the_service_stops_at_start_up_with_the_same_line(tmp_path: Path) -> None:
    feeds, line = malformed_feeds(tmp_path)
    settings = make_settings(tmp_path / "data", f'feeds_dir = "{feeds}"\n')
    service = Service(settings)
    with pytest.raises(FeedsError) as caught:
        await service.start(serve_web=False)
    await service.stop()
    assert caught.value.problems == [line]
    assert not (tmp_path / "data").exists()  # refused before the data folder was touched


@pytest.mark.asyncio
async def test_a_sources_file_broken_while_the_service_runs_fails_the_poll_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feeds, line = malformed_feeds(tmp_path)
    broken = (feeds / "sources.toml").read_text(encoding="utf-8")
    shutil.copy(resources.feeds_dir() / "sources.toml", feeds / "sources.toml")
    service = Service(make_settings(tmp_path / "data", f'feeds_dir = "{feeds}"\n'))
    await service.start(schedule=False, serve_web=False)
    try:
        (feeds / "sources.toml").write_text(broken, encoding="utf-8")
        assert await service.poll("a test") == "failed"
    finally:
        await service.stop()
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [f"poll: not polling: {line}"]
    assert [c.message for c in health.components() if c.name == "poll"] == [f"not polling: {line}"]


@pytest.mark.asyncio
@pytest.mark.parametrize("max_results", [0, 2001, 50000])
async def test_an_api_query_asking_more_than_arxiv_gives_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], max_results: int
) -> None:
    """arXiv's API gives at most 2000 results a request (the backfill's --page-size stops there), but an [[api]]
    query with max_results = 50000 passed config check and the start, and each poll asked arXiv for what it refuses.
    Now both say so in one line naming the file and the key, as for the other problems of sources.toml."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    shutil.copy(resources.feeds_dir() / "rules.toml", feeds / "rules.toml")
    sources = feeds / "sources.toml"
    sources.write_text(f'[[api]]\nsearch_query = "abs:probing"\nmax_results = {max_results}\n', encoding="utf-8")
    line = f"{sources}: api.max_results of item 1 (search_query 'abs:probing') must be between 1 and 2000, "
    line += f"not {max_results}"
    config = feeds_config(tmp_path, feeds)
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    assert [text for text in capsys.readouterr().out.splitlines() if text.startswith("problem: ")] == [
        f"problem: {line}"
    ]
    service = Service(make_settings(tmp_path / "data", f'feeds_dir = "{feeds}"\n'))
    with pytest.raises(FeedsError) as caught:
        await service.start(serve_web=False)
    await service.stop()
    assert caught.value.problems == [line]
    sources.write_text('[[api]]\nsearch_query = "abs:probing"\nmax_results = 2000\n', encoding="utf-8")
    assert read_feed_sources(feeds).api[0].max_results == 2000


def test_digest_run_stops_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    feeds, line = malformed_feeds(tmp_path)
    config = feeds_config(tmp_path, feeds)
    environment = {key: value for key, value in os.environ.items() if key not in VARIABLES}
    environment["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(config), "--data-dir", str(tmp_path / "data"), "run"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"digest: configuration: {line}\n"


def test_a_feed_address_holding_a_password_in_the_sources_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    """The [arxiv] sources setting refused a login in its addresses, but the same address in feeds/sources.toml went
    into the log, the poll's records and the database with its password; and a web address written without its
    scheme ("user:password@host") was echoed whole by its refusal."""
    from digest.config.feeds import FeedsError, read_feed_sources

    login = "digest:pw-in-the-url"
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "sources.toml").write_text(f'feeds = ["https://{login}@mirror.example.org/rss/cs.CV"]\n', encoding="utf-8")
    with pytest.raises(FeedsError) as caught:
        read_feed_sources(feeds)
    assert "must not hold a user or password" in str(caught.value) and "pw-in-the-url" not in str(caught.value)
    with pytest.raises(ConfigError) as refused:
        make_settings(tmp_path / "data", f'[web]\nbase_url = "{login}@digest.example.org"\n')
    assert "must start with http:// or https://" in str(refused.value) and "pw-in-the-url" not in str(refused.value)
