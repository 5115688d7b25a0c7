"""The list in a real SQLite file: byte-identical round trip, diffs of imports, entries added at their place."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from digest.awesome import store as liststore
from digest.awesome.lint import lint_text
from digest.awesome.parse import ListFormatError, parse_list
from digest.config import Settings
from digest.resources import seed_list_path
from digest.storage.connections import BULK_CHANGES_KIB
from digest.storage.db import Database, open_database
from digest.storage.models import Entry, Paper, Section
from tests.conftest import DATA_DIR
from tests.list_edits import changed_lines


def sections_holding(paper: Paper) -> list[str]:
    """The sections that list a paper, in the list's order."""
    return [name for _, name in sorted({(e.section.position, e.section.name) for e in paper.entries})]


NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def real_paper(arxiv_id: str) -> dict[str, Any]:
    with (DATA_DIR / "weekly_papers.jsonl").open(encoding="utf-8") as handle:
        return next(p for p in map(json.loads, handle) if p["arxiv_id"] == arxiv_id)


def render(database: Database, settings: Settings) -> str:
    with database.reading() as session:
        return liststore.render_markdown(session, settings.templates_dir)


def dump(database: Database) -> list[Any]:
    """Every row of the list tables, to show an operation changed nothing."""
    with database.reading() as session:
        rows: list[Any] = []
        for model in (Section, Paper, Entry):
            for row in session.scalars(select(model).order_by(model.id)):
                rows.append({c.key: getattr(row, c.key) for c in model.__table__.columns})
        return rows


def add(database: Database, record: dict[str, Any], section: str, **extra: Any) -> None:
    with database.transaction() as session:
        liststore.add_paper_entry(
            session,
            section_name=section,
            title=record["title"],
            arxiv_id=record["arxiv_id"],
            url=f"https://arxiv.org/abs/{record['arxiv_id']}",
            code_url=extra.pop("code_url", None),
            published=extra.pop("published", date.fromisoformat(record["published"])),
            authors=[],
            abstract=record["abstract"],
            short_name=extra.pop("short_name", None),
            now=NOW,
        )


def test_seed_round_trips_byte_for_byte_through_the_database(database: Database, settings: Settings) -> None:
    seed = settings.seed_list.read_bytes()
    assert render(database, settings).encode("utf-8") == seed
    assert settings.list_markdown_path.read_bytes() == seed  # written at creation


def test_counts_in_the_database_match_the_file(database: Database, settings: Settings) -> None:
    text = settings.seed_list.read_text(encoding="utf-8")
    headings = len(re.findall(r"^#{1,6} ", text, re.MULTILINE))
    entries = len(re.findall(r"^\+ ", text, re.MULTILINE))
    title_ids = set(re.findall(r"^\+ .*?\]\(https://(?:www\.)?arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{5})\)", text, re.M))
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Section)) == headings
        assert session.scalar(select(func.count()).select_from(Entry)) == entries == 72
        title_link_ids = {
            p.arxiv_id for p in session.scalars(select(Paper)) if p.arxiv_id and p.arxiv_id in (p.url or "")
        }
        assert title_link_ids == title_ids
        # One paper in two sections is one row: "Causal Tracing Tool 4 BLIP" sits in Causal Tracing and Tool.
        blip = session.scalars(select(Paper).where(Paper.arxiv_id == "2308.14179")).one()
        assert sorted(e.section.name for e in blip.entries) == ["Causal Tracing", "Tool"]
        assert blip.code_url and blip.code_url.startswith("https://github.com/vedantpalit/")
        kinds = {p.title[:20]: p.kind for p in session.scalars(select(Paper))}
        assert kinds["Open Problems in Mec"] == "survey" and kinds["Prisma : An Open Sou"] == "tool"
        sliders = session.scalars(select(Paper).where(Paper.title.like("Concept Sliders%"))).one()
        assert sliders.url and "springer" in sliders.url and sliders.code_url == "https://sliders.baulab.info/"
        keys = liststore.known_keys(session)
        assert {"2411.16198", "2506.23270", "2307.13339"} <= keys.arxiv_ids
        assert "probing representations of numbers in vision and language models" in keys.title_keys
        listed = {paper.title: sections_holding(paper) for paper in session.scalars(select(Paper))}
        assert listed["Decoding Vision Transformers: the Diffusion Steering Lens"] == [
            "Beyond or Logit Lens",
            "Steering",
        ]


def test_reimport_of_the_same_bytes_changes_nothing(database: Database, settings: Settings) -> None:
    before = dump(database)
    with database.transaction() as session:
        report = liststore.import_markdown(session, settings.seed_list.read_bytes(), source="seed", now=NOW)
    assert not report.changed and (report.added, report.moved, report.removed) == ([], [], [])
    assert (report.entries_total, report.sections_total) == (72, 12)
    assert dump(database) == before


def spill_threshold(session: Session) -> int:
    """The pages of changes the session's connection keeps in memory before it writes them to the log."""
    return int(session.execute(text("PRAGMA cache_spill")).scalar_one())


def test_an_import_that_changes_the_list_keeps_its_changes_in_memory_until_it_commits(tmp_path: Path) -> None:
    """With SQLite's own threshold (its 2 MB cache) a big import wrote its changed pages to the write-ahead log page by
    page as the cache filled, and again at each later change (bench/bench_list_import.py). The import's transaction
    keeps up to 64 MB of changes; its connection goes back to the pool with the threshold it had."""
    with sqlite3.connect(":memory:") as plain:
        default = int(plain.execute("PRAGMA cache_spill").fetchone()[0])
        plain.execute(f"PRAGMA cache_spill=-{BULK_CHANGES_KIB}")
        held = int(plain.execute("PRAGMA cache_spill").fetchone()[0])
    database = open_database(f"sqlite:///{tmp_path / 'digest.sqlite3'}")
    seen: list[int] = []
    try:
        with database.transaction(exclusive=True) as session:
            before = spill_threshold(session)
            used = session.connection().connection.dbapi_connection
            report = liststore.import_markdown(
                session,
                seed_list_path().read_bytes(),
                source="list.md",
                progress=lambda *_: seen.append(spill_threshold(session)),
            )
        with database.reading() as session:
            assert session.connection().connection.dbapi_connection is used  # the pool's one connection, again
            after = spill_threshold(session)
    finally:
        database.dispose()
    assert report.changed and report.entries_total == 72
    assert 15_000 < held < 16_384 and seen and set(seen) == {held}  # 64 MB in pages: 4 KiB and SQLite's own part
    assert before == after == default


def test_edited_file_reports_added_moved_removed(database: Database, settings: Settings) -> None:
    text = settings.seed_list.read_text(encoding="utf-8")
    prisma = re.search(r"\+ \*\*Prisma\*\*.*?\n\n", text, re.S)
    assert prisma is not None
    edited = text.replace(prisma.group(0), "")  # leaves Tool ...
    edited = edited.replace(
        "### \uf8ffüìú Attention\n([Back to Table of Contents](#table-of-contents))\n\n",
        "### \uf8ffüìú Attention\n([Back to Table of Contents](#table-of-contents))\n\n" + prisma.group(0),
    )  # ... and arrives in Attention
    lens = "+ **Diffusion Lens** [Diffusion Lens: Interpreting Text Encoders"
    start = edited.index(lens)
    edited = edited[:start] + edited[edited.index("+ **Attention Lens**", start) :]  # removed
    new = (
        "+ **HSAE** [Interpreting CLIP with Hierarchical Sparse Autoencoders]"
        "(https://arxiv.org/abs/2502.20578) (Feb. 27, 2025)\n\n"
    )
    edited = edited.replace("+ **SAE-V**", new + "+ **SAE-V**")
    with database.transaction() as session:
        report = liststore.import_markdown(session, edited.encode("utf-8"), source="edited.md", now=NOW)
    assert report.changed
    assert [(a["section"], a["title"]) for a in report.added] == [
        ("Sparse Autoencoder", "Interpreting CLIP with Hierarchical Sparse Autoencoders")
    ]
    assert [(m["from"], m["to"]) for m in report.moved] == [("Tool", "Attention")]
    assert [(r["section"], r["title"][:14]) for r in report.removed] == [("Beyond or Logit Lens", "Diffusion Lens")]
    assert render(database, settings) == edited
    with database.transaction() as session:
        again = liststore.import_markdown(session, edited.encode("utf-8"), source="edited.md", now=NOW)
    assert not again.changed


def test_new_entry_goes_at_its_date_and_touches_only_its_lines(database: Database, settings: Settings) -> None:
    before = render(database, settings)
    record = real_paper("2502.20578")  # Feb. 27, 2025: between Mar. 21 and Feb. 22 in Sparse Autoencoder
    add(database, record, "sparse autoencoder", short_name="Hierarchical SAE", code_url="https://github.com/x/hsae")
    after = render(database, settings)
    removed, inserted = changed_lines(before, after)
    assert removed == []
    assert sorted(inserted) == sorted(
        [
            "+ **Hierarchical SAE** [Interpreting CLIP with Hierarchical Sparse Autoencoders]"
            "(https://arxiv.org/abs/2502.20578) (Feb. 27, 2025)\n",
            "  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2502.20578)\n",
            "  [![Star](https://img.shields.io/github/stars/x/hsae.svg?style=social&label=Star)](https://github.com/x/hsae)\n",
            "\n",
        ]
    )  # (difflib may align the blank separator before or after the new lines: same bytes either way)
    section = after[after.index("Sparse Autoencoder\n") : after.index("Probing\n")]
    assert section.index("(Mar. 21, 2025)") < section.index("(Feb. 27, 2025)") < section.index("(Feb. 22, 2025)")
    parsed = parse_list(after)
    assert sum(len(s.entries) for s in parsed.sections) == 73


@pytest.mark.parametrize(("section", "published"), [("Attention", date(2019, 1, 2)), ("Surveys", date(2031, 1, 1))])
def test_new_entry_at_either_end_of_a_section_adds_only_lines(
    database: Database, settings: Settings, section: str, published: date
) -> None:
    before = render(database, settings)
    add(database, real_paper("2501.02029"), section, published=published)
    removed, inserted = changed_lines(before, render(database, settings))
    assert removed == [] and inserted[0].startswith("+ [Spot Risks Before Speaking!") and inserted[-1] == "\n"
    assert len(inserted) == 3


def test_removing_the_added_entry_restores_the_bytes(database: Database, settings: Settings) -> None:
    before = render(database, settings)
    add(database, real_paper("2503.09046"), "Neuron Analysis")
    with database.transaction() as session:
        paper = session.scalars(select(Paper).where(Paper.arxiv_id == "2503.09046")).one()
        assert liststore.remove_paper_entry(session, paper_id=paper.id, section_name="neuron-analysis", now=NOW)
        assert not liststore.remove_paper_entry(session, paper_id=paper.id, section_name="neuron-analysis", now=NOW)
    assert render(database, settings) == before


def test_adding_twice_to_a_section_keeps_one_entry(database: Database, settings: Settings) -> None:
    record = real_paper("2505.17425")
    add(database, record, "Attention")
    add(database, record, "Attention")
    add(database, record, "Representation")  # a second section is fine: same paper row
    markdown = render(database, settings)
    assert markdown.count("[Debiasing CLIP: Interpreting and Correcting Bias in Attention Heads]") == 2
    with database.reading() as session:
        assert len(session.scalars(select(Paper).where(Paper.arxiv_id == "2505.17425")).all()) == 1


def test_hostile_title_and_urls_cannot_break_the_list(database: Database, settings: Settings) -> None:
    record = dict(real_paper("2410.00318"))
    record["title"] = "Probing](https://evil.example) <script>alert(1)</script>\n+ `*[x]*` @everyone"
    before_findings = len(lint_text(render(database, settings)))
    add(database, record, "Probing", short_name="**Bold** <b>", code_url="javascript:alert(1)")
    markdown = render(database, settings)
    assert "<script>" not in markdown and "javascript:" not in markdown
    assert not re.search(r"(?<!\\)\]\(https://evil", markdown)  # the bracket is escaped: no link to evil
    entry = next(e for s in parse_list(markdown).sections for e in s.entries if "evil" in (e.title or ""))
    assert entry.title == " ".join(record["title"].split()) and entry.url == "https://arxiv.org/abs/2410.00318"
    assert entry.short_name == "**Bold** <b>" and entry.code_url is None
    assert len(lint_text(markdown)) == before_findings  # no new finding: no markup, no bad link


def test_unknown_section_or_bad_identifiers_are_refused(database: Database, settings: Settings) -> None:
    record = real_paper("2410.00318")
    with pytest.raises(ListFormatError, match="no section named"):
        add(database, record, "Contribution")  # a text section holds no papers
    with database.transaction() as session, pytest.raises(ListFormatError, match="not an arXiv identifier"):
        liststore.add_paper_entry(
            session,
            section_name="Probing",
            title="T",
            arxiv_id="nope",
            url=None,
            code_url=None,
            published=None,
            authors=[],
            abstract=None,
            now=NOW,
        )


@pytest.mark.parametrize(
    "make_bad",
    [
        lambda seed: b"# Notes\n\nNo list here.\n",
        lambda seed: seed[: seed.index(b"(https://arxiv.org/abs/2503.20483)") + 30],
        lambda seed: seed.replace(
            b"[Probing the Role of Positional Information in Vision-Language Models](https://arxiv.org/abs/2305.10046)",
            b"Probing the Role of Positional Information",
        ),
        lambda seed: seed.replace(b"Winoground", b"Wino\xffground"),
        lambda seed: seed + b" " * (5 * 1024 * 1024),
    ],
    ids=["not-a-list", "truncated", "entry-without-link", "not-utf8", "too-large"],
)
def test_bad_files_are_refused_in_one_line_and_leave_the_database(
    database: Database, settings: Settings, make_bad: Any
) -> None:
    before = dump(database)
    with pytest.raises(ListFormatError) as caught, database.transaction() as session:
        liststore.import_markdown(session, make_bad(settings.seed_list.read_bytes()), source="bad.md", now=NOW)
    assert str(caught.value).startswith("bad.md") and "\n" not in str(caught.value)
    assert dump(database) == before


def test_title_with_markup_is_imported_as_text_and_linted(database: Database, settings: Settings) -> None:
    seed = settings.seed_list.read_bytes()
    edited = seed.replace(
        b"[Multimodal Neurons in Pretrained Text-Only Transformers]",
        b"[Multimodal <b>Neurons</b> in **Pretrained** Text-Only Transformers]",
    )
    with database.transaction() as session:
        report = liststore.import_markdown(session, edited, source="markup.md", now=NOW)
    assert report.changed and render(database, settings).encode("utf-8") == edited
    line = edited[: edited.index(b"<b>Neurons")].count(b"\n") + 1
    assert [f.line for f in lint_text(edited.decode("utf-8")) if f.code == "title-markup"] == [line]


def test_write_markdown_replaces_the_file_whole(database: Database, settings: Settings) -> None:
    add(database, real_paper("2412.02946"), "Probing")
    with database.reading() as session:
        path = liststore.write_markdown(session, settings)
    assert path == settings.list_markdown_path
    assert path.read_text(encoding="utf-8") == render(database, settings)
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
