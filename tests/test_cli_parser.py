"""The command line builds only the running command's parsers for the everyday commands (COMMAND_HOMES):
the same arguments, help and errors as the whole command line, without importing the other commands' modules."""

from __future__ import annotations

import argparse
import gc
from pathlib import Path

import pytest

from digest.cli.program import COMMAND_HOMES, COMMAND_MODULES, build_parser, collector_paused, main, named_command
from tests.cli_runs import modules_imported_by


def subcommand_help(parser: argparse.ArgumentParser, command: str) -> str:
    (subparsers,) = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    help_text: str = subparsers.choices[command].format_help()
    return help_text


@pytest.mark.parametrize("command", sorted(COMMAND_HOMES))
def test_each_everyday_command_is_parsed_as_by_the_whole_command_line(command: str) -> None:
    argv = ["--data-dir", "somewhere", command]
    assert subcommand_help(build_parser(argv), command) == subcommand_help(build_parser(), command)
    assert build_parser(argv).format_usage() == build_parser().format_usage()


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["approve", "7"], "approve"),
        (["--config", "c.toml", "--data-dir", "d", "approve", "7"], "approve"),
        (["--data-dir=d", "pending", "7"], "pending"),
        (["--json", "--data-dir", "d", "candidates"], "candidates"),  # the global flag: no value to skip
        (["--data", "d", "approve", "7"], None),  # an abbreviation: the whole command line reads it
        (["--help"], None),
        (["--config"], None),
        ([], None),
    ],
)
def test_the_command_is_read_past_the_global_options_only(argv: list[str], command: str | None) -> None:
    assert named_command(argv) == command


def test_approve_imports_no_other_commands_module_and_help_still_lists_them_all(tmp_path: Path) -> None:
    status, modules = modules_imported_by(tmp_path, "--data-dir", str(tmp_path / "data"), "approve", "x1")
    assert status == 2
    assert [name for name in modules if name in COMMAND_MODULES] == ["digest.cli.review"]
    help_text = build_parser(["--help"]).format_help()
    assert all(name in help_text for name in ("weekly", "publish", "config", "approve", "candidates"))


def test_an_everyday_command_runs_without_the_cyclic_collector_and_gives_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from digest.cli import poll
    from digest.cli.candidates import handle_candidates as original
    from digest.cli.context import Context

    seen: list[bool] = []

    def watching(args: argparse.Namespace, context: Context) -> int:
        seen.append(gc.isenabled())
        return original(args, context)

    monkeypatch.setattr(poll, "handle_candidates", watching)
    assert gc.isenabled()
    assert main(["--data-dir", str(tmp_path / "data"), "candidates"]) == 0
    assert seen == [False]  # paused while the command ran
    assert gc.isenabled()  # and on again: main() is also called in-process
    with collector_paused("run"):
        assert gc.isenabled()  # the service and the long commands keep it


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["approve", "3", "--sectoin", "Probing"], "usage: digest approve "),
        (["candidates", "--secondtier"], "usage: digest candidates "),
        (["list", "import", "--dryrun", "x.md"], "usage: digest list import "),
    ],
)
def test_a_mistyped_option_is_refused_with_its_command_s_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], usage: str
) -> None:
    """It was refused with the whole command line's usage, which does not show the option meant."""
    with pytest.raises(SystemExit) as ended:
        main(["--data-dir", str(tmp_path / "data"), *argv])
    err = capsys.readouterr().err
    assert ended.value.code == 2 and err.startswith(usage) and "unrecognized arguments: --" in err
    assert not (tmp_path / "data").exists()  # refused before anything is opened


@pytest.mark.parametrize("command", [["approve", "3"], ["add", "2501.01234"]])
def test_a_blank_section_is_a_usage_error_not_the_suggested_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    assert main(["--data-dir", str(tmp_path / "data"), *command, "--section", " "]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"digest {command[0]}: a section name cannot be blank" in err
    assert not (tmp_path / "data").exists()  # refused before anything is opened


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_a_port_out_of_range_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], port: str) -> None:
    """`digest run --port 99999` seeded a new data folder, then ended in a traceback (OverflowError from bind());
    `--port 0` listened on [web] port as if no port were given. Now each is refused with `run`'s usage."""
    with pytest.raises(SystemExit) as ended:
        main(["--data-dir", str(tmp_path / "data"), "run", "--once", "--port", port])
    err = capsys.readouterr().err
    assert ended.value.code == 2 and "digest run: error: argument --port: " in err, err
    assert "a port from 1 to 65535" in err and "Traceback" not in err
    assert not (tmp_path / "data").exists()  # refused before anything is opened
