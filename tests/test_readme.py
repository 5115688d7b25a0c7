"""What README.md tells a new maintainer, checked against the files and code it describes: a step the README leaves
out is one a maintainer following it cannot take."""

from __future__ import annotations

import re

import yaml

from tests.readme_text import ROOT, readme_section


def test_deploying_names_the_settings_file_compose_mounts() -> None:
    """README's Deploying said to set DISCORD_TOKEN in .env and `[web] base_url`, but never which settings file the
    container reads: `config check` then asked for `discord.channel_id` and the maintainer could not tell where."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    mounted = [volume.split(":")[0] for volume in compose["services"]["digest"]["volumes"] if volume.startswith("./")]
    assert mounted == ["./deploy/compose.toml"]
    section = readme_section("Deploying")
    assert "deploy/compose.toml" in section
    assert "channel_id" in section and "base_url" in section


def test_switching_discord_on_names_what_the_bot_needs() -> None:
    """README said what a reaction does, but not how to make the bot: its invite's scopes and the channel permissions
    the bot checks (and reports missing on /healthz) were named nowhere together, so a new maintainer learnt them
    from /healthz one by one."""
    from digest.discord.members import NEEDED_PERMISSIONS, SEEING

    section = " ".join(readme_section("How approval works").split())
    needed = [label for label, _why in NEEDED_PERMISSIONS.values()] + [SEEING[1][0], "Send Messages", "Embed Links"]
    assert [label for label in needed if label not in section] == []
    for step in ("`bot`", "`applications.commands`", "DISCORD_TOKEN", "channel_id", "maintainer_role_ids"):
        assert step in section, step


def test_what_gets_flagged_gives_each_relevance_setting_with_its_default() -> None:
    """ "What gets flagged" told the budget and the second tier with their defaults, but the papers the threshold is
    fitted on only as "the last few thousand" and the shipped sample as standing in "before the first polls": the
    setting that tunes it (`calibration_window`, 6000) and the 1,000 papers the polls must have seen first (a narrow
    feed's months) were not said."""
    from digest.config.relevance import RelevanceSettings
    from digest.relevance.stream import MIN_STREAM

    section = " ".join(readme_section("What gets flagged, and how to tune it").split())
    defaults = RelevanceSettings()
    for name in RelevanceSettings.model_fields:
        value = getattr(defaults, name)
        shown = f"{value:,g}" if isinstance(value, float) else f"{value:,}"
        assert re.search(rf"\b{name}\b", section) and (shown in section or shown.replace(",", "") in section), name
    assert f"{MIN_STREAM:,}" in section


def test_every_command_help_says_what_it_does() -> None:
    """README: "Every command has `--help`". `digest candidates --help`, `digest config show --help` and `digest
    database --help` showed only their usage and options: what the command lists, in which order, or that `config
    show` prints a file one can keep, went unsaid."""
    import argparse

    from digest.cli.program import build_parser

    bare = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, command in action.choices.items():
                    if not command.description:
                        bare.append(" ".join([*path, name]))
                    walk(command, [*path, name])

    walk(build_parser([]), [])
    assert bare == []


def test_your_own_list_names_every_setting_a_list_of_ones_own_sets() -> None:
    """README's "Your own list" named `seed_list` and `list_title` alone: a maintainer who set those two polled the
    bundled list's arXiv categories and kept papers by its keyword rules (feeds/ left at the bundled one), while the
    way to a folder of one's own sat two sections further down."""
    section = " ".join(readme_section("Configuration").split())
    paragraph = section[section.index("**Your own list.**") :].split("**Every setting")[0]
    for step in ("`seed_list`", "`list_title`", "`feeds_dir`", "`rules.toml`", "`sources.toml`", "config check"):
        assert step in paragraph, step
    assert "Rules for a list of your own" in paragraph


def test_rules_for_a_list_of_ones_own_name_every_table_a_copy_of_the_bundled_file_holds() -> None:
    """ "Rules for a list of your own" named `[modality]`, `[interpretability]` and `[sections]`: a maintainer who
    copied the bundled rules.toml (as `digest config check` tells one to) kept its `[penalties]`, which lower papers
    naming "benchmark" or "efficient", and its `[internals]` and `[general]`, unsaid."""
    from digest.relevance.rules import _TABLES

    section = " ".join(readme_section("What gets flagged, and how to tune it").split())
    paragraph = section[section.index("**Rules for a list of your own.**") :].split("A new entry is written")[0]
    assert [table for table in _TABLES if f"`[{table}]`" not in paragraph] == []
