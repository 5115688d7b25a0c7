"""RSS and Atom documents: valid for feedparser, stable guids, correct dates, and hostile text made harmless."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone

import feedparser
import pytest

from digest.web.syndication import (
    Feed,
    FeedItem,
    FeedLink,
    build_atom,
    build_rss,
    clean_text,
    rfc822,
    rfc3339,
    safe_url,
)
from tests.conftest import DATA_DIR
from tests.feedreading import shown_text

HOSTILE = "<script>alert(1)</script> ]]> Tom & Jerry \x00\x01\x08\x0b\x0c\x1f\ud800 end"
ADDED = datetime(2026, 11, 23, 9, 30, 15, tzinfo=UTC)


def real_items() -> list[FeedItem]:
    lines = (DATA_DIR / "review_papers.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines[:4]]
    return [
        FeedItem(
            guid=f"tag:awesome-digest,2025:arxiv:{record['arxiv_id']}",
            title=record["title"],
            link=f"https://arxiv.org/abs/{record['arxiv_id']}",
            published=ADDED - timedelta(days=index),
            abstract=record["abstract"],
            authors=record.get("authors") or ["A. Author"],
            categories=["Sparse Autoencoder"],
            links=[
                FeedLink("arXiv", f"https://arxiv.org/abs/{record['arxiv_id']}"),
                FeedLink("Code", "https://github.com/x/y?a=1&b=2"),
            ],
        )
        for index, record in enumerate(records)
    ]


def feed_of(items: list[FeedItem]) -> Feed:
    return Feed(
        title="Awesome LMMs Mechanistic Interpretability",
        home_url="https://digest.example.org/",
        self_url="https://digest.example.org/feeds/list.xml",
        description="Papers as they are added",
        feed_id="tag:awesome-digest,2025:list",
        updated=ADDED,
        items=items,
    )


@pytest.mark.parametrize("build", [build_rss, build_atom])
def test_real_papers_give_a_valid_feed_with_every_item(build: object) -> None:
    items = real_items()
    body = build(feed_of(items))  # type: ignore[operator]
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [entry.title for entry in parsed.entries] == [item.title for item in items]
    assert [entry.id for entry in parsed.entries] == [item.guid for item in items]
    first = parsed.entries[0]
    assert first.published_parsed[:6] == (2026, 11, 23, 9, 30, 15)
    assert items[0].abstract[:60] in first.summary
    assert "Sparse Autoencoder" in [tag.term for tag in first.tags]
    assert 'href="https://github.com/x/y?a=1&amp;b=2"' in first.summary
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == ["https://digest.example.org/feeds/list.xml"]
    # Rendering twice gives the same bytes: guids and dates are stable.
    assert build(feed_of(items)) == body  # type: ignore[operator]


@pytest.mark.parametrize("build", [build_rss, build_atom])
def test_a_hostile_title_gives_valid_harmless_xml(build: object) -> None:
    item = FeedItem(
        guid="tag:awesome-digest,2025:arxiv:2601.00001",
        title=HOSTILE,
        link="https://arxiv.org/abs/2601.00001",
        published=ADDED,
        abstract=HOSTILE,
        authors=[HOSTILE],
        categories=[HOSTILE],
        links=[FeedLink(HOSTILE, "https://arxiv.org/abs/2601.00001?x=]]>&y=<b>")],
    )
    body = build(feed_of([item]))  # type: ignore[operator]
    ET.fromstring(body)  # a strict XML parser accepts it
    assert b"<script>" not in body and b"\x00" not in body and b"\x0b" not in body
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    entry = parsed.entries[0]
    # What a reader shows (an RSS title is read as HTML): the characters, none of them markup.
    assert shown_text(entry.title_detail) == "<script>alert(1)</script> ]]> Tom & Jerry  end"
    assert entry.title_detail.type == "text/plain" or "<" not in entry.title
    # In the HTML body the script is text, not markup.
    assert "&lt;script&gt;" in entry.summary and "<script>" not in entry.summary


def test_dates_and_text_helpers() -> None:
    moment = datetime(2026, 1, 5, 1, 2, 3, tzinfo=timezone(timedelta(hours=2)))
    assert rfc822(moment) == "Sun, 04 Jan 2026 23:02:03 GMT"
    assert rfc3339(moment) == "2026-01-04T23:02:03Z"
    assert rfc3339(datetime(2026, 1, 5, 1, 2, 3)) == "2026-01-05T01:02:03Z"  # naive means UTC
    assert clean_text("a\x00b\x1bc\td\ne\uffffé😀") == "abc\td\neé😀"
    assert safe_url("https://github.com/a/b") == "https://github.com/a/b"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,<b>") is None
    assert safe_url("https://x.org/\x00") is None
    assert safe_url(None) is None
