"""The indentation between an answer's elements is left out of feedparser's reading (digest/arxiv/reading.py), and
nothing a user sees changes: the real recorded answers, text in a CDATA section, a broken answer's problem line."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.arxiv.parse import parse_feed

ARXIV = Path(__file__).parent / "data" / "arxiv"
CL = ARXIV / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml"
FIXTURES = sorted(ARXIV.glob("*/*.xml"))
# A comment after the root element: well-formed, and an answer holding one is read as it came.
AS_IT_CAME = b"\n<!-- read as written -->\n"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name[:60])
def test_every_real_answer_reads_as_it_did_with_its_indentation(path: Path) -> None:
    data = path.read_bytes()
    spared, whole = parse_feed(data, path.name), parse_feed(data + AS_IT_CAME, path.name)
    assert spared == whole


def test_an_abstract_in_a_cdata_section_keeps_its_line_break_after_a_tag_it_writes() -> None:
    data = CL.read_bytes()
    end = data.index(b"</description>", data.index(b"<item>"))
    data = data[:end] + b" <![CDATA[Tags such as </title>\n      <b> are text here.]]>" + data[end:]
    parsed = parse_feed(data, "cs.CL")
    assert parsed.problems == []
    assert parsed.papers[0].abstract.endswith("alone. Tags such as </title>\n      <b> are text here.")


def test_a_broken_answer_names_the_line_it_breaks_on() -> None:
    data = CL.read_bytes().replace(b"</guid>", b"</gui>", 3)
    # Its line in the file, after the XML declaration feedparser writes on a line of its own before an answer without
    # one.
    line = data[: data.index(b"</gui>")].count(b"\n") + 2
    parsed = parse_feed(data, "cs.CL")
    assert parsed.problems == [
        f"cs.CL: the feed is not well-formed XML (<unknown>:{line}:60: mismatched tag); read leniently"
    ]
    assert [paper.arxiv_id for paper in parsed.papers] == ["2604.22002", "2604.22027", "2604.22038"]
