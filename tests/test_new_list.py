"""A second maintainer adopts awesome-digest for their own list (retrieval-augmented generation papers), following
README.md and config.example.toml: their list, their rules.toml, their repository. What they see must be about their
list, in their list's style, never the bundled list's."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from tests.arxiv_server import ArxivServer, Reply
from tests.newlist import Project, make_project, rag_feed, rag_records

SARA = next(record for record in rag_records() if record["arxiv_id"] == "2507.05633")


async def _serve_and_poll(project: Project) -> str:
    async with ArxivServer() as server:
        server.program("/rss/cs.CL", Reply(body=rag_feed(date(2026, 1, 15))))
        done = await asyncio.to_thread(project.digest, "poll", "--source", server.url("/rss/cs.CL"))
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_approved_paper_is_written_in_the_style_of_the_list_it_goes_into(tmp_path: Path) -> None:
    """Their entries are `- [Title](link) - 2025.07`: no bold acronym, no arXiv badge line, no date in parentheses.
    An approval wrote the bundled list's style into their README all the same ("- **SARA** [SARA: ...](...) (Jan.
    15, 2026)" and a badge line under it); it now writes the entry as theirs are written."""
    project = make_project(tmp_path)
    asyncio.run(_serve_and_poll(project))
    approved = project.digest("approve", SARA["arxiv_id"], "--section", "compression")
    assert approved.returncode == 0, approved.stderr
    assert "approved into Reranking & Context Compression" in approved.stdout
    published = project.digest("publish")
    assert published.returncode == 0, published.stderr
    readme = project.remote.readme()
    line = f"- [{SARA['title']}](https://arxiv.org/abs/{SARA['arxiv_id']})\n"
    assert line in readme
    assert "**SARA**" not in readme and "img.shields.io" not in readme
    section = readme.split("### Reranking & Context Compression\n")[1].split("## ")[0]
    assert line in section
