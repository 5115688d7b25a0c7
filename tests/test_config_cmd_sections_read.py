"""`digest config check` reads the list's sections where the service does (the database, once there is one) and says
where it read them, through the real command line on a real SQLite data folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import load_settings
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.config_cmd import run, write

MINE = (
    "# My list\n\n## Datasets\n\n+ [Attention Is All You Need](https://arxiv.org/abs/1706.03762) (June. 12, 2017)\n"
    "\n## Methods\n\n+ [BERT](https://arxiv.org/abs/1810.04805) (Oct. 11, 2018)\n"
)


def configured(folder: Path, emojis: str) -> Path:
    """A settings file with Discord on (its token set by the caller), MINE as the seed list and `emojis` (TOML lines)
    as [discord.section_emojis]."""
    mine = write(folder / "mine.md", MINE)
    return write(
        folder / "config.toml",
        f'seed_list = "{mine}"\n[discord]\nchannel_id = 42\nmaintainer_role_ids = [7]\n'
        f"[discord.section_emojis]\n{emojis}",
    )


def said_of_sections(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("sections:") or "discord.section_emojis" in line]


def test_config_check_reads_the_sections_the_service_reads_from_the_database_not_a_list_md_edited_since(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A maintainer renamed a heading in data/list.md by hand ("## Methods" to "## Approaches") and had not imported
    the file yet. `config check` read list.md and warned that the section emoji for "Methods" approves nothing, while
    the service (its start's warning, the reactions, the review) reads the database, where Methods still is and
    approves; an emoji for "Approaches" passed the check and approved nothing. The check now reads the database as the
    service does, and says so."""
    from digest.service.wiring import open_service_database
    from tests.factories import insert_candidate, real_papers

    data = clean_environment / "data"
    config = configured(clean_environment, '"Datasets" = "📚"\n"Methods" = "🔧"\n')
    database = open_service_database(load_settings(config, data, environ={}, load_dotenv_file=False))
    try:
        candidate = insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()
    listed = data / "list.md"
    listed.write_text(listed.read_text(encoding="utf-8").replace("## Methods", "## Approaches"), encoding="utf-8")
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0 and said_of_sections(out) == ["sections: 2, from the database"], out  # was: two warnings
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check", "--json")
    features = {feature["name"]: feature["detail"] for feature in json.loads(out)["features"]}
    assert features["sections"] == "2, from the database", out

    config = configured(clean_environment, '"Datasets" = "📚"\n"Approaches" = "🔧"\n')  # as list.md names them
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0 and said_of_sections(out) == [  # was: "configuration OK" without a word
        "sections: 2, from the database",
        "warning: discord.section_emojis names sections the list does not have: Approaches (its sections: Datasets,"
        " Methods); their reactions approve nothing: name the list's sections in [discord.section_emojis]",
        "warning: discord.section_emojis gives no reaction to the list's sections Methods: no Discord reaction files a"
        ' paper into them; add one line each under [discord.section_emojis], e.g. "Methods" = "<an emoji no other'
        ' section has>"',
    ], out
    # What the check now reads is what a decision goes by: Methods, not Approaches.
    status = main(
        ["--config", str(config), "--data-dir", str(data), "approve", str(candidate), "--section", "Approaches"]
    )
    refused = capsys.readouterr().err
    assert status == 1 and "no section named 'Approaches' in the list (sections: Datasets, Methods)" in refused, refused
    status, out = run(
        capsys, "--config", str(config), "--data-dir", str(data), "approve", str(candidate), "--section", "Methods"
    )
    assert status == 0 and "approved into Methods" in out, out


def test_config_check_of_a_data_folder_without_a_database_reads_the_list_it_will_start_with(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No database yet: the first start imports the seed list, so that is what the check reads, and says so."""
    config = configured(clean_environment, '"Datasets" = "📚"\n"Methods" = "🔧"\n')
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    data = clean_environment / "data"
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0, out
    assert said_of_sections(out) == [
        f"sections: 2, from the seed list {clean_environment / 'mine.md'} (a new database starts with it)"
    ], out
    assert not data.exists() or not (data / "digest.sqlite3").exists(), "config check created the database"


def test_config_check_says_when_list_md_names_other_sections_than_the_database(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check goes by the database's sections; a list.md edited by hand and not imported yet is what a maintainer
    looks at, so the check says in one line that the two differ and how to bring the edit in. Once imported, the
    warning is gone and the emoji for the new heading passes."""
    from digest.service.wiring import open_service_database

    data = clean_environment / "data"
    config = configured(clean_environment, '"Datasets" = "📚"\n"Approaches" = "🔧"\n')
    open_service_database(load_settings(config, data, environ={}, load_dotenv_file=False)).dispose()
    listed = data / "list.md"
    listed.write_text(listed.read_text(encoding="utf-8").replace("## Methods", "## Approaches"), encoding="utf-8")
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    bring_in = f"digest --config {config} --data-dir {data} list import {listed}"
    assert (
        status == 0
        and (
            f"warning: {listed} names other sections than the database the service goes by (it has Approaches; not"
            " Methods): an edit not imported yet? Section emoji and hints are checked against the database's;"
            f" `{bring_in}` brings it in"
        )
        in out.splitlines()
    ), out
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "list", "import", str(listed))
    assert status == 0, out
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0 and said_of_sections(out) == ["sections: 2, from the database"], out
    assert "names other sections" not in out, out
