"""A maintainer's list whose headings end in a link back to the table of contents ('## Graph RAG [🔝](#contents)',
'## Surveys <a href="#contents">⬆</a>'), as many awesome lists write them: the sections are named by their words
alone wherever the service names them (candidates, the approval's answer, the published commit)."""

from __future__ import annotations

from pathlib import Path

from tests.newlist import make_project, polled, rag_list, rag_records

ROUTE = next(record for record in rag_records() if record["arxiv_id"] == "2512.09487")
BACK_UP = (
    rag_list()
    .replace("## 📚 Surveys\n", '## Contents\n\n- [Surveys](#-surveys-)\n\n## 📚 Surveys <a href="#contents">⬆</a>\n')
    .replace("## 🕸️ Graph RAG\n", "## 🕸️ Graph RAG [🔝](#contents)\n")
)


def test_a_link_back_up_the_page_ending_a_heading_is_no_part_of_its_sections_name(tmp_path: Path) -> None:
    project = make_project(tmp_path, readme=BACK_UP)

    polled(project)
    shown = project.digest("candidates")
    assert "[Graph RAG] RouteRAG" in shown.stdout, shown.stdout  # was: '[Graph RAG 🔝] RouteRAG'
    assert "🔝" not in shown.stdout and "⬆" not in shown.stdout
    approved = project.digest("approve", ROUTE["arxiv_id"], "--section", "graph rag")
    assert approved.stdout.strip().endswith("approved into Graph RAG"), approved.stdout  # was: 'into Graph RAG 🔝'
    published = project.digest("publish")
    assert published.returncode == 0, published.stderr
    assert project.remote.message_of_head().splitlines()[0] == f"Add 1 paper: {ROUTE['title']} (Graph RAG)"
    readme = project.remote.readme()
    assert readme.replace(f"- [{ROUTE['title']}](https://arxiv.org/abs/2512.09487) - 2026.01\n", "") == BACK_UP
    linted = project.digest("list", "lint", str(project.root / "data" / "list.md"))
    assert linted.returncode == 0 and "0 errors, 0 warnings" in linted.stdout, linted.stdout
