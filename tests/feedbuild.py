"""Builds feeds in arXiv's exact new RSS format (as rss.arxiv.org serves them) from real paper records.

The structure is copied from tests/data/arxiv/rss/rss_cs.CL_2026-04-27_trimmed-3items.xml; the records come from
tests/data (copies of real arXiv papers). Used by the poller tests, the end-to-end test and bench/bench_poll.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

DATA_DIR = Path(__file__).resolve().parent / "data"
EASTERN = ZoneInfo("America/New_York")


def load_records(name: str = "poll_papers.jsonl") -> list[dict[str, Any]]:
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _item(record: Mapping[str, Any], category: str, pub_date: str) -> str:
    arxiv_id = record["arxiv_id"]
    version = int(record.get("version") or 1)
    announce = record.get("announce_type") or "new"
    categories = list(record.get("categories") or []) or [category]
    authors = record.get("authors") or []
    creator = ", ".join(authors) if isinstance(authors, list) else str(authors)
    lines = [
        "    <item>",
        f"      <title>{escape(record['title'])}</title>",
        f"      <link>https://arxiv.org/abs/{arxiv_id}</link>",
        f"      <description>arXiv:{arxiv_id}v{version} Announce Type: {announce} \n"
        f"Abstract: {escape(record['abstract'])}</description>",
        f'      <guid isPermaLink="false">oai:arXiv.org:{arxiv_id}v{version}</guid>',
    ]
    lines += [f"      <category>{escape(c)}</category>" for c in categories]
    lines += [
        f"      <pubDate>{pub_date}</pubDate>",
        f"      <arxiv:announce_type>{announce}</arxiv:announce_type>",
        "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>",
        f"      <dc:creator>{escape(creator)}</dc:creator>",
        "    </item>",
    ]
    return "\n".join(lines)


def build_rss(category: str, records: Iterable[Mapping[str, Any]], day: date) -> bytes:
    """An RSS 2.0 feed of `records` as arXiv would announce them in `category` on `day` (00:00 US Eastern)."""
    midnight = datetime.combine(day, time(0, 0), EASTERN)
    pub_date = format_datetime(midnight)
    build_date = format_datetime(midnight.astimezone(ZoneInfo("UTC")).replace(second=2), usegmt=False)
    url = f"http://rss.arxiv.org/rss/{category}"
    head = f"""<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:atom="http://www.w3.org/2005/Atom" \
xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
  <channel>
    <title>{category} updates on arXiv.org</title>
    <link>{url}</link>
    <description>{category} updates on the arXiv.org e-print archive.</description>
    <atom:link href="{url}" rel="self" type="application/rss+xml" />
    <docs>http://www.rssboard.org/rss-specification</docs>
    <language>en-us</language>
    <lastBuildDate>{build_date}</lastBuildDate>
    <managingEditor>rss-help@arxiv.org</managingEditor>
    <pubDate>{pub_date}</pubDate>
    <skipDays>
      <day>Saturday</day>
      <day>Sunday</day>
    </skipDays>
"""
    items = "\n".join(_item(record, category, pub_date) for record in records)
    return (head + items + "\n    </channel>\n</rss>\n").encode("utf-8")
