"""`digest config check` on the feeds folder and the seed list: files missing, unreadable or not TOML, sources that
watch nothing or have a blank address, and misspelt rules, each one problem line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from digest import resources
from digest.cli import main
from tests.config_cmd import ROOT, run, write
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared


def test_files_and_folders_named_by_the_settings_are_checked(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = clean_environment / "feeds"
    write(feeds / "rules.toml", "[modality]\nterms = [\n")  # cut off mid-file
    write(clean_environment / "not-a-folder", "a file where the data folder's parent should be")
    config = write(
        clean_environment / "config.toml",
        f'feeds_dir = "{feeds}"\ntemplates_dir = "{clean_environment}"\n'
        '[weekly]\nlist_unsubscribe = "unsubscribe@example.org"\n',
    )
    data = clean_environment / "not-a-folder" / "data"
    status, out = run(capsys, "--config", str(config), "--data-dir", str(data), "config", "check", "--json")
    assert status == 1
    report = json.loads(out)
    assert report["valid"] is False
    text = "\n".join(report["problems"])
    assert f"feeds file {feeds / 'rules.toml'} is not valid TOML" in text
    assert f"--data-dir {data} cannot be created" in text
    assert "weekly.list_unsubscribe 'unsubscribe@example.org' must be a mailto: address" in text


def test_a_rules_file_that_is_no_toml_is_one_problem_not_two(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README: config check lists every problem 'one line each'. A rules.toml cut off mid-file was two problems, the
    same TOML error said twice ('feeds file ... cannot be read as TOML' and 'keyword rules: ... not valid TOML')."""
    feeds = clean_environment / "feeds"
    write(feeds / "sources.toml", (ROOT / "feeds" / "sources.toml").read_text(encoding="utf-8"))
    write(feeds / "rules.toml", "[modality]\nterms = [\n")
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n')
    status, out = run(capsys, "--config", str(config), "config", "check", "--json")
    assert status == 1
    problems = json.loads(out)["problems"]
    assert [line for line in problems if "rules.toml" in line] == [
        f"feeds file {feeds / 'rules.toml'} is not valid TOML: Invalid value (at end of document)"
    ], problems


def test_a_missing_file_is_reported_beside_the_other_problems(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A settings file with a wrong port and a seed list that is not there: `config check` said only the port; the
    missing file came out on the next run, after the port was mended ("every problem at once" was two rounds). Now
    both, and a relative path says which folder it was looked for in."""
    config = write(
        clean_environment / "config.toml",
        'seed_list = "lists/mine.md"\nfeeds_dir = "my-feeds"\n[web]\nport = "8080"\n',
    )
    status, out = run(capsys, "--config", str(config), "config", "check")
    assert status == 1
    assert "problem: web.port must be an integer, not '8080'" in out
    assert f"problem: seed_list lists/mine.md does not exist (looked for {clean_environment / 'lists/mine.md'}" in out
    assert f"problem: feeds_dir my-feeds does not exist (looked for {clean_environment / 'my-feeds'}" in out


def test_a_feeds_folder_that_watches_nothing_is_said_by_config_check_and_the_poll(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy of feeds/ whose sources.toml was emptied (`feeds = []`, every line being edited): `config check` said
    "configuration OK" and every poll "ok: 0 sources (none)", so the service watched nothing, weekday after weekday,
    with /healthz green. Now both say that nothing is watched and where to add the feeds."""
    feeds = clean_environment / "feeds"
    write(feeds / "sources.toml", "feeds = []\n")
    write(feeds / "rules.toml", (ROOT / "feeds" / "rules.toml").read_text(encoding="utf-8"))
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n')
    data = str(clean_environment / "data")
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "config", "check")
    assert status == 0, out
    assert f"warning: {feeds / 'sources.toml'} lists no feeds and no [[api]] queries: polls watch nothing" in out
    status, out = run(capsys, "--config", str(config), "--data-dir", data, "poll")
    assert "nothing to poll: no feeds or API queries" in out, out


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        (
            "sources.toml",
            'feeds = ["  ", "https://rss.arxiv.org/rss/cs.CL"]\n',
            "sources.toml: feeds item 1 ('  ') is empty",
        ),
        ("sources.toml", 'feeds = [""]\n', "sources.toml: feeds item 1 ('') is empty"),
        (
            "config.toml",
            '[arxiv]\nsources = ["https://rss.arxiv.org/rss/cs.CL", ""]\n',
            "arxiv.sources item 2 ('') is empty",
        ),
    ],
)
def test_a_blank_feed_address_is_a_problem_not_a_source_that_fails_every_poll(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, said: str
) -> None:
    """A blank line in the feeds' list (a feed cut out, its quotes left) passed config check, yet watched nothing: the
    empty address is the working folder, and every poll failed on it as ' : a folder, not a regular file'. It is one
    problem naming the item, which the warning for a list of no feeds does not cover (the list is not empty)."""
    feeds = clean_environment / "feeds"
    write(feeds / "sources.toml", text if name == "sources.toml" else 'feeds = ["https://rss.arxiv.org/rss/cs.LG"]\n')
    write(feeds / "rules.toml", (ROOT / "feeds" / "rules.toml").read_text(encoding="utf-8"))
    settings = text if name == "config.toml" else ""
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n{settings}')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and said in problems[0], out


@pytest.mark.parametrize(
    ("name", "spoil", "said"),
    [
        ("rules.toml", "folder", "cannot be read: Is a directory"),
        ("rules.toml", b"\xff", "is not UTF-8 text (byte 1): save it as UTF-8"),
        ("sources.toml", b"\xff", "is not UTF-8 text (byte 1): save it as UTF-8"),
        ("sources.toml", "folder", "cannot be read: Is a directory"),
    ],
)
def test_a_feeds_file_that_cannot_be_read_is_said_as_the_settings_file_is(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], name: str, spoil: bytes | str, said: str
) -> None:
    """A rules.toml that was a folder was "cannot be read as TOML: [Errno 21] Is a directory: 3", and a feeds file
    saved as Latin-1 "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte", where the settings file
    is said in plain words; each feeds file is now said in those words, once. The polls, the service's at start-up
    too, said the rules in words of their own ('rules.toml: not UTF-8 (invalid start byte at byte 0)'): the same."""
    feeds = clean_environment / "feeds"
    shutil.copytree(resources.feeds_dir(), feeds)
    path = feeds / name
    path.unlink()
    if spoil == "folder":
        path.mkdir()
    else:
        path.write_bytes(bytes(spoil) if isinstance(spoil, bytes) else b"")
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert problems == [f"problem: feeds file {path} {said}"], out
    if name == "rules.toml":  # the service's polls (its start-up's too) read the rules: in the same words
        feed = write(clean_environment / "feed.xml", "<rss/>")
        data = str(clean_environment / "data")
        main(["--config", str(config), "--data-dir", data, "poll", "--source", str(feed)])
        captured = capsys.readouterr()
        assert f"the relevance rules cannot be used: feeds file {path} {said}" in captured.out + captured.err, captured


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (("[penalties]", "[penalty]"), "[penalty] is not a table the rules read"),
        (('\nterms = ["survey"', '\nterm = ["survey"'), "[general] term is not a key the rules read"),
    ],
)
def test_a_misspelt_table_or_key_in_the_rules_is_a_problem_not_rules_dropped(
    clean_environment: Path, capsys: pytest.CaptureFixture[str], edit: tuple[str, str], said: str
) -> None:
    """rules.toml with [penalty] for [penalties] (or `term =` for `terms =`) passed config check, and every poll then
    scored without those terms, nothing said (settings.toml's own unknown tables are a problem); it is one now."""
    feeds = clean_environment / "feeds"
    shutil.copytree(resources.feeds_dir(), feeds)
    rules = feeds / "rules.toml"
    text = rules.read_text(encoding="utf-8")
    assert edit[0] in text
    rules.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    config = write(clean_environment / "config.toml", f'feeds_dir = "{feeds}"\n')
    status, out = run(capsys, "--config", str(config), "--data-dir", str(clean_environment / "data"), "config", "check")
    assert status == 1, out
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert len(problems) == 1 and said in problems[0] and str(rules) in problems[0], out
