"""The last good keyword rules: while a maintainer's edit leaves feeds/rules.toml unusable, the polls and `digest
score` go on with the last rules of that same file that worked, kept in the data folder, and say so."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from digest import health, resources
from digest.cli import main
from tests.conftest import make_settings
from tests.factories import real_papers
from tests.feedbuild import build_rss
from tests.relevance_papers import scored


def test_a_mistake_in_the_rules_file_keeps_the_last_good_rules_and_names_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A maintainer's typo in feeds/rules.toml failed every poll until someone noticed, and arXiv's feeds show one
    day's papers: the days in between were never judged. The polls and `digest score` now go on with the last rules
    that worked, the log and /healthz name the file and the line, and `digest config check` still refuses the file."""
    feeds = tmp_path / "feeds"
    shutil.copytree(resources.feeds_dir(), feeds)
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, f'feeds_dir = "{feeds}"\n')
    options = ["--config", str(settings.config_path), "--data-dir", str(data_dir)]
    before, _ = scored(options, real_papers(), tmp_path, capsys)

    rules = feeds / "rules.toml"
    lines = rules.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = next(number for number, line in enumerate(lines, start=1) if line.startswith("[internals]"))
    lines[broken - 1] = "[internals\n"  # the closing bracket forgotten
    rules.write_text("".join(lines), encoding="utf-8")

    feed = tmp_path / "cs.CV.xml"
    feed.write_bytes(build_rss("cs.CV", real_papers(), date(2025, 6, 2)))
    assert main([*options, "poll", "--source", str(feed), "--json"]) == 0
    out = capsys.readouterr()
    new = json.loads(out.out)["sources"][0]["new"]
    assert sorted(new) == sorted(row["arxiv_id"] for row in before if row["tier"] is not None)
    [warning] = [line for line in out.err.splitlines() if "last good rules" in line]  # once, in one line
    assert f"feeds file {rules} is not valid TOML" in warning and f"line {broken}" in warning
    relevance = {component.name: component for component in health.components()}["relevance"]
    assert not relevance.ok and f"line {broken}" in relevance.message

    after, _ = scored(options, real_papers(), tmp_path, capsys)
    assert after == before  # what the next poll would decide, with the rules that worked
    assert main([*options, "config", "check"]) == 1
    assert f"{rules}" in capsys.readouterr().out

    lines[broken - 1] = "[internals]\n"  # mended: the file's rules again, and /healthz is fine
    rules.write_text("".join(lines), encoding="utf-8")
    scored(options, real_papers()[:1], tmp_path, capsys)
    assert {component.name: component for component in health.components()}["relevance"].ok


def test_a_rules_file_that_cannot_be_read_keeps_the_last_good_rules_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edit made as another user (sudo, an editor saving the file owner-only) leaves feeds/rules.toml there but
    unreadable to the service, and a bad copy can put a folder in its place: that failed every poll and `digest score`
    ('digest: feeds/rules.toml: Permission denied'), with no fall back to the last good rules as for a typo."""
    feeds = tmp_path / "feeds"
    shutil.copytree(resources.feeds_dir(), feeds)
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, f'feeds_dir = "{feeds}"\n')
    options = ["--config", str(settings.config_path), "--data-dir", str(data_dir)]
    before, _ = scored(options, real_papers(), tmp_path, capsys)

    rules = feeds / "rules.toml"
    rules.unlink()
    rules.mkdir()  # as root (these tests run so) a file cannot be made unreadable; a folder fails the same read
    after, _ = scored(options, real_papers(), tmp_path, capsys)
    assert after == before
    relevance = {component.name: component for component in health.components()}["relevance"]
    assert not relevance.ok and f"feeds file {rules} cannot be read: Is a directory" in relevance.message
    assert "last good rules" in relevance.message
    assert main([*options, "config", "check"]) == 1
    assert f"{rules}" in capsys.readouterr().out


def _feeds(tmp_path: Path, name: str) -> Path:
    """A feeds folder of the bundled files: rules.toml is the one to edit."""
    feeds = tmp_path / name
    shutil.copytree(resources.feeds_dir(), feeds)
    return feeds


def _broken(rules: Path) -> None:
    rules.write_text(rules.read_text(encoding="utf-8").replace("[internals]", "[internals", 1), encoding="utf-8")


def test_another_configs_rules_are_never_what_the_service_falls_back_to(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`digest score --config other.toml` (its feeds_dir another folder: a list of another topic tried on the same data
    folder) wrote that folder's rules over the data folder's last good rules: when the service's own rules.toml broke,
    its polls judged the day's papers by the other topic's rules and said only "the last good rules". Each feeds
    folder's last good rules are now kept apart, naming their file, and a poll falls back to its own folder's only."""
    own = _feeds(tmp_path, "feeds")
    other = _feeds(tmp_path, "other-feeds")  # another topic: no paper of the week is multimodal by its rules
    text = (other / "rules.toml").read_text(encoding="utf-8")
    start, end = text.index("[modality]"), text.index("[interpretability]")
    (other / "rules.toml").write_text(
        text[:start] + '[modality]\nstrong = ["retrieval-augmented"]\nweak = ["retrieval"]\n\n' + text[end:],
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, f'feeds_dir = "{own}"\n')
    options = ["--config", str(settings.config_path), "--data-dir", str(data_dir)]
    other_config = tmp_path / "other.toml"
    other_config.write_text(f'feeds_dir = "{other}"\n', encoding="utf-8")
    other_options = ["--config", str(other_config), "--data-dir", str(data_dir)]
    feed = tmp_path / "cs.CV.xml"
    feed.write_bytes(build_rss("cs.CV", real_papers(), date(2025, 6, 2)))
    rules = own / "rules.toml"

    scored(other_options, real_papers(), tmp_path, capsys)  # the other folder's rules worked; the service's never did
    intact = rules.read_text(encoding="utf-8")
    _broken(rules)
    assert main([*options, "poll", "--source", str(feed), "--json"]) == 1
    err = capsys.readouterr().err
    assert f"feeds file {rules} is not valid TOML" in err and "last good rules" not in err, err

    rules.write_text(intact, encoding="utf-8")
    before, _ = scored(options, real_papers(), tmp_path, capsys)
    flagged = sorted(str(row["arxiv_id"]) for row in before if row["tier"] is not None)
    theirs, _ = scored(other_options, real_papers(), tmp_path, capsys)  # run after the service's: kept last
    assert theirs != before, theirs

    _broken(rules)
    assert main([*options, "poll", "--source", str(feed), "--json"]) == 0
    out = capsys.readouterr()
    assert sorted(json.loads(out.out)["sources"][0]["new"]) == flagged
    assert main([*options, "candidates", "--json"]) == 0
    found = {row["arxiv_id"]: row["matched"] for row in json.loads(capsys.readouterr().out)}
    assert found == {row["arxiv_id"]: row["matched"] for row in before if row["arxiv_id"] in flagged}  # own rules
    [warning] = [line for line in out.err.splitlines() if "last good rules" in line]
    kept = warning.split("last good rules of that file (", 1)[1].split(")", 1)[0]
    assert f"feeds file {rules} is not valid TOML" in warning
    assert Path(kept).parent == data_dir and Path(kept).read_text(encoding="utf-8").startswith(
        f"# The last rules that worked of {rules}, kept by digest"
    )
    after, _ = scored(options, real_papers(), tmp_path, capsys)
    assert after == before  # judged by the service's own last good rules, not the other folder's


def test_the_last_good_rules_kept_by_the_release_before_are_adopted_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The release before kept the service's last good rules in data/rules.last-good.toml; this one reads
    rules.last-good.<key>.toml only, so a rules.toml broken before the first poll with good rules since the upgrade
    failed every poll, the old copy there unread. It is now taken once as the copy of the settings' feeds folder, and
    said in one line; the old file is left as it was."""
    feeds = _feeds(tmp_path, "feeds")
    data_dir = tmp_path / "data"
    settings = make_settings(data_dir, f'feeds_dir = "{feeds}"\n')
    options = ["--config", str(settings.config_path), "--data-dir", str(data_dir)]
    before, _ = scored(options, real_papers(), tmp_path, capsys)
    flagged = sorted(str(row["arxiv_id"]) for row in before if row["tier"] is not None)
    rules = feeds / "rules.toml"
    for kept in data_dir.glob("rules.last-good.*.toml"):  # the data folder as the release before left it
        kept.unlink()
    earlier = data_dir / "rules.last-good.toml"
    earlier.write_bytes(rules.read_bytes())

    _broken(rules)
    feed = tmp_path / "cs.CV.xml"
    feed.write_bytes(build_rss("cs.CV", real_papers(), date(2025, 6, 2)))
    assert main([*options, "poll", "--source", str(feed), "--json"]) == 0
    out = capsys.readouterr()
    assert sorted(json.loads(out.out)["sources"][0]["new"]) == flagged
    [said] = [line for line in out.err.splitlines() if "kept by the release before" in line]
    assert f"took {earlier}, kept by the release before, as the last good rules of {rules}" in said
    [kept] = data_dir.glob("rules.last-good.*.toml")
    assert kept.read_bytes().endswith(earlier.read_bytes()) and earlier.is_file()  # adopted, the old file left

    after, err = scored(options, real_papers(), tmp_path, capsys)
    assert after == before and "kept by the release before" not in err
