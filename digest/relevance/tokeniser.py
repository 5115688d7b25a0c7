"""The one tokeniser shared by the keyword rules and the relevance features: words in their original case."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[A-Za-z0-9]+")


def tokens(text: str) -> list[str]:
    """Words in their original case (the rules match short acronyms such as SAE or ViT as written)."""
    return _TOKEN.findall(text)
