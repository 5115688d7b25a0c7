"""The relevance model as maintainers live with it for months: a new list with few papers, sections renamed or removed
by hand, approvals and imported verdicts that are not (or no longer) in the list, and what the model says about them
in `digest score` (what the review page, Discord and the weekly digest show too).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import DATA_DIR, make_settings
from tests.feedbuild import build_rss
from tests.relevance_papers import ScoredPaper, scored

# Two papers of the bundled list (their abstracts ship with the package) and one that is on no list.
OPEN_PROBLEMS = "+ [Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496) (Jan. 27, 2025)\n"
UNKNOWN_PAPER = (
    "+ [Junction Tree Variational Autoencoder for Molecular Graph Generation](https://arxiv.org/abs/1802.04364)\n"
)


def _papers() -> list[dict[str, object]]:
    """Ten papers judged by hand: the first five belong to the topic of the bundled rules, the last five do not."""
    return [json.loads(line) for line in (DATA_DIR / "review_papers.jsonl").read_text(encoding="utf-8").splitlines()]


def _data_dir(tmp_path: Path, markdown: str | None = None) -> tuple[Path, list[str]]:
    """A data folder (a new one seeded with `markdown` when given) and the global options that name it."""
    data_dir = tmp_path / "data"
    config = f'seed_list = "{_write_list(tmp_path, markdown)}"\n' if markdown is not None else ""
    settings = make_settings(data_dir, config)
    return data_dir, [
        *(["--config", str(settings.config_path)] if settings.config_path else []),
        "--data-dir",
        str(data_dir),
    ]


def _write_list(tmp_path: Path, markdown: str) -> Path:
    path = tmp_path / "seed.md"
    path.write_text(markdown, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("entries", "learnt"),
    [(OPEN_PROBLEMS, "1 paper"), (UNKNOWN_PAPER, "0 papers")],
    ids=["one-paper-with-an-abstract", "papers-without-abstracts-yet"],
)
def test_a_new_list_with_fewer_than_two_papers_to_learn_from_still_flags_by_the_rules_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entries: str, learnt: str
) -> None:
    """A new user's list (one paper, or papers whose abstracts are not fetched yet: another topic's list) crashed
    every use of the model with an IndexError traceback: `digest score`, every poll, `digest add`."""
    _, options = _data_dir(tmp_path, f"# Awesome New Topic\n\n## Papers\n\n{entries}")
    results, err = scored(options, _papers(), tmp_path, capsys)
    flagged = [row["arxiv_id"] for row in results if row["tier"] is not None]
    belong = [row["arxiv_id"] for row in _papers()[:5]]
    assert flagged and set(flagged) <= set(belong), flagged
    assert f"the model has learnt from {learnt} of the list" in err
    # A poll of the same papers keeps the same ones for review.
    feed = tmp_path / "cs.CV.xml"
    feed.write_bytes(build_rss("cs.CV", _papers(), date(2025, 6, 2)))
    assert main([*options, "poll", "--source", str(feed), "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["sources"][0]["new"]) == sorted(flagged)


# A paper a maintainer approved in an issue tracker, brought in with `digest decisions import`: never in the list.
IMPORTED_APPROVAL: dict[str, object] = {
    "arxiv_id": "2509.99001",
    "title": "Steering vision-language models with sparse autoencoder latents against hallucination",
    "abstract": "We steer large vision-language models (LVLMs) by adding steering vectors built from sparse "
    "autoencoder latents to the residual stream, and show that hallucinations in visual question answering drop. "
    "The steering directions are interpretable.",
    "decision": "approve",
    "section": "Steering",
}
STEERING_PAPER = 0  # in _papers(): "Steering LVLMs via Sparse Autoencoder for Hallucination Mitigation"


def _import_decisions(options: list[str], rows: list[dict[str, object]], tmp_path: Path) -> None:
    path = tmp_path / "verdicts.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    assert main([*options, "decisions", "import", str(path)]) == 0


def _list_sections(data_dir: Path) -> list[str]:
    from digest.awesome import store as liststore
    from digest.service.wiring import open_service_database

    database = open_service_database(make_settings(data_dir))
    try:
        with database.reading() as session:
            return liststore.section_names(session)
    finally:
        database.dispose()


def _edit_list_by_hand(options: list[str], data_dir: Path, old: str, new: str) -> None:
    """A maintainer edits the Markdown (a heading renamed, a section taken out) and imports it."""
    path = data_dir.parent / "edited.md"
    assert main([*options, "list", "export", "-o", str(path)]) == 0
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert main([*options, "list", "import", str(path), "--force"]) == 0


def test_suggested_sections_follow_a_section_renamed_or_taken_out_by_hand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Approvals remember the section they went into. After a maintainer renamed "Steering" by hand, or took a
    section out with its papers, new candidates were still offered the old names, first of all: Discord then showed
    no ✅, the weekly digest no approve link, and `digest score` a section the list does not have."""
    from digest.storage.models import Candidate

    data_dir, options = _data_dir(tmp_path)
    _import_decisions(options, [IMPORTED_APPROVAL], tmp_path)
    # A paper approved through the review into Attention, whose section is later taken out by hand.
    attention = _papers()[2]  # "Sparse Dictionary Learning ... attention heads ... of Vision Transformers"
    database_settings = make_settings(data_dir)
    from digest.service.wiring import open_service_database
    from tests.factories import insert_candidate

    database = open_service_database(database_settings)
    try:
        candidate_id = insert_candidate(database, attention)
    finally:
        database.dispose()
    assert main([*options, "approve", str(candidate_id), "--section", "Attention"]) == 0
    capsys.readouterr()
    before, _ = scored(options, [_papers()[STEERING_PAPER], attention], tmp_path, capsys)
    assert before[0]["section"] == "Steering" and before[1]["section"] == "Attention"

    _edit_list_by_hand(options, data_dir, " Steering \n", " Activation Control\n")
    markdown = (data_dir / "list.md").read_text(encoding="utf-8")
    start = markdown.rindex("\n### ", 0, markdown.index(" Attention\n")) + 1  # the heading, its papers, up to Tool
    end = markdown.index("\n## ", start) + 1
    _edit_list_by_hand(options, data_dir, markdown[start:end], "")
    capsys.readouterr()
    sections = _list_sections(data_dir)
    assert "Activation Control" in sections and "Steering" not in sections and "Attention" not in sections, "|".join(
        sections
    )
    database = open_service_database(database_settings)
    try:
        with database.reading() as session:
            approved = session.get(Candidate, candidate_id)
            assert approved is not None and approved.decided_section == "Attention"  # the approval stands
    finally:
        database.dispose()

    results, _ = scored(options, [_papers()[STEERING_PAPER], attention], tmp_path, capsys)
    for result in results:
        assert result["sections"] and set(result["sections"]) <= set(sections), result["sections"]
        assert result["section"] == result["sections"][0]


def _nearest_line(result: ScoredPaper) -> str:
    return next(line for line in result["why"] if line.startswith("nearest in the list: "))


def test_nearest_in_the_list_names_only_papers_the_list_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An imported approval is learnt from, but it is not in the list: "nearest in the list" named it (with its
    section) on the review page, in Discord, in the weekly digest and in `digest score`."""
    data_dir, options = _data_dir(tmp_path)
    _import_decisions(options, [IMPORTED_APPROVAL], tmp_path)
    capsys.readouterr()
    [result], _ = scored(options, [_papers()[STEERING_PAPER]], tmp_path, capsys)
    nearest = _nearest_line(result)
    assert str(IMPORTED_APPROVAL["title"]) not in nearest
    listed = (data_dir / "list.md").read_text(encoding="utf-8")
    for item in nearest.removeprefix("nearest in the list: ").split("; "):
        title = item.rsplit(" (", 1)[0]
        assert f"[{title}]" in listed, title  # a paper of the list, as it is written there


def _bundled(arxiv_id: str) -> dict[str, object]:
    with (Path(__file__).parent.parent / "digest" / "data" / "curated_papers.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return next(row for row in rows if row["arxiv_id"] == arxiv_id)


def test_an_imported_verdict_on_a_paper_the_list_holds_leaves_the_list_standing_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An issue tracker's old "reject" of a paper that is in the list now was learnt as a rejection beside the list's
    own copy of it, pulling down every paper like it (the list's own kind of paper), and the import said nothing."""
    _, options = _data_dir(tmp_path)
    before, _ = scored(options, [_papers()[STEERING_PAPER]], tmp_path, capsys)
    listed = _bundled("2410.15778")  # "Reducing Hallucinations in Vision-Language Models via Latent Space Steering"
    verdicts = [
        {"arxiv_id": listed["arxiv_id"], "title": listed["title"], "abstract": listed["abstract"], "decision": "reject"}
    ]
    path = tmp_path / "verdicts.jsonl"
    path.write_text(json.dumps(verdicts[0]) + "\n", encoding="utf-8")
    assert main([*options, "decisions", "import", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 of them is a reject of a paper the list holds: the list stands, and it is not learnt" in out
    after, _ = scored(options, [_papers()[STEERING_PAPER]], tmp_path, capsys)
    assert after == before


def test_a_seed_list_that_is_no_list_yet_is_one_line_naming_the_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A new user starting from a list of headings with no papers yet got a ListFormatError traceback from every
    command (the seed list is read when the database is new); `digest config check` said nothing of it."""
    _, options = _data_dir(tmp_path, "# Awesome New Topic\n\nA curated list.\n\n## Papers\n\n")
    status = main([*options, "score", str(DATA_DIR / "review_papers.jsonl")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("digest: configuration: seed_list ") and "not an awesome list" in err
    assert len(err.splitlines()) == 1
    assert main([*options, "config", "check"]) == 1
    out = capsys.readouterr().out
    assert "seed_list" in out and "not an awesome list" in out
