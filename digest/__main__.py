"""Allows `python -m digest`."""

from digest.cli import console

console()
