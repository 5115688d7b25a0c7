"""A repository given as a path on this machine that is away for a while (an unmounted drive, a network share): the
service synced with it before, so it is unreachable now, not mistyped. Through the real `digest` commands, a real bare
repository moved away and back, and a fresh data folder for the typo."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from digest.cli import main
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.git_remote import make_remote, publish_config

AWAY_REST = (
    "(an unmounted drive or network share?): the decisions wait, and publishing is tried again with the back-off "
    "until it is back"
)


def test_a_local_repository_away_for_a_while_holds_publishing_not_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With `repository = "/path/remote.git"` synced once, then moved away (`mv remote.git remote.gone`), `digest
    approve` and `digest publish --status` refused with "publish.repository ... is nothing on this machine": nothing
    could be approved while the drive was away. Now approving stores the decision, --status says the repository is
    unreachable now, a publish fails as for a network remote (its decisions kept), and the next one once the drive
    is back publishes them. A path that never was there is still refused, by `config check` too, as a typo."""
    remote = make_remote(tmp_path)
    settings = make_settings(tmp_path / "data", publish_config(str(remote.bare)))
    database = open_service_database(settings)
    try:
        first, second = (insert_candidate(database, paper) for paper in real_papers()[:2])
    finally:
        database.dispose()
    approved = str(real_papers()[1]["arxiv_id"])
    options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
    assert main([*options, "approve", str(first)]) == 0
    assert main([*options, "publish"]) == 0, capsys.readouterr()
    away = remote.bare.rename(tmp_path / "remote.gone")
    capsys.readouterr()

    assert main([*options, "approve", str(second)]) == 0, capsys.readouterr()
    assert f"candidate {second} ({approved}): approved" in capsys.readouterr().out
    assert main([*options, "publish", "--status"]) == 0
    out = capsys.readouterr().out
    assert f"pending decisions: 1\n  approve {approved}" in out, out
    assert f"unreachable now: {remote.bare} is not on this machine" in out, out
    assert main([*options, "publish"]) == 1
    said = capsys.readouterr().err
    # Run by hand, nothing tries it again but the service, if one runs: the line says what to do, not "the back-off".
    assert f"{remote.bare} is not on this machine" in said and "back-off until it is back" not in said, said
    # ... the same command (it was the bare `digest publish`, which from elsewhere acts on another data folder).
    assert f"run `{shlex.join(['digest', *options, 'publish'])}` again once it is back" in said, said
    assert main([*options, "publish", "--status"]) == 0
    assert "pending decisions: 1" in capsys.readouterr().out
    # `config check` passed without a word: a warning (the path is known good), one line naming it.
    assert main([*options, "config", "check"]) == 0
    assert warnings_naming(capsys.readouterr().out, remote.bare) == [
        f"warning: publish.repository {remote.bare} is not on this machine {AWAY_REST}"
    ]

    away.rename(remote.bare)
    assert main([*options, "config", "check"]) == 0
    assert warnings_naming(capsys.readouterr().out, remote.bare) == []
    assert main([*options, "publish"]) == 0, capsys.readouterr()
    assert approved in remote.readme()
    capsys.readouterr()

    typo = ["--config", str(tmp_path / "typo-config.toml"), "--data-dir", str(tmp_path / "typo")]
    (tmp_path / "typo-config.toml").write_text(publish_config(str(tmp_path / "remote.gti")), encoding="utf-8")
    assert main([*typo, "config", "check"]) != 0
    assert f"publish.repository {tmp_path / 'remote.gti'} is nothing on this machine" in capsys.readouterr().out


def warnings_naming(out: str, path: Path) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("warning: ") and str(path) in line]
