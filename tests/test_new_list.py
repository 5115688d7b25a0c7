"""A second maintainer adopts awesome-digest for their own list (retrieval-augmented generation papers), following
README.md and config.example.toml: their list, their rules.toml, their repository. What they see must be about their
list, in their list's style, never the bundled list's."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path

from digest.config import load_settings
from tests.arxiv_server import ArxivServer, Reply
from tests.newlist import make_project, polled, rag_api_answer, rag_feed, rag_records
from tests.web_pages import card, review
from tests.web_server import SECRETS_ENV, running_site, sign_in

SARA = next(record for record in rag_records() if record["arxiv_id"] == "2507.05633")


def test_an_approved_paper_is_written_in_the_style_of_the_list_it_goes_into(tmp_path: Path) -> None:
    """Their entries are `- [Title](link) - 2025.07`: no bold acronym, no arXiv badge line, the date after a dash.
    An approval wrote the bundled list's style into their README all the same ("- **SARA** [SARA: ...](...) (Jan.
    15, 2026)" and a badge line under it); it now writes the entry as theirs are written."""
    project = make_project(tmp_path)
    polled(project)
    approved = project.digest("approve", SARA["arxiv_id"], "--section", "compression")
    assert approved.returncode == 0, approved.stderr
    assert "approved into Reranking & Context Compression" in approved.stdout
    published = project.digest("publish")
    assert published.returncode == 0, published.stderr
    readme = project.remote.readme()
    line = f"- [{SARA['title']}](https://arxiv.org/abs/{SARA['arxiv_id']}) - 2026.01\n"  # dated as theirs are
    assert line in readme
    assert "**SARA**" not in readme and "img.shields.io" not in readme
    section = readme.split("### Reranking & Context Compression\n")[1].split("## ")[0]
    assert line in section


def test_the_first_poll_from_the_shell_learns_the_new_list_from_its_own_papers(tmp_path: Path) -> None:
    """`digest poll` of a new list never fetched its papers' abstracts (only the service's poll did): every poll said
    "the model has learnt from 0 papers of the list", shipped papers stood in for a list of 16, and every candidate
    had "[no section]". The shell's poll now fetches them first, as the service's does, through the same client."""
    listed = [record["arxiv_id"] for record in rag_records() if record["section"]]

    async def poll() -> tuple[str, str]:
        async with ArxivServer() as server:
            server.program("/rss/cs.CL", Reply(body=rag_feed(date(2026, 1, 15))))
            server.program("/api/query", Reply(body=rag_api_answer(listed), content_type="application/atom+xml"))
            project = make_project(tmp_path, api_url=server.url("/api/query"))
            # At a terminal, as a maintainer types it: off one (cron) a quiet poll logs nothing but its problems.
            feed = server.url("/rss/cs.CL")
            done, log = await asyncio.to_thread(project.digest_at_terminal, "poll", "--source", feed)
        assert done.returncode == 0, log
        shown = project.digest("candidates", "--status", "pending")
        return log, shown.stdout

    log, candidates = asyncio.run(poll())
    assert "abstracts fetched for 16 list papers" in log
    assert "stand in for the list" not in log
    sara = next(line for line in candidates.splitlines() if SARA["arxiv_id"] in line)
    assert "[Reranking & Context Compression]" in sara


def test_a_list_whose_abstracts_are_unknown_is_suggested_the_sections_its_hints_name(tmp_path: Path) -> None:
    """With arXiv's API out of reach no abstract of their list's papers is known, and the section hints were read only
    for sections holding a paper with one: SARA ("... with Context Compression", their hint "compress*") showed
    "[no section]" in `digest candidates`, as every candidate did. A section of the list is now ranked from its
    entries' titles and its hints: the same section in `digest candidates`, `digest score` and the review page."""
    project = make_project(tmp_path)  # the API at a closed port: no abstract is fetched
    polled(project)
    shown = project.digest("candidates", "--status", "pending").stdout
    by_id = {line.split()[3]: line for line in shown.splitlines() if " pending " in line}
    assert "[Reranking & Context Compression] SARA" in by_id[SARA["arxiv_id"]], shown
    assert "[Graph RAG] RouteRAG" in by_id["2512.09487"], shown
    papers = project.root / "sara.jsonl"
    papers.write_text(json.dumps({key: SARA[key] for key in ("arxiv_id", "title", "abstract")}) + "\n", "utf-8")
    scored = project.digest("score", "--json", str(papers))
    assert json.loads(scored.stdout)["section"] == "Reranking & Context Compression", scored.stdout + scored.stderr

    async def review_card() -> str:
        settings = load_settings(project.config, environ=dict(SECRETS_ENV), load_dotenv_file=False)
        async with running_site(settings) as site:
            await sign_in(site)
            return card(await review(site), int(by_id[SARA["arxiv_id"]].split()[0]))

    assert 'value="Reranking &amp; Context Compression" class="approve quick' in asyncio.run(review_card())


def test_config_check_names_section_hints_for_sections_the_list_lacks(tmp_path: Path) -> None:
    """A rules.toml copied from the bundled one keeps its section hints ("Sparse Autoencoder", "Probing"), which the
    model reads for no section of a list of one's own: `digest config check` said "configuration OK". It now names
    them with the list's sections, in one warning line (exit 0: the rules still work)."""
    project = make_project(tmp_path)
    rules = project.root / "feeds" / "rules.toml"
    rules.write_text(
        rules.read_text(encoding="utf-8") + '"Sparse Autoencoder" = ["SAE"]\n"Probing" = ["probe*"]\n', encoding="utf-8"
    )
    checked = project.digest("config", "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    warning = next(line for line in checked.stdout.splitlines() if "[sections]" in line)
    assert warning.startswith("warning: ") and "rules.toml" in warning
    assert "does not have: Sparse Autoencoder, Probing (its sections: " in warning
    assert "Reranking & Context Compression" in warning and "Graph RAG" in warning


def test_lint_of_a_list_that_writes_no_dates_in_parentheses_warns_of_none(tmp_path: Path) -> None:
    """Their entries end in ' - 2025.07', not the bundled list's '(Jun. 6, 2025)': `digest list lint` gave a
    "no-date" warning on each of the 16 entries, burying anything worth saying. A date in parentheses is now asked
    of an entry only where most of the list's entries carry one (a list that does still hears of the one left out)."""
    project = make_project(tmp_path)
    linted = project.digest("list", "lint")
    assert linted.returncode == 0, linted.stderr
    assert "no-date" not in linted.stdout
    assert linted.stdout.strip().endswith("0 errors, 0 warnings")


def test_rules_whose_two_sides_are_named_for_the_topic_say_what_the_sides_are_called(tmp_path: Path) -> None:
    """A maintainer names their topic's sides [retrieval] and [generation]: `digest config check` said only
    "[modality] and [interpretability] need strong terms", tables they never wrote and a topic not theirs. The line
    now names their tables as not read and says that the two sides go under those names whatever the topic."""
    project = make_project(tmp_path)
    rules = project.root / "feeds" / "rules.toml"
    text = rules.read_text(encoding="utf-8").replace("[modality]", "[retrieval]")
    rules.write_text(text.replace("[interpretability]", "[generation]"), encoding="utf-8")
    checked = project.digest("config", "check")
    assert checked.returncode == 1
    [problem] = [line for line in checked.stdout.splitlines() if line.startswith("problem: ")]
    assert "[retrieval], [generation]" in problem and "not read" in problem
    assert "whatever the topic" in problem


def test_a_fix_upstream_beside_an_approval_at_a_sections_end_arrives_with_it_at_the_first_publish(
    tmp_path: Path,
) -> None:
    """Their entries' dates (' - 2025.09') were not read as dates, so an approval went at its section's end (now at its
    date, read since). A typo
    fixed upstream on the entry above it before the first publish stopped publishing: "the list here holds edits of
    its own" (it held none), since the list without the approvals lost the blank line ending the section. Both now
    arrive, as the README says of an edit upstream beside a pending approval."""
    project = make_project(tmp_path)
    polled(project)
    assert project.digest("approve", SARA["arxiv_id"], "--section", "compression").returncode == 0
    project.remote.push_edit("Information Gain-based Reranking", "Information-Gain-based Reranking")
    published = project.digest("publish")
    assert published.returncode == 0, published.stdout + published.stderr
    readme = project.remote.readme()
    fixed = readme.index("Information-Gain-based Reranking")
    assert fixed and f"- [{SARA['title']}](https://arxiv.org/abs/{SARA['arxiv_id']}) - 2026.01\n" in readme
