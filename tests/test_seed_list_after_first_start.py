"""A list of one's own named in `seed_list` after the data folder started on another (the README's first command,
`digest run`, seeds the bundled list): the seed list is read only into a new data folder, so it was left out with
"configuration OK" and a service serving the bundled list. `digest config check` and the service's start now say so in
one line, with the command that brings it in; through the real command line and the real service."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from digest.service.process import Service
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.config_cmd import run, write
from tests.conftest import make_settings

MINE = (
    "# My list\n\n## Methods\n\n+ [Attention Is All You Need](https://arxiv.org/abs/1706.03762) (June. 12, 2017)\n"
    "+ [BERT](https://arxiv.org/abs/1810.04805) (Oct. 11, 2018)\n"
)


def started_on_the_bundled_list(data: Path) -> None:
    """The data folder as the README's first command leaves it: the bundled list imported, list.md written."""
    from digest.service.wiring import open_service_database

    open_service_database(make_settings(data)).dispose()
    assert "Awesome-LMMs-Mechanistic-Interpretability" in (data / "list.md").read_text(encoding="utf-8")


def test_config_check_says_a_seed_list_named_after_the_first_start_is_not_read(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = clean_environment / "data"
    started_on_the_bundled_list(data)
    mine = write(clean_environment / "mine.md", MINE)
    config = write(clean_environment / "config.toml", f'seed_list = "{mine}"\nlist_title = "My list"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0, out
    assert (
        f"warning: seed_list {mine} is read only into a new data folder, and {data} holds another list, without 2 of"
        f" its 2 entries: `digest --config {config} --data-dir {data} list import --force {mine}` replaces the list"
        " with it (or give a new, empty data_dir)"
    ) in out, out

    assert run(capsys, "--config", str(config), "--data-dir", str(data), "list", "import", "--force", str(mine))[0] == 0
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0, out
    assert "seed_list" not in out, out  # the list is the seed list's now


def test_a_new_data_folder_started_from_ones_own_seed_list_is_no_warning(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = write(clean_environment / "mine.md", MINE)
    config = write(clean_environment / "config.toml", f'seed_list = "{mine}"\nlist_title = "My list"\n')
    data = clean_environment / "data"
    for _ in range(2):  # before the first start (a new folder), and after it seeded the list
        status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
        assert status == 0, out
        assert "seed_list" not in out, out
        assert run(capsys, "--config", str(config), "--data-dir", str(data), "list", "export")[0] == 0
    assert "Attention Is All You Need" in (data / "list.md").read_text(encoding="utf-8")


@pytest.mark.asyncio
async def test_the_service_says_so_at_its_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = tmp_path / "data"
    started_on_the_bundled_list(data)
    mine = write(tmp_path / "mine.md", MINE)
    service = Service(make_settings(data, f'seed_list = "{mine}"\nlist_title = "My list"\n'))
    caplog.set_level(logging.INFO)
    await service.start(schedule=False, serve_web=False)
    await service.stop()
    said = [r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "seed_list" in r.getMessage()]
    assert said == [
        f"list: seed_list {mine} is read only into a new data folder, and {data} holds another list, without 2 of its"
        f" 2 entries: `digest --config {tmp_path / 'data-config.toml'} --data-dir {data} list import --force {mine}`"
        " replaces the list with it (or give a new, empty data_dir)"
    ]
    assert "Attention Is All You Need" not in (data / "list.md").read_text(encoding="utf-8")  # nothing replaced


def test_config_check_says_the_bundled_title_is_kept_for_a_list_of_ones_own(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A list of one's own with list_title left out: every page, feed and email (and the email's List-Id) was titled
    "Awesome LMMs Mechanistic Interpretability", the bundled list's title, without a word."""
    mine = write(clean_environment / "mine.md", MINE)
    config = write(clean_environment / "config.toml", f'seed_list = "{mine}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0, out
    assert (
        "warning: list_title is the bundled list's, 'Awesome LMMs Mechanistic Interpretability', while seed_list is"
        f" {mine}: pages, feeds and emails carry it; set list_title to your list's title"
    ) in out, out
    config = write(clean_environment / "config.toml", f'seed_list = "{mine}"\nlist_title = "My list"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 0, out
    assert "list_title" not in out, out
