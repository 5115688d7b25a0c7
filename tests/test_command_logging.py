"""Every one-shot command that reads the settings logs its warnings as `digest run` does: each with its time and level
(or as one JSON object with `log_format = "json"`) on standard error, and nothing below a warning there (from cron
a command writes nothing else on stderr); its output on standard output as it was."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.cli_runs import digest_command

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
