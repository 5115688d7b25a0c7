"""Lint warnings for the list's links to arXiv IDs the polls asked about and arXiv had no paper for. Pure."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from digest.awesome.lint import WARNING, Finding


def unknown_id_findings(markdown: str, unknown: dict[str, datetime], retry_days: int) -> list[Finding]:
    """A warning on the line of each link arXiv had no paper for when the polls asked its abstract."""
    lines, findings = markdown.splitlines(), []
    for arxiv_id, asked in sorted(unknown.items()):
        # The ID alone, not inside a longer one: 2401.1234 is not the link to 2401.12345 (a version may follow); an
        # old-style archive in any case (the link HEP-TH/9901001 is hep-th/9901001, titles.canonical_arxiv_id).
        alone = re.compile(rf"(?<![\d.]){re.escape(arxiv_id)}(?!\d)", re.IGNORECASE)
        line = next((number for number, text in enumerate(lines, 1) if alone.search(text)), 0)
        again = (asked + timedelta(days=retry_days)).date()
        message = f"arXiv has no paper {arxiv_id} (asked {asked.date()}; asked again after {again}): mend the link"
        if line:  # else the link was mended (or its entry removed) since the poll asked
            findings.append(Finding(line, WARNING, "arxiv-unknown", message))
    return findings
