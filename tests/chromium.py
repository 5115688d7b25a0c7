"""Debian's Chromium for the tests of the pages in a real browser (through Playwright, never `playwright install`):
where it is installed and the flags it runs with on a machine without a display or network."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
