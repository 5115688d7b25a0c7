"""Files far larger than they should be, given to the command line: one line saying so, never a MemoryError."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from digest.cli.lines import LongLineError, capped_lines
from tests.kept_model import with_kept_model

ROOT = Path(__file__).resolve().parent.parent
MEMORY = 2 * 1024**3  # the address space the commands run in: reading without end fails in it


def digest(tmp_path: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, its memory capped as a small machine's is (so that reading without limit
    ends in a MemoryError here, as it does there, and not in this machine's swap)."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DIGEST_", "DISCORD_"))}
    environment["PYTHONPATH"] = str(ROOT)
    limit = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY}, {MEMORY}))"
    program = f"{limit}; import sys; from digest.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_an_endless_config_file_is_one_line_naming_it(tmp_path: Path) -> None:
    """`--config /dev/zero` (a device, a log file given by mistake) was read to its end: a MemoryError traceback."""
    said = "config file /dev/zero is larger than 1 MiB"
    check = digest(tmp_path, "--config", "/dev/zero", "--data-dir", str(tmp_path / "data"), "config", "check")
    assert check.returncode == 1 and "Traceback" not in check.stderr, check.stderr
    assert [line for line in check.stdout.splitlines() if line.startswith("problem:")] == [
        f"problem: {said}, which no settings file is: is it the right file?"
    ], check.stdout
    for command in (("config", "show"), ("candidates",)):
        result = digest(tmp_path, "--config", "/dev/zero", "--data-dir", str(tmp_path / "data"), *command)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and said in result.stderr, result.stderr


GOOD_DECISION = (
    '{"arxiv_id": "2401.00001", "title": "Sparse autoencoders for interpretability", "abstract": "Features.", '
    '"decision": "reject"}\n'
)


def with_an_endless_second_line(path: Path) -> Path:
    """A good first line, then 4 GB without a line break (sparse: nothing is written but the first line)."""
    path.write_text(GOOD_DECISION, encoding="utf-8")
    os.truncate(path, 4 * 1024**3)
    return path


def test_a_line_of_gigabytes_given_to_score_is_one_line_naming_it(tmp_path: Path, kept_model: Path) -> None:
    """A file with one enormous line (a whole dump without line breaks) was read line by line, that line whole into
    memory: a MemoryError traceback. Past 64 MB it stops there, the papers before it scored."""
    papers = with_an_endless_second_line(tmp_path / "papers.jsonl")
    with_kept_model(tmp_path / "data", kept_model)  # the model's build is not what this is about
    result = digest(tmp_path, "--data-dir", str(tmp_path / "data"), "score", str(papers))
    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        f"digest: {papers}:2: a line longer than 64 MiB, which no paper is (is it a JSON-lines file?); nothing after "
        "it was scored\n"
    )
    assert [line.split('"')[3] for line in result.stdout.splitlines()] == ["2401.00001"]  # was: none


def test_a_long_line_given_to_score_is_skipped_and_named_and_the_lines_after_it_are_scored(
    tmp_path: Path, kept_model: Path
) -> None:
    """A file of papers with one line of 5 MB (an abstract pasted with a whole PDF's text) stopped `digest score` there:
    the papers after it were not scored. That line is now skipped with one line naming it, as a line that is not
    JSON is, and the others are scored; the exit status says a line was bad."""
    papers = tmp_path / "papers.jsonl"
    long = '{"arxiv_id": "2401.00002", "title": "Long", "abstract": "' + "word " * (1024 * 1024) + '"}\n'
    after = GOOD_DECISION.replace("2401.00001", "2401.00003")
    papers.write_text(GOOD_DECISION + long + after, encoding="utf-8")
    with_kept_model(tmp_path / "data", kept_model)  # the model's build is not what this is about
    result = digest(tmp_path, "--data-dir", str(tmp_path / "data"), "score", str(papers))
    assert result.returncode == 1, result.stderr
    assert [line.split('"')[3] for line in result.stdout.splitlines()] == ["2401.00001", "2401.00003"], result.stdout
    assert result.stderr.startswith(
        f"{papers}:2: skipped: longer than 4 MiB, which no paper is (is it a JSON-lines file?)\nscored 2 papers: "
    ), result.stderr
    assert "1 bad line\n" in result.stderr


def test_a_line_of_gigabytes_given_to_decisions_import_imports_nothing(tmp_path: Path) -> None:
    """The file was read whole into memory (a MemoryError traceback); now its long line is named and nothing, not
    even the good line before it, is imported."""
    decisions = with_an_endless_second_line(tmp_path / "decisions.jsonl")
    result = digest(tmp_path, "--data-dir", str(tmp_path / "data"), "decisions", "import", str(decisions))
    assert result.returncode == 1, result.stderr
    assert result.stderr == (
        f"digest: {decisions}:2: a line longer than 4 MiB, which no decision is (is it a JSON-lines file?); nothing "
        "was imported\n"
    )
    listed = digest(tmp_path, "--data-dir", str(tmp_path / "data"), "decisions", "list")
    assert listed.returncode == 0 and listed.stdout.startswith("no imported decisions"), listed.stdout


def test_a_line_up_to_the_cap_is_read_and_one_past_it_is_refused() -> None:
    assert list(capped_lines(io.BytesIO(b"abcd\nab\r\nabcd"), limit=4)) == [b"abcd\n", b"ab\r\n", b"abcd"]
    with pytest.raises(LongLineError) as refused:
        list(capped_lines(io.BytesIO(b"ab\nabcde\n"), limit=4))
    assert refused.value.line_number == 2


def test_a_line_past_the_cap_is_read_past_up_to_the_most() -> None:
    from digest.cli.lines import lines_past_long

    assert list(lines_past_long(io.BytesIO(b"ab\nabcdefghij\ncd"), limit=4, most=16)) == [b"ab\n", None, b"cd"]
    assert list(lines_past_long(io.BytesIO(b"ab\nabcdefghij"), limit=4, most=16)) == [b"ab\n", None]
    with pytest.raises(LongLineError) as refused:
        list(lines_past_long(io.BytesIO(b"ab\n" + b"x" * 40 + b"\ncd\n"), limit=4, most=16))
    assert refused.value.line_number == 2 and "longer than 16 bytes" in str(refused.value)


def test_an_endless_feeds_file_is_one_problem_naming_it(tmp_path: Path) -> None:
    """feeds/sources.toml or rules.toml given as /dev/zero (a link made by mistake, a log saved over it) was read to
    its end as the --config file was: a MemoryError traceback. Each is read up to 1 MB, a larger one named."""
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    for name in ("sources.toml", "rules.toml"):
        (feeds / name).symlink_to("/dev/zero")
    config = tmp_path / "config.toml"
    config.write_text(f'feeds_dir = "{feeds}"\n', encoding="utf-8")
    check = digest(tmp_path, "--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check")
    assert check.returncode == 1 and "Traceback" not in check.stderr, check.stderr
    problems = [line for line in check.stdout.splitlines() if line.startswith("problem:")]
    for name in ("sources.toml", "rules.toml"):
        said = [line for line in problems if str(feeds / name) in line]
        assert len(said) == 1 and "is larger than 1 MiB, which no feeds file is: is it the right file?" in said[0], (
            problems
        )


def test_a_env_file_that_is_a_pipe_nothing_writes_to_is_one_problem_naming_it(tmp_path: Path) -> None:
    """A `.env` made a pipe (mkfifo), in the working folder or beside the settings file, was opened to be read, and
    every command waited there for a writer, saying nothing, for ever: when nothing writes to it within a few seconds,
    it is one problem naming it, and not read."""
    here = tmp_path / "here"
    service = tmp_path / "service"
    for folder in (here, service):
        folder.mkdir()
        os.mkfifo(folder / ".env")  # no program writes to either
    (service / "config.toml").write_text('list_title = "Awesome"\n', encoding="utf-8")
    options = ("--config", str(service / "config.toml"), "--data-dir", str(tmp_path / "data"))
    started = time.monotonic()
    check = digest(here, *options, "config", "check", timeout=30)
    assert time.monotonic() - started < 20  # two pipes, a few seconds each
    assert check.returncode == 1 and "Traceback" not in check.stderr, check.stderr
    assert [line for line in check.stdout.splitlines() if ".env" in line] == [
        f"problem: {folder / '.env'} is a pipe nothing wrote to within 5 seconds: start the program that writes "
        "the .env file into it, or make it a file (not read)"
        for folder in (here, service)
    ], check.stdout
    candidates = digest(here, *options, "candidates", timeout=30)
    assert candidates.returncode == 2 and f"{here / '.env'} is a pipe nothing wrote" in candidates.stderr


def test_a_settings_file_that_is_a_pipe_nothing_writes_to_is_one_problem_naming_it(tmp_path: Path) -> None:
    """`--config` naming a pipe no program writes to (a FIFO left by a script) waited for ever at the start."""
    os.mkfifo(tmp_path / "config.toml")
    check = digest(
        tmp_path, "--config", "config.toml", "--data-dir", str(tmp_path / "data"), "config", "check", timeout=30
    )
    assert check.returncode == 1 and "Traceback" not in check.stderr, check.stderr
    assert [line for line in check.stdout.splitlines() if line.startswith("problem:")] == [
        "problem: config file config.toml is a pipe nothing wrote to within 5 seconds: start the program that "
        "writes the settings file into it, or make it a file"
    ], check.stdout


def served_through_a_pipe(path: Path, text: str) -> threading.Thread:
    """A pipe at `path` a program writes `text` into once a reader opens it, as a secret manager serves a `.env`."""
    os.mkfifo(path)

    def serve() -> None:
        with path.open("w", encoding="utf-8") as pipe:  # waits for the reader, as such a program does
            time.sleep(0.5)  # a moment to fetch the secrets: the reader waits for them
            pipe.write(text)

    writer = threading.Thread(target=serve, daemon=True)
    writer.start()
    return writer


def test_settings_and_env_files_a_program_writes_through_a_pipe_are_read(tmp_path: Path) -> None:
    """A secret manager serves a `.env` through a pipe (1Password's local `.env`, `op inject` into a FIFO), which
    python-dotenv reads: every such `.env` was refused as a pipe, the service started without its secrets. The
    `.env` files and the settings file are read from their writer, each once."""
    here = tmp_path / "here"
    service = tmp_path / "service"
    here.mkdir()
    service.mkdir()
    writers = [
        served_through_a_pipe(here / ".env", "DISCORD_TOKEN=from-the-pipe\n"),
        served_through_a_pipe(service / ".env", "DIGEST_DATA_DIR=data\n"),
        served_through_a_pipe(service / "config.toml", "[discord]\nchannel_id = 42\nmaintainer_user_ids = [7]\n"),
    ]
    shown = digest(here, "--config", str(service / "config.toml"), "config", "show", timeout=60)
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    assert "DISCORD_TOKEN: set" in shown.stdout and "channel_id = 42" in shown.stdout, shown.stdout
    assert f'database_url = "sqlite:///{service / "data" / "digest.sqlite3"}"' in shown.stdout, shown.stdout
    for writer in writers:
        writer.join(timeout=10)
        assert not writer.is_alive()


def test_a_huge_env_file_is_one_problem_naming_it(tmp_path: Path) -> None:
    """A `.env` of gigabytes in the folder a command runs from (a dump saved under that name) was read whole by every
    command, into a MemoryError traceback: it is one problem naming it, and not read."""
    env = tmp_path / ".env"
    env.write_text("DIGEST_ADMIN_TOKEN=a-long-enough-admin-token-0123456789\n", encoding="utf-8")
    os.truncate(env, 4 * 1024**3)
    check = digest(tmp_path, "--data-dir", str(tmp_path / "data"), "config", "check")
    assert check.returncode == 1 and "Traceback" not in check.stderr, check.stderr
    assert [line for line in check.stdout.splitlines() if ".env" in line] == [
        f"problem: {env} is larger than 1 MiB, which no .env file is: is it the right file? (not read)"
    ], check.stdout
