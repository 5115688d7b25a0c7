"""The one tokeniser shared by the keyword rules and the relevance features: words in their original case."""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z0-9]+")  # a word: ASCII letters and digits
# An ASCII text's bytes with every byte but a letter or a digit made a space: `split` then finds its words.
WORD_BYTES = bytes(byte if chr(byte).isascii() and chr(byte).isalnum() else ord(" ") for byte in range(256))


def tokens(text: str) -> list[str]:
    """Words in their original case (the rules match short acronyms such as SAE or ViT as written). An ASCII text
    is split with one translate and one split, about twice as fast as the regular expression, with the same words."""
    if text.isascii():
        return text.encode("ascii").translate(WORD_BYTES).decode("ascii").split()
    return WORD.findall(text)
