"""`--help` of every command: each option says what it does and, where it has one, its default, all in one form
('(default: ...)'), as the running command line prints it."""

from __future__ import annotations

import argparse

import pytest

from digest.cli.program import build_parser, main

# Commands whose options come under an ACTION of their own.
NESTED = {"list": ("import", "export", "lint"), "decisions": ("import", "list"), "config": ("check", "show")}
NESTED["database"] = ("copy",)


def shown_help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    """What `digest COMMAND --help` prints, its lines joined again as one text (argparse wraps them)."""
    with pytest.raises(SystemExit) as ended:
        main([*command, "--help"])
    assert ended.value.code == 0
    return " ".join(capsys.readouterr().out.split())


def every_parser() -> list[tuple[str, argparse.ArgumentParser]]:
    parser = build_parser()
    found = [("digest", parser)]
    (commands,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    for name, sub in commands.choices.items():
        found.append((name, sub))
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                found.extend((f"{name} {inner}", action.choices[inner]) for inner in NESTED[name])
    return found


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        # Without --section the suggested section is taken; the help named no default.
        (("approve",), "--section NAME the section to add it to, by name or slug (default: the suggested one)"),
        # A settings file's data_dir is used when neither the option nor DIGEST_DATA_DIR is given: not ./data.
        ((), "--data-dir DATA_DIR data folder (default: $DIGEST_DATA_DIR, else data_dir in the settings file, else"),
        # [web] host and port win over the built-in address; the help put 127.0.0.1 and 8080 first.
        (("run",), "--host HOST address to listen on (default: [web] host, else 127.0.0.1)"),
        (("run",), "--port PORT port to listen on (default: [web] port, else 8080)"),
        (("list", "export"), "write to this file (default: standard output, as '-' is);"),
        (("backfill",), "papers per API request (default: 100)"),
        # The copy goes into the configured database, which DIGEST_DATABASE_URL is only one way of naming.
        (("database", "copy"), "into the configured database (DIGEST_DATABASE_URL, else database_url in the settings"),
    ],
)
def test_help_names_each_default(capsys: pytest.CaptureFixture[str], command: tuple[str, ...], shown: str) -> None:
    assert shown in shown_help(capsys, *command)


def test_every_option_with_a_default_names_it_and_no_help_ends_with_a_full_stop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, parser in every_parser():
        command = () if name == "digest" else tuple(name.split())
        text = shown_help(capsys, *command)
        for action in parser._actions:
            if not action.help or action.help == argparse.SUPPRESS or not action.option_strings:
                continue
            said = " ".join((action.help % {"choices": ", ".join(action.choices or ())}).split())
            assert said in text, (name, said)
            assert not said.endswith("."), (name, said)
            if action.default not in (None, False, argparse.SUPPRESS):
                assert f"(default: {action.default})" in said, (name, action.option_strings, said)


@pytest.mark.parametrize("command", ["approve", "reject", "pending"])
def test_the_id_a_decision_takes_is_named_where_the_command_line_shows_it(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """`digest approve --help` said an ID is "the candidate's id (footer of its message)": a maintainer reviewing from
    the shell and the web, with Discord off, had no message to read it from; `digest candidates` prints it."""
    assert "the candidate's id (the ID column of `digest candidates`, the footer of its Discord message)" in shown_help(
        capsys, command
    )
