"""Hand edits a maintainer makes to the list's Markdown over the years (a News line linking a paper, a code snippet,
a commented-out entry, a fixed typo, a BOM, setext headings, year blocks, a new empty section), through import,
lint, approval and the weekly digest. Each test names the edit; the "was:" notes say what the list did before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.awesome.parse import ListFormatError, parse_list
from digest.config import Settings
from digest.config.invocation import same_invocation
from digest.review.reviewer import Reviewer
from digest.storage.db import Database
from digest.storage.files import Staged
from digest.storage.models import Entry, Paper
from digest.weekly.contents import load_digest
from digest.weekly.issue import IsoWeek
from digest.weekly.rendering import render
from tests.factories import insert_candidate, real_papers
from tests.list_edits import ANN, NOW, approve, markdown, paper_dated, reimport, seed_text
from tests.list_edits import own_list as own_list  # the fixture

W48 = IsoWeek(2026, 48)


def readers_digest(database: Database, settings: Settings) -> str:
    with database.reading() as session:
        return render(load_digest(session, settings, W48, edition="readers"), settings.templates_dir, "digest.md.j2")


def paper_row(database: Database, arxiv_id: str) -> dict[str, Any]:
    with database.reading() as session:
        paper = session.scalars(select(Paper).where(Paper.arxiv_id == arxiv_id)).one()
        return {"id": paper.id, "title": paper.title, "origin": paper.origin, "added_at": paper.added_at}


# 1. A News bullet that links a paper (the seed's own "- [2025-06] ..." format) becomes a new paper of the list.
def test_a_news_line_linking_a_paper_is_not_announced_as_a_new_paper(database: Database, settings: Settings) -> None:
    seed = seed_text(settings)
    news = "- [2025-06] I created this repository"
    edited = seed.replace(
        news,
        "- [2025-09] We wrote a [survey of the field](https://arxiv.org/abs/2502.17516); feedback welcome!\n" + news,
    )
    report = reimport(database, edited)
    assert markdown(database, settings) == edited
    assert report.added == [], report.added  # was: [{'section': 'News', 'title': 'survey of the field', ...}]
    assert "no papers joined the list" in readers_digest(database, settings)


# 2. A plain '+' checklist in a prose section (Contribution) makes the whole file "not a list".
def test_a_plus_checklist_in_the_contribution_section_does_not_refuse_the_file(
    database: Database, settings: Settings
) -> None:
    seed = seed_text(settings)
    edited = seed.replace(
        "The main maintainer is Yihao Quan",
        "How to contribute:\n\n+ Fork this repository\n+ Add your paper to its section, newest first\n"
        "+ Open a pull request\n\nThe main maintainer is Yihao Quan",
    )
    assert not [f for f in lint_text(edited) if f.code == "no-link"]  # was: 3 errors "entry has no [Title](url)"
    report = reimport(database, edited)  # was: ListFormatError edited.md:349: entry has no [Title](url) link
    assert (report.added, report.removed) == ([], [])


# 3. A fenced code block anywhere in a section (an install snippet under one tool) drops ALL its entries.
TOOL_STAR = (
    "  [![Star](https://img.shields.io/github/stars/Prisma-Multimodal/ViT-Prisma.svg?style=social&label=Star)]"
    "(https://github.com/Prisma-Multimodal/ViT-Prisma)\n"
)


def test_a_code_snippet_under_one_entry_keeps_every_entry_of_the_section(
    database: Database, settings: Settings
) -> None:
    seed = seed_text(settings)
    assert seed.count(TOOL_STAR) == 1
    edited = seed.replace(TOOL_STAR, TOOL_STAR + "  ```bash\n  pip install vit-prisma\n  ```\n")
    report = reimport(database, edited)
    assert markdown(database, settings) == edited
    assert report.removed == [], [r["title"] for r in report.removed]  # was: all 5 Tool entries "removed"
    with database.reading() as session:
        assert "2504.19475" in liststore.known_keys(session).arxiv_ids  # Prisma: would be suggested again
    # lint stops checking the section too: the seed's arxiv-id-conflict at the Tool entry (line 334 + 3) is gone
    assert any(f.code == "arxiv-id-conflict" and f.line == 337 for f in lint_text(edited))


def test_an_approval_into_a_section_with_a_code_snippet_goes_at_its_date(
    database: Database, settings: Settings
) -> None:
    seed = seed_text(settings)
    reimport(database, seed.replace(TOOL_STAR, TOOL_STAR + "  ```bash\n  pip install vit-prisma\n  ```\n"))
    approve(database, settings, real_papers()[1], "Tool")  # Apr. 11, 2025: right under Prisma (Apr. 28, 2025)
    tool = markdown(database, settings).split("Tool\n", 1)[1].split("Contribution\n", 1)[0]
    assert tool.index("(Apr. 11, 2025)") < tool.index("(Oct. 09, 2024)")  # was: last, below the 2023 entry


# 4. A paper approved next to an entry the maintainers commented out lands inside the HTML comment: invisible.
def test_an_approved_paper_is_never_written_inside_an_html_comment(database: Database, settings: Settings) -> None:
    seed = seed_text(settings)
    start, end = seed.index("+ **Concept Sliders**"), seed.index("+ **Latent Space Steering")
    edited = (
        seed[:start]
        + "<!-- link is dead: put back once the paper is on arXiv\n"
        + seed[start:end].rstrip("\n")
        + "\n-->\n\n"
        + seed[end:]
    )
    reimport(database, edited)
    approve(database, settings, paper_dated(4, "2024-11-20"), "Steering")  # between Nov. 30 and Nov. 10, 2024
    after = markdown(database, settings)
    new_line = after.index("](https://arxiv.org/abs/2406.03662)")
    opened, closed = after.rfind("<!--", 0, new_line), after.rfind("-->", 0, new_line)
    assert not opened > closed, "the approved entry is inside <!-- ... -->, so GitHub does not show it"


# 5. Fixing a typo in a listed paper's title makes it a new paper: "1 added, 1 removed", and readers are told of it.
def test_fixing_a_typo_in_a_title_is_not_a_new_paper(database: Database, settings: Settings) -> None:
    seed = seed_text(settings)
    wrong = "for Visio-Linguistic Compositionality]"
    assert seed.count(wrong) == 1
    edited = seed.replace(wrong, "for Visiolinguistic Compositionality]")  # same entry, same arXiv 2204.03162
    before = paper_row(database, "2204.03162")
    report = reimport(database, edited)
    assert (report.added, report.removed) == ([], []), (report.added, report.removed)
    after = paper_row(database, "2204.03162")
    assert after["title"].endswith("for Visiolinguistic Compositionality")
    assert {k: after[k] for k in ("id", "origin", "added_at")} == {k: before[k] for k in ("id", "origin", "added_at")}
    assert "no papers joined the list" in readers_digest(database, settings)  # was: "1 new paper joined"


# 5b. The same for a paper without an arXiv ID (a blog post, an OpenReview or AAAI paper: 14 of the seed's entries):
# it is the paper its title links to.
def test_fixing_a_typo_in_the_title_of_a_paper_without_an_arxiv_id_is_not_a_new_paper(
    database: Database, settings: Settings
) -> None:
    seed = seed_text(settings)
    wrong = "[Probing Representations of Numbers in Vision and Language Models](https://openreview.net/forum?id="
    assert seed.count(wrong) == 1
    edited = seed.replace(wrong, wrong.replace("Vision and Language", "Vision-Language"))

    def openreview_paper() -> dict[str, Any]:
        with database.reading() as session:
            paper = session.scalars(select(Paper).where(Paper.url.like("https://openreview.net/forum?id=01hQ%"))).one()
            return {"id": paper.id, "title": paper.title, "origin": paper.origin, "added_at": paper.added_at}

    before = openreview_paper()
    report = reimport(database, edited)
    # was: "1 added, 1 removed", a paper of origin "import" added now: new on the page, in the feed and the digest
    assert (report.added, report.removed) == ([], []), (report.added, report.removed)
    after = openreview_paper()
    assert after["title"] == "Probing Representations of Numbers in Vision-Language Models"
    assert {k: after[k] for k in ("id", "origin", "added_at")} == {k: before[k] for k in ("id", "origin", "added_at")}
    assert "no papers joined the list" in readers_digest(database, settings)
    assert markdown(database, settings) == edited


# 5c. An approved paper whose title a maintainer then fixed by hand, and moved to another section: the readers' digest
# named it by arXiv's title, under the section it was approved into, as the list no longer has it.
def test_the_weekly_digest_shows_an_approved_paper_as_the_list_holds_it(database: Database, settings: Settings) -> None:
    record = real_papers()[1]
    approve(database, settings, record, "Steering")
    text = markdown(database, settings)
    start = text.index(f"+ [{record['title']}](https://arxiv.org/abs/{record['arxiv_id']})")
    end = text.index("\n+ ", start) + 1
    block = text[start:end].replace(record["title"], "Steering CLIP's Vision Transformer with Sparse Autoencoders")
    text = text[:start] + text[end:]
    sae = text.index("\n+ ", text.index(" Sparse Autoencoder\n")) + 1
    reimport(database, text[:sae] + block + text[sae:])

    digest = readers_digest(database, settings)
    assert "Steering CLIP's Vision Transformer with Sparse Autoencoders" in digest, digest
    assert record["title"] not in digest
    section = digest.split("Sparse Autoencoder\n", 1)[1].split("\n## ", 1)[0]
    assert "Steering CLIP's Vision Transformer" in section  # was: under Steering, where the list no longer has it


# 6. A note under the last entry of a section, written without indent (a lazy continuation), is cut off its entry.
def test_a_new_oldest_entry_does_not_split_the_last_entry_from_its_note(own_list: Any) -> None:
    text = (
        "# Awesome X\n\n## Papers\n\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
        "+ [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
        "Note: superseded by the journal version.\n\n"
        "## Contribution\n\nSend pull requests.\n"
    )
    settings, database = own_list(text)
    approve(database, settings, paper_dated(4, "2022-11-20"), "Papers")
    after = markdown(database, settings)
    assert "(Jan. 4, 2023)\nNote: superseded by the journal version.\n" in after  # was: new entry in between


# 7. A BOM (Windows editors) hides the first heading: its section and entries vanish from the database.
def test_a_byte_order_mark_does_not_hide_the_first_section(own_list: Any) -> None:
    text = (
        "## Papers\n\n+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
        "## Tools\n\n+ [Beta tool](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    )
    settings, database = own_list(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert markdown(database, settings).encode("utf-8") == b"\xef\xbb\xbf" + text.encode("utf-8")
    with database.reading() as session:
        assert liststore.section_names(session) == ["Papers", "Tools"]  # was: ["Tools"]
        assert "2401.00001" in liststore.known_keys(session).arxiv_ids


# 8. A setext heading ("Papers" underlined) is a heading on GitHub; here its entries belong to the section above.
def test_a_setext_heading_is_a_section(own_list: Any) -> None:
    text = (
        "# Awesome X\n\nA list.\n\nPapers\n------\n\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
        "## Contribution\n\nSend pull requests.\n"
    )
    _, database = own_list(text)
    with database.reading() as session:
        assert liststore.section_names(session) == ["Papers"]  # was: ["Awesome X"]


# 9. Yearly sub-sections with the same names: adding a new year reports every old entry as "moved Probing -> Probing".
def test_adding_a_year_with_the_same_section_names_moves_nothing(own_list: Any) -> None:
    year_2024 = (
        "## 2024\n\n### Probing\n\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
        "+ [Alpha two](https://arxiv.org/abs/2401.00002) (Jan. 3, 2024)\n\n"
        "### Steering\n\n+ [Beta paper](https://arxiv.org/abs/2402.00002) (Feb. 4, 2024)\n\n"
    )
    year_2025 = (
        "## 2025\n\n### Probing\n\n+ [Gamma paper](https://arxiv.org/abs/2501.00001) (Jan. 5, 2025)\n\n"
        "### Steering\n\n+ [Delta paper](https://arxiv.org/abs/2502.00002) (Feb. 4, 2025)\n\n"
    )
    _, database = own_list("# Awesome X\n\n" + year_2024)
    report = reimport(database, "# Awesome X\n\n" + year_2025 + year_2024)
    assert [a["title"] for a in report.added] == ["Gamma paper", "Delta paper"]
    assert report.moved == [], [(m["from"], m["to"], m["title"]) for m in report.moved]


# 10. A new, still empty section cannot receive its first paper, and the refusal says it does not exist.
def test_a_new_empty_section_can_receive_its_first_approval(database: Database, settings: Settings) -> None:
    seed = seed_text(settings)
    tool = seed.index("## \uf8ff\u00fc\u00ec\u00f6 Tool")
    edited = seed[:tool] + "### Circuits\n([Back to Table of Contents](#table-of-contents))\n\n\n" + seed[tool:]
    reimport(database, edited)
    approve(database, settings, real_papers()[0], "Circuits")  # was: ReviewError no section named 'Circuits'
    circuits = markdown(database, settings).split("### Circuits\n", 1)[1].split("## ", 1)[0]
    assert "https://arxiv.org/abs/2505.16146" in circuits


# 11. A '+' entry edited by hand (an emoji before its title, the title in italics, a link title) turns into text glued
# to the entry above: the import removes the paper from the list without a word.
OPEN_PROBLEMS = "+ [Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496) (Jan. 27, 2025)"


def listed_arxiv_ids(database: Database) -> set[str]:
    """The arXiv IDs of the papers the list's entries hold (what the web list page and feeds show)."""
    with database.reading() as session:
        return set(
            session.scalars(
                select(Paper.arxiv_id).join(Entry, Entry.paper_id == Paper.id).where(Paper.arxiv_id.is_not(None))
            )
        )


@pytest.mark.parametrize(
    "edited",
    [
        "+ 🔥 [Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496) (Jan. 27, 2025)",
        "+ *[Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496)* (Jan. 27, 2025)",
        '+ [Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496 "arXiv") (Jan. 27, 2025)',
        # GitHub shows ':fire:' as the emoji: a maintainer writes it so as often as the emoji itself
        "+ :fire: [Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496) (Jan. 27, 2025)",
        "+ :new: **Open Problems** [Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496)",
    ],
    ids=["emoji-before-title", "italic-title", "link-title-attribute", "shortcode-before-title", "shortcode-first"],
)
def test_a_plus_entry_of_the_list_edited_by_hand_is_not_silently_dropped(
    database: Database, settings: Settings, edited: str
) -> None:
    seed = seed_text(settings)
    assert OPEN_PROBLEMS in seed
    try:
        report = reimport(database, seed.replace(OPEN_PROBLEMS, edited))
    except ListFormatError:
        return  # refused in one line, nothing lost: acceptable
    assert [row["title"] for row in report.removed] == []  # was: ['Open Problems in Mechanistic Interpretability']
    assert "2501.16496" in listed_arxiv_ids(database)


# 12. A comment left open on an entry's indented line hides every entry down to the next '-->' further down; GitHub
# ends it with the entry and shows them.
OPEN_PROBLEMS_BADGE = "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2501.16496)\n"
LAST_SURVEY_BADGE = "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2412.02104)\n"


def test_a_comment_left_open_inside_one_entry_does_not_hide_the_entries_after_it(
    database: Database, settings: Settings
) -> None:
    from markdown_it import MarkdownIt

    seed = seed_text(settings)
    assert seed.count(OPEN_PROBLEMS_BADGE) == 1 and seed.count(LAST_SURVEY_BADGE) == 1
    edited = seed.replace(OPEN_PROBLEMS_BADGE, OPEN_PROBLEMS_BADGE + "  <!-- venue: ICLR 2026? confirm\n").replace(
        LAST_SURVEY_BADGE, LAST_SURVEY_BADGE + "  <!-- also at the NeurIPS 2024 workshop -->\n"
    )
    rendered = MarkdownIt("commonmark").render(edited)
    assert (
        'href="https://arxiv.org/abs/2412.14056"' in rendered and 'href="https://arxiv.org/abs/2412.02104"' in rendered
    )
    report = reimport(database, edited)
    assert [row["title"] for row in report.removed] == []  # was: the 2 entries between the two comments
    assert {"2412.14056", "2412.02104"} <= listed_arxiv_ids(database)


# 13. A comment written under a section after a blank line is stored as part of its last entry: undoing the approval
# of that entry deletes the comment with it.
TWO_SECTIONS = """# Awesome Things

## Papers

+ [A Newer Paper](https://arxiv.org/abs/2601.00001) (Jan. 5, 2026)

## Tools

+ [A Tool](https://github.com/x/y) (Jan. 1, 2025)
"""
TO_DO = "<!-- To do: the 2024 workshop papers go below, oldest last. -->\n"


def test_undoing_an_approval_keeps_the_comment_a_maintainer_wrote_after_it(own_list: Any) -> None:
    settings, database = own_list(TWO_SECTIONS)
    candidate_id = insert_candidate(database, real_papers()[0])  # published 2025: below the 2026 entry
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    reviewer.decide(candidate_id, "approve", ANN, section="Papers")
    edited = markdown(database, settings).replace("\n## Tools", "\n" + TO_DO + "\n## Tools")
    assert TO_DO in edited
    reimport(database, edited)
    reviewer.decide(candidate_id, "revert", ANN)
    after = markdown(database, settings)
    assert "2505.16146" not in after  # the approval is undone
    assert TO_DO in after, after  # was: gone with the entry


def test_sanity_the_seed_parses_as_the_tests_assume(settings: Settings) -> None:
    parsed = parse_list(seed_text(settings))
    names = [section.name for section in parsed.sections]
    assert "News" in names and "Tool" in names and "Contribution" in names


def test_a_hand_edit_of_the_list_file_is_kept_when_a_decision_writes_the_file(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A maintainer fixes a typo in data/list.md, meaning to `digest list import` it; an approval on Discord comes
    first and writes the file from the database. Was: the edit was gone, with no copy and no word in the log (a copy
    was kept only when the file lost entries)."""
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    reviewer.decide(insert_candidate(database, real_papers()[0]), "approve", ANN, section="Probing")
    reviewer.decide(insert_candidate(database, real_papers()[1]), "approve", ANN, section="Probing")
    path = settings.list_markdown_path
    assert not path.with_name("list.md.1").exists()  # the service's own writes keep no copies
    edited = path.read_text(encoding="utf-8").replace("LVLM-Intrepret", "LVLM-Interpret")
    path.write_text(edited, encoding="utf-8")
    reviewer.decide(insert_candidate(database, real_papers()[3]), "approve", ANN, section="Probing")
    assert path.with_name("list.md.1").read_text(encoding="utf-8") == edited
    assert real_papers()[3]["arxiv_id"] in path.read_text(encoding="utf-8")
    importing = f"(edits go through `{same_invocation(settings, 'list', 'import', 'PATH')}`)"  # as the service is run
    assert any("list.md.1" in record.getMessage() and importing in record.getMessage() for record in caplog.records)


def test_a_kept_hand_edit_survives_three_undos_after_it(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A hand edit kept by a decision's write shared the three rotating copies with the undos that followed: each
    undo (an entry fewer) kept its previous file as list.md.1, so the third pushed the maintainer's edit out of
    list.md.3 with no word. Was: the edited text was in no file of the data folder."""
    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    approved = [insert_candidate(database, real_papers()[index]) for index in (0, 1, 3)]
    for candidate_id in approved:
        reviewer.decide(candidate_id, "approve", ANN, section="Probing")
    path = settings.list_markdown_path
    edited = path.read_text(encoding="utf-8").replace("LVLM-Intrepret", "LVLM-Interpret")
    path.write_text(edited, encoding="utf-8")
    caplog.clear()
    latest = insert_candidate(database, real_papers()[4])
    reviewer.decide(latest, "approve", ANN, section="Probing")  # writes the file: the edit is kept
    assert path.with_name("list.md.1").read_text(encoding="utf-8") == edited
    said = " ".join(record.getMessage() for record in caplog.records)
    for candidate_id in (latest, *approved[:0:-1]):  # three routine undos, an entry fewer each
        reviewer.decide(candidate_id, "revert", ANN)
    assert path.read_text(encoding="utf-8") != edited  # never imported: the file is the database's
    copies = sorted(p.name for p in path.parent.glob("list.md.*") if p.read_text(encoding="utf-8") == edited)
    assert copies == ["list.md.edited.1"], copies  # was: [], the edit gone from list.md.1..3
    assert "list.md.edited.1" in said  # the log line of the write that kept it names where it stays
    assert not path.with_name("list.md.4").exists()


def test_a_hand_edit_found_at_start_up_is_kept_apart_from_the_rotation(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The start-up re-write (a file that does not match the database) follows the same rule as a decision's write.
    Was: it kept the edit in list.md.1 only, where the next three undos pushed it out."""
    from digest.service.wiring import list_file_in_step

    Reviewer(database, settings, clock=lambda: NOW).decide(
        insert_candidate(database, real_papers()[0]), "approve", ANN, section="Probing"
    )
    path = settings.list_markdown_path
    written = path.read_text(encoding="utf-8")
    edited = written.replace("LVLM-Intrepret", "LVLM-Interpret")
    path.write_text(edited, encoding="utf-8")
    assert list_file_in_step(database, settings)
    assert path.read_text(encoding="utf-8") == written
    assert path.with_name("list.md.1").read_text(encoding="utf-8") == edited
    assert path.with_name("list.md.edited.1").read_text(encoding="utf-8") == edited  # was: no such file
    importing = f"(edits go through `{same_invocation(settings, 'list', 'import', 'PATH')}`)"  # as the service is run
    assert any("list.md.edited.1" in r.getMessage() and importing in r.getMessage() for r in caplog.records)


# 14. A paper the list holds under a title of its own ('LLM Auto-Formulation', linked by its arXiv ID), approved into
# another section: the new entry was written with arXiv's title (and no short name where the list gives it one), which
# the list reads as another paper, so the next import of the file just written reported it added and the list's one
# removed.
@pytest.mark.parametrize("short", ["", "**LAF** "], ids=["title", "short-name"])
def test_a_paper_the_list_titles_its_own_way_is_approved_into_another_section_under_that_title(
    own_list: Any, short: str
) -> None:
    record = paper_dated(5, "2025-05-01")
    own = f"{short}[LLM Auto-Formulation](https://arxiv.org/abs/{record['arxiv_id']}) (May. 1, 2025)"
    text = (
        f"# X\n\n## Papers\n\n+ {own}\n\n"
        f"+ {short.replace('LAF', 'LoS')}[Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025)\n\n"
        f"## Vision\n\n+ {short.replace('LAF', 'VLM')}[Linear structure of VLM embeddings]"
        "(https://arxiv.org/abs/2504.11695) (Apr. 16, 2025)\n"
    )
    settings, database = own_list(text)
    approve(database, settings, record, "Vision")
    after = markdown(database, settings)
    assert after == text.replace("## Vision\n\n", f"## Vision\n\n+ {own}\n\n")  # was: arXiv's title
    report = reimport(database, after)
    assert (report.changed, report.added, report.removed) == (False, [], [])  # was: added and removed


class Killed(BaseException):
    """The process stopping dead (kill -9, a power cut): nothing after this point of the write runs."""


@pytest.mark.parametrize("moment", ["before the replace", "after the replace"])
def test_a_write_cut_short_around_the_replace_is_no_hand_edit_next_time(
    database: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    moment: str,
) -> None:
    """The service died between replacing list.md and noting in .list.md.written what it wrote there: the next
    decision took the service's own file for a hand edit not imported, kept it as list.md.edited.1 (pushing out a
    real hand edit kept there) and warned the maintainer of an edit nobody made. Either file is now the service's."""
    from digest.awesome import listfile
    from digest.storage.files import write_atomic_bytes as written

    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    reviewer.decide(insert_candidate(database, real_papers()[0]), "approve", ANN, section="Probing")
    path = settings.list_markdown_path

    def dies_at_the_replace(target: Path, data: bytes, *more: bytes, staged: Staged | None = None) -> None:
        if target == path and moment == "before the replace":
            raise Killed
        written(target, data, *more, staged=staged)
        if target == path:
            raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(listfile, "write_atomic_bytes", dies_at_the_replace)
        with pytest.raises(Killed):
            reviewer.decide(insert_candidate(database, real_papers()[1]), "approve", ANN, section="Probing")
    caplog.clear()
    reviewer.decide(insert_candidate(database, real_papers()[3]), "approve", ANN, section="Probing")
    assert real_papers()[3]["arxiv_id"] in path.read_text(encoding="utf-8")
    assert not path.with_name("list.md.edited.1").exists()
    assert not [r.getMessage() for r in caplog.records if "edited since the service last wrote it" in r.getMessage()]


def test_a_list_file_behind_the_database_at_start_up_names_the_import_as_the_service_is_run(
    database: Database, settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decision killed before its list.md was written: the start-up re-write said edits go through the bare
    `digest list import`, which run from a maintainer's shell acts on ./data there. It names the service's settings
    file and data folder."""
    from digest.awesome import listfile
    from digest.service.wiring import list_file_in_step

    reviewer = Reviewer(database, settings, clock=lambda: NOW)
    reviewer.decide(insert_candidate(database, real_papers()[0]), "approve", ANN, section="Probing")

    def dies(target: Path, data: bytes, *more: bytes, staged: Staged | None = None) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(listfile, "write_atomic_bytes", dies)
        with pytest.raises(Killed):
            reviewer.decide(insert_candidate(database, real_papers()[1]), "approve", ANN, section="Probing")
    caplog.clear()
    assert list_file_in_step(database, settings)
    said = [r.getMessage() for r in caplog.records if "did not match the database" in r.getMessage()]
    importing = f"(a write cut short, or an edit of the file: edits go through `{same_invocation(settings)} list import"
    assert len(said) == 1 and f"{importing} PATH`); written again" in said[0], said
