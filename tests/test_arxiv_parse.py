"""Parsing arXiv's RSS, Atom and API answers (the real recorded files) into ArxivPaper, and every bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from digest.arxiv.accents import tex_accents_as_letters
from digest.arxiv.parse import parse_feed
from digest.arxiv.texmath import tex_as_text
from tests.feedbuild import build_rss, load_records

ARXIV = Path(__file__).parent / "data" / "arxiv"
ATOM = "{http://www.w3.org/2005/Atom}"
CL = ARXIV / "rss" / "rss_cs.CL_2026-04-27_trimmed-3items.xml"
COMBINED = ARXIV / "rss" / "rss_cs.LG+cs.AI+cs.CL+stat.ML_2026-09-24_trimmed-4items.xml"
ATOM_LG = ARXIV / "rss" / "atom_cs.LG_2026-09-25_trimmed-3entries.xml"
FIXTURES = sorted(ARXIV.glob("*/*.xml"))


def raw_items(data: bytes) -> list[tuple[str, str]]:
    """(title, description/summary) of each item as the XML holds it, read without feedparser."""
    root = ET.fromstring(data)
    items = root.findall("./channel/item") or root.findall(f"{ATOM}entry")
    out = []
    for item in items:
        title = item.find("title") if item.find("title") is not None else item.find(f"{ATOM}title")
        text = item.find("description") if item.find("description") is not None else item.find(f"{ATOM}summary")
        out.append(((title.text or "") if title is not None else "", (text.text or "") if text is not None else ""))
    return out


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name[:60])
def test_every_real_fixture_keeps_abstracts_exactly(path: Path) -> None:
    data = path.read_bytes()
    parsed = parse_feed(data, path.name)
    raw = raw_items(data)
    if parsed.error:  # the API's error answer
        assert "incorrect id format" in parsed.error and not parsed.papers
        return
    assert parsed.problems == [] and len(parsed.papers) == len(raw)
    for paper, (title, text) in zip(parsed.papers, raw, strict=True):
        # Only the "arXiv:… Announce Type: … Abstract:" prefix goes; TeX accents are the letters arXiv's pages show,
        # formulas and TeX markup the plain text they read as.
        assert tex_as_text(tex_accents_as_letters(text.rstrip())).endswith(paper.abstract)
        assert "Announce Type" not in paper.abstract and paper.abstract
        assert paper.title == tex_as_text(tex_accents_as_letters(" ".join(title.split())))
        assert paper.arxiv_id and paper.version and paper.authors and paper.categories


def test_rss_fields() -> None:
    parsed = parse_feed(CL.read_bytes(), "cs.CL")
    assert parsed.kind == "rss"
    assert parsed.feed_date == datetime(2026, 4, 27, 4, 0, tzinfo=UTC)
    assert set(parsed.skip_days) == {"Saturday", "Sunday"}
    first, second, third = parsed.papers
    assert (first.arxiv_id, first.version, first.announce_type) == ("2604.22002", 1, "new")
    assert first.authors == ["Anamta Khan", "Ratna Kandala", "Deepti", "Sheza Munir", "Joyojeet Pal"]
    assert first.abstract.startswith("Social media platforms have become primary channels")
    assert second.categories == ["cs.CL", "cs.AI", "cs.LG"] and second.primary_category == "cs.CL"
    assert third.title == "Source-Modality Monitoring in Vision-Language Models"
    assert third.abs_url == "https://arxiv.org/abs/2604.22038"


def test_announce_types_doi_and_journal_reference() -> None:
    combined = parse_feed(COMBINED.read_bytes(), "combined").papers
    assert [p.announce_type for p in combined] == ["new", "new", "cross", "replace"]
    assert [p.version for p in combined] == [1, 1, 2, 3]
    assert combined[2].doi == "10.1093/bioinformatics/btac431"
    atom = parse_feed(ATOM_LG.read_bytes(), "atom")
    assert atom.kind == "atom"
    assert [p.announce_type for p in atom.papers] == ["new", "cross", "replace"]
    assert atom.papers[0].journal_ref and atom.papers[0].journal_ref.startswith("2026 International Conference")
    assert atom.papers[1].primary_category == "hep-ph"
    records = load_records()[:1]
    records[0] = {**records[0], "announce_type": "replace-cross", "version": 4}
    paper = parse_feed(build_rss("cs.CV", records, date(2026, 4, 27)), "built").papers[0]
    assert (paper.announce_type, paper.version) == ("replace-cross", 4)


def test_api_old_and_new_format() -> None:
    new = parse_feed((ARXIV / "api" / "api_new_cat-cs.LG-OR-cs.AI_2026-04-30_20entries.xml").read_bytes(), "api")
    assert new.kind == "api" and new.total_results == 364218 and len(new.papers) == 20
    tide = new.papers[0]
    assert (tide.arxiv_id, tide.version, tide.primary_category) == ("2604.26951", 1, "cs.CL")
    assert tide.announce_type is None and tide.authors[:2] == ["Gongbo Zhang", "Wen Wang"]
    assert tide.comments and "github.com/PKU-YuanGroup/TIDE" in tide.comments
    old = parse_feed((ARXIV / "api" / "api_old_cat-cs.RO-AND-neural_2025-10-17_2entries.xml").read_bytes(), "api")
    rdd = old.papers[0]
    assert rdd.title == "RDD: Retrieval-Based Demonstration Decomposer for Planner Alignment in Long-Horizon Tasks"
    assert rdd.primary_category == "cs.RO" and "cs.CV" in rdd.categories
    assert rdd.abstract.startswith("To tackle long-horizon tasks")
    astro = parse_feed(
        (ARXIV / "api" / "api_new_arxiv.py_id_astro-ph_0601001_s0_m100_3150dca9dc76_http200.xml").read_bytes(), "api"
    ).papers[0]
    assert (astro.arxiv_id, astro.version) == ("astro-ph/0601001", 1)
    assert "V_max<17.5" in astro.abstract and astro.journal_ref == "ActaAstron.56:1-50,2006"


def test_abstract_with_less_than_survives_rss_and_atom() -> None:
    crafted = CL.read_bytes().replace(
        b"Abstract: Social media", b"Abstract: a &lt;b &lt;= c and x&lt;y &amp;amp; Social media"
    )
    paper = parse_feed(crafted, "crafted").papers[0]
    assert paper.abstract.startswith("a <b <= c and x<y &amp; Social media")
    atom = ATOM_LG.read_bytes().replace(b"Abstract: Drug", b"Abstract: a &lt;b &lt;= c Drug")
    assert parse_feed(atom, "crafted").papers[0].abstract.startswith("a <b <= c Drug toxicity")
    # A real abstract holding "<" (2601.06959: "(e.g., <2B parameters)"), in arXiv's own RSS format.
    record = next(r for r in load_records() if r["arxiv_id"] == "2601.06959")
    paper = parse_feed(build_rss("cs.LG", [record], date(2026, 4, 27)), "built").papers[0]
    assert "<2B parameters" in paper.abstract and paper.abstract == record["abstract"].strip()


def test_an_escaped_dollar_opens_no_formula_for_the_math_nor_the_accents() -> None:
    """`\\$` is a dollar sign, not math: `\\$\\alpha$` stays as written (no formula opens at the escaped one), and an
    accent before a formula that a `\\$` precedes is still a letter (no math spans from the escaped one to it)."""
    records = load_records()[:2]
    records[0] = {**records[0], "title": r"A \$\alpha$ Fee in Vision Models"}
    records[1] = {**records[1], "title": r"A \$5 Probe by Jos\'e of $x$ Heads"}
    first, second = parse_feed(build_rss("cs.CV", records, date(2026, 4, 27)), "built").papers
    assert first.title == r"A \$\alpha$ Fee in Vision Models"
    assert second.title == r"A \$5 Probe by José of x Heads"


def test_error_feed_html_page_and_non_feeds_are_errors() -> None:
    error_feed = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        b"<title>Feed error for query: cs.XX</title><link>http://rss.arxiv.org/rss/cs.XX</link>"
        b"<description>Feed error for query: cs.XX</description></channel></rss>"
    )
    assert parse_feed(error_feed, "e").error == "error feed: Feed error for query: cs.XX"
    html = b"<!DOCTYPE html>\n<html><head><title>arXiv is down for maintenance</title></head><body>Sorry</body></html>"
    assert parse_feed(html, "h").error == "an HTML page, not a feed"
    assert parse_feed(b"", "e").error == "empty answer (no bytes)"
    assert "not an RSS or Atom feed" in (parse_feed(b"just some text", "t").error or "")
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss version="2.0"><channel></channel></rss>'
    assert "entities" in (parse_feed(bomb, "b").error or "")
    api_error = parse_feed(
        (ARXIV / "api" / "api_new_arxiv.py_id_abc_s0_m100_b79c8dcf6bc3_http400.xml").read_bytes(), "a"
    )
    assert api_error.error == "API error: incorrect id format for abc"


def test_items_without_id_or_title_are_skipped_with_a_line() -> None:
    data = CL.read_bytes()
    data = data.replace(b'<guid isPermaLink="false">oai:arXiv.org:2604.22002v1</guid>', b"")
    data = data.replace(b"<link>https://arxiv.org/abs/2604.22002</link>", b"")
    data = data.replace(b"arXiv:2604.22002v1 Announce Type: new \nAbstract: ", b"")
    data = data.replace(
        b"<title>Shared Lexical Task Representations Explain Behavioral Variability In LLMs</title>", b""
    )
    parsed = parse_feed(data, "cs.CL")
    assert [p.arxiv_id for p in parsed.papers] == ["2604.22038"]
    assert len(parsed.problems) == 2
    assert "cs.CL: item 1" in parsed.problems[0] and "no arXiv ID" in parsed.problems[0]
    assert "item 2 (oai:arXiv.org:2604.22027v1)" in parsed.problems[1] and "no title" in parsed.problems[1]


def test_malformed_xml_is_read_leniently_and_flagged() -> None:
    data = CL.read_bytes()
    cut = data[: data.index(b"<item>", data.index(b"<item>") + 1) + 400]  # a connection cut in the second item
    parsed = parse_feed(cut, "cs.CL")
    assert not parsed.well_formed
    assert any("not well-formed XML" in problem for problem in parsed.problems)
    assert [p.arxiv_id for p in parsed.papers] == ["2604.22002"]  # the item cut in half is left out
    assert any("item 2" in problem and "cut off" in problem for problem in parsed.problems)


def test_non_utf8_bytes_are_flagged_and_the_rest_parsed() -> None:
    data = CL.read_bytes().replace(b"Limits of LLMs", b"Limits of LLMs \xff\xfe")
    parsed = parse_feed(data, "cs.CL")
    assert len(parsed.papers) == 3
    assert parsed.papers[2].title == "Source-Modality Monitoring in Vision-Language Models"
    assert parsed.problems and "cs.CL" in parsed.problems[0]


def test_hostile_titles_are_kept_as_text_and_flagged() -> None:
    hostile = "<script>alert(1)</script> [click](https://evil.example) @everyone ]]>"
    data = CL.read_bytes().replace(
        b"Source-Modality Monitoring in Vision-Language Models</title>",
        hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode() + b"</title>",
    )
    papers = parse_feed(data, "cs.CL").papers
    assert papers[2].title == hostile and papers[2].title_has_markup
    assert not papers[0].title_has_markup


@pytest.mark.parametrize("well_formed", [True, False], ids=["strict", "lenient"])
def test_author_names_are_kept_as_arxiv_wrote_them(well_formed: bool) -> None:
    hostile = ["Ann <img src=x onerror=alert(1)>", "Bob & Co", "Zoë &lt;literally", "C <b <= d"]
    record = {**load_records()[0], "authors": hostile}
    data = build_rss("cs.CV", [record], date(2026, 4, 27))
    if not well_formed:  # an entity XML does not know: feedparser falls back to its lenient, HTML-like parser
        data = data.replace(b"<title>cs.CV updates", b"<title>&nbsp;cs.CV updates", 1)
    parsed = parse_feed(data, "cs.CV")
    assert parsed.well_formed is well_formed
    (paper,) = parsed.papers
    assert paper.authors == hostile
    assert paper.title == record["title"] and paper.abstract == record["abstract"]
