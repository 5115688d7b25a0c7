"""The command line: parse arguments, call the packages; nothing else. `digest = "digest.cli:console"`."""

from digest.cli.program import console, main

__all__ = ["console", "main"]
