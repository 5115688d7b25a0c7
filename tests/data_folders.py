"""The set-up of the data folder tests (test_data_folder*.py): the secrets a service needs to start, and a `digest`
command run on a data folder."""

from __future__ import annotations

from pathlib import Path

from digest.cli import main

SECRETS = {"DIGEST_SECRET_KEY": "k" * 40, "DIGEST_ADMIN_TOKEN": "a" * 40, "DIGEST_FEED_TOKEN": "f" * 40}


def run(data: Path, *args: str) -> int:
    return main(["--data-dir", str(data), *args])
