"""Section names as the relevance rules name them: a leaf, so the pages that group papers by section (the feeds, the
list's examples) need not load NumPy and SciPy with the section ranker."""

from __future__ import annotations

import re


def section_key(name: str) -> str:
    """A section name without case, emoji or punctuation, so rules can name "Surveys" for "📚 Surveys:"."""
    return " ".join(re.findall(r"[a-z0-9]+", name.lower()))
