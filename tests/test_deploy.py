"""Deployment files: docker-compose.yml against the Compose schema, the Dockerfile, the build context and the wheel.

Docker does not run on these machines, so the Dockerfile is read with BuildKit's own parser (the `dockerfile`
package), the builder stage's COPY steps are replayed into a temporary folder, and the wheel is built from there.
"""

from __future__ import annotations

import fnmatch
import http.server
import json
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dockerfile  # type: ignore[import-not-found]  # BuildKit's parser, compiled; no stubs
import jsonschema
import pytest
import yaml

from digest.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def stages() -> list[list[dockerfile.Command]]:
    """The Dockerfile's instructions, one list per build stage."""
    out: list[list[dockerfile.Command]] = []
    for command in dockerfile.parse_file(str(ROOT / "Dockerfile")):
        if command.cmd == "FROM":
            out.append([])
        elif not out:
            continue  # ARG before the first FROM
        out[-1].append(command)
    return out


def commands(stage: list[dockerfile.Command], name: str) -> list[dockerfile.Command]:
    return [command for command in stage if command.cmd == name]


# -- docker-compose.yml ---------------------------------------------------------------------------------------------
def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads((DATA / "compose-spec.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    validator.check_schema(schema)
    assert [error.message for error in validator.iter_errors(compose)] == []
    # The same check rejects a broken service, so a pass above means something.
    broken = json.loads(json.dumps(compose))
    broken["services"]["digest"]["restart"] = 5
    broken["services"]["digest"]["portz"] = ["8080"]
    assert len(list(validator.iter_errors(broken))) == 2


def test_compose_publishes_ports_on_loopback_only(compose: dict[str, Any]) -> None:
    published = {name: service.get("ports", []) for name, service in compose["services"].items()}
    assert published["digest"] == ["127.0.0.1:8080:8080"]
    assert published["mailpit"] == ["127.0.0.1:8025:8025"]
    assert all(str(port).startswith("127.0.0.1:") for ports in published.values() for port in ports)


def test_compose_keeps_each_containers_log_to_a_bounded_size(compose: dict[str, Any]) -> None:
    """Docker's default json-file log keeps everything a container ever wrote: a service run for years (every poll,
    every refused link, every outage's reminders) filled the host's disk with it, under /var/lib/docker where the
    operator does not look. Each service's log is rotated."""
    for name, service in compose["services"].items():
        logging = service.get("logging", {})
        assert logging.get("driver") == "json-file", name
        assert logging.get("options", {}).keys() >= {"max-size", "max-file"}, name


def test_compose_service_keeps_data_in_a_named_volume_and_reads_env_file(compose: dict[str, Any]) -> None:
    service = compose["services"]["digest"]
    assert "digest-data:/data" in service["volumes"]
    assert "digest-data" in compose["volumes"]
    env_files = [entry["path"] if isinstance(entry, dict) else entry for entry in service["env_file"]]
    assert env_files == [".env"]
    assert (ROOT / ".env.example").is_file()
    assert service["restart"] == "unless-stopped"
    assert service["build"] == "." and (ROOT / "Dockerfile").is_file()
    assert compose["services"]["mailpit"]["image"].startswith("axllent/mailpit")


def test_compose_settings_point_email_at_mailpit(compose: dict[str, Any], tmp_path: Path) -> None:
    service = compose["services"]["digest"]
    mounts = dict(volume.split(":")[:2] for volume in service["volumes"] if volume.startswith("./"))
    config_in_container = service["environment"]["DIGEST_CONFIG"]
    assert mounts["./deploy/compose.toml"] == config_in_container
    settings = load_settings(ROOT / "deploy/compose.toml", tmp_path, environ={}, load_dotenv_file=False)
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.security) == ("mailpit", 1025, "none")
    assert settings.smtp.enabled
    assert settings.web.host == "0.0.0.0"
    assert settings.web.base_url == "http://127.0.0.1:8080"  # what the published port answers on, not 0.0.0.0


# -- Dockerfile -----------------------------------------------------------------------------------------------------
def test_dockerfile_builds_in_two_stages_and_runs_as_a_user(stages: list[list[dockerfile.Command]]) -> None:
    assert len(stages) >= 2
    builder, runtime = stages[0], stages[-1]
    assert builder[0].value[1:] == ("AS", "builder")
    assert runtime[0].value[0] == "python:3.11-slim"
    assert any(command.flags == ("--from=builder",) for command in commands(runtime, "COPY"))
    users = commands(runtime, "USER")
    assert users, "the runtime stage sets no USER, so it runs as root"
    assert users[-1].value[0].split(":")[0] not in ("root", "0")


def test_dockerfile_data_volume_port_and_command(stages: list[list[dockerfile.Command]]) -> None:
    runtime = stages[-1]
    assert commands(runtime, "VOLUME")[0].value == ("/data",)
    environment: dict[str, str] = {}
    for command in commands(runtime, "ENV"):
        environment.update(zip(command.value[::2], command.value[1::2], strict=True))
    assert environment["DIGEST_DATA_DIR"] == "/data"
    assert commands(runtime, "EXPOSE")[0].value == ("8080",)
    command = commands(runtime, "ENTRYPOINT")[0].value + commands(runtime, "CMD")[0].value
    assert command == ("digest", "run", "--host", "0.0.0.0")
    # The folder is owned by the service user before it becomes a volume (a later change would be discarded).
    runs = " ".join(" ".join(command.value) for command in commands(runtime, "RUN"))
    assert "chown" in runs and "/data" in runs
    volume_line = commands(runtime, "VOLUME")[0].start_line
    assert all(command.start_line < volume_line for command in commands(runtime, "RUN"))


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[http.server.HTTPServer, type[_Health]]]:
    handler = type("Handler", (_Health,), {})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()
    thread.join()


def test_healthcheck_asks_healthz_with_the_standard_library(
    stages: list[list[dockerfile.Command]], health_server: tuple[http.server.HTTPServer, type[_Health]]
) -> None:
    instructions = " ".join(command.original for stage in stages for command in stage)
    assert "curl" not in instructions and "wget" not in instructions  # neither is in python:3.11-slim
    check = commands(stages[-1], "HEALTHCHECK")[0].value
    assert check[:3] == ("CMD", "python", "-c")
    script = check[3]
    assert "http://127.0.0.1:8080/healthz" in script
    server, handler = health_server
    script = script.replace("127.0.0.1:8080", f"127.0.0.1:{server.server_port}")
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30).returncode == 0
    handler.status = 503  # /healthz says the database is unreachable
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=30).returncode != 0


# -- build context and wheel ----------------------------------------------------------------------------------------
def _segments_match(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return True  # the pattern matched a parent folder: everything inside it goes too
    if pattern[0] == "**":
        return any(_segments_match(pattern[1:], path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], pattern[0]) and _segments_match(pattern[1:], path[1:])


def dockerignored(relative: str) -> bool:
    """Docker's .dockerignore rule: the last matching pattern decides; `!` re-includes."""
    ignored = False
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/").split("/")
        if _segments_match(pattern, relative.split("/")):
            ignored = not negate
    return ignored


def test_build_context_leaves_out_secrets_and_data() -> None:
    for path in (".env", ".venv/bin/python", "data/digest.sqlite3", ".git/config", "digest/__pycache__/x.pyc"):
        assert dockerignored(path), path
    for path in ("pyproject.toml", "README.md", "digest/data/curated_papers.jsonl", "feeds/rules.toml"):
        assert not dockerignored(path), path


def replay_builder_copies(stage: list[dockerfile.Command], target: Path) -> None:
    """Does what the builder stage's COPY steps do, from the build context as .dockerignore filters it."""
    for command in commands(stage, "COPY"):
        *sources, destination = command.value
        for source in sources:
            origin = ROOT / source
            assert origin.exists(), f"the Dockerfile copies {source}, which is not in the repository"
            into = target / destination
            if destination.endswith("/") or len(sources) > 1:
                into = into / origin.name
            if origin.is_dir():
                shutil.copytree(
                    origin,
                    into,
                    ignore=lambda folder, names: [
                        name for name in names if dockerignored(str((Path(folder) / name).relative_to(ROOT)))
                    ],
                )
            else:
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, into)


@pytest.fixture(scope="module")
def wheel(stages: list[list[dockerfile.Command]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="pip install -e .[test] installs hatchling for the offline build")
    context = tmp_path_factory.mktemp("context")
    replay_builder_copies(stages[0], context)
    out = tmp_path_factory.mktemp("wheel")
    offline = ["--no-deps", "--no-build-isolation", "--no-index", "-q"]
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", *offline, "-w", str(out), str(context)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (built,) = out.glob("*.whl")
    return built


def test_wheel_carries_templates_feeds_seed_list_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, packaged in (("templates", "digest/_templates"), ("feeds", "digest/_feeds")):
        files = [p for p in (ROOT / folder).rglob("*") if p.is_file() and not dockerignored(str(p.relative_to(ROOT)))]
        expected = {f"{packaged}/{p.relative_to(ROOT / folder).as_posix()}" for p in files}
        assert expected <= names, sorted(expected - names)
    assert "digest/_feeds/rules.toml" in names
    assert {"digest/data/awesome-lmms-mech-interp.md", "digest/data/curated_papers.jsonl"} <= names
    assert {"digest/storage/migrations/env.py", "digest/storage/migrations/script.py.mako"} <= names
    assert any(name.startswith("digest/storage/migrations/versions/0001_") for name in names)
    assert not any("__pycache__" in name for name in names)
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    assert "digest = digest.cli:console" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_finds_its_files_and_migrates_a_database(wheel: Path, tmp_path: Path) -> None:
    """The unpacked wheel, away from the source tree, as `pip install` leaves it in the image's venv."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    script = (
        "import json, sys\n"
        "from digest import resources\n"
        "from digest.storage.db import open_database\n"
        "from sqlalchemy import inspect\n"
        "database = open_database('sqlite:///' + sys.argv[1])\n"
        "tables = inspect(database.engine).get_table_names()\n"
        "database.dispose()\n"
        "print(json.dumps({'feeds': str(resources.feeds_dir()), 'seed': str(resources.seed_list_path()),"
        " 'tables': tables}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "digest.sqlite3")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout)
    assert found["feeds"] == str(site / "digest" / "_feeds")
    assert Path(found["seed"]).is_file() and Path(found["seed"]).is_relative_to(site)
    assert "sections" in found["tables"]


# -- config.example.toml and .env.example ---------------------------------------------------------------------------
# Settings fields that are not TOML keys, and the environment variable that documents each instead.
FROM_ENVIRONMENT = {
    ("", "config_path"): "DIGEST_CONFIG",
    ("discord", "token"): "DISCORD_TOKEN",
    ("smtp", "password"): "SMTP_PASSWORD",
    ("publish", "token"): "DIGEST_GIT_TOKEN",
    ("publish", "ssh_key"): "DIGEST_GIT_SSH_KEY",
    ("secrets", "secret_key"): "DIGEST_SECRET_KEY",
    ("secrets", "admin_token"): "DIGEST_ADMIN_TOKEN",
    ("secrets", "feed_token"): "DIGEST_FEED_TOKEN",
    ("secrets", "admin_tokens"): "DIGEST_ADMIN_TOKENS",
}


def example_tables() -> dict[str, list[str]]:
    """config.example.toml's lines grouped by table ("" for the top level)."""
    tables: dict[str, list[str]] = {"": []}
    current = ""
    for line in (ROOT / "config.example.toml").read_text(encoding="utf-8").splitlines():
        if line.startswith("[") and line.rstrip().endswith("]"):
            current = line.strip("[] ")
            tables[current] = []
        else:
            tables[current].append(line)
    return tables


def test_example_config_holds_the_defaults(tmp_path: Path) -> None:
    example = load_settings(ROOT / "config.example.toml", tmp_path, environ={}, load_dotenv_file=False)
    defaults = load_settings(None, tmp_path, environ={}, load_dotenv_file=False)
    assert example.model_copy(update={"config_path": None}) == defaults


def test_example_config_documents_every_setting() -> None:
    """A new field in any Settings model fails here until config.example.toml shows it with a comment."""
    from pydantic import BaseModel

    from digest.config import Settings

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    tables = example_tables()
    undocumented = []

    def documented(table: str, name: str) -> bool:
        if (table, name) in FROM_ENVIRONMENT:
            return FROM_ENVIRONMENT[(table, name)] in text
        if f"{table}.{name}".strip(".") in tables:  # a sub-table such as [discord.section_emojis]
            return True
        lines = tables.get(table, [])
        for index, line in enumerate(lines):
            if line.lstrip("# ").startswith(f"{name} = "):
                return index > 0 and lines[index - 1].startswith("# ") and " = " not in lines[index - 1]
        return False

    defaults = load_settings(None, ROOT / "data", environ={}, load_dotenv_file=False)
    for name in Settings.model_fields:
        value = getattr(defaults, name)
        if isinstance(value, BaseModel):
            undocumented += [f"{name}.{sub}" for sub in type(value).model_fields if not documented(name, sub)]
        elif not documented("", name):
            undocumented.append(name)
    assert undocumented == []


def test_every_environment_variable_is_documented() -> None:
    from digest.config import Settings, environment_fields

    read = {variable for _, variable in environment_fields(Settings)}
    assert {"DIGEST_SECRET_KEY", "DISCORD_TOKEN", "DIGEST_DATA_DIR"} <= read
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    env_example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert sorted(name for name in read if name not in example) == []
    assert sorted(name for name in read if name not in env_example) == []


def test_example_config_lists_every_environment_variable_in_its_header() -> None:
    """config.example.toml's header said "Secrets never go in this file; they come from the environment only" and
    listed them, without DIGEST_GIT_TOKEN and DIGEST_GIT_SSH_KEY: a maintainer setting up publishing from it looked
    for a token key in [publish]. Its header now names every variable the settings read."""
    from digest.config import Settings, environment_fields

    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    header = text[: text.index("\n\n# A relative path")]
    read = {variable for _, variable in environment_fields(Settings)}
    assert sorted(name for name in read if name not in header) == []


# Each module asking the arXiv API at `[arxiv] api_url`, and what the example's comment on the key must name of it.
API_URL_USERS = {
    "digest/arxiv/backfill.py": ["`digest backfill`"],
    "digest/arxiv/poll_sources.py": ["each poll", "`digest run`", "`digest poll`", "[[api]]"],
    # fetch_paper (digest add, /suggest, /review's and Discord's /add) and refresh_examples (before each poll)
    "digest/arxiv/api.py": ["abstracts", "`digest add`", "/suggest", "/review", "Discord's /add"],
}


def test_example_config_names_everything_that_asks_the_arxiv_api() -> None:
    """config.example.toml said `api_url` was "used for backfills and for abstracts of list papers added later", and
    a maintainer pointing it at a mirror did not expect `digest add`, the readers' /suggest or the polls' [[api]]
    queries to go there too. Its comment now names each, held to the modules that read the setting."""
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "digest").rglob("*.py")
        if ".arxiv.api_url" in path.read_text(encoding="utf-8")
    )
    assert readers == sorted(API_URL_USERS)
    lines = example_tables()["arxiv"]
    at = next(index for index, line in enumerate(lines) if line.startswith("api_url = "))
    start = at
    while start > 0 and lines[start - 1].startswith("# "):
        start -= 1
    comment = " ".join(line.removeprefix("# ") for line in lines[start:at])
    assert [said for saids in API_URL_USERS.values() for said in saids if said not in comment] == [], comment
