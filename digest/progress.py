"""A one-line progress bar for long commands (backfill, big imports), shown only on a terminal."""

from __future__ import annotations

from typing import TextIO

WIDTH = 30


class ProgressBar:
    def __init__(self, label: str, stream: TextIO | None) -> None:
        self.label = label
        try:
            terminal = stream is not None and stream.isatty()
        except ValueError:  # a closed stream
            terminal = False
        self.stream = stream if terminal else None

    def update(self, done: int, total: int | None, note: str = "") -> None:
        if self.stream is None:
            return
        filled = int(WIDTH * min(done, total) / total) if total else 0
        bar = "#" * filled + "-" * (WIDTH - filled)
        suffix = f"  {note}" if note else ""
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total or '?'}{suffix}")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\n")
            self.stream.flush()
