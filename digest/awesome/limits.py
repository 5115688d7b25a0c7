"""The size limit for a list file, a leaf the command line can import for its help text without the parser."""

from __future__ import annotations

MAX_LIST_BYTES = 5 * 1024 * 1024  # a real list is ~30 kB; anything this large is a mistake, not a list
