"""`digest config check` on the Discord settings: ids that are no snowflake, a token of spaces, and section emojis
(for sections the list lacks, or that a reaction cannot tell apart), through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.config import load_settings
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.config_cmd import run, write


def checked_with_list(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, listed: str, emojis: str
) -> tuple[int, str]:
    """`digest config check` with Discord on, `listed` as the seed list and `emojis` (TOML lines) as the table
    [discord.section_emojis]: its exit status and what it printed."""
    mine = write(folder / "mine.md", listed)
    config = write(
        folder / "config.toml",
        f'seed_list = "{mine}"\n[discord]\nchannel_id = 42\nmaintainer_role_ids = [7]\n'
        f"[discord.section_emojis]\n{emojis}",
    )
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    return run(capsys, "--config", str(config), "--data-dir", str(folder / "data"), "config", "check")


def test_section_emojis_for_sections_the_list_lacks_are_warned_of(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list of one's own (seed_list) with Discord on: the example's [discord.section_emojis] name the bundled list's
    sections, so every candidate's message offered eleven section emoji, each for a section the review refuses ("no
    section named ... in the list"); `config check` said "configuration OK". Now it says which names the list lacks;
    a name the list has in another spelling ("Dataset" for "Datasets") is no warning."""
    status, out = checked_with_list(
        clean_environment,
        capsys,
        monkeypatch,
        "# My list\n\n## Datasets\n\n+ [Attention Is All You Need](https://arxiv.org/abs/1706.03762) (June. 12, 2017)\n"
        "\n## Methods\n\n+ [BERT](https://arxiv.org/abs/1810.04805) (Oct. 11, 2018)\n",
        '"Dataset" = "📚"\n"Probing" = "🔍"\n"Steering" = "🕹️"\n',
    )
    assert status == 0, out
    assert (
        "warning: discord.section_emojis names sections the list does not have: Probing, Steering"
        " (its sections: Datasets, Methods)"
    ) in out, out


def test_a_section_emoji_for_a_section_without_papers_yet_is_no_warning(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list of one's own whose Tools section holds a line of text and no entry yet: `config check` warned that the
    Tools emoji "approve nothing" and asked to rename it, while a reaction approves into Tools (the review takes
    every section but prose). It now warns of the names the review cannot place, and lists the sections it can."""
    from digest.service.wiring import open_service_database
    from tests.factories import insert_candidate, real_papers

    mine = write(
        clean_environment / "mine.md",
        "# My list\n\n## Papers\n\n+ [Attention Is All You Need](https://arxiv.org/abs/1706.03762) (June. 12, 2017)\n"
        "\n## Tools\n\nNone yet: send us yours.\n",
    )
    config = write(
        clean_environment / "config.toml",
        f'seed_list = "{mine}"\n[discord]\nchannel_id = 42\nmaintainer_role_ids = [7]\n'
        '[discord.section_emojis]\n"Tools" = "🛠️"\n"Probing" = "🔍"\n',
    )
    data = clean_environment / "data"
    database = open_service_database(load_settings(config, data, environ={}, load_dotenv_file=False))
    try:
        candidate = insert_candidate(database, real_papers()[0])
    finally:
        database.dispose()
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check")
    assert status == 0, out
    assert (
        "warning: discord.section_emojis names sections the list does not have: Probing (its sections: Papers, Tools)"
    ) in out, out
    status, out = run(
        capsys, "--config", str(config), "--data-dir", str(data), "approve", str(candidate), "--section", "Tools"
    )
    assert status == 0 and "approved into Tools" in out, out


@pytest.mark.parametrize(
    ("key", "written"),
    [
        ("channel_id", "-5"),
        ("channel_id", "0"),
        ("guild_id", str(2**64)),
        ("maintainer_role_ids", "[7, -1]"),
        ("maintainer_user_ids", '["-7"]'),
        ("channel_id", f'"{"9" * 5000}"'),  # was pydantic's int() message quoting all 5,000 digits
    ],
)
def test_a_discord_id_that_is_no_snowflake_is_one_line_naming_the_key(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], key: str, written: str
) -> None:
    """Discord ids are positive 64-bit numbers: `channel_id = -5` passed config check, and the bot then watched a
    channel that cannot be, its candidates never posted."""
    ids = {"channel_id": "42", "maintainer_user_ids": "[7]", key: written}
    config = write(clean_environment / "config.toml", "[discord]\n" + "".join(f"{k} = {v}\n" for k, v in ids.items()))
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and f"discord.{key}" in problems[0] and len(problems[0]) < 200, out
    assert "not a Discord id (a positive number below 2**64)" in problems[0], out


@pytest.mark.parametrize("written", ['"²"', '"1²"', '"１２３"', '"١٢٣"', '["٧"]'])
def test_a_discord_id_in_digits_other_than_0_to_9_is_one_line_naming_the_key(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], written: str
) -> None:
    """A Discord id written as a string of superscript digits (`channel_id = "²"`, a paste from a formatted page) was
    pydantic's "Value error, invalid literal for int() with base 10"; one of fullwidth or Arabic-Indic digits was
    taken for another number without a word. Each is now one line naming the key and the digits to write it in."""
    key = "maintainer_user_ids" if written.startswith("[") else "channel_id"
    ids = {"channel_id": "42", "maintainer_user_ids": "[7]", key: written}
    config = write(clean_environment / "config.toml", "[discord]\n" + "".join(f"{k} = {v}\n" for k, v in ids.items()))
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and f"discord.{key}" in problems[0], out
    assert "Value error" not in problems[0] and "int()" not in problems[0], out
    assert "is not a Discord id: write it in the digits 0-9" in problems[0], out


def test_a_discord_token_of_spaces_is_not_set(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DISCORD_TOKEN="  " (a variable left blank in a compose file or a secret file of a newline) switched Discord
    on, and the bot then failed to sign in: like DIGEST_ADMIN_TOKEN, a blank token is not set, and Discord is off."""
    config = write(clean_environment / "config.toml", "[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n")
    data = clean_environment / "data"
    monkeypatch.setenv("DISCORD_TOKEN", " \t\n")
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check", "--json")
    assert status == 0, out
    report = json.loads(out)
    features = {feature["name"]: feature for feature in report["features"]}
    assert not features["discord"]["on"], features["discord"]
    assert "[discord] ids are set but DISCORD_TOKEN is not: Discord review stays off" in report["warnings"]
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "show")
    assert status == 0 and "DISCORD_TOKEN: not set" in out, out
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token\n")  # read from a secret file: the newline is not the token
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check", "--json")
    assert status == 0 and {f["name"]: f["on"] for f in json.loads(out)["features"]}["discord"], out


@pytest.mark.parametrize(
    ("emojis", "said"),
    [
        ('"Probing" = "🔍"\n"Steering" = "🔍\ufe0f"\n', '🔍 is given to both "Probing" and "Steering"'),
        ('"Probing" = "✅"\n', '"Probing" is ✅, the reaction that approves into the suggested section'),
        ('"Probing" = "❌"\n', '"Probing" is ❌, the reaction that rejects'),
        ('"Probing" = " "\n', '"Probing" has no emoji'),
    ],
)
def test_a_section_emoji_a_reaction_cannot_tell_apart_is_one_problem(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], emojis: str, said: str
) -> None:
    """Two sections given one emoji (a line copied and renamed) passed config check: the legend offered '🔍 Probing ·
    🔍 Steering' and a maintainer's 🔍 always approved into Probing; a section given ✅ or ❌ was offered as its own
    reaction, which approves into the suggested section or rejects instead. Each is refused in one line."""
    config = write(
        clean_environment / "config.toml",
        "[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n[discord.section_emojis]\n" + emojis,
    )
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and problems[0].startswith("problem: discord.section_emojis"), out
    assert said in problems[0], out


def test_a_section_of_the_list_without_a_reaction_is_warned_of(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundled list's Blog section (eight entries) had no line in config.example.toml's [discord.section_emojis]:
    no reaction could file a paper into it, and `config check` said nothing. The example now gives Blog its own, and
    `config check` names, in one line, the list's sections a table of one's own leaves out and how to add one."""
    import tomllib

    example = tomllib.loads((Path(__file__).parent.parent / "config.example.toml").read_text(encoding="utf-8"))
    emojis = example["discord"]["section_emojis"]
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    data = str(clean_environment / "data")

    def check(table: dict[str, str]) -> str:
        lines = "".join(f'"{section}" = "{emoji}"\n' for section, emoji in table.items())
        config = write(
            clean_environment / "config.toml",
            f"[discord]\nchannel_id = 42\nmaintainer_role_ids = [7]\n[discord.section_emojis]\n{lines}",
        )
        status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
        assert status == 0, out
        return out

    out = check(emojis)
    assert "gives no reaction" not in out and "names sections the list does not have" not in out, out
    out = check({section: emoji for section, emoji in emojis.items() if section not in ("Blog", "Probing")})
    warned = [line for line in out.splitlines() if "gives no reaction" in line]
    assert warned == [
        "warning: discord.section_emojis gives no reaction to the list's sections Blog, Probing: no Discord reaction "
        "files a paper into them; add one line each under [discord.section_emojis], e.g. "
        '"Blog" = "<an emoji no other section has>"'
    ], out


def test_a_section_repeated_per_year_is_named_by_its_label(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list with a Probing section under 2024 and another under 2025: the service's start named the one no reaction
    files into "Probing (2025)", as the review and every decision name it, while `config check` said "Probing", which
    could be either, and took "Probing (2024)" in [discord.section_emojis] for a section the list does not have. Both
    now go by the label."""
    entry = "+ [Attention Is All You Need](https://arxiv.org/abs/1706.03762) (June. 12, 2017)\n"
    status, out = checked_with_list(
        clean_environment,
        capsys,
        monkeypatch,
        f"# My list\n\n## 2024\n\n### Probing\n\n{entry}\n## 2025\n\n### Probing\n\n{entry}\n### Steering\n\n{entry}",
        '"Probing (2024)" = "🔍"\n"Steering" = "🕹️"\n"Surveys" = "📚"\n',
    )
    assert status == 0, out
    said = [line for line in out.splitlines() if "discord.section_emojis" in line]
    assert said == [
        "warning: discord.section_emojis names sections the list does not have: Surveys (its sections: "
        "Probing (2024), Probing (2025), Steering); their reactions approve nothing: name the list's sections in "
        "[discord.section_emojis]",
        "warning: discord.section_emojis gives no reaction to the list's sections Probing (2025): no Discord reaction "
        "files a paper into them; add one line each under [discord.section_emojis], e.g. "
        '"Probing (2025)" = "<an emoji no other section has>"',
    ], out


def test_an_empty_section_emojis_table_is_said_to_file_into_no_section(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An empty [discord.section_emojis] is read as section reactions switched off: no reaction files a paper into any
    section, and `config check` said "configuration OK" without a word. It now says so in one line, with the way back
    to the default (remove the table); without the table, the default's emojis, it says nothing of them."""
    monkeypatch.setenv("DISCORD_TOKEN", "a-discord-token")
    data = str(clean_environment / "data")
    discord = "[discord]\nchannel_id = 42\nmaintainer_role_ids = [7]\n"
    config = write(clean_environment / "config.toml", discord + "[discord.section_emojis]\n")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 0, out
    assert [line for line in out.splitlines() if "discord.section_emojis" in line] == [
        "warning: discord.section_emojis is an empty table: no Discord reaction files a paper into any section (only "
        "✅ into the suggested one); remove the table for the default emojis, or add one line per section"
    ], out
    config = write(clean_environment / "config.toml", discord)
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 0 and "discord.section_emojis" not in out, out
