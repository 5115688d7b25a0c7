"""A section named the way people name it: `digest approve --section`, decisions import, the review page and Discord
all find the list's section through `resolve_section`, and the outside replay approves "into their section" with the
labels of the judged papers ("(Beyond) Logit Lens" for the list's "Beyond or Logit Lens")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from digest.awesome.sectionnames import match_section
from digest.cli import main
from digest.config import Settings
from digest.storage.db import Database
from tests.factories import insert_candidate, real_papers
from tests.list_edits import activation_headings, imported

LIST_SECTIONS = [
    "Surveys",
    "Blog",
    "Input-level Attribution",
    "Sparse Autoencoder",
    "Probing",
    "Beyond or Logit Lens",
    "Causal Tracing",
    "Steering",
    "Representation",
    "Neuron Analysis",
    "Attention",
    "Tool",
]


def named(wanted: str, sections: list[str] = LIST_SECTIONS) -> str | None:
    found = match_section(wanted, [(name, name.lower().replace(" ", "-")) for name in sections])
    return None if found is None else sections[found]


@pytest.mark.parametrize(
    ("wanted", "section"),
    [
        ("Beyond or Logit Lens", "Beyond or Logit Lens"),
        ("🔭 beyond-or-logit-lens:", "Beyond or Logit Lens"),
        ("(Beyond) Logit Lens", "Beyond or Logit Lens"),
        ("logit lens", "Beyond or Logit Lens"),
        ("Sparse Autoencoders", "Sparse Autoencoder"),
        ("Representations", "Representation"),
        ("attribution", "Input-level Attribution"),
        ("neuron analysis", "Neuron Analysis"),
    ],
)
def test_a_section_is_found_by_the_names_people_give_it(wanted: str, section: str) -> None:
    assert named(wanted) == section


@pytest.mark.parametrize("wanted", ["Nowhere", "SAE", "or", "", "Sparse Autoencoders and friends", "Steering Probing"])
def test_a_name_that_is_not_a_section_finds_none(wanted: str) -> None:
    assert named(wanted) is None


def test_a_name_that_fits_two_sections_finds_neither() -> None:
    sections = ["Neuron Analysis", "Circuit Analysis"]
    assert named("analysis", sections) is None
    assert named("circuit analysis", sections) == "Circuit Analysis"


def test_the_exact_name_wins_over_a_looser_fit() -> None:
    """ "Probing" is one section's name and a word of another's: the name decides, not the ambiguity."""
    sections = ["Probing", "Probing Tools"]
    assert named("probing", sections) == "Probing"
    assert named("tools", sections) == "Probing Tools"


@pytest.fixture
def data_dir(data_dir: Path, database: Database) -> Path:
    """The data folder the `database` fixture opened (the bundled list in it), for the command line to work on."""
    return data_dir


def section_holding(markdown: str, arxiv_id: str) -> str:
    """The heading of the section whose entries link the paper."""
    heading = ""
    for line in markdown.splitlines():
        if line.startswith("#"):
            heading = line
        elif f"arxiv.org/abs/{arxiv_id}" in line:
            return heading
    raise AssertionError(f"{arxiv_id} is not in the list")


def test_approve_from_the_shell_into_a_section_named_as_the_judged_papers_name_it(
    data_dir: Path, database: Database, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    paper = real_papers()[0]
    candidate_id = insert_candidate(database, paper)
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", "(Beyond) Logit Lens"]) == 0
    assert "approved into Beyond or Logit Lens" in capsys.readouterr().out
    markdown = settings.list_markdown_path.read_text(encoding="utf-8")
    assert "Logit Lens" in section_holding(markdown, paper["arxiv_id"])


def test_decisions_import_takes_the_judged_papers_section_labels(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paper = real_papers()[1]
    row = {"arxiv_id": paper["arxiv_id"], "title": paper["title"], "abstract": paper["abstract"]}
    path = tmp_path / "verdicts.jsonl"
    path.write_text(
        json.dumps({**row, "decision": "approve", "section": "(Beyond) Logit Lens"}) + "\n", encoding="utf-8"
    )
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 0
    assert main(["--data-dir", str(data_dir), "decisions", "list"]) == 0
    assert "Beyond or Logit Lens" in capsys.readouterr().out


def test_a_name_that_fits_two_sections_is_refused_naming_them(
    data_dir: Path, database: Database, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--section activation` once the list has "Activation Patching" and "Activation Steering" was refused as "no
    section named 'activation' in the list", which it names twice: the answer names the two to choose from, and the
    same line refuses an earlier verdict naming it."""
    imported(data_dir, tmp_path, activation_headings)
    paper = real_papers()[0]
    candidate_id = insert_candidate(database, paper)
    before = settings.list_markdown_path.read_bytes()
    capsys.readouterr()
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", "activation"]) == 1
    said = "'activation' fits 2 sections of the list: Activation Patching, Activation Steering; name one of them"
    assert capsys.readouterr().err.strip() == f"digest: {said}"
    assert settings.list_markdown_path.read_bytes() == before

    row = {"arxiv_id": paper["arxiv_id"], "title": paper["title"], "abstract": paper["abstract"]}
    path = tmp_path / "verdicts.jsonl"
    path.write_text(json.dumps({**row, "decision": "approve", "section": "activation"}) + "\n", encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "decisions", "import", str(path)]) == 1
    assert f"{path}:1: {said}" in capsys.readouterr().err.splitlines()
    assert main(["--data-dir", str(data_dir), "approve", str(candidate_id), "--section", "activation steering"]) == 0
    assert "Activation Steering" in section_holding(settings.list_markdown_path.read_text("utf-8"), paper["arxiv_id"])
