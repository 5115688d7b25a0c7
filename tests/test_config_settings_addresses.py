"""What the settings let the service send to others: arXiv's contact and User-Agent (no control characters, never
empty) and Discord's addresses (never a token in the clear over the network, plain HTTP on this machine only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import ConfigError
from tests.config_settings import ROOT, SECRETS, VARIABLES
from tests.conftest import make_settings


def refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: str) -> None:
    """The settings `text` are refused with exactly `line`, by loading and by `config check` (exit 1)."""
    with pytest.raises(ConfigError) as caught:
        make_settings(tmp_path / "data", text)
    assert caught.value.problems == [line]
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    assert main(["--config", str(config), "--data-dir", str(tmp_path / "data"), "config", "check"]) == 1
    assert f"problem: {line}" in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    ("contact", "line"),
    [
        ("", 'arxiv.contact is empty: write the address arXiv can write to, e.g. contact = "you@your-lab.org"'),
        ("   ", 'arxiv.contact is empty: write the address arXiv can write to, e.g. contact = "you@your-lab.org"'),
        (
            "me@example.org\\r\\nX-Injected: 1",
            "arxiv.contact holds a control character (a newline, a tab, ...): write one address on one line",
        ),
        (
            "me@example.org\\u0000",
            "arxiv.contact holds a control character (a newline, a tab, ...): write one address on one line",
        ),
    ],
)
def test_an_empty_contact_or_one_with_control_characters_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contact: str, line: str
) -> None:
    """`[arxiv] contact = ""` sent a User-Agent ending "(mailto:)", and a contact holding a newline passed `config
    check` and went into the header of every request to arXiv. Both are now refused in one line saying what to write."""
    refused_in_one_line(tmp_path, capsys, f'[arxiv]\ncontact = "{contact}"\n', line)


@pytest.mark.parametrize(
    ("agent", "line"),
    [
        (
            "my-digest/1.0\\r\\nX-Injected: 1",
            "arxiv.user_agent holds a control character (a newline, a tab, ...): write it on one line",
        ),
        (
            "",
            "arxiv.user_agent is empty: arXiv asks each client to name itself; leave it out for the default",
        ),
    ],
)
def test_a_user_agent_with_a_newline_or_nothing_in_it_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], agent: str, line: str
) -> None:
    """`[arxiv] user_agent` goes whole into the header of every request to arXiv, as the contact does: a newline in it
    passed `config check` and would start a header of its own, and an empty one named no client."""
    refused_in_one_line(tmp_path, capsys, f'[arxiv]\nuser_agent = "{agent}"\n', line)


@pytest.mark.parametrize(
    ("key", "value", "line"),
    [
        (
            "api_base",
            "http://discord.example.org/api/v10",
            "discord.api_base is plain http:// to another machine: DISCORD_TOKEN would cross the network unencrypted; "
            "use its https:// address (http:// is kept for this machine only)",
        ),
        (
            "gateway_url",
            "ws://gateway.example.org/",
            "discord.gateway_url is plain ws:// to another machine: DISCORD_TOKEN would cross the network "
            "unencrypted; use its wss:// address (ws:// is kept for this machine only)",
        ),
        (
            "gateway_url",
            "https://gateway.discord.gg/",
            "discord.gateway_url must start with wss://, not 'https://gateway.discord.gg/'",
        ),
        ("gateway_url", "gateway.discord.gg", "discord.gateway_url must start with wss://, not 'gateway.discord.gg'"),
        (
            "api_base",
            "ftp://discord.com/api/v10",
            "discord.api_base must start with https://, not 'ftp://discord.com/api/v10'",
        ),
    ],
)
def test_a_discord_address_the_token_would_cross_the_network_to_in_the_clear_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, value: str, line: str
) -> None:
    """[discord] api_base = "http://<another host>" (or gateway_url = "ws://...") was taken: the bot's token went
    readable in every request's header and the gateway's first frame, where publish.api_url refuses plain http; and
    gateway_url was not checked at all, so "https://..." or a bare host failed only inside discord.py at start."""
    text = f'[discord]\n{key} = "{value}"\n'
    refused_in_one_line(tmp_path, capsys, text, line)
    environment = {name: found for name, found in os.environ.items() if name not in VARIABLES}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "digest",
            "--config",
            str(tmp_path / "config.toml"),
            "--data-dir",
            str(tmp_path / "d"),
            "run",
        ],
        cwd=tmp_path,
        env=dict(environment, PYTHONPATH=str(ROOT), DISCORD_TOKEN=SECRETS["DISCORD_TOKEN"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (2, f"digest: configuration: {line}\n")


def test_a_discord_on_this_machine_may_be_plain_http_and_ws(tmp_path: Path) -> None:
    """The tests' fake Discord (and one on the maintainer's own machine) is loopback: nothing crosses a network."""
    text = '[discord]\napi_base = "http://localhost:8099/api/v10/"\ngateway_url = "ws://[::1]:8099/gateway"\n'
    discord = make_settings(tmp_path / "data", text).discord
    assert (discord.api_base, discord.gateway_url) == ("http://localhost:8099/api/v10", "ws://[::1]:8099/gateway")
    remote = make_settings(tmp_path / "b", '[discord]\ngateway_url = "wss://gateway.example.org/"\n').discord
    assert remote.gateway_url == "wss://gateway.example.org/"
