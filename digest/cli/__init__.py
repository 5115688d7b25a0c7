"""The command line: parse arguments, call the packages; nothing else. `digest = "digest.cli:main"`."""

from digest.cli.program import main

__all__ = ["main"]
