"""The weekly email's wrapper (digest.weekly.textwidth) on its own, given a real paper's title as a feed may send it:
what keeps a unit on one line is no character a feed can bring."""

from __future__ import annotations

from digest.text import one_line
from digest.weekly.itemtext import single_line
from digest.weekly.textwidth import EMAIL_WIDTH, unbroken, wrapped
from tests.factories import real_papers


def test_a_title_joined_by_no_break_spaces_is_wrapped_even_when_it_reaches_the_wrapper_directly() -> None:
    """The wrapper kept words joined by U+00A0 together, its own mark for a unit such as "(score 0.93)": right only
    because every caller made the title one line first, which turns U+00A0 into a space. A title holding them that
    reached it directly was one word of 200 columns. Expected: wrapped on them within 72 columns under the hanging
    indent, reading whole with plain spaces, the score still whole on one line."""
    words = str(real_papers()[2]["title"]).split()
    title = "\u00a0".join(words)
    text = wrapped(f"{title} {unbroken('(score 0.93)')}", "   ")
    lines = text.split("\n")
    assert len(lines) > 2 and len(lines[0]) <= EMAIL_WIDTH - len("1. "), text  # after the number the template puts
    assert all(line.startswith("   ") and len(line) <= EMAIL_WIDTH for line in lines[1:]), text
    assert " ".join(text.split()) == " ".join(words) + " (score 0.93)" and "\u00a0" not in text, text
    assert any(line.endswith("(score 0.93)") for line in lines), text


def test_the_mark_that_keeps_a_unit_whole_never_comes_from_a_feed() -> None:
    """What `unbroken` joins words with is a character the text policy takes out of a feed's text on the way in."""
    joined = unbroken("(score 0.93)")
    mark = joined[len("(score") : -len("0.93)")]
    assert len(mark) == 1 and not mark.isspace(), repr(mark)
    assert mark not in one_line(f"Sparse{mark}Autoencoders") and mark not in single_line(f"a{mark}b")
