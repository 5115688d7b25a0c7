"""Every one-shot command that reads the settings logs its warnings as `digest run` does: each with its time and level
(or as one JSON object with `log_format = "json"`) on standard error, and nothing below a warning there (from cron
a command writes nothing else on stderr); its output on standard output as it was."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.cli_runs import digest_command
from tests.disk import read_only_view

# As `digest run` writes a line: "2026-12-07 04:35:54 WARNING digest.storage.db: ...".
TIMED_WARNING = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WARNING +digest\.storage\.db: .*digest\.sqlite3 \(mode 0644, now 0600\)"
)


def _run(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*digest_command(tmp_path), *arguments],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _opened_to_others(tmp_path: Path) -> None:
    (tmp_path / "data" / "digest.sqlite3").chmod(0o644)  # a backup restored by hand, readable by every user


def test_each_command_logs_the_owner_only_warning_with_time_and_level(tmp_path: Path) -> None:
    """`digest candidates`, `history`, `score` and `list export` on a database restored readable by others (0644)
    said that it was made owner-only in a bare line, with no time or level (Python's last resort), unlike `digest
    run`. Now each logs it as `digest run` does; what it prints on stdout is unchanged byte for byte, and a new data
    folder's first command (its database made, the bundled list imported: INFO) says nothing on stderr."""
    papers = tmp_path / "papers.jsonl"
    papers.write_text('{"id": "2401.00001", "title": "A paper", "abstract": "About it."}\n', encoding="utf-8")
    first = _run(tmp_path, "candidates", "--json")
    assert first.returncode == 0 and first.stderr == "", first.stderr
    clean: dict[tuple[str, ...], subprocess.CompletedProcess[str]] = {("candidates", "--json"): first}
    arguments: tuple[str, ...]
    for arguments in (("history",), ("score", str(papers)), ("list", "export")):
        clean[arguments] = _run(tmp_path, *arguments)
        assert clean[arguments].returncode == 0, (arguments, clean[arguments].stderr)
    assert json.loads(first.stdout) == [] and clean[("score", str(papers))].stdout.startswith('{"arxiv_id"')
    assert clean[("list", "export")].stdout.startswith("# ") and clean[("history",)].stderr == ""
    # `digest score` says what it scored on stderr, as it always did: the warning comes before it.
    assert clean[("score", str(papers))].stderr == "scored 1 paper: 0 relevant, 0 bad lines\n"
    for arguments, before in clean.items():
        _opened_to_others(tmp_path)
        done = _run(tmp_path, *arguments)
        assert done.returncode == 0, done.stderr
        warning, *rest = done.stderr.splitlines(keepends=True)
        assert TIMED_WARNING.match(warning) and "".join(rest) == before.stderr, (arguments, done.stderr)
        assert done.stdout == before.stdout, arguments
    assert (tmp_path / "data" / "digest.sqlite3").stat().st_mode & 0o777 == 0o600


def test_info_is_not_shown_whatever_log_level_says(tmp_path: Path) -> None:
    """`log_level = "DEBUG"` is the service's: a one-shot command still writes only warnings and errors on stderr."""
    config = tmp_path / "config.toml"
    config.write_text('log_level = "DEBUG"\n', encoding="utf-8")
    first = _run(tmp_path, "--config", str(config), "history")
    assert first.returncode == 0 and first.stderr == "", first.stderr
    _opened_to_others(tmp_path)
    done = _run(tmp_path, "--config", str(config), "history")
    assert done.returncode == 0 and done.stdout == first.stdout, done.stderr
    logged = done.stderr.splitlines()
    assert len(logged) == 1 and TIMED_WARNING.match(logged[0]), done.stderr


def test_json_log_format_applies_to_every_command(tmp_path: Path) -> None:
    """`log_format = "json"` (for a log collector) held for `digest run` alone: `digest history` wrote its warning as
    a bare line a collector cannot parse. Now each line is one JSON object with its time, level and logger."""
    config = tmp_path / "config.toml"
    config.write_text('log_format = "json"\n', encoding="utf-8")
    assert _run(tmp_path, "--config", str(config), "history").returncode == 0
    _opened_to_others(tmp_path)
    done = _run(tmp_path, "--config", str(config), "history")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert len(records) == 1, done.stderr
    warning = records[0]
    assert warning["level"] == "warning" and warning["logger"] == "digest.storage.db", records
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", warning["time"]), warning
    assert "digest.sqlite3 (mode 0644, now 0600)" in warning["message"]


def _timed(logger: str, text: str) -> re.Pattern[str]:
    return re.compile(rf"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d WARNING +{re.escape(logger)}: {text}$")


SKIPPED_LINE = r".*\.env line 1 cannot be read \(a quote not closed\?\): it is skipped"


def test_config_check_logs_what_reading_the_settings_warns_with_time_and_level(tmp_path: Path) -> None:
    """`digest config check` read the settings itself, with no log set up: a `.env` line it skips was Python's bare
    last-resort line (no time, no level, not JSON with `log_format = "json"`). Now it is logged as every command's
    warnings are; the report on stdout is the same as without that line."""
    config = tmp_path / "config.toml"
    config.write_text('[arxiv]\ncontact = "m@example.net"\n', encoding="utf-8")
    clean = _run(tmp_path, "--config", str(config), "config", "check")
    assert clean.returncode == 0 and clean.stderr == "" and clean.stdout.endswith("configuration OK\n"), clean
    (tmp_path / ".env").write_text('OTHER_TOOL="not closed\n', encoding="utf-8")  # not ours: skipped with a warning
    done = _run(tmp_path, "--config", str(config), "config", "check")
    assert done.returncode == 0 and done.stdout == clean.stdout, done.stderr
    logged = done.stderr.splitlines()
    assert len(logged) == 1 and _timed("digest.config.loading", SKIPPED_LINE).match(logged[0]), done.stderr
    config.write_text('log_format = "json"\n[arxiv]\ncontact = "m@example.net"\n', encoding="utf-8")
    as_json = _run(tmp_path, "--config", str(config), "config", "check", "--json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["valid"], as_json.stderr
    records = [json.loads(line) for line in as_json.stderr.splitlines()]
    assert [(record["level"], record["logger"]) for record in records] == [("warning", "digest.config.loading")]
    assert re.match(SKIPPED_LINE, records[0]["message"]), records


def test_the_read_only_warning_is_logged_with_time_and_level(tmp_path: Path) -> None:
    """A command that only reads, on a data folder it cannot write, said it read the database read-only in a line it
    printed itself ("digest: warning: ..."): no time, no level, and not JSON with `log_format = "json"`. Now it is a
    warning of the command's log; what the command prints on stdout is as on the folder it can write."""
    first = _run(tmp_path, "history")
    assert first.returncode == 0 and first.stderr == "", first.stderr
    config = tmp_path / "config.toml"
    with read_only_view(tmp_path / "data", tmp_path / "read-only") as view:
        on_view = [*digest_command(tmp_path)[:-1], str(view)]
        done = subprocess.run([*on_view, "history"], capture_output=True, text=True, timeout=180, check=False)
        config.write_text('log_format = "json"\n', encoding="utf-8")
        as_json = subprocess.run(
            [*on_view, "--config", str(config), "history"], capture_output=True, text=True, timeout=180, check=False
        )
    assert done.returncode == 0 and done.stdout == first.stdout, done.stderr
    logged = done.stderr.splitlines()
    said = (
        rf"reading the database read-only \(the folder {re.escape(str(view))} is read-only, .*\); make the folder "
        "writable to change anything"
    )
    assert len(logged) == 1 and _timed("digest.cli.context", said).match(logged[0]), done.stderr
    assert as_json.returncode == 0 and as_json.stdout == first.stdout, as_json.stderr
    records = [json.loads(line) for line in as_json.stderr.splitlines()]
    assert [(record["level"], record["logger"]) for record in records] == [("warning", "digest.cli.context")]
    assert re.match(said, records[0]["message"]), records
