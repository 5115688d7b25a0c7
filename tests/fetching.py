"""The set-up of the fetcher's tests (test_fetcher*.py): a recorded cs.CL feed and arXiv settings asking politely
(3 s apart, four retries)."""

from __future__ import annotations

from digest.config import ArxivSettings

CL = "rss/rss_cs.CL_2026-04-27_trimmed-3items.xml"
ARXIV = ArxivSettings(contact="maintainers@example.org", min_interval_seconds=3.0, max_retries=4)
